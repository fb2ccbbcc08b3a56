"""Questions' Markdown subset: rendered, and nothing else gets through as markup."""

import re

import pytest

from interviews.markup import ALLOWED_TAGS, question_html
from interviews.models import Turn
from interviews.selectors import turn_event
from interviews.services.interviews import interview_advance, interview_start
from tests.factories import make_interview

TAG = re.compile(r"<\s*/?\s*([a-zA-Z0-9]+)([^>]*)>")

XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "![x](https://example.invalid/x.png)",
    "<iframe src=//evil.example></iframe>",
    "<style>body{display:none}</style>",
    "`<b onmouseover=alert(1)>`",
    "```\n</code></pre><script>alert(1)</script>\n```",
    '*<span style="position:fixed">x</span>*',
    "<details open ontoggle=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<scr<script>ipt>alert(1)</script>",
    "- <form action=//evil><input name=x></form>",
]


def _tags(html: str) -> list[tuple[str, str]]:
    return [(m.group(1).lower(), m.group(2).strip()) for m in TAG.finditer(html)]


@pytest.mark.parametrize("text", XSS)
def test_hostile_markup__comes_out_as_text_only_allowed_tags_and_no_attributes(text: str) -> None:
    html = question_html(text)
    for tag, attrs in _tags(html):
        assert tag in ALLOWED_TAGS, (text, html)
        assert attrs == "", (text, html)
    assert "<a" not in html
    assert "<img" not in html


def test_subset__inline_code_code_blocks_lists_and_emphasis_are_rendered() -> None:
    html = question_html(
        "Explain `@staticmethod` and *why*, **briefly**:\n\n"
        "```python\ndef f(x):\n    return x < 1\n```\n\n- one\n- two\n\n1. first\n2. second"
    )
    assert "<code>@staticmethod</code>" in html
    assert "<em>why</em>" in html
    assert "<strong>briefly</strong>" in html
    assert "<pre><code>def f(x):\n    return x &lt; 1\n</code></pre>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert html.endswith("<ol>\n<li>first</li>\n<li>second</li>\n</ol>")


@pytest.mark.django_db
def test_question_frame__carries_text_as_written_and_its_html() -> None:
    created = make_interview()
    interview_start(interview_id=created.interview.pk)
    [turn] = interview_advance(interview_id=created.interview.pk)
    Turn.objects.filter(pk=turn.pk).update(text="Explain `yield` <b>now</b>")
    turn.refresh_from_db()
    event = turn_event(turn, total=2)
    assert event["text"] == "Explain `yield` <b>now</b>"
    assert event["html"] == "<p>Explain <code>yield</code> &lt;b&gt;now&lt;/b&gt;</p>"
