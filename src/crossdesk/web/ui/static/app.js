// crossdesk UI behaviour: live updates over Server-Sent Events, keyboard shortcuts,
// small conveniences. No inline scripts (the CSP forbids them) and no eval.
(function () {
  "use strict";

  function currentConversationId() {
    var conv = document.querySelector("#conversation .conv");
    return conv ? conv.getAttribute("data-conversation-id") : null;
  }

  function refreshList() {
    var list = document.getElementById("conversation-list");
    if (!list || !window.htmx) return;
    var view = list.getAttribute("data-view") || "mine";
    var selected = currentConversationId() || "";
    var platform = list.getAttribute("data-platform") || "";
    var account = list.getAttribute("data-account") || "";
    htmx.ajax("GET", "/ui/inbox/list?view=" + encodeURIComponent(view) +
      "&selected=" + encodeURIComponent(selected) + "&platform=" + encodeURIComponent(platform) +
      "&account=" + encodeURIComponent(account), { target: "#conversation-list", swap: "innerHTML" });
  }

  function refreshMessages(conversationId) {
    if (!window.htmx || conversationId !== currentConversationId()) return;
    htmx.ajax("GET", "/ui/conversations/" + encodeURIComponent(conversationId) + "/messages",
      { target: "#messages", swap: "innerHTML" }).then(scrollMessages);
  }

  function scrollMessages() {
    var box = document.getElementById("messages");
    if (box) box.scrollTop = box.scrollHeight;
  }

  function connect() {
    var status = document.getElementById("live-status");
    if (!status || !window.EventSource) return;
    var source = new EventSource("/api/v1/events");
    var pending = null;
    source.addEventListener("open", function () {
      status.dataset.state = "live";
      status.textContent = status.dataset.live || "live";
    });
    source.addEventListener("error", function () {
      status.dataset.state = "reconnecting";
      status.textContent = status.dataset.reconnecting || "reconnecting";
    });
    function onEvent(e) {
      var event = JSON.parse(e.data);
      // Only message events re-render the thread (a re-render closes open reveal forms).
      if (event.conversation_id && event.type.indexOf("message.") === 0) {
        refreshMessages(event.conversation_id);
      }
      // Coalesce bursts: one list refresh per 300 ms at most.
      if (pending) return;
      pending = setTimeout(function () { pending = null; refreshList(); }, 300);
    }
    ["message.created", "message.status", "conversation.updated"].forEach(function (type) {
      source.addEventListener(type, onEvent);
    });
    source.addEventListener("notification.created", function (e) {
      ringBell();
      browserNotification(JSON.parse(e.data));
    });
    source.addEventListener("notification.read", ringBell);
  }

  // Notifications: the bell re-renders itself (hx-trigger "cd-notifications from:body").
  function ringBell() {
    if (window.htmx) htmx.trigger(document.body, "cd-notifications");
  }

  // A desktop notification only when the tab is hidden, the user turned them on in the
  // profile (data-browser on the bell) and the browser allowed them.
  function browserNotification(event) {
    var bell = document.getElementById("bell");
    if (!document.hidden || !bell || bell.dataset.browser !== "on") return;
    if (!window.Notification || Notification.permission !== "granted") return;
    var kind = event.data.kind || "message";
    var title = bell.dataset["title" + kind.charAt(0).toUpperCase() + kind.slice(1)] || "crossdesk";
    var note = new Notification(title, { body: event.data.summary || "", tag: event.data.id });
    note.onclick = function () {
      window.focus();
      if (event.conversation_id) {
        window.location.href = "/ui/inbox?c=" + encodeURIComponent(event.conversation_id);
      }
    };
  }

  function moveSelection(step) {
    var items = Array.prototype.slice.call(document.querySelectorAll(".conv-item"));
    if (!items.length) return;
    var current = currentConversationId();
    var index = items.findIndex(function (a) { return a.dataset.conversationId === current; });
    var next = items[Math.min(items.length - 1, Math.max(0, index + step))];
    if (next) next.click();
  }

  function typing(target) {
    return target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" ||
      target.tagName === "SELECT" || target.isContentEditable);
  }

  // The quick-reply menu under the reply box: arrow keys choose, Enter or Tab inserts.
  function quickItems() {
    return Array.prototype.slice.call(document.querySelectorAll("#quick-replies .qr-item"));
  }

  function moveQuick(step) {
    var items = quickItems();
    if (!items.length) return false;
    var index = items.findIndex(function (b) { return b.classList.contains("active"); });
    var next = index === -1 ? (step > 0 ? 0 : items.length - 1)
      : Math.min(items.length - 1, Math.max(0, index + step));
    items.forEach(function (b, i) { b.classList.toggle("active", i === next); });
    items[next].scrollIntoView({ block: "nearest" });
    return true;
  }

  function openQuickReplies() {
    var box = document.getElementById("reply-text");
    if (!box) return;
    box.focus();
    if (box.value.charAt(0) !== "/") {
      box.value = "/" + box.value.replace(/^\s+/, "");
      box.setSelectionRange(1, 1);
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  function replyBoxKeys(e) {
    var items = quickItems();
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      var form = e.target.closest("form");
      if (form) form.requestSubmit();
      return true;
    }
    if (items.length && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      moveQuick(e.key === "ArrowDown" ? 1 : -1);
      return true;
    }
    if (items.length && (e.key === "Enter" || e.key === "Tab") && !e.shiftKey) {
      var active = items.find(function (b) { return b.classList.contains("active"); }) || items[0];
      e.preventDefault();
      active.click();
      return true;
    }
    if (e.key === "Escape") {
      var menu = document.getElementById("quick-replies");
      if (menu && menu.innerHTML.trim()) menu.innerHTML = "";
      else e.target.blur();
      return true;
    }
    return false;
  }

  document.addEventListener("keydown", function (e) {
    if (e.target.id === "reply-text") { replyBoxKeys(e); return; }
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    var help = document.getElementById("help");
    if (help && help.open) return;  // the dialog handles Esc itself
    var click = function (id) { var el = document.getElementById(id); if (el) el.click(); };
    if (e.key === "j") moveSelection(1);
    else if (e.key === "k") moveSelection(-1);
    else if (e.key === "a") click("assign-me");
    else if (e.key === "e") click("resolve");
    else if (e.key === "r") { var t = document.getElementById("reply-text"); if (t) { e.preventDefault(); t.focus(); } }
    else if (e.key === "q") { e.preventDefault(); openQuickReplies(); }
    else if (e.key === "n") window.location.href = "/ui/notifications";
    else if (e.key === "?") { if (help) help.showModal(); }
  });

  // Profile: turning browser notifications on asks the browser for permission.
  document.addEventListener("change", function (e) {
    if (!e.target.matches || !e.target.matches("[data-request-permission]")) return;
    if (!e.target.checked || !window.Notification) return;
    var note = document.getElementById("browser-permission-note");
    Notification.requestPermission().then(function (answer) {
      if (note) note.hidden = answer !== "denied";
    });
  });

  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-autosubmit]")) {
      var form = e.target.closest("form");
      if (!form) return;
      // a form swapped in a moment ago may not be wired to htmx yet (it processes new
      // content as the swap settles): its submit would then leave as a plain GET of the
      // page, hx-post unseen. process() wires it now, and skips a form already wired.
      if (window.htmx && (form.hasAttribute("hx-post") || form.hasAttribute("hx-get"))) {
        window.htmx.process(form);
      }
      form.requestSubmit();
    }
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.target.id === "conversation") {
      scrollMessages();
      refreshList();
    }
  });

  // Quick replies: "/" at the start of the reply box opens the menu; a click inserts one.
  var quickTimer = null;
  document.addEventListener("input", function (e) {
    if (e.target.id !== "reply-text" || !window.htmx) return;
    var menu = document.getElementById("quick-replies");
    if (!menu) return;
    var value = e.target.value;
    if (value.charAt(0) !== "/" || value.indexOf(" ") !== -1) { menu.innerHTML = ""; return; }
    clearTimeout(quickTimer);
    quickTimer = setTimeout(function () {
      htmx.ajax("GET", menu.dataset.url + "?q=" + encodeURIComponent(value.slice(1)),
        { target: "#quick-replies", swap: "innerHTML" });
    }, 150);
  });
  document.addEventListener("click", function (e) {
    var item = e.target.closest && e.target.closest(".qr-item");
    if (!item) return;
    var box = document.getElementById("reply-text");
    box.value = item.dataset.text;
    document.getElementById("quick-replies").innerHTML = "";
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));  // refresh the live preview
  });

  document.addEventListener("DOMContentLoaded", function () {
    connect();
    scrollMessages();
  });
})();

// The sandbox customer page: clear the box after a message is sent.
document.addEventListener("htmx:afterRequest", function (e) {
  if (e.target && e.target.id === "customer-form" && e.detail.successful) {
    e.target.reset();
    var input = document.getElementById("customer-text");
    if (input) input.focus();
  }
});
