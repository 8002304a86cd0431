// Example clients as tabs, each with a copy button. Progressive enhancement only:
// without JavaScript every client is a heading and its code, all visible, and
// there is no button that would do nothing. ARIA tabs pattern, automatic
// activation: arrow keys, Home and End move between tabs.
(function () {
  "use strict";

  function announce(message) {
    var region = document.getElementById("announcer");
    if (region) region.textContent = message;
  }

  function enhance(container) {
    var panels = Array.prototype.slice.call(container.querySelectorAll("[data-tab-panel]"));
    if (panels.length < 2) return;
    var list = document.createElement("div");
    list.className = "tabs__list";
    list.setAttribute("role", "tablist");
    var heading = container.querySelector("h3");
    if (heading && heading.id) list.setAttribute("aria-labelledby", heading.id);
    var tabs = panels.map(function (panel, index) {
      var label = panel.querySelector("[data-tab-label]");
      var tab = document.createElement("button");
      tab.type = "button";
      tab.className = "tabs__tab";
      tab.id = panel.id + "-tab";
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", panel.id);
      tab.textContent = label ? label.getAttribute("data-tab-label") : "Tab " + (index + 1);
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tab.id);
      panel.setAttribute("tabindex", "-1");
      list.appendChild(tab);
      return tab;
    });

    function select(index, focus) {
      tabs.forEach(function (tab, i) {
        var selected = i === index;
        tab.setAttribute("aria-selected", selected ? "true" : "false");
        tab.tabIndex = selected ? 0 : -1;
        panels[i].hidden = !selected;
      });
      if (focus) tabs[index].focus();
    }

    list.addEventListener("click", function (event) {
      var index = tabs.indexOf(event.target.closest("[role=tab]"));
      if (index >= 0) select(index, false);
    });
    list.addEventListener("keydown", function (event) {
      var index = tabs.indexOf(document.activeElement);
      if (index < 0) return;
      var next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      select((next + tabs.length) % tabs.length, true);
    });
    panels[0].parentNode.insertBefore(list, panels[0]);
    container.classList.add("tabs--enhanced");
    select(0, false);
  }

  function copyCode(button) {
    var source = document.getElementById(button.getAttribute("data-copy-code"));
    if (!source) return;
    navigator.clipboard.writeText(source.textContent).then(function () {
      button.setAttribute("data-copied", "");
      announce("Copied to the clipboard.");
      setTimeout(function () { button.removeAttribute("data-copied"); }, 2000);
    }, function () {
      announce("Could not copy: select the code and copy it by hand.");
    });
  }

  document.querySelectorAll("[data-tabs]").forEach(enhance);
  // The clipboard needs a secure context (https, or localhost).
  if (navigator.clipboard && window.isSecureContext) {
    document.querySelectorAll("[data-copy-code]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copyCode(button); });
    });
  }
})();
