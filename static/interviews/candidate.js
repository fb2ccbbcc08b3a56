/*
 * Candidate interview page.
 *
 * One WebSocket per tab. The server is the source of truth: on every (re)connect the page says
 * "hello" with the highest seq it has seen and the server replays what is missing, so a reload
 * simply rebuilds the transcript from seq 0. The only thing kept locally is an answer that was
 * sent but not yet acknowledged, so it survives a reload and is re-sent with the same id
 * (the server treats client_msg_id as an idempotency key). The draft in the box is kept by
 * composer.js. Questions arrive with `html`: the server's rendering of their Markdown subset,
 * sanitised there (interviews/markup.py), rebuilt here element by element (markupFragment).
 *
 * This file is the page's core (its state, the transcript, the server's events); the socket is
 * connection.js, the countdown clock.js, the answer in flight answer.js, drawing the page
 * render.js, coding questions coding.js, the answer box's drafts composer.js.
 */
(function () {
  'use strict';

  var root = document.getElementById('interview');
  if (!root || typeof window.WebSocket !== 'function' || !window.InterviewModules) return;

  var DEFAULT_PING_SECONDS = 20;
  // A connection counts as a success only once it has stayed up this long: one the server
  // drops right after welcome must not reset the back-off, or the page reconnects in a loop.
  var STABLE_MS = 5000;
  var MAX_CHARS = parseInt(root.dataset.maxChars, 10) || 8000;

  // Close codes after which reconnecting cannot help.
  var FINAL_CLOSE = {
    4401: 'This interview link is invalid or has expired. Please ask the recruiter for a new link.',
    4404: 'This interview could not be found. Please check the link you were sent.',
    4409: 'This interview was opened in another tab or window.',
    4410: 'This interview is already finished.'
  };
  var FINISHED_STATUS = {
    abandoned: 'This interview has ended.',
    error: 'This interview could not be continued. Please contact the recruiter.'
  };
  var MSG = {
    completed: 'Interview complete — thank you. You can close this page.',
    // Never "your answers are saved" before the server says what it holds: see the summary.
    expired: 'Time is up. Waiting for the server to confirm what was saved…',
    expiredOffline: 'Time is up, and this page is offline: what was sent last is not confirmed saved yet. Reconnect to find out.',
    offline: 'You are offline. Keep typing: your answer is kept on this device and sent when the connection is back.',
    degraded: 'The interviewer is running in backup mode — your answers are saved.',
    connecting: 'Connecting to the interview…',
    connected: 'Connected.',
    tooLarge: 'Your answer was too large to send. Please shorten it and try again.'
  };

  function byId(id) { return document.getElementById(id); }
  var els = {
    banner: byId('banner'), bannerAction: byId('banner-action'),
    bannerText: root.querySelector('.banner-text'), bannerDetail: root.querySelector('.banner-detail'),
    progress: root.querySelector('.progress'), progressLabel: byId('progress-label'),
    progressBar: byId('progress-bar'), progressFill: byId('progress-fill'),
    timer: byId('timer'), timerValue: byId('timer-value'),
    scroller: byId('scroller'), transcript: root.querySelector('[data-testid="transcript"]'),
    typing: byId('typing'), form: byId('answer-form'), answer: byId('answer'),
    send: root.querySelector('[data-testid="send"]'), counter: byId('answer-counter'),
    announcer: byId('announcer'), summary: byId('summary'), summaryCount: byId('summary-saved-count'),
    summarySaved: byId('summary-saved'), summaryUnsaved: byId('summary-unsaved'),
    summaryUnsavedBlock: byId('summary-unsaved-block')
  };

  var state = {
    // Connection: conn is connecting | open | reconnecting | closed | final.
    conn: 'connecting', socket: null, welcomed: false, attempt: 0, retryAt: 0, stableTimer: null,
    reconnectTimer: null, pingTimer: null, pingSeconds: DEFAULT_PING_SECONDS, lastMessageAt: 0,
    // Transcript: seqs already rendered, question numbering.
    lastSeq: 0, seen: new Set(), total: parseInt(root.dataset.total, 10) || 0, index: null, zeroBased: false,
    // Answering: awaiting = a question waits for an answer; pending = {client_msg_id, text} not yet acked.
    awaiting: false, coding: false, pending: null, pendingEl: null, resendTimer: null, resendAttempt: 0, refocus: false,
    focusAnswer: false, offline: navigator.onLine === false, sendTimedOut: false,
    // Texts the server never stored, shown as "not saved" when the interview ends.
    unsaved: [],
    // Interview state shown in the banner.
    thinking: false, degraded: false, completed: false, expired: false,
    // returned: why a refused answer was given back to the composer, kept across reconnects
    // until the candidate sends again (the box holds their text; the banner says why).
    finalMessage: '', finalCode: 0, notice: '', returned: '',
    // Clock: deadline (epoch ms) while running; heldMs while shown but not yet started.
    deadline: null, heldMs: null,
    // Scrolling: pinned = the newest message should stay in view (the reader has not scrolled up).
    pinned: true, scrollTop: 0
  };

  window.__interview = {
    get state() { return els.banner.dataset.state; },
    get lastSeq() { return state.lastSeq; },
    get attempt() { return state.attempt; },
    get socket() { return state.socket; }
  };

  /* ---------- transcript ---------- */

  function node(tag, cls, text) {
    var el = document.createElement(tag);
    el.className = cls;
    if (text) el.textContent = text; // never innerHTML: all text comes from the server or the candidate
    return el;
  }

  // The server sanitised `html` already (interviews/markup.py); this page still writes no
  // HTML: it parses it in an inert document and rebuilds only the allowed elements, without
  // any attribute, from text nodes. A tag outside the list keeps its text, never its markup.
  var MARKUP_TAGS = { P: 1, EM: 1, STRONG: 1, CODE: 1, PRE: 1, UL: 1, OL: 1, LI: 1, BR: 1 };

  function markupFragment(html) {
    var parsed = new DOMParser().parseFromString(html, 'text/html');
    var out = document.createDocumentFragment();
    (function copy(from, to) {
      Array.prototype.forEach.call(from.childNodes, function (n) {
        if (n.nodeType === 3) { to.appendChild(document.createTextNode(n.nodeValue)); return; }
        if (n.nodeType !== 1) return;
        if (!MARKUP_TAGS[n.tagName]) { copy(n, to); return; }
        var el = document.createElement(n.tagName.toLowerCase());
        copy(n, el);
        to.appendChild(el);
      });
    })(parsed.body, out);
    return out;
  }

  function makeMsg(kind, seq, text, label, tag, html) {
    var el = node('article', 'msg msg--' + kind);
    el.setAttribute('data-testid', 'msg');
    el.dataset.kind = kind;
    if (seq) el.dataset.seq = String(seq);
    var meta = node('p', 'msg-meta');
    meta.appendChild(node('span', 'msg-label', label));
    if (tag) meta.appendChild(node('span', 'tag', tag));
    el.appendChild(meta);
    if (typeof html === 'string' && html) {
      var body = node('div', 'msg-text msg-text--html');
      body.appendChild(markupFragment(html));
      el.appendChild(body);
    } else {
      el.appendChild(node('p', 'msg-text', text));
    }
    return el;
  }

  function appendMsg(el) {
    // An unacknowledged answer always stays last: replayed history is inserted above it.
    if (state.pendingEl && state.pendingEl.parentNode === els.transcript) {
      els.transcript.insertBefore(el, state.pendingEl);
    } else {
      els.transcript.appendChild(el);
    }
  }

  function scrollToEnd() {
    state.pinned = true;
    els.scroller.scrollTop = els.scroller.scrollHeight;
  }

  function atEnd() {
    return els.scroller.scrollHeight - els.scroller.scrollTop - els.scroller.clientHeight < 24;
  }

  // Returns false for an event already rendered (replays overlap with what we have).
  function claimSeq(seq) {
    if (typeof seq !== 'number') return true;
    if (state.seen.has(seq)) return false;
    state.seen.add(seq);
    if (seq > state.lastSeq) state.lastSeq = seq;
    return true;
  }

  function setIndex(v) {
    if (typeof v !== 'number' || v < 0) return;
    if (v === 0) state.zeroBased = true; // a question numbered 0 means indexes are 0-based
    state.index = v;
  }

  function displayIndex() {
    if (state.index === null) return 0;
    var i = state.zeroBased ? state.index + 1 : state.index;
    return state.total ? Math.min(Math.max(i, 1), state.total) : Math.max(i, 1);
  }

  /* ---------- server events ---------- */

  function onWelcome(m) {
    var iv = m.interview || {};
    state.welcomed = true;
    clearTimeout(state.stableTimer);
    state.stableTimer = setTimeout(function () { state.attempt = 0; }, STABLE_MS);
    state.conn = 'open';
    state.notice = state.returned;
    state.thinking = false;
    if (typeof iv.total === 'number' && iv.total > 0) state.total = iv.total;
    if (typeof iv.ping_interval === 'number' && iv.ping_interval > 0) state.pingSeconds = iv.ping_interval;
    startPing();
    syncTimer(iv.time_remaining, iv.status);
    if (iv.status === 'completed') markCompleted();
    else if (FINISHED_STATUS[iv.status]) setFinal(FINISHED_STATUS[iv.status], 0);
    else if (state.pending) transmitPending();
  }

  function onQuestion(m) {
    if (!claimSeq(m.seq)) return;
    if (typeof m.total === 'number' && m.total > 0) state.total = m.total;
    setIndex(m.index);
    var isQuestion = m.type === 'question';
    // A coding question is answered in the code panel (coding.js), not in the answer box.
    state.coding = isQuestion && !!m.coding;
    var label = isQuestion ? 'Interviewer · Question ' + displayIndex() : 'Interviewer · Follow-up';
    var tag = m.degraded ? 'backup question' : '';
    appendMsg(makeMsg(m.type, m.seq, String(m.text || ''), label, tag, m.html));
    announce((isQuestion ? 'Question ' + displayIndex() + ' of ' + state.total : 'Follow-up question')
      + ': ' + String(m.text || ''));
    state.focusAnswer = true;
    state.awaiting = true;
    state.thinking = false;
    state.notice = state.returned = '';
    if (state.heldMs !== null) { state.deadline = Date.now() + state.heldMs; state.heldMs = null; }
  }

  function onAck(m) {
    var mine = state.pending && m.client_msg_id === state.pending.client_msg_id;
    if (!claimSeq(m.seq) && !mine) return;
    if (mine) settlePending(m.seq, m.text);
    else appendMsg(tagAnswer(makeMsg('answer', m.seq, String(m.text || ''), 'You')));
    state.awaiting = false;
    state.notice = '';
    // After our own answer is stored the next question is on its way.
    if (mine && !state.completed) state.thinking = true;
  }

  function onCompleted(m) {
    if (!claimSeq(m.seq)) return;
    // The server says why it ended (all answered, time up, closed after inactivity).
    var text = String(m.text || 'The interview is complete. Thank you for your time.');
    appendMsg(makeMsg('completed', m.seq, text, 'Interviewer'));
    announce(text);
    markCompleted();
  }

  // Sent instead of a replay when this page is far behind or ahead of the server: the
  // server's history replaces what is rendered, then the pending question is current again.
  function onSnapshot(m) {
    Array.prototype.slice.call(els.transcript.querySelectorAll('[data-testid="msg"]'))
      .forEach(function (el) { if (el !== state.pendingEl) el.remove(); });
    state.seen = new Set();
    state.lastSeq = 0;
    (m.events || []).forEach(function (e) { if (HANDLERS[e.type]) HANDLERS[e.type](e); });
    if (m.pending && !state.completed) state.awaiting = true;
  }

  function onStatus(m) {
    if (m.state === 'thinking') state.thinking = true;
    else if (m.state === 'degraded') state.degraded = true;
    else if (m.state === 'ok') { state.degraded = false; state.thinking = false; }
  }

  function onError(m) {
    state.notice = String(m.message || 'Something went wrong. Please try again.');
    var p = state.pending;
    // An error naming another message is not about the answer we are waiting on.
    if (!p || (m.client_msg_id && m.client_msg_id !== p.client_msg_id)) return;
    if (m.retryable) {
      scheduleResend(Math.max(1000, backoff(state.resendAttempt++)));
    } else {
      returnPendingToComposer(state.notice);
    }
  }

  var HANDLERS = {
    welcome: onWelcome, question: onQuestion, follow_up: onQuestion, ack: onAck,
    completed: onCompleted, status: onStatus, error: onError, snapshot: onSnapshot,
    pong: function () {}
  };

  function dispatch(m) {
    var handler = HANDLERS[m.type];
    if (handler) {
      handler(m);
      render();
      if (m.type !== 'pong' && m.type !== 'status') scrollToEnd();
    }
    // Every frame, known here or not (code_*: coding.js), for the page's other modules.
    root.dispatchEvent(new CustomEvent('interview:frame', { detail: m }));
  }

  // coding.js sends its frames through this socket; `sent` says whether it was open.
  root.addEventListener('interview:send', function (e) { e.detail.sent = send(e.detail.frame); });

  function markCompleted() {
    // Text still in the box never reached the server: name it in the summary.
    var typed = els.answer.value.trim();
    if (typed && !state.completed) state.unsaved.push(typed);
    state.completed = true;
    state.awaiting = false;
    state.thinking = false;
    state.deadline = null;
    state.heldMs = null;
    dropPending();
  }

  function setFinal(message, code) {
    state.conn = 'final';
    state.finalMessage = message;
    state.finalCode = code;
    state.thinking = false;
    if (code === 4410 || code === 0) {
      var typed = els.answer.value.trim();
      if (typed && code === 4410) state.unsaved.push(typed);
      dropPending();
    }
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    clearTimeout(state.resendTimer);
    stopPing();
    detachSocket();
  }

  /* ---------- the page's other modules ---------- */

  // connection.js and clock.js, loaded before this file, each take what they need of the page
  // and give back their functions; coding.js listens to the frames dispatched below.
  function canAnswer() {
    return state.awaiting && !state.pending && !state.completed && !state.expired && state.conn !== 'final';
  }

  // Each module takes what it needs of the page and gives back its functions. The page's
  // entries call through, so a module may use another's functions whichever is built first.
  var modules = window.InterviewModules || {};
  var page = {
    root: root, els: els, state: state, MSG: MSG, FINAL_CLOSE: FINAL_CLOSE, MAX_CHARS: MAX_CHARS,
    node: node, makeMsg: makeMsg, scrollToEnd: scrollToEnd, canAnswer: canAnswer,
    displayIndex: displayIndex,
    dispatch: function (m) { dispatch(m); },
    render: function () { render(); },
    renderBanner: function () { renderBanner(); },
    renderTimer: function () { renderTimer(); },
    setFinal: function (message, code) { setFinal(message, code); },
    returnPendingToComposer: function (notice) { returnPendingToComposer(notice); },
    send: function (frame) { return send(frame); },
    detachSocket: function () { detachSocket(); },
    stopPing: function () { stopPing(); },
    scheduleReconnect: function (ms) { scheduleReconnect(ms); }
  };
  var connection = modules.connection(page);
  var clock = modules.clock(page);
  var view = modules.render(page);
  var answer = modules.answer(page);
  var connect = connection.connect, send = connection.send, backoff = connection.backoff;
  var detachSocket = connection.detachSocket, scheduleReconnect = connection.scheduleReconnect;
  var startPing = connection.startPing, stopPing = connection.stopPing;
  var syncTimer = clock.syncTimer, tick = clock.tick, renderTimer = clock.renderTimer;
  var render = view.render, renderBanner = view.renderBanner, renderCounter = view.renderCounter;
  var submitAnswer = answer.submitAnswer, transmitPending = answer.transmitPending;
  var settlePending = answer.settlePending, dropPending = answer.dropPending;
  var scheduleResend = answer.scheduleResend, tagAnswer = answer.tagAnswer;
  var announce = answer.announce, returnPendingToComposer = answer.returnPendingToComposer;

  /* ---------- wiring ---------- */

  els.form.addEventListener('submit', function (e) { e.preventDefault(); submitAnswer(); });
  els.answer.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submitAnswer(); }
  });
  els.answer.addEventListener('input', function () {
    els.send.disabled = !canAnswer() || !els.answer.value.trim();
    renderCounter();
  });
  // The browser knows before any timer does: stop talking to a socket that cannot work.
  window.addEventListener('offline', function () {
    state.offline = true;
    if (state.conn === 'final' || state.completed) { render(); return; }
    detachSocket();
    stopPing();
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    state.conn = 'reconnecting';
    render();
  });
  els.bannerAction.addEventListener('click', function () {
    // "Continue in this tab" deliberately takes the interview over from the other tab.
    if (state.conn === 'final') { state.conn = 'connecting'; state.finalCode = 0; }
    state.attempt = 0;
    connect();
  });
  els.scroller.addEventListener('scroll', function () {
    var top = els.scroller.scrollTop;
    if (atEnd()) state.pinned = true;
    else if (top < state.scrollTop) state.pinned = false; // the reader scrolled up
    state.scrollTop = top;
  }, { passive: true });
  // A phone's on-screen keyboard, a rotation or a resized window shrinks the transcript, and the
  // typing indicator grows its content: keep the newest message in view unless the reader
  // scrolled up (otherwise the question being answered slides out of sight under the keyboard).
  if (typeof window.ResizeObserver === 'function') {
    var keepEnd = new window.ResizeObserver(function () { if (state.pinned) scrollToEnd(); });
    [els.scroller, els.transcript, els.typing].forEach(function (el) { keepEnd.observe(el); });
  }
  // Coming back online is a better signal than any timer: retry at once.
  window.addEventListener('online', function () {
    var was = state.offline;
    state.offline = false;
    if (state.conn === 'final' || state.completed) { render(); return; }
    if (was || state.reconnectTimer) { state.attempt = 0; connect(); }
  });

  if (/Mac|iPhone|iPad/.test(navigator.platform || '')) byId('send-key').textContent = 'Cmd';

  if (!root.dataset.wsPath) {
    setFinal(FINAL_CLOSE[4404], 4404);
  } else {
    state.pending = answer.loadPending();
    if (state.pending) answer.showPendingBubble();
    // The scripts after this one (coding.js, composer.js) listen for the frames dispatched
    // here: connect once every deferred script has run (DOMContentLoaded comes after them),
    // or a first question that arrives fast reaches none of them (no code panel).
    if (document.readyState === 'complete') connect();
    else document.addEventListener('DOMContentLoaded', function () { connect(); }, { once: true });
  }
  render();
  setInterval(tick, 500);
})();
