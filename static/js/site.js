// Progressive enhancement only: every control here is a plain link or stays usable without JavaScript.
(function () {
  "use strict";

  function announce(message) {
    var region = document.getElementById("announcer");
    if (region) region.textContent = message;
  }

  // Copy controls: "Copy link" next to each section heading (a plain link to the
  // section without JavaScript) and "Copy curl command" in the playground.
  document.addEventListener("click", function (event) {
    var control = event.target.closest && event.target.closest("[data-copy-link], [data-copy-text]");
    if (!control || !navigator.clipboard || !window.isSecureContext) return;
    event.preventDefault();
    var isLink = control.hasAttribute("data-copy-link");
    var text = isLink ? control.href : control.getAttribute("data-copy-text");
    navigator.clipboard.writeText(text).then(function () {
      control.setAttribute("data-copied", "");
      announce(isLink ? "Link copied: " + text : "Copied to the clipboard.");
      setTimeout(function () { control.removeAttribute("data-copied"); }, 2000);
    }, function () {
      if (isLink) window.location.href = control.href;
    });
  });
})();
