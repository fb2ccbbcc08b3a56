/*
 * The candidate page's connection: one WebSocket, its hello, pings and reconnects with
 * back-off (see candidate.js for the protocol's rules). candidate.js gives it the page's state
 * and handlers and uses what this returns; the socket's frames go to page.dispatch.
 */
(function () {
  'use strict';

  var modules = window.InterviewModules = window.InterviewModules || {};

  modules.connection = function (page) {
    var root = page.root, state = page.state, FINAL_CLOSE = page.FINAL_CLOSE, MSG = page.MSG;
    var dispatch = page.dispatch, render = page.render;
    var setFinal = page.setFinal, returnPendingToComposer = page.returnPendingToComposer;
    var BACKOFF_BASE_MS = 500;
    var BACKOFF_CAP_MS = 30000;
    var RATE_LIMIT_EXTRA_MS = 5000;
    // Full jitter: spreads reconnecting tabs out instead of having them retry in lockstep.
    function backoff(attempt) {
      return Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * Math.pow(2, attempt));
    }

    function wsUrl() {
      return (window.location.protocol === 'https:' ? 'wss://' : 'ws://') + window.location.host + root.dataset.wsPath;
    }

    function send(obj) {
      var ws = state.socket;
      if (!ws || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify(obj));
      return true;
    }

    function connect() {
      clearTimeout(state.reconnectTimer);
      state.reconnectTimer = null;
      state.retryAt = 0;
      if (state.conn === 'final') return;
      detachSocket();
      if (state.offline) { state.conn = 'reconnecting'; render(); return; } // 'online' reconnects
      state.conn = state.attempt ? 'reconnecting' : 'connecting';
      var ws;
      try { ws = new WebSocket(wsUrl()); } catch (e) { scheduleReconnect(0); return; }
      state.socket = ws;
      // Handlers ignore events from sockets that have since been replaced.
      ws.onopen = function () {
        if (ws !== state.socket) return;
        state.lastMessageAt = Date.now();
        send({ type: 'hello', last_seq: state.lastSeq });
        startPing();
      };
      ws.onmessage = function (ev) {
        if (ws !== state.socket) return;
        state.lastMessageAt = Date.now();
        state.sendTimedOut = false;
        var m;
        try { m = JSON.parse(ev.data); } catch (e) { return; }
        if (m && typeof m.type === 'string') dispatch(m);
      };
      ws.onclose = function (ev) { if (ws === state.socket) onClose(ev.code); };
      render();
    }

    function detachSocket() {
      var ws = state.socket;
      state.socket = null;
      state.welcomed = false;
      clearTimeout(state.stableTimer);
      if (!ws) return;
      ws.onopen = ws.onmessage = ws.onclose = null;
      try { ws.close(1000); } catch (e) { /* already closing */ }
    }

    function onClose(code) {
      state.socket = null;
      state.welcomed = false;
      clearTimeout(state.stableTimer);
      state.thinking = false;
      stopPing();
      if (state.completed) { state.conn = 'closed'; render(); return; }
      if (FINAL_CLOSE[code]) { setFinal(FINAL_CLOSE[code], code); render(); return; }
      // Re-sending an oversized answer would fail forever; hand it back instead.
      if (code === 4413) returnPendingToComposer(MSG.tooLarge);
      scheduleReconnect(code);
    }

    function scheduleReconnect(code) {
      var delay = backoff(state.attempt) + (code === 4429 ? RATE_LIMIT_EXTRA_MS : 0);
      state.attempt += 1;
      state.conn = 'reconnecting';
      state.retryAt = Date.now() + delay;
      clearTimeout(state.reconnectTimer);
      state.reconnectTimer = setTimeout(connect, delay);
      render();
    }

    function startPing() {
      stopPing();
      state.pingTimer = setInterval(function () {
        if (!state.socket || state.socket.readyState !== WebSocket.OPEN) return;
        // Silence (not even a pong) for several intervals means a dead link the browser missed.
        if (Date.now() - state.lastMessageAt > state.pingSeconds * 2500 + 5000) {
          detachSocket();
          stopPing();
          scheduleReconnect(0);
          return;
        }
        send({ type: 'ping' });
      }, state.pingSeconds * 1000);
    }

    function stopPing() { clearInterval(state.pingTimer); state.pingTimer = null; }

    return {
      connect: connect, send: send, backoff: backoff, detachSocket: detachSocket,
      scheduleReconnect: scheduleReconnect, startPing: startPing, stopPing: stopPing
    };
  };
})();
