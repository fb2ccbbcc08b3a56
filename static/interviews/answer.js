/*
 * The candidate page's answer in flight: sent with a client_msg_id the server treats as an
 * idempotency key, kept in localStorage until acknowledged (so a reload re-sends it, same id),
 * re-sent after a silent loss, settled by its ack, or given back to the answer box when the
 * server refuses it for good. candidate.js owns the state and the transcript.
 */
(function () {
  'use strict';

  var modules = window.InterviewModules = window.InterviewModules || {};

  modules.answer = function (page) {
    var root = page.root, state = page.state, els = page.els, MAX_CHARS = page.MAX_CHARS;
    var makeMsg = page.makeMsg, displayIndex = page.displayIndex, canAnswer = page.canAnswer;
    var render = page.render, scrollToEnd = page.scrollToEnd, send = page.send;
    var detachSocket = page.detachSocket, stopPing = page.stopPing;
    var scheduleReconnect = page.scheduleReconnect;
    // An answer not acknowledged this long after it was sent means the link is dead even if
    // the browser has not noticed: reconnect (the answer is re-sent, same id, after welcome).
    var SEND_TIMEOUT_MS = 10000;
    var storageKey = 'interview:' + (root.dataset.roomId || '') + ':pending';

    function uuid4() {
      if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
      // randomUUID only exists in secure contexts; getRandomValues works everywhere.
      var b = new Uint8Array(16);
      if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(b);
      else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
      b[6] = (b[6] & 0x0f) | 0x40;
      b[8] = (b[8] & 0x3f) | 0x80;
      var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
      return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join('-');
    }

    function loadPending() {
      try {
        var v = JSON.parse(window.localStorage.getItem(storageKey));
        return v && typeof v.client_msg_id === 'string' && typeof v.text === 'string' ? v : null;
      } catch (e) { return null; }
    }

    function savePending(p) {
      try {
        if (p) window.localStorage.setItem(storageKey, JSON.stringify(p));
        else window.localStorage.removeItem(storageKey);
      } catch (e) { /* storage disabled: the answer is still retried from memory */ }
    }


    function submitAnswer() {
      var text = els.answer.value.trim();
      if (!text || !canAnswer() || text.length > MAX_CHARS) return;
      state.pending = { client_msg_id: uuid4(), text: text, question: displayIndex() };
      savePending(state.pending);
      showPendingBubble();
      els.answer.value = '';
      composerChanged();
      state.notice = state.returned = '';
      transmitPending(); // while offline it goes out right after the next welcome
      render();
      scrollToEnd();
    }

    function showPendingBubble() {
      state.pendingEl = makeMsg('answer', 0, state.pending.text, 'You · Sending…');
      if (state.pending.question) state.pendingEl.dataset.question = String(state.pending.question);
      state.pendingEl.dataset.status = 'sending';
      state.pendingEl.dataset.clientMsgId = state.pending.client_msg_id;
      els.transcript.appendChild(state.pendingEl);
    }

    // The interview ended before this answer was stored: it can never be submitted now.
    function dropPending() {
      if (!state.pending) return;
      if (state.pendingEl) {
        state.pendingEl.dataset.status = 'failed';
        state.pendingEl.querySelector('.msg-label').textContent = 'You · Not saved — the interview had ended';
      }
      state.unsaved.push(state.pending.text);
      clearPending();
    }

    function transmitPending() {
      if (!state.pending || !state.welcomed) return;
      send({ type: 'answer', text: state.pending.text, client_msg_id: state.pending.client_msg_id });
      // Same id on every retry, so re-sending after a silent loss cannot store it twice.
      clearTimeout(state.resendTimer);
      state.resendTimer = setTimeout(onSendTimeout, SEND_TIMEOUT_MS);
    }

    // No ack in time: the connection is not what the browser reports. Say so and reconnect.
    function onSendTimeout() {
      if (!state.pending || state.conn === 'final' || state.completed) return;
      state.sendTimedOut = true;
      detachSocket();
      stopPing();
      scheduleReconnect(0);
    }

    function scheduleResend(ms) {
      clearTimeout(state.resendTimer);
      state.resendTimer = setTimeout(transmitPending, ms);
    }

    function settlePending(seq, text) {
      var el = state.pendingEl;
      if (el) {
        if (seq) el.dataset.seq = String(seq);
        el.dataset.status = 'sent';
        el.querySelector('.msg-label').textContent = 'You';
        tagAnswer(el);
        if (typeof text === 'string' && text) el.querySelector('.msg-text').textContent = text;
      }
      clearPending();
    }

    function clearPending() {
      state.pending = null;
      state.pendingEl = null;
      state.resendAttempt = 0;
      clearTimeout(state.resendTimer);
      savePending(null);
    }

    // Which question an answer belongs to, for the closing summary.
    function tagAnswer(el) {
      if (!el.dataset.question && displayIndex()) el.dataset.question = String(displayIndex());
      return el;
    }

    function composerChanged() {
      root.dispatchEvent(new CustomEvent('interview:composer'));
    }

    function announce(text) {
      // Cleared first, so the same words said twice are read twice.
      els.announcer.textContent = '';
      setTimeout(function () { els.announcer.textContent = text; }, 50);
    }

    // The server refused the answer for good (invalid text, too large…): give the text back so
    // nothing typed is lost and the candidate can fix it, and never send it again as it was.
    function returnPendingToComposer(notice) {
      if (!state.pending) return;
      var typed = els.answer.value;
      if (typed !== state.pending.text) els.answer.value = state.pending.text + (typed ? '\n\n' + typed : '');
      if (state.pendingEl) state.pendingEl.remove();
      clearPending();
      composerChanged();
      state.notice = state.returned = notice;
      state.refocus = true;
    }

    return {
      loadPending: loadPending, submitAnswer: submitAnswer, showPendingBubble: showPendingBubble,
      dropPending: dropPending, transmitPending: transmitPending, scheduleResend: scheduleResend,
      settlePending: settlePending, tagAnswer: tagAnswer, composerChanged: composerChanged,
      announce: announce, returnPendingToComposer: returnPendingToComposer
    };
  };
})();
