// The operations dashboard re-fetches only its panels fragment every few seconds (no full
// reload). A static file rather than an inline script: the Content-Security-Policy allows none.
// The queues-and-workers panel is fetched the same way, once at once and then on each refresh:
// asking the workers waits up to a second, which the page itself no longer waits for.
(function () {
  "use strict";
  var state = document.getElementById("ops-refresh-state");
  function every(box, now) {
    if (!box) { return; }
    var seconds = parseInt(box.dataset.refresh, 10) * 1000;
    var refresh = function () { load(box); };
    if (now) { refresh(); }
    setInterval(refresh, seconds);
  }
  function load(box) {
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
  every(document.getElementById("ops-panels"), false);
  every(document.getElementById("ops-workers"), true);
})();
