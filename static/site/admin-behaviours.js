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
  // <div data-clamp>: text taller than its clamp gets a "Show all" button; printing shows it
  // all anyway (report-print.css).
  function clampLongTexts() {
    document.querySelectorAll("[data-clamp]").forEach(function (box) {
      box.classList.add("is-clamped");
      if (box.scrollHeight <= box.clientHeight + 4) {
        box.classList.remove("is-clamped");
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button clamp-toggle";
      button.textContent = "Show all";
      button.setAttribute("aria-expanded", "false");
      button.addEventListener("click", function () {
        var open = box.classList.toggle("is-clamped") === false;
        button.textContent = open ? "Show less" : "Show all";
        button.setAttribute("aria-expanded", open ? "true" : "false");
      });
      box.insertAdjacentElement("afterend", button);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", clampLongTexts);
  } else {
    clampLongTexts();
  }
  // <button data-print>: the browser's print dialog (print, or save as PDF).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
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
  // Admin actions that change how live traffic is treated ask first (the action <select> cannot
  // carry a data-confirm of its own).
  var CONFIRM_ACTIONS = {
    force_open: "Force the selected circuit breakers open? Every call through them will be refused until someone sets them back to normal.",
    force_closed: "Force the selected circuit breakers closed? Every call will go through, even to a failing service, and failures will not be counted."
  };
  // <button|input type=submit data-confirm="Question?">: the form is sent only if confirmed.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.dataset ? button.dataset.confirm : undefined;
    var action = event.target.querySelector && event.target.querySelector("select[name=action]");
    if (!question && action && CONFIRM_ACTIONS[action.value]) {
      question = CONFIRM_ACTIONS[action.value];
    }
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
