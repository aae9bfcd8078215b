// Saved views and inbox filters: the live list refresh (app.js) asks for
// /ui/inbox/list with the tab, platform and account; this adds the rest of the current
// filter (status, label, assignee, team, language, unread, waiting), kept on the list's
// data-filters attribute, so a refresh never drops a filter. No inline script, no eval.
(function () {
  "use strict";

  var OWN = { view: true, platform: true, account: true, selected: true, c: true, saved: true };

  document.addEventListener("htmx:configRequest", function (e) {
    var path = e.detail.path || "";
    if (path.indexOf("/ui/inbox/list") !== 0) return;
    var list = document.getElementById("conversation-list");
    if (!list) return;
    var query = new URLSearchParams(list.getAttribute("data-filters") || "");
    var values = {};
    query.forEach(function (value, key) {
      if (OWN[key]) return;
      (values[key] = values[key] || []).push(value);
    });
    Object.keys(values).forEach(function (key) {
      e.detail.parameters[key] = values[key].length === 1 ? values[key][0] : values[key];
    });
  });

  // Opening a conversation marks it read for me (server side): clear its list badge now
  // rather than at the next refresh.
  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.detail.target || e.detail.target.id !== "conversation") return;
    var conv = e.detail.target.querySelector(".conv");
    if (!conv) return;
    var id = conv.getAttribute("data-conversation-id");
    document.querySelectorAll(".conv-item").forEach(function (item) {
      if (item.getAttribute("data-conversation-id") !== id) return;
      item.classList.remove("unread");
      var badge = item.querySelector(".row2 .badge");
      if (badge) badge.remove();
    });
  });
})();
