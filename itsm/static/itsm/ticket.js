/* The ticket page: drafts autosave per ticket in this browser and clear once sent; r / n choose the
   composer's mode; the heartbeat says "writing" while the composer is in use. The ticket and its
   presence URL come from #ticket-page's data- attributes (the Content-Security-Policy runs no
   inline script). */
(function () {
  "use strict";
  var typedAt = 0;
  function pageData(name) {
    var page = document.getElementById("ticket-page");
    return page ? page.getAttribute("data-" + name) : null;
  }
  function key() { return "itsm.draft.ticket." + pageData("ticket"); }
  function box() { return document.getElementById("composer_body"); }
  function mode() { var m = document.querySelector("#composer input[name=mode]:checked"); return m ? m.value : "reply"; }
  function setMode(value) {
    var radio = document.querySelector('#composer input[name=mode][value="' + value + '"]');
    if (radio) radio.checked = true;
  }
  function save() {
    var b = box(); if (!b) return;
    try {
      if (b.value.trim()) localStorage.setItem(key(), JSON.stringify({ body: b.value, mode: mode() }));
      else localStorage.removeItem(key());
    } catch (e) { /* storage off: the draft lives only in the page */ }
  }
  function sync() {
    var b = box(); var composer = document.getElementById("composer"); if (!b || !composer) return;
    try {
      if (composer.hasAttribute("data-draft-clear")) {
        localStorage.removeItem(key());
        composer.removeAttribute("data-draft-clear");
        // Drop ?sent=1 so a later reload does not wipe the next draft.
        if (/[?&]sent=1/.test(location.search)) history.replaceState(null, "", location.pathname + location.hash);
        return;
      }
      if (b.value.trim()) { save(); return; }
      var saved = JSON.parse(localStorage.getItem(key()) || "null");
      if (saved && saved.body) { b.value = saved.body; setMode(saved.mode || "reply"); }
    } catch (e) { /* ignore */ }
  }
  function presenceState() {
    var b = box();
    var writing = b && b.value.trim() && (document.activeElement === b || Date.now() - typedAt < 30000);
    return writing ? "writing" : "viewing";
  }
  // The 15 s heartbeat carries the state read at the moment it is sent.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.hasAttribute("data-presence-heartbeat")) event.detail.parameters.state = presenceState();
  });
  document.addEventListener("input", function (event) {
    if (event.target.id === "composer_body") { typedAt = Date.now(); save(); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.name === "mode" && event.target.closest("#composer")) save();
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-composer-mode]");
    if (!button) return;
    setMode(button.getAttribute("data-composer-mode"));
    var b = box(); if (b) { b.focus(); b.scrollIntoView({ block: "center" }); }
  });
  // Leaving the page says goodbye at once, so nobody sees a ghost viewer for the rest of the TTL.
  window.addEventListener("pagehide", function () {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    var url = pageData("presence-url");
    if (!token || !url || !navigator.sendBeacon) return;
    var data = new FormData();
    data.append("state", "gone");
    data.append("csrfmiddlewaretoken", token.value);
    navigator.sendBeacon(url, data);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", sync); else sync();
  document.addEventListener("htmx:afterSettle", sync);
})();
