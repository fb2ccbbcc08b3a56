// The operations dashboard re-fetches only its panels fragment every few seconds (no full
// reload). A static file rather than an inline script: the Content-Security-Policy allows none.
(function () {
  "use strict";
  var box = document.getElementById("ops-panels");
  var state = document.getElementById("ops-refresh-state");
  if (!box) { return; }
  var seconds = parseInt(box.dataset.refresh, 10) * 1000;
  function refresh() {
    // Skip a refresh while someone is typing a reason: it would wipe their input.
    if (box.contains(document.activeElement) && document.activeElement.tagName === "INPUT") {
      return;
    }
    fetch(box.dataset.url, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        box.innerHTML = html;
        box.dataset.refreshedAt = String(Date.now());
        state.textContent = "";
      })
      .catch(function (error) { state.textContent = "Refresh failed (" + error.message + "); retrying."; });
  }
  setInterval(refresh, seconds);
})();
