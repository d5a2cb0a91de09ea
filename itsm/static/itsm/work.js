// My work: a failed load of the list is not an empty list (UX §8): say so in the list region and
// offer a retry. A static file, because the Content-Security-Policy runs no inline script.
(function () {
  "use strict";
  function failed(event) {
    var elt = event.detail && (event.detail.requestConfig ? event.detail.requestConfig.elt : event.detail.elt);
    if (!elt || !elt.closest || !elt.closest("#work-list")) return;
    var rows = document.getElementById("rows");
    if (!rows) return;
    var info = event.detail.pathInfo;
    var path = (info && (info.finalRequestPath || info.requestPath)) || window.location.href;
    rows.removeAttribute("aria-busy");
    rows.innerHTML = '<div class="empty" role="alert" data-load-failed><p>Couldn\u2019t load tickets.</p>'
      + '<button type="button" data-retry>Try again</button></div>';
    rows.querySelector("[data-retry]").addEventListener("click", function () {
      htmx.ajax("GET", path, {target: "#rows", swap: "innerHTML"});
    });
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
})();
