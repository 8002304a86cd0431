// Progressive enhancement only: every control here is a plain link without JavaScript.
(function () {
  "use strict";

  function announce(message) {
    var region = document.getElementById("announcer");
    if (region) region.textContent = message;
  }

  // "Copy link" next to each section heading: copy the section URL instead of following it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-copy-link]");
    if (!link || !navigator.clipboard || !window.isSecureContext) return;
    event.preventDefault();
    navigator.clipboard.writeText(link.href).then(function () {
      link.setAttribute("data-copied", "");
      announce("Link copied: " + link.href);
      setTimeout(function () { link.removeAttribute("data-copied"); }, 2000);
    }, function () {
      window.location.href = link.href;
    });
  });
})();
