"""Text to passages: spans of about `target` characters that end at a paragraph break, else
a sentence end, else a space, so a passage reads as a unit and its offsets point back into the
document."""

import re
from dataclasses import dataclass

_BREAKS = (re.compile(r"\n\s*\n"), re.compile(r"[.!?;:]\s+|\n"), re.compile(r"\s+"))


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def passages_split(text: str, *, target: int) -> list[Span]:
    spans: list[Span] = []
    start = _skip_space(text, 0)
    while start < len(text):
        end = _cut(text, start, target)
        piece = text[start:end].rstrip()
        if piece:
            spans.append(Span(start=start, end=start + len(piece), text=piece))
        start = _skip_space(text, end)
    return spans


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _cut(text: str, start: int, target: int) -> int:
    limit = start + target
    if limit >= len(text):
        return len(text)
    # The last break of the strongest kind in the second half of the window; a passage never
    # shrinks below half the target unless the text has no break at all.
    window = text[start + target // 2 : limit]
    for pattern in _BREAKS:
        ends = [match.end() for match in pattern.finditer(window)]
        if ends:
            return start + target // 2 + ends[-1]
    return limit
