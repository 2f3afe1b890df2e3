// Admin pages: show only the chosen role's part of an account form, and copy a new secret.
// Both are extras: without JavaScript every part shows under its heading and the secret can be selected.
(function () {
  "use strict";

  document.querySelectorAll("[data-role-select]").forEach(function (select) {
    var form = select.form;
    function show() {
      form.querySelectorAll("[data-role-section]").forEach(function (section) {
        section.hidden = section.getAttribute("data-role-section") !== select.value;
      });
    }
    select.addEventListener("change", show);
    show();
  });

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      function fallback() {
        selectText(source);
        status.textContent = status.getAttribute("data-selected");
      }
      if (!navigator.clipboard || !window.isSecureContext) { fallback(); return; }
      navigator.clipboard.writeText(text).then(function () {
        status.textContent = status.getAttribute("data-copied");
      }, fallback);
    });
  });
})();
