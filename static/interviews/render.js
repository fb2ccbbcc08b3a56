/*
 * The candidate page's view: the banner, progress, answer box, character counter and the
 * closing summary, drawn from the page's state (candidate.js) after every change. Nothing here
 * changes the state but the focus flags it consumes.
 */
(function () {
  'use strict';

  var modules = window.InterviewModules = window.InterviewModules || {};

  modules.render = function (page) {
    var root = page.root, state = page.state, els = page.els, MSG = page.MSG;
    var MAX_CHARS = page.MAX_CHARS;
    var node = page.node, canAnswer = page.canAnswer, displayIndex = page.displayIndex;
    var renderTimer = page.renderTimer;

    function bannerView() {
      if (state.conn === 'final') return ['final', state.finalMessage, ''];
      if (state.completed) return ['completed', MSG.completed, ''];
      var down = state.offline || state.conn !== 'open' || !state.welcomed;
      if (state.expired) return down ? ['offline', MSG.expiredOffline, ''] : ['expired', MSG.expired, ''];
      if (state.offline) return ['offline', MSG.offline, ''];
      if (state.conn === 'reconnecting') {
        var left = Math.ceil((state.retryAt - Date.now()) / 1000);
        var text = (state.sendTimedOut ? 'No reply from the server' : 'Connection lost')
          + ' — reconnecting (attempt ' + state.attempt + ').';
        return ['reconnecting', text, state.retryAt && left > 0 ? ' Next try in ' + left + 's.' : ''];
      }
      if (!state.welcomed) return ['connecting', MSG.connecting, ''];
      if (state.notice) return ['notice', state.notice, ''];
      if (state.degraded) return ['degraded', MSG.degraded, ''];
      return ['connected', MSG.connected, ''];
    }

    function renderBanner() {
      var v = bannerView();
      // Only touch changed text so screen readers are not re-told the same thing every second.
      if (els.banner.dataset.state !== v[0]) els.banner.dataset.state = v[0];
      if (els.bannerText.textContent !== v[1]) els.bannerText.textContent = v[1];
      if (els.bannerDetail.textContent !== v[2]) els.bannerDetail.textContent = v[2];
      var action = v[0] === 'reconnecting' && state.reconnectTimer ? 'Reconnect now'
        : v[0] === 'final' && state.finalCode === 4409 ? 'Continue in this tab' : '';
      els.bannerAction.hidden = !action;
      if (action && els.bannerAction.textContent !== action) els.bannerAction.textContent = action;
    }

    function renderProgress() {
      var i = displayIndex();
      var n = state.total;
      els.progressLabel.textContent = i ? 'Question ' + i + ' of ' + n : n + (n === 1 ? ' question' : ' questions');
      els.progressBar.setAttribute('aria-valuemax', String(n));
      els.progressBar.setAttribute('aria-valuenow', String(i));
      els.progressFill.style.width = (n ? Math.min(100, (i / n) * 100) : 0) + '%';
      els.progress.classList.toggle('is-done', state.completed);
    }

    function renderInput() {
      var on = canAnswer();
      // Once the interview is over the composer only takes space from the transcript.
      els.form.hidden = state.completed || (state.coding && state.awaiting);
      var active = document.activeElement;
      if (!on && (active === els.answer || active === els.send)) state.refocus = true;
      els.answer.disabled = !on;
      els.send.disabled = !on || !els.answer.value.trim();
      els.answer.placeholder = on ? 'Type your answer…'
        : state.completed || state.expired || state.conn === 'final' ? 'The interview is closed.'
        : state.pending ? 'Sending your answer…' : 'Waiting for the next question…';
      // Give focus back to keyboard users whose focus was lost when the box was disabled.
      if (on && state.refocus && (document.activeElement === document.body || !document.activeElement)) {
        els.answer.focus();
      }
      // A new question: the box is where the candidate goes next, keyboard or screen reader.
      if (on && state.focusAnswer) els.answer.focus();
      if (on) { state.refocus = false; state.focusAnswer = false; }
      root.dataset.unsent = state.pending ? 'true' : 'false';
      renderCounter();
    }

    function renderCounter() {
      var len = els.answer.value.length;
      els.counter.textContent = len + ' / ' + MAX_CHARS;
      els.counter.classList.toggle('is-near', len > MAX_CHARS * 0.9);
      els.counter.classList.toggle('is-over', len > MAX_CHARS);
      if (len > MAX_CHARS) els.send.disabled = true;
    }

    // When the interview is over (completed, or closed as finished): exactly what the server
    // acknowledged, by question, and what it never did, named as not saved.
    function renderSummary() {
      var over = state.completed || state.finalCode === 4410;
      if (!over) { els.summary.hidden = true; return; }
      var saved = Array.prototype.filter.call(
        els.transcript.querySelectorAll('[data-kind="answer"]'),
        function (el) { return el.dataset.status !== 'failed' && el.dataset.status !== 'sending' && el.dataset.seq; }
      );
      var key = saved.map(function (el) { return el.dataset.seq; }).join(',') + '|' + state.unsaved.length;
      if (els.summary.dataset.key === key && !els.summary.hidden) return;
      els.summary.dataset.key = key;
      els.summaryCount.textContent = saved.length
        ? saved.length + (saved.length === 1 ? ' answer was' : ' answers were') + ' saved:'
        : 'No answer was saved.';
      els.summarySaved.textContent = '';
      saved.forEach(function (el) {
        var text = el.querySelector('.msg-text').textContent;
        var label = el.dataset.question ? 'Question ' + el.dataset.question + ': ' : '';
        var li = node('li', '', label + (text.length > 90 ? text.slice(0, 90) + '…' : text));
        li.dataset.seq = el.dataset.seq;
        els.summarySaved.appendChild(li);
      });
      els.summaryUnsaved.textContent = '';
      state.unsaved.forEach(function (text) {
        var li = node('li', '', text);
        li.setAttribute('data-testid', 'not-saved');
        els.summaryUnsaved.appendChild(li);
      });
      els.summaryUnsavedBlock.hidden = !state.unsaved.length;
      var first = els.summary.hidden;
      els.summary.hidden = false;
      if (first && (document.activeElement === document.body || !document.activeElement)) {
        els.summary.focus();
      }
    }

    function render() {
      renderBanner();
      renderProgress();
      renderTimer();
      renderInput();
      renderSummary();
      els.typing.hidden = !(state.thinking && !state.completed && state.conn !== 'final');
    }

    return { render: render, renderBanner: renderBanner, renderCounter: renderCounter };
  };
})();
