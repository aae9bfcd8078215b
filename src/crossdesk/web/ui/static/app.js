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
      if (event.type === "message.created" && event.data.direction === "inbound" &&
          document.hidden && window.Notification && Notification.permission === "granted") {
        new Notification("crossdesk", { body: "New customer message" });
      }
    }
    ["message.created", "message.status", "conversation.updated"].forEach(function (type) {
      source.addEventListener(type, onEvent);
    });
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

  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.id === "reply-text") {
      e.preventDefault();
      var form = e.target.closest("form");
      if (form) form.requestSubmit();
      return;
    }
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    var click = function (id) { var el = document.getElementById(id); if (el) el.click(); };
    if (e.key === "j") moveSelection(1);
    else if (e.key === "k") moveSelection(-1);
    else if (e.key === "a") click("assign-me");
    else if (e.key === "e") click("resolve");
    else if (e.key === "r") { var t = document.getElementById("reply-text"); if (t) { e.preventDefault(); t.focus(); } }
    else if (e.key === "?") { var help = document.getElementById("help"); if (help) help.showModal(); }
  });

  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-autosubmit]")) {
      var form = e.target.closest("form");
      if (form) form.requestSubmit();
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
