// The playground console's small extras on top of htmx: the Retry-After countdown,
// Pause/Resume of polling, and recovery when one of the console's own requests fails
// (copy buttons are handled by site.js). Polling itself is driven by the server's
// fragments (data-hx-trigger="load delay:Ns"); this file watches it and mends it.
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
        // Resume polls at once: a retry still counting down would poll a second time.
        if (current && current.what === "poll") stopTimer();
        if (window.htmx) window.htmx.trigger(next, "poll-now");
      }
    }
  });

  // -- When a request of the console's own fails ---------------------------------
  // A dropped connection, a restarting server or an error answer would otherwise
  // stop polling for good (htmx swaps only successful answers). Say what happened,
  // mark what is shown as possibly stale, and retry with backoff and jitter, up to
  // MAX_TRIES times; then offer "Try again". What the API itself answers (even a 429
  // or 503) is a successful console answer, shown raw like any other exchange.
  var MAX_TRIES = 6;
  var failures = 0;        // failed sends of the current target in a row
  var current = null;      // the target being retried, or waiting for "Try again"
  var retryTimer = null;

  // What to send again: the pending poll, or the form (Send, Send again, Cancel) that
  // failed. Polls and cancels are safe to repeat (GET, and a DELETE that at worst
  // answers 409); a Send is only when it carries an Idempotency-Key, since the job may
  // have been accepted before the connection dropped.
  function retryTarget(elt) {
    var next = document.getElementById("next-poll");
    if (next && (elt === next || next.contains(elt))) {
      return { elt: next, event: "poll-now", safe: true, what: "poll" };
    }
    var form = elt && elt.closest && elt.closest("form");
    if (!form || !document.body.contains(form)) return null;
    var key = form.querySelector("[name=idempotency_key]");
    var canceling = form.getAttribute("action").indexOf("/cancel") !== -1;
    return {
      elt: form,
      event: "submit",
      safe: canceling || Boolean(key && key.value.trim()),
      what: canceling ? "cancel" : "send",
    };
  }

  function backoff(tries, retryAfter) {
    // 1, 2, 4, ... 30 s, each between half and one and a half times that, so readers
    // cut off by the same restart do not all come back in the same second.
    var base = Math.min(30, Math.pow(2, tries - 1)) * (0.5 + Math.random());
    return Math.max(1, Math.round(Math.max(base, retryAfter || 0)));
  }

  function what(detail) {
    var xhr = detail.xhr;
    if (!xhr || !xhr.status) return "Lost the connection to the server";
    return "The server answered " + xhr.status + (xhr.statusText ? " " + xhr.statusText : "");
  }

  function markStale(stale) {
    var status = document.getElementById("run-status");
    var note = status && status.querySelector("[data-stale]");
    if (stale && status && !note && document.getElementById("timeline")) {
      note = document.createElement("span");
      note.setAttribute("data-stale", "");
      note.textContent = " (last known state: it may have changed since)";
      status.appendChild(note);
    } else if (!stale && note) {
      note.remove();
    }
  }

  function showProblem(text, offerRetry) {
    var box = document.getElementById("run-problem");
    if (!box) return null;
    box.innerHTML = "";
    var line = document.createElement("p");
    line.textContent = text;
    box.appendChild(line);
    if (offerRetry) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button--secondary";
      button.setAttribute("data-try-again", "");
      button.textContent = "Try again";
      box.appendChild(button);
    }
    box.hidden = false;
    return line;
  }

  function stopTimer() {
    if (retryTimer) clearInterval(retryTimer);
    retryTimer = null;
  }

  function clearProblem() {
    var box = document.getElementById("run-problem");
    stopTimer();
    failures = 0;
    current = null;
    if (box) { box.hidden = true; box.innerHTML = ""; }
    markStale(false);
  }

  function send(target) {
    if (!document.body.contains(target.elt)) return;
    // A form is submitted as the reader would, so htmx sends exactly what it sent before.
    if (target.event === "submit" && target.elt.requestSubmit) target.elt.requestSubmit();
    else window.htmx.trigger(target.elt, target.event);
  }

  function scheduleRetry(target, reason, retryAfter) {
    if (!current || current.elt !== target.elt) failures = 0;
    current = target;
    failures += 1;
    stopTimer();
    markStale(true);
    if (!target.safe) {
      showProblem(reason + ". The job may or may not have been accepted: press Try again to "
        + "send it once more (an Idempotency-Key would make that safe to do on its own).", true);
      return;
    }
    if (failures >= MAX_TRIES) {
      showProblem(reason + ". Gave up after " + failures + " tries.", true);
      return;
    }
    var seconds = backoff(failures, retryAfter);
    var line = showProblem("", false);
    function say() {
      if (line) line.textContent = reason + "; trying again in " + seconds + " s.";
      // The pending poll's own countdown ran out; it now waits for the retry.
      var next = document.querySelector("#next-poll [data-next-poll-text]");
      if (next && target.what === "poll") {
        next.textContent = "The last poll failed; next try in " + seconds + " s.";
      }
    }
    say();
    retryTimer = setInterval(function () {
      if (paused && target.what === "poll") return;  // Resume polls at once anyway
      seconds -= 1;
      if (seconds > 0) { say(); return; }
      stopTimer();
      if (line) line.textContent = reason + "; trying again now.";
      send(target);
    }, 1000);
  }

  function failed(event) {
    var target = retryTarget(event.detail.elt);
    if (!target || !window.htmx) return;
    var xhr = event.detail.xhr;
    var header = xhr && xhr.getResponseHeader("Retry-After");
    var reason = what(event.detail);
    if (xhr && xhr.status === 429) {
      // The console's own limit refuses before it sends anything to the API (what the API
      // refuses is shown as an exchange, never as a 429 of the console's): safe to repeat.
      target.safe = true;
      reason += ": too many console requests from this address, and nothing was sent";
    }
    scheduleRetry(target, reason, parseInt(header, 10) || 0);
  }
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:timeout", failed);

  // A console request that succeeds means the server answers again. If it was the
  // retried one, the trouble is over; if it was another (an example chip, say), the
  // retried request goes now rather than being forgotten.
  document.addEventListener("htmx:afterRequest", function (event) {
    var path = (event.detail.pathInfo && event.detail.pathInfo.requestPath) || "";
    if (!event.detail.successful || path.indexOf("/playground/") !== 0 || !current) return;
    var target = current;
    var retried = event.detail.elt === target.elt || target.elt.contains(event.detail.elt);
    clearProblem();
    if (!retried && target.safe && !(paused && target.what === "poll")) send(target);
  });

  document.addEventListener("click", function (event) {
    var again = event.target.closest && event.target.closest("[data-try-again]");
    if (again && current && window.htmx) {
      var target = current;
      failures = 0;
      showProblem("Trying again now.", false);
      send(target);
    }
  });

  // The embed's Confirm counts only a moment after its preview appeared (the server
  // checks it too): held disabled until then, so a click meant for Send, or the second
  // half of a double-click, cannot land on it as it appears.
  function holdConfirm() {
    document.querySelectorAll("[data-confirm-after]:not([data-held])").forEach(function (button) {
      var seconds = parseFloat(button.getAttribute("data-confirm-after")) || 0;
      button.setAttribute("data-held", "");
      button.disabled = true;
      setTimeout(function () { button.disabled = false; }, seconds * 1000 + 100);
    });
  }
  document.addEventListener("htmx:load", holdConfirm);
  document.addEventListener("DOMContentLoaded", holdConfirm);

  // -- The live edge ------------------------------------------------------------------
  // A reader watching the end of the run follows it: when a poll's answer replaces the
  // pending-poll line, the new end of the timeline is brought into view. A reader who
  // scrolled up to read an earlier exchange is left where they are.
  var NEAR_EDGE = 96;  // px below the window's bottom that still counts as "at the edge"
  var followEdge = false;
  var reducedMotion = window.matchMedia
    ? window.matchMedia("(prefers-reduced-motion: reduce)") : { matches: false };

  function liveEdge() {
    return document.getElementById("next-poll")
      || document.querySelector("#timeline > .timeline__end");
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var next = document.getElementById("next-poll");
    if (!next || event.detail.target !== next) return;
    var rect = next.getBoundingClientRect();
    followEdge = rect.bottom >= 0 && rect.top <= window.innerHeight + NEAR_EDGE;
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!followEdge) return;
    followEdge = false;
    var edge = liveEdge();
    if (edge) {
      edge.scrollIntoView({ block: "nearest", behavior: reducedMotion.matches ? "auto" : "smooth" });
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

// -- What the browser hides ---------------------------------------------------------
// The console's exchanges are sent by the server, so they are shown raw. Here the
// page's own script fetches the same status monitor with fetch(), as a browser app
// would, and shows what a script gets: a redirect already followed (the 3xx is never
// seen; response.redirected and response.url tell that it happened), and which
// response headers a script on another origin could read (CORS).
(function () {
  "use strict";

  // The CORS-safelisted response-header names (Fetch standard): readable from any origin.
  var SAFELISTED = ["cache-control", "content-language", "content-length", "content-type",
    "expires", "last-modified", "pragma"];
  var fetchedFor = null;

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function code(text) { return element("code", text); }

  function line(parts) {
    var p = element("p");
    parts.forEach(function (part) {
      p.appendChild(typeof part === "string" ? document.createTextNode(part) : part);
    });
    return p;
  }

  function monitor() {
    var marker = document.getElementById("run-monitor");
    return marker ? marker.getAttribute("data-monitor-url") : null;
  }

  function headerTable(response) {
    var exposed = (response.headers.get("Access-Control-Expose-Headers") || "")
      .split(",").map(function (name) { return name.trim().toLowerCase(); })
      .filter(Boolean);
    var table = element("table", undefined, "browser-view__headers");
    var caption = element("caption", "The response headers this script read, and whether a "
      + "script on another origin could read them too");
    table.appendChild(caption);
    var head = element("tr");
    ["Header", "Value", "From another origin"].forEach(function (name) {
      var th = element("th", name);
      th.scope = "col";
      head.appendChild(th);
    });
    table.appendChild(element("thead")).appendChild(head);
    var body = table.appendChild(element("tbody"));
    var names = [];
    response.headers.forEach(function (value, name) { names.push([name, value]); });
    names.sort(function (a, b) { return a[0] < b[0] ? -1 : 1; });
    names.forEach(function (pair) {
      var row = element("tr");
      var th = element("th");
      th.scope = "row";
      th.appendChild(code(pair[0]));
      row.appendChild(th);
      row.appendChild(element("td")).appendChild(code(pair[1]));
      var verdict = SAFELISTED.indexOf(pair[0]) !== -1
        ? "readable: CORS-safelisted"
        : exposed.indexOf(pair[0]) !== -1
          ? "readable: only because Access-Control-Expose-Headers lists it"
          : "hidden: neither safelisted nor exposed";
      var cell = element("td", verdict);
      cell.setAttribute("data-cross-origin", verdict.split(":")[0]);
      row.appendChild(cell);
      body.appendChild(row);
    });
    return table;
  }

  function show(url, response, manual) {
    var view = document.getElementById("browser-view");
    var out = view && view.querySelector("[data-browser-result]");
    if (!out) return;
    out.innerHTML = "";
    out.appendChild(line([code("const response = await fetch(\"" + url + "\")")]));
    var facts = element("dl", undefined, "browser-view__facts");
    [
      ["response.status", String(response.status) + (response.statusText ? " " + response.statusText : "")],
      ["response.redirected", String(response.redirected)],
      ["response.url", response.url],
      ["response.type", response.type],
    ].forEach(function (fact) {
      var dt = element("dt");
      dt.appendChild(code(fact[0]));
      facts.appendChild(dt);
      var dd = element("dd");
      dd.appendChild(code(fact[1]));
      dd.setAttribute("data-fact", fact[0]);
      facts.appendChild(dd);
    });
    out.appendChild(facts);
    out.appendChild(line([response.redirected
      ? "fetch() followed a redirect: the monitor's 3xx and its Location never reached the "
        + "script. It sees only where it ended up, the result's answer (the raw exchanges "
        + "above show the redirect)."
      : "No redirect: the script sees the monitor's own answer, as the raw exchange shows it."]));
    if (manual) {
      out.appendChild(line([
        "Asked not to follow it (", code("redirect: \"manual\""), "), fetch() gives the "
          + "script ", code("type " + manual.type + ", status " + manual.status), " and ",
        manual.headerCount ? manual.headerCount + " headers" : "no headers at all",
        ": a browser never lets a script read a redirect's status or Location.",
      ]));
    }
    out.appendChild(line([
      "This page and the API share an origin, so this script reads every header (CORS applies "
        + "only to requests from another origin). A script on another origin calling the same "
        + "URL (the API answers ", code("Access-Control-Allow-Origin: *"), ") reads only the "
        + "CORS-safelisted ones and those the API lists in ",
      code("Access-Control-Expose-Headers"), ":",
    ]));
    // Scrolls sideways on a narrow screen; a keyboard can scroll it too (tabindex).
    var scroll = element("div", undefined, "table-scroll");
    scroll.setAttribute("role", "region");
    scroll.setAttribute("aria-label", "Response headers, as a script sees them");
    scroll.tabIndex = 0;
    scroll.appendChild(headerTable(response));
    out.appendChild(scroll);
  }

  function fail(error) {
    var out = document.querySelector("#browser-view [data-browser-result]");
    if (out) out.textContent = "fetch() failed: " + error;
  }

  function browserFetch() {
    var url = monitor();
    if (!url || !window.fetch) return;
    fetchedFor = url;
    // cache: "no-store": the script's own answer, not one the browser kept for it.
    window.fetch(url, { cache: "no-store" })
      .then(function (response) {
        if (!response.redirected) return show(url, response, null);
        // The same request once more, not following: what a script gets of a redirect.
        return window.fetch(url, { cache: "no-store", redirect: "manual" }).then(function (manual) {
          var count = 0;
          manual.headers.forEach(function () { count += 1; });
          show(url, response, { type: manual.type, status: manual.status, headerCount: count });
        });
      })
      .catch(fail);
  }

  function sync() {
    var view = document.getElementById("browser-view");
    if (!view) return;
    var url = monitor();
    view.hidden = !url || !window.fetch;
    if (!url) return;
    if (fetchedFor !== url) {
      var out = view.querySelector("[data-browser-result]");
      if (out) out.innerHTML = "";
      fetchedFor = null;
    }
    // Once the run is over, fetch the monitor once by itself: where the redirect hides.
    if (!document.getElementById("next-poll") && fetchedFor !== url) browserFetch();
  }

  document.addEventListener("htmx:load", sync);
  document.addEventListener("DOMContentLoaded", sync);
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-browser-fetch]")) browserFetch();
  });
})();
