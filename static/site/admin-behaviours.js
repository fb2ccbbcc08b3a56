// Behaviours the admin templates ask for with data attributes, so that no page needs an
// inline script or event handler (the Content-Security-Policy allows neither).
(function () {
  "use strict";
  // <input data-select-on-focus>: the whole value is selected, ready to copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) {
      event.target.select();
    }
  });
  // <button data-copy-from="ID">: copies the value of the input with that id, and says so.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-from]");
    if (!button) {
      return;
    }
    var input = document.getElementById(button.dataset.copyFrom);
    if (!input) {
      return;
    }
    var done = function () {
      button.textContent = "Copied";
      button.setAttribute("aria-live", "polite");
    };
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        document.execCommand("copy");
        done();
      });
    } else {
      // Plain-HTTP admin (the embedded default): the Clipboard API is unavailable there.
      document.execCommand("copy");
      done();
    }
  });
  // <button|input type=submit data-confirm="Question?">: the form is sent only if confirmed.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.dataset ? button.dataset.confirm : undefined;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
