/*
 * The candidate page's clock: the time left as the server last said it (every welcome corrects
 * it), counted down here, and "Time is up" when it runs out. candidate.js calls tick() twice a
 * second and renderTimer() with the rest of the page.
 */
(function () {
  'use strict';

  var modules = window.InterviewModules = window.InterviewModules || {};

  modules.clock = function (page) {
    var state = page.state, els = page.els, render = page.render;
    var renderBanner = page.renderBanner;
    function formatClock(ms) {
      var s = Math.max(0, Math.ceil(ms / 1000));
      var m = Math.floor(s / 60);
      return (m < 10 ? '0' : '') + m + ':' + (s % 60 < 10 ? '0' : '') + (s % 60);
    }


    function syncTimer(seconds, status) {
      if (typeof seconds !== 'number' || !isFinite(seconds)) {
        state.deadline = null;
        state.heldMs = null;
        return;
      }
      var ms = Math.max(0, seconds) * 1000;
      // The clock starts with the first question; before that, show the limit without counting.
      if (status === 'scheduled' && !state.awaiting) { state.heldMs = ms; state.deadline = null; }
      else { state.heldMs = null; state.deadline = Date.now() + ms; }
      if (ms > 0) state.expired = false;
    }

    function tick() {
      if (state.deadline !== null && !state.expired && state.deadline <= Date.now()) {
        state.expired = true;
        render();
      }
      renderTimer();
      if (state.conn === 'reconnecting') renderBanner();
    }

    function renderTimer() {
      var ms = state.deadline !== null ? state.deadline - Date.now() : state.heldMs;
      var show = ms !== null && !state.completed;
      els.timer.hidden = !show;
      if (!show) return;
      var text = state.expired ? 'Time is up' : formatClock(ms);
      if (els.timerValue.textContent !== text) els.timerValue.textContent = text;
      els.timer.classList.toggle('is-low', ms < 60000);
    }

    return { syncTimer: syncTimer, tick: tick, renderTimer: renderTimer };
  };
})();
