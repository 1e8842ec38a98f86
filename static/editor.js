// The prompt template editor, on top of its plain form: line numbers beside each code
// textarea, the caret's line and column (render errors give both), and a warning before
// leaving with changes not saved. Without script the form works the same, unnumbered.
(function () {
  "use strict";

  // Numbers the textarea's lines in its gutter. Long lines wrap, so each number is as tall
  // as its line measured in a hidden copy of the text at the textarea's width.
  function numberLines(area) {
    var gutter = area.parentElement.querySelector(".gutter");
    var mirror = document.createElement("span");
    mirror.className = "gutter-mirror";
    mirror.setAttribute("aria-hidden", "true");
    area.parentElement.appendChild(mirror);
    function render() {
      var style = getComputedStyle(area);
      var padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
      mirror.style.width = area.clientWidth - padding + "px";
      mirror.replaceChildren.apply(mirror, area.value.split("\n").map(function (text) {
        var line = document.createElement("span");
        line.textContent = text || "\u200b";
        return line;
      }));
      gutter.replaceChildren.apply(gutter, Array.prototype.map.call(mirror.children, function (line, i) {
        var number = document.createElement("span");
        number.textContent = String(i + 1);
        number.style.height = line.getBoundingClientRect().height + "px";
        return number;
      }));
      gutter.scrollTop = area.scrollTop;
    }
    area.addEventListener("input", render);
    area.addEventListener("scroll", function () { gutter.scrollTop = area.scrollTop; });
    new ResizeObserver(render).observe(area);
    render();
  }

  // Shows "Line 3, column 12" under the textarea while it has the focus.
  function showCaret(area) {
    var out = document.getElementById(area.getAttribute("aria-describedby"));
    function update() {
      var before = area.value.slice(0, area.selectionStart);
      var line = before.split("\n").length;
      var column = before.length - before.lastIndexOf("\n");
      out.textContent = "Line " + line + ", column " + column;
      out.hidden = false;
    }
    ["keyup", "click", "focus", "input"].forEach(function (name) { area.addEventListener(name, update); });
  }

  document.querySelectorAll(".code-editor textarea").forEach(function (area) {
    numberLines(area);
    showCaret(area);
  });

  // The preview's lead and contact type are not saved, so choosing them changes nothing.
  var form = document.querySelector("form[data-unsaved-warning]");
  if (form) {
    var dirty = form.hasAttribute("data-dirty");
    form.addEventListener("input", function (event) {
      if (event.target.tagName !== "SELECT") dirty = true;
    });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }
})();
