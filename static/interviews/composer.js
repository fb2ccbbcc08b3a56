/*
 * The answer box's safety net: nothing typed is lost, nothing is cut silently.
 *
 * - The draft is kept in localStorage per interview on every change and put back on reload.
 *   candidate.js fires `interview:composer` on #interview whenever it changes the box itself
 *   (emptied on send, a refused answer given back), so the stored draft follows.
 * - Leaving the page with text in the box, or with an answer not yet confirmed by the server,
 *   asks first.
 * - A paste or drop that would take the answer past the limit is refused with a visible
 *   message: the box no longer has a maxlength, which cut such a paste mid-word in silence.
 */
(function () {
  'use strict';

  var root = document.getElementById('interview');
  var box = document.getElementById('answer');
  var message = document.getElementById('answer-limit');
  if (!root || !box || !message) return;

  var MAX_CHARS = parseInt(root.dataset.maxChars, 10) || 8000;
  var draftKey = 'interview:' + (root.dataset.roomId || '') + ':draft';

  function saveDraft() {
    try {
      if (box.value) window.localStorage.setItem(draftKey, box.value);
      else window.localStorage.removeItem(draftKey);
    } catch (e) { /* storage disabled: the draft lives only in the box */ }
  }

  function restoreDraft() {
    var draft = null;
    try { draft = window.localStorage.getItem(draftKey); } catch (e) { return; }
    if (!draft || box.value) return;
    box.value = draft;
    // candidate.js updates its counter and Send button from this event.
    box.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function showMessage(text) {
    message.textContent = text;
    message.hidden = false;
  }

  function hideMessage() {
    if (message.hidden) return;
    message.hidden = true;
    message.textContent = '';
  }

  function plural(n) { return n.toLocaleString('en') + ' character' + (n === 1 ? '' : 's'); }

  // The box's length once `incoming` replaces the current selection.
  function lengthWith(incoming) {
    var selected = Math.abs((box.selectionEnd || 0) - (box.selectionStart || 0));
    return box.value.length - selected + incoming.length;
  }

  function refuseIfTooLong(event, incoming) {
    var total = lengthWith(incoming);
    if (total <= MAX_CHARS) return;
    event.preventDefault();
    showMessage('Not pasted: that text is ' + plural(incoming.length) + ', which would make your answer '
      + plural(total) + ' — over the ' + plural(MAX_CHARS) + ' limit. Shorten it, then paste again.');
  }

  box.addEventListener('paste', function (e) {
    var data = e.clipboardData || window.clipboardData;
    refuseIfTooLong(e, data ? data.getData('text') || '' : '');
  });
  box.addEventListener('drop', function (e) {
    refuseIfTooLong(e, e.dataTransfer ? e.dataTransfer.getData('text') || '' : '');
  });
  box.addEventListener('input', function () {
    saveDraft();
    var over = box.value.length - MAX_CHARS;
    if (over > 0) showMessage('Your answer is ' + plural(over) + ' over the ' + plural(MAX_CHARS) + ' limit. Shorten it to send.');
    else hideMessage();
  });
  root.addEventListener('interview:composer', function () {
    saveDraft();
    if (box.value.length <= MAX_CHARS) hideMessage();
  });
  window.addEventListener('beforeunload', function (e) {
    if (!box.value.trim() && root.dataset.unsent !== 'true') return;
    e.preventDefault();
    e.returnValue = ''; // older browsers show the prompt only when this is set
  });

  restoreDraft();
})();
