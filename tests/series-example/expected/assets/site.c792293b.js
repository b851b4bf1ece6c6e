// Progressive enhancement only: every page works fully without this script, and then
// nothing on it claims that a session is upcoming or past.
"use strict";

(function () {
  // Copy buttons for feed addresses: shown only where the clipboard can be used.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    var field = document.getElementById(button.dataset.copy);
    var status = button.parentElement.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        status.textContent = "Address copied.";
      }, function () {
        field.select();
        status.textContent = "Select the address and copy it.";
      });
    });
  });

  // Escape closes an open menu and puts the focus back on its button, as menus do elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var menu = document.activeElement && document.activeElement.closest("details.menu[open]");
    if (!menu) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  });

  // Past and next sessions, by the reader's clock: the built pages never go stale.
  var sessions = Array.prototype.slice.call(document.querySelectorAll("[data-start][data-end]"));
  var now = Date.now();
  if (!sessions.length) return;
  var next = null;
  sessions.forEach(function (session) {
    var cancelled = session.classList.contains("is-cancelled");
    if (Date.parse(session.dataset.end) <= now) {
      session.classList.add("is-past");
      // A cancelled session never took place; and no app is offered an event that is over.
      if (!cancelled) label(session, "past", "This session has taken place.");
      // On a session's own page its links stand after its facts, so they are the page's.
      var scope = sessions.length === 1 ? document : session;
      scope.querySelectorAll(".add-app").forEach(function (item) { item.hidden = true; });
      // In a list, a session that is over offers no calendar at all (its own page keeps its file).
      if (scope !== document) session.querySelectorAll(".add-to-calendar").forEach(function (menu) { menu.hidden = true; });
    } else if (!cancelled && (!next || Date.parse(session.dataset.start) < Date.parse(next.dataset.start))) {
      next = session;
    }
    addLocalTime(session);
  });
  document.querySelectorAll("[data-fold-past]").forEach(foldPast);
  var featured = document.getElementById("next-session");
  if (next && featured) feature(next, featured);
  document.querySelectorAll(".registration").forEach(registration);
  if (next) {
    next.classList.add("is-next");
    // On a page about one session, "next" would suggest it is the next of the whole series.
    var upcoming = sessions.length === 1 ? "Upcoming." : "Next session.";
    label(next, "next", Date.parse(next.dataset.start) <= now ? "Happening now." : upcoming);
  }
  // Before or during the series, the home page leads with the next session; after it, it says so.
  var status = document.getElementById("series-status");
  if (status && !next) {
    status.textContent = "This series has ended: every session is in the past.";
    status.hidden = false;
  }

  // The sessions that are over go behind one disclosure, so that what comes next comes first.
  function foldPast(list) {
    var past = list.querySelectorAll(".session.is-past");
    if (!past.length) return;
    var held = Array.prototype.filter.call(past, function (s) { return !s.classList.contains("is-cancelled"); }).length;
    var called = past.length - held;
    var fold = document.createElement("details");
    fold.className = "past-sessions";
    var summary = document.createElement("summary");
    summary.textContent = count(held, "session has", "sessions have") + " taken place" +
      (called ? "; " + count(called, "was", "were") + " cancelled" : "");
    fold.appendChild(summary);
    list.querySelectorAll(".month").forEach(function (month) {
      var over = month.querySelectorAll(".session.is-past");
      if (!over.length) return;
      var heading = month.querySelector("h2, h3, h4");
      var copy = document.createElement(heading.tagName);
      copy.textContent = heading.textContent;
      var sessionsOver = document.createElement("ol");
      sessionsOver.className = "sessions";
      over.forEach(function (session) { sessionsOver.appendChild(session); });
      fold.append(copy, sessionsOver);
      if (!month.querySelector(".session")) month.remove();  // every session of the month is over
    });
    list.insertBefore(fold, list.firstChild);
  }

  // The next session again, as the home page's prominent card: its heading one level below the
  // section's, and no ids, so that nothing on the page is named twice.
  function feature(session, section) {
    var card = document.createElement("div");
    card.className = "next-card";
    Array.prototype.forEach.call(session.children, function (child) {
      if (child.classList.contains("session-badge")) return;
      var copy = child.cloneNode(true);
      if (child.classList.contains("session-heading")) {
        copy = document.createElement("h3");
        copy.className = "session-heading";
        copy.innerHTML = child.innerHTML;
      }
      copy.querySelectorAll("[id]").forEach(function (element) { element.removeAttribute("id"); });
      card.appendChild(copy);
    });
    if (Date.parse(session.dataset.start) <= now) label(card, "next", "Happening now.");
    section.appendChild(card);
    section.hidden = false;
  }

  // Registration by the reader's clock: closed after its deadline, and not offered at all once
  // the session has started. Without this script the deadline is stated in words.
  function registration(block) {
    if (Date.parse(block.dataset.start) <= now) {
      block.hidden = true;
    } else if (block.dataset.closes && Date.parse(block.dataset.closes) <= now) {
      var closed = document.createElement("p");
      closed.className = "registration-state";
      closed.textContent = "Registration closed.";
      block.replaceChildren(closed);
    }
  }

  function count(number, one, many) {
    return number + " " + (number === 1 ? one : many);
  }

  function label(element, kind, text) {
    var badge = document.createElement("p");
    badge.className = "session-badge session-badge-" + kind;
    badge.textContent = text;
    element.insertBefore(badge, element.firstElementChild);
  }

  function zoneOf() {
    return document.documentElement.dataset.timeZone;
  }

  // Where the reader's clock is in another zone than the site's, add their local time.
  function addLocalTime(session) {
    var when = session.querySelector("time[datetime*='T']");
    if (!when || !window.Intl) return;
    var start = new Date(session.dataset.start);
    var siteOffset = session.dataset.start.slice(-6);
    var readerMinutes = -start.getTimezoneOffset();
    var sign = readerMinutes < 0 ? "-" : "+";
    var readerOffset = sign + pad(Math.floor(Math.abs(readerMinutes) / 60)) + ":" + pad(Math.abs(readerMinutes) % 60);
    if (readerOffset === siteOffset) return;
    var local = document.createElement("span");
    local.className = "local-time";
    local.textContent = " (" + timeRange(start, new Date(session.dataset.end)) + " your time)";
    when.parentElement.appendChild(local);
  }

  // The reader's clock times as the site writes its own: "6:00–8:00 p.m.", "11:30 a.m.–1:00 p.m.",
  // "Noon–2:00 p.m." (AP style; microsite/formatting.py's time_range).
  function timeRange(start, end) {
    var sameHalf = (start.getHours() < 12) === (end.getHours() < 12) && start.getMinutes() + start.getHours() % 12 > 0;
    var text = clock(start, !sameHalf) + "–" + clock(end, true);
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function clock(moment, withMeridiem) {
    var hour = moment.getHours(), minute = moment.getMinutes();
    if (minute === 0 && hour === 12) return "noon";
    if (minute === 0 && hour === 0) return "midnight";
    return (hour % 12 || 12) + ":" + pad(minute) + (withMeridiem ? (hour < 12 ? " a.m." : " p.m.") : "");
  }

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }
})();
