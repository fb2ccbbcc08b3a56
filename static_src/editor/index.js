// The candidate page's code editor: CodeMirror 6 with the parts the page needs, exposed as
// window.InterviewEditor for static/interviews/coding.js (no module loader on the page).
// Built by `make editor` into static/interviews/editor.bundle.js; coding.js falls back to a
// plain textarea when this bundle did not load.
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { python } from '@codemirror/lang-python';
import {
  bracketMatching, defaultHighlightStyle, indentOnInput, indentUnit, syntaxHighlighting
} from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import {
  EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers
} from '@codemirror/view';

const LANGUAGES = { python: () => python(), javascript: () => javascript() };

function create(parent, options) {
  const opts = options || {};
  const language = LANGUAGES[opts.language];
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: opts.doc || '',
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        indentUnit.of(opts.language === 'python' ? '    ' : '  '),
        // Tab indents; Escape then Tab (or Shift+Tab) leaves the editor: CodeMirror's own
        // rule for editors that take Tab, so keyboard users are never trapped.
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        language ? language() : [],
        EditorView.contentAttributes.of({
          'aria-label': opts.label || 'Code editor',
          'data-testid': 'code-editor-content'
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && opts.onChange) opts.onChange(update.state.doc.toString());
        })
      ]
    })
  });
  return {
    view,
    getValue: () => view.state.doc.toString(),
    setValue: (text) => view.dispatch({
      changes: { from: 0, to: view.state.doc.length, insert: text }
    }),
    focus: () => view.focus(),
    destroy: () => view.destroy()
  };
}

window.InterviewEditor = { create, version: 'codemirror-6' };
