// Partner Portal: copy buttons and confirmation prompts. Served as a file: no inline scripts.
(function () {
  "use strict";

  function copyText(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) { return; }
    var text = target.value !== undefined && target.tagName !== "DIV" ? target.value : target.textContent;
    var done = function () {
      var original = button.getAttribute("data-label") || button.textContent;
      button.setAttribute("data-label", original);
      button.textContent = "Copied";
      var status = document.getElementById(button.getAttribute("data-copy-status"));
      if (status) { status.textContent = "Copied to the clipboard."; }
      window.setTimeout(function () { button.textContent = original; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "position-absolute top-0 start-0 opacity-0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to do */ }
    document.body.removeChild(area);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (button) {
      event.preventDefault();
      copyText(button);
    }
  });

  // After a failed submit, put the keyboard where the first error is; on the entrance
  // pages (sign in, second factor, sign up), in the first field.
  function focusFirstField() {
    if (document.activeElement && document.activeElement !== document.body) { return; }
    var field = document.querySelector("main .is-invalid") ||
      document.querySelector("[data-autofocus] input:not([type=hidden]):not([disabled]), [data-autofocus] select, [data-autofocus] textarea");
    if (field) { field.focus(); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusFirstField);
  } else {
    focusFirstField();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
