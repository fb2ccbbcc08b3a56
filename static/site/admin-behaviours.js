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
  // <button|input type=submit data-confirm="Question?">: the form is sent only if confirmed.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.dataset ? button.dataset.confirm : undefined;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
