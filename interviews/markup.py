"""Questions as candidates read them: a small Markdown subset rendered on the server, sanitised.

Interviewers (an LLM, the offline bank, staff) write questions with Markdown: `inline code`,
fenced code blocks, lists and emphasis. markdown-it-py (CommonMark, maintained) renders only
those rules, with raw HTML off, so anything else stays text; nh3 (Rust's ammonia) then keeps
only the tags below, with no attributes, so no markup an LLM or a poisoned cache writes can
carry a script, a link, an image or a style. Rendering on the server keeps the page's
Content-Security-Policy as strict as it is: the page inserts finished, inert HTML.
"""

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({"p", "em", "strong", "code", "pre", "ul", "ol", "li", "br"})
RULES = ["emphasis", "backticks", "fence", "code", "list", "newline"]


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    # "zero" enables nothing but paragraphs and text; html stays off (raw tags are escaped).
    return MarkdownIt("zero", {"html": False, "breaks": True}).enable(RULES)


def question_html(text: str) -> str:
    """`text` (Markdown) as sanitised HTML: only ALLOWED_TAGS, no attributes."""
    html = _renderer().render(text)
    # Without the renderer's trailing newline, a one-paragraph question's text in the page is
    # exactly the text as written.
    return nh3.clean(html, tags=set(ALLOWED_TAGS), attributes={}, link_rel=None).strip()
