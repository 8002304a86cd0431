// The playground console's small extras on top of htmx: the Retry-After countdown
// and Pause/Resume of polling (copy buttons are handled by site.js). Polling itself is driven by the
// server's fragments (hx-trigger="load delay:Ns"); this file only watches it.
(function () {
  "use strict";

  var paused = false;
  var timer = null;

  function startCountdown(root) {
    var next = (root || document).querySelector("#next-poll [data-countdown]");
    if (timer) clearInterval(timer);
    if (!next) return;
    var remaining = parseInt(next.textContent, 10) || 0;
    timer = setInterval(function () {
      if (paused) return;
      remaining = Math.max(0, remaining - 1);
      next.textContent = String(remaining);
      if (remaining === 0) clearInterval(timer);
    }, 1000);
  }

  function syncPauseButton() {
    var button = document.querySelector("[data-pause-polling]");
    if (!button) return;
    button.hidden = !document.getElementById("next-poll");
    button.textContent = paused ? "Resume polling" : "Pause polling";
    button.setAttribute("aria-pressed", paused ? "true" : "false");
  }

  document.addEventListener("htmx:load", function () {
    startCountdown(document);
    syncPauseButton();
  });

  // The sentence the run's status line (a live region) carries while a poll is held.
  var HELD_NOTE = "Polling paused; the next poll is held until you resume.";

  // Mark the held poll (data-poll-held on #next-poll) and say so; unmark it on Resume.
  function markHeld(next, held) {
    var status = document.getElementById("run-status");
    var note = status && status.querySelector("[data-poll-held-note]");
    next.toggleAttribute("data-poll-held", held);
    if (held && status && !note) {
      note = document.createElement("span");
      note.setAttribute("data-poll-held-note", "");
      note.textContent = " " + HELD_NOTE;
      status.appendChild(note);
    } else if (!held && note) {
      note.remove();
    }
  }

  // While paused, the scheduled poll is held back; Resume sends it at once.
  document.addEventListener("htmx:confirm", function (event) {
    if (paused && event.target.id === "next-poll") {
      event.preventDefault();
      markHeld(event.target, true);
    }
  });

  document.addEventListener("click", function (event) {
    var pause = event.target.closest && event.target.closest("[data-pause-polling]");
    if (pause) {
      paused = !paused;
      syncPauseButton();
      var next = document.getElementById("next-poll");
      if (!paused && next) {
        markHeld(next, false);
        if (window.htmx) window.htmx.trigger(next, "poll-now");
      }
    }
  });

  // After Send, move focus to the run so keyboard and screen-reader users land on the result.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id === "run") {
      var heading = document.getElementById("run-title");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: false });
      }
    }
  });
})();
