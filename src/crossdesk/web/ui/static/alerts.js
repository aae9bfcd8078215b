// Alerts dashboard: new and changed alerts arrive over the event stream and refresh the
// table without a reload (the charts catch up on the next page load). No inline scripts.
(function () {
  "use strict";

  function refresh() {
    var list = document.getElementById("alert-list");
    if (!list || !window.htmx) return;
    // An open note being typed is not thrown away by a refresh.
    var active = document.activeElement;
    if (active && active.tagName === "TEXTAREA" && active.value && list.contains(active)) return;
    htmx.ajax("GET", list.dataset.url, { target: "#alert-list", swap: "innerHTML" });
  }

  function connect() {
    var status = document.getElementById("alerts-live");
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
    function onAlert() {
      if (pending) return;  // one refresh per 300 ms at most during a burst
      pending = setTimeout(function () { pending = null; refresh(); }, 300);
    }
    source.addEventListener("alert.created", onAlert);
    source.addEventListener("alert.updated", onAlert);
  }

  document.addEventListener("DOMContentLoaded", connect);
})();
