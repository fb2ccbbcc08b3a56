/*
 * Coding questions on the candidate page: the code panel, its editor, "Run tests" and "Submit".
 *
 * candidate.js owns the socket: it hands every server frame to this module as an
 * `interview:frame` event on #interview, and sends this module's frames when it fires
 * `interview:send`. A `question` frame with `coding` opens the panel; the answer to it (its
 * `ack`), a later question or the end of the interview closes it.
 *
 * The editor is CodeMirror 6 (static/interviews/editor.bundle.js, built by `make editor`); when
 * that bundle did not load, a plain textarea takes its place. The code is kept in localStorage
 * per question on every change, as answer drafts are, so a reload loses nothing. The server's
 * replies: code_queued, code_running, code_result (docs/protocol.md, "Coding questions"); after
 * a reload the server sends the question's latest run again, and its result shows again.
 */
(function () {
  'use strict';

  var root = document.getElementById('interview');
  var panel = document.getElementById('code-panel');
  if (!root || !panel) return;

  function byId(id) { return document.getElementById(id); }
  var els = {
    title: byId('code-title'), meta: byId('code-meta'), examples: byId('code-examples'),
    host: byId('code-editor'), fallback: byId('code-fallback'), label: byId('code-label'),
    status: byId('code-status'), results: byId('code-results'),
    run: byId('code-run'), submit: byId('code-submit'),
    transcript: root.querySelector('[data-testid="transcript"]')
  };
  var MAX_BYTES = parseInt(root.dataset.maxCodeBytes, 10) || 60000;
  var LANGUAGE_NAMES = { python: 'Python', javascript: 'JavaScript' };
  var STATUS_TEXT = {
    passed: 'All tests passed.',
    failed: 'Some tests failed.',
    error: 'The code could not run.',
    timeout: 'The code ran out of time.',
    limit: 'The code hit a limit.'
  };

  // current: the pending coding question {seq, coding, key}; runs: client_id -> kind, for
  // the runs this page sent (replies to others are not ours to show).
  var current = null;
  var editor = null;
  var runs = {};
  var inFlight = null;

  function node(tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function uuid4() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  /* ---------- drafts ---------- */

  function draftKey(seq) { return 'interview:' + (root.dataset.roomId || '') + ':code:' + seq; }

  function loadDraft(seq) {
    try { return window.localStorage.getItem(draftKey(seq)); } catch (e) { return null; }
  }

  function saveDraft(text) {
    if (!current) return;
    try { window.localStorage.setItem(draftKey(current.seq), text); } catch (e) { /* storage off */ }
  }

  function dropDraft(seq) {
    try { window.localStorage.removeItem(draftKey(seq)); } catch (e) { /* storage off */ }
  }

  /* ---------- the editor, or its fallback ---------- */

  function code() { return editor ? editor.getValue() : els.fallback.value; }

  function mountEditor(text, language) {
    if (editor) { editor.destroy(); editor = null; }
    els.host.textContent = '';
    var label = 'Your code (' + (LANGUAGE_NAMES[language] || language) + ')';
    if (window.InterviewEditor && typeof window.InterviewEditor.create === 'function') {
      try {
        editor = window.InterviewEditor.create(els.host, {
          doc: text, language: language, label: label, onChange: saveDraft
        });
      } catch (e) { editor = null; }
    }
    // Without the bundle (it failed to load, or threw): a plain textarea, same draft.
    els.fallback.hidden = !!editor;
    els.host.hidden = !editor;
    els.label.hidden = !!editor;
    els.fallback.setAttribute('aria-label', label);
    if (!editor) els.fallback.value = text;
    root.dataset.editor = editor ? 'codemirror' : 'textarea';
  }

  els.fallback.addEventListener('input', function () { saveDraft(els.fallback.value); });

  /* ---------- the panel ---------- */

  function showExamples(coding) {
    els.examples.textContent = '';
    var list = node('ul', 'code-example-list');
    (coding.examples || []).forEach(function (ex) {
      var item = node('li', 'code-example');
      item.appendChild(node('code', '', coding.entry_point + '(' +
        (ex.args || []).map(function (a) { return JSON.stringify(a); }).join(', ') + ') → ' +
        JSON.stringify(ex.expected)));
      list.appendChild(item);
    });
    els.examples.appendChild(node('p', 'code-examples-title', 'Examples (what "Run tests" checks):'));
    els.examples.appendChild(list);
  }

  function open(m) {
    var coding = m.coding;
    current = { seq: m.seq, coding: coding };
    els.title.textContent = coding.title || 'Coding question';
    els.meta.textContent = (LANGUAGE_NAMES[coding.language] || coding.language) + ' · write ' +
      coding.entry_point + '() · ' + (coding.examples || []).length + ' example(s) and ' +
      coding.hidden_count + ' hidden test(s)';
    showExamples(coding);
    var draft = loadDraft(m.seq);
    mountEditor(draft !== null ? draft : String(coding.starter || ''), coding.language);
    els.results.textContent = '';
    setStatus('', '');
    inFlight = null;
    panel.hidden = false;
    renderButtons();
  }

  function close() {
    current = null;
    inFlight = null;
    panel.hidden = true;
  }

  function setStatus(text, kind) {
    els.status.textContent = text;
    els.status.dataset.kind = kind || '';
  }

  function renderButtons() {
    els.run.disabled = els.submit.disabled = !current || !!inFlight;
  }

  /* ---------- sending ---------- */

  function transmit(type) {
    if (!current || inFlight) return;
    var text = code();
    if (!text.trim()) { setStatus('Write some code first.', 'error'); return; }
    var size = new TextEncoder().encode(text).length;
    if (size > MAX_BYTES) {
      setStatus('Your code is ' + size + ' bytes; at most ' + MAX_BYTES + ' can be run. Please shorten it.', 'error');
      return;
    }
    var clientId = uuid4();
    var frame = { type: type, code: text, language: current.coding.language, client_id: clientId };
    var detail = { frame: frame, sent: false };
    root.dispatchEvent(new CustomEvent('interview:send', { detail: detail }));
    if (!detail.sent) {
      setStatus('Not connected: your code is kept here. Try again when the connection is back.', 'error');
      return;
    }
    runs[clientId] = { kind: type === 'submit_code' ? 'submit' : 'run', seq: current.seq };
    inFlight = clientId;
    setStatus(type === 'submit_code' ? 'Submitting…' : 'Sending your code…', 'progress');
    renderButtons();
  }

  els.run.addEventListener('click', function () { transmit('run_tests'); });
  els.submit.addEventListener('click', function () { transmit('submit_code'); });

  /* ---------- results ---------- */

  function summary(m) {
    if (m.status === 'not_run') return String(m.message || 'Tests can\'t run right now; your code is saved.');
    var visible = m.tests || [];
    var passed = visible.filter(function (t) { return t.passed; }).length;
    var text = (STATUS_TEXT[m.status] || m.status) + ' Examples: ' + passed + ' of ' + visible.length + ' passed.';
    if (m.hidden && m.hidden.total) text += ' Hidden tests: ' + m.hidden.passed + ' of ' + m.hidden.total + ' passed.';
    if (m.message) text += ' ' + m.message;
    return text;
  }

  function renderResults(m) {
    els.results.textContent = '';
    var list = node('ul', 'code-test-list');
    (m.tests || []).forEach(function (t) {
      var item = node('li', 'code-test');
      item.dataset.testid = 'code-test';
      item.dataset.passed = t.passed ? 'yes' : 'no';
      item.appendChild(node('strong', '', (t.passed ? '✓ ' : '✗ ') + t.name));
      if (t.error) item.appendChild(node('div', 'code-test-error', t.error));
      if (t.output) item.appendChild(node('pre', 'code-test-output', t.output));
      list.appendChild(item);
    });
    els.results.appendChild(list);
    if (m.hidden && m.hidden.total) {
      var hidden = node('p', 'code-hidden', 'Hidden tests: ' + m.hidden.passed + ' of ' + m.hidden.total + ' passed.');
      hidden.dataset.testid = 'code-hidden';
      els.results.appendChild(hidden);
    }
  }

  function noteInTranscript(m) {
    // A submit's result arrives after the interview moved on: it goes into the transcript.
    var note = node('div', 'msg msg-note code-note', 'Your submitted code: ' + summary(m));
    note.dataset.testid = 'code-submit-result';
    note.dataset.status = m.status;
    els.transcript.appendChild(note);
  }

  function onCode(m) {
    var run = runs[m.client_id];
    if (!run && current && m.question_seq === current.seq) {
      // The latest run of this question, sent again after a reload or a reconnect.
      run = runs[m.client_id] = { kind: m.kind, seq: current.seq };
      if (m.type !== 'code_result') { inFlight = m.client_id; renderButtons(); }
    }
    if (!run) return;
    var here = current && current.seq === run.seq;
    if (m.type === 'code_queued') {
      if (here) setStatus(m.following === false ? String(m.message || '') : 'Waiting for a test runner…', 'progress');
      return;
    }
    if (m.type === 'code_running') {
      if (here) setStatus('Running the tests…', 'progress');
      return;
    }
    delete runs[m.client_id];
    if (inFlight === m.client_id) inFlight = null;
    if (here) {
      setStatus(summary(m), m.status === 'passed' ? 'ok' : m.status === 'not_run' ? 'warning' : 'error');
      renderResults(m);
      renderButtons();
    } else if (run.kind === 'submit') {
      noteInTranscript(m);
    }
  }

  function onError(m) {
    if (!m.client_id || !runs[m.client_id]) return;
    delete runs[m.client_id];
    if (inFlight === m.client_id) inFlight = null;
    setStatus(String(m.message || 'That could not be run.') + ' Your code is kept in the editor.', 'error');
    renderButtons();
  }

  root.addEventListener('interview:frame', function (e) {
    var m = e.detail || {};
    if (m.type === 'question') {
      if (m.coding) { if (!current || current.seq !== m.seq) open(m); } else close();
    } else if (m.type === 'ack' && current && m.seq > current.seq) {
      // The coding question is answered (submitted, here or in another tab): the draft goes.
      dropDraft(current.seq);
      close();
    } else if (m.type === 'completed') {
      close();
    } else if (m.type === 'code_queued' || m.type === 'code_running' || m.type === 'code_result') {
      onCode(m);
    } else if (m.type === 'error') {
      onError(m);
    }
  });

  window.__coding = {
    get editor() { return root.dataset.editor || ''; },
    code: code
  };
})();
