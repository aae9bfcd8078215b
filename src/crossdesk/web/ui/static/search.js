// Search hits open the inbox at /ui/inbox?c=<conversation>&m=<message>: once the
// conversation pane has loaded, bring that message into view and mark it.
(function () {
  "use strict";
  function focusHit() {
    var id = new URLSearchParams(window.location.search).get("m");
    if (!id) return;
    var target = document.querySelector('#conversation [data-message-id="' + CSS.escape(id) + '"]');
    if (!target || target.classList.contains("search-focus")) return;
    target.classList.add("search-focus");
    target.setAttribute("tabindex", "-1");
    target.scrollIntoView({ block: "center" });
  }
  document.addEventListener("htmx:afterSettle", focusHit);
  document.addEventListener("DOMContentLoaded", focusHit);
})();
