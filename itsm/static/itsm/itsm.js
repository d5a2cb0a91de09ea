// Small behaviours on top of the server-rendered pages: keyboard shortcuts, the live-update pause,
// countdowns that tick between server polls, and focus on the error summary. Everything also works
// without this file; it only saves keystrokes and page loads.
(function () {
  "use strict";
  var STORE = window.localStorage;
  function pref(name, fallback) {
    try { var v = STORE.getItem("itsm." + name); return v === null ? fallback : v === "1"; } catch (e) { return fallback; }
  }
  function setPref(name, on) { try { STORE.setItem("itsm." + name, on ? "1" : "0"); } catch (e) { /* private mode */ } }

  // Live updates: a region that polls is written hx-trigger="itsm:live" data-live-every="30", and gets
  // the event every 30 s while live updates are on, so pausing stops the polls. (htmx's own
  // "every 30s [filter]" evaluates the filter as a string, which the Content-Security-Policy refuses.)
  window.itsmLive = function () { return pref("live", true); };
  function startPolls(root) {
    if (!root || !root.querySelectorAll) return;
    var found = Array.prototype.slice.call(root.querySelectorAll("[data-live-every]"));
    if (root.matches("[data-live-every]")) found.push(root);
    found.forEach(function (el) {
      if (el.itsmPoll) return;
      el.itsmPoll = setInterval(function () {
        if (!document.body.contains(el)) { clearInterval(el.itsmPoll); return; }
        if (window.itsmLive()) htmx.trigger(el, "itsm:live");
      }, parseInt(el.getAttribute("data-live-every"), 10) * 1000);
    });
  }
  // Every swap (out-of-band ones included) fires htmx:load on the new content, the page's body first.
  if (window.htmx) htmx.onLoad(startPolls);

  // A region with data-failed-notice="id" shows that element when its request fails, hides it once one
  // succeeds. A region replaced by its own answer no longer bubbles to the document: htmx then fires the
  // event again on an ancestor, and requestConfig.elt still names the region that asked.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && (event.detail.requestConfig ? event.detail.requestConfig.elt : event.detail.elt);
    var region = elt && elt.closest && elt.closest("[data-failed-notice]");
    var notice = region && document.getElementById(region.getAttribute("data-failed-notice"));
    if (notice) notice.hidden = !!event.detail.successful;
  });

  // Search fields written data-search-on-enter search at once on Enter (hx-trigger="..., itsm:enter");
  // with data-enter-keeps-form the Enter does not also send the form around them.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-enter-keeps-form]")) {
      event.preventDefault();
    }
  });
  document.addEventListener("keyup", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-search-on-enter]")) {
      htmx.trigger(event.target, "itsm:enter");
    }
  });

  // The portal's outage notice: "My problem is different" hides the choice and goes on to the description.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-outage-different]");
    if (!button) return;
    var notice = button.closest("[data-outage-notice]");
    notice.querySelector("[data-outage-actions]").hidden = true;
    notice.querySelector("[data-outage-ack]").hidden = false;
    var description = document.getElementById("id_description");
    if (description) description.focus();
  });

  function typing(target) {
    return target && target.closest && target.closest("input, textarea, select, [contenteditable], dialog[open]");
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-row]")); }
  function currentRow() { return document.querySelector("[data-row].row--current"); }
  function moveRow(step) {
    var all = rows(); if (!all.length) return;
    var index = all.indexOf(currentRow());
    var next = all[Math.max(0, Math.min(all.length - 1, index + step))] || all[0];
    all.forEach(function (r) { r.classList.remove("row--current"); });
    next.classList.add("row--current");
    var link = next.querySelector("a[data-open]") || next.querySelector("a");
    if (link) link.focus();
  }

  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form) {
      event.preventDefault();
      event.target.form.requestSubmit();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (!pref("shortcuts", true) && event.key !== "?") return;
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      var target = document.querySelector('[data-go="' + key + '"]');
      if (target) { event.preventDefault(); window.location.href = target.getAttribute("href"); }
      return;
    }
    if (key === "?") { event.preventDefault(); openShortcuts(); return; }
    if (!pref("shortcuts", true)) return;
    if (key === "g") { pendingG = true; setTimeout(function () { pendingG = false; }, 1500); return; }
    if (key === "/") {
      var search = document.querySelector("[data-search]");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    if (key === "j") { event.preventDefault(); moveRow(1); return; }
    if (key === "k") { event.preventDefault(); moveRow(-1); return; }
    if (key === "x") {
      var row = currentRow(); var box = row && row.querySelector("input[type=checkbox]");
      if (box) { event.preventDefault(); box.click(); }
      return;
    }
    if (key === "o") {
      var open = currentRow(); var link = open && (open.querySelector("a[data-open]") || open.querySelector("a"));
      if (link) { event.preventDefault(); link.click(); }
      return;
    }
    var action = document.querySelector('[data-shortcut="' + key + '"]');
    if (action) {
      event.preventDefault();
      if (action.matches("input, textarea, select")) action.focus(); else action.click();
    }
  });

  function openShortcuts() {
    var dialog = document.getElementById("shortcuts-dialog");
    if (dialog && !dialog.open) dialog.showModal();
  }

  // Countdowns: <time data-countdown datetime=...> gets "in 12 min" / "Overdue by 3 min" each minute.
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime")); if (isNaN(due)) return;
      var minutes = Math.round((due - now) / 60000);
      var label = el.parentElement.querySelector("[data-countdown-label]") || el;
      var soon = parseInt(el.getAttribute("data-soon") || "5", 10);
      el.parentElement.classList.toggle("countdown--overdue", minutes < 0);
      el.parentElement.classList.toggle("countdown--due-soon", minutes >= 0 && minutes <= soon);
      if (label !== el) {
        var prefix = label.getAttribute("data-countdown-prefix");
        label.textContent = minutes < 0 ? "Overdue by " + (-minutes) + " min"
          : (prefix ? prefix + " due in " : "Due in ") + minutes + " min";
      }
    });
  }

  // WCAG 2.4.11: whatever height the sticky header wraps to, a focused element scrolls fully below it.
  function padForHeader() {
    var header = document.querySelector(".site-header");
    if (header) document.documentElement.style.scrollPaddingTop = (header.offsetHeight + 16) + "px";
  }
  window.addEventListener("resize", padForHeader);

  // A ticked row is marked selected, for assistive technology and the highlight (x ticks the box).
  document.addEventListener("change", function (event) {
    var row = event.target.closest && event.target.closest("[data-row]");
    if (row && event.target.type === "checkbox") row.setAttribute("aria-selected", event.target.checked ? "true" : "false");
  });

  document.addEventListener("DOMContentLoaded", function () {
    padForHeader();
    document.querySelectorAll("[data-shortcuts-open]").forEach(function (b) { b.addEventListener("click", openShortcuts); });
    document.querySelectorAll("[data-shortcuts-close]").forEach(function (b) {
      b.addEventListener("click", function () { b.closest("dialog").close(); });
    });
    document.querySelectorAll("[data-shortcuts-toggle]").forEach(function (box) {
      box.checked = pref("shortcuts", true);
      box.addEventListener("change", function () { setPref("shortcuts", box.checked); });
    });
    document.querySelectorAll("[data-live-toggle]").forEach(function (box) {
      box.checked = pref("live", true);
      box.addEventListener("change", function () { setPref("live", box.checked); });
    });
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
    tick();
    setInterval(tick, 30000);
  });
  document.addEventListener("htmx:afterSwap", function () {
    tick();
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
})();
