"""Reference prose pasted into an answer: an encyclopaedia article or a manual page about the
subject, which touches the question in every sentence and so passes the relevance checks.

What gives it away is its register, not its subject. A candidate explains in their own voice
("I would", "we had", "you can"), and even a terse impersonal answer rarely runs long; reference
text runs on for paragraphs with no one speaking, and carries the marks of its source:
citation brackets, "See also" and "References" sections, inventions attributed to named people
("introduced by Rudolf Bayer and Edward McCreight in 1970"). Dates and definitions alone are not
enough, since an honest impersonal answer has them too ("PEP 703, accepted in 2023, ...").

It reads the text as the candidate sent it (capitals matter for names), and it cannot tell a
careful paste with every mark removed from an essay, unless that runs very long.
"""

import re
from dataclasses import dataclass

from interviews.prose import sentences

# A run of sentences with no one speaking, this long, is where a paste would be.
REFERENCE_MIN_CHARS = 600
REFERENCE_MIN_SHARE = 0.5  # of the answer's characters
# Marks that make the run reference text: citations or sections count on their own; otherwise
# attributions to named people, or dated history ("was released in 2000"), several of them.
REFERENCE_MIN_ATTRIBUTIONS = 2
REFERENCE_MIN_MARKED = 3  # sentences with an attribution or a dated fact
# About 200 words, two long paragraphs, with no word in the candidate's own voice and nothing
# else around them: pasted, marks or not. (The corpus's genuine answers run 343 at most.)
UNVOICED_MAX_CHARS = 1200
UNVOICED_MAX_SHARE = 0.8

_VOICE = re.compile(
    r"\b(?:i|me|my|mine|myself|we|us|our|ours|ourselves|you|your|yours|yourself)\b|"
    r"\b(?:i|we|you)['\u2019](?:d|m|ve|ll|re)\b",
    re.IGNORECASE,
)
# (after punctuation, so an index in code, "arr[1]", "f(x)[1]", is not one)
_CITATION = re.compile(
    r"(?<=[.,;:\"'\u201d])\[(?:\d{1,3}|[a-z]|citation needed|note \d+|clarification needed)\]|"
    r"\b(?:ISBN|doi:|Retrieved (?:on )?\d|et al\.)",
    re.IGNORECASE,
)
_SECTION = re.compile(
    r"^(?:See also|References|External links|Further reading|Bibliography|Notes|Sources)\s*$",
    re.MULTILINE,
)
# "developed by Kenneth W. Thomas", "introduced by David Karger et al.", "popularised by Fisher
# and Ury": a capitalised name after an attribution.
_ATTRIBUTION = re.compile(
    r"\b(?:introduced|developed|designed|created|conceived|described|formulated|proposed|"
    r"published|invented|coined|founded|popularised|popularized|defined|proved|named|written|"
    r"devised|pioneered) (?:[\w,]+ ){0,5}?by (?:[A-Z][\w'.-]*\.? ?){1,4}"
)
# History told in the passive with its date: "Python 2.0 was released in 2000".
_DATED = re.compile(
    r"\b(?:was|were|is|are) (?:\w+ )?(?:\w+ed|released|written|begun|built|made|shown|known)\b"
    r"[^.]{0,60}?\b(?:1[89]\d\d|20[0-3]\d)s?\b|\b(?:in|since|by) (?:the )?(?:late |early |mid-)?"
    r"(?:1[89]\d\d|20[0-3]\d)s?\b[^.]{0,60}?\b(?:was|were) \w+ed\b"
)


@dataclass(frozen=True)
class ReferenceRun:
    chars: int  # characters of the longest run of sentences without the candidate's voice
    share: float  # of the whole answer
    marks: tuple[str, ...]  # what marks it as reference text, for staff


def reference_text(answer: str) -> ReferenceRun | None:
    """The run of pasted reference prose in `answer`, if it has one."""
    run = _longest_unvoiced(answer)
    if run is None:
        return None
    start, end = run
    chars, share = end - start, (end - start) / max(len(answer.strip()), 1)
    if chars < REFERENCE_MIN_CHARS or share < REFERENCE_MIN_SHARE:
        return None
    # Sections follow the run (its last sentences are the headings themselves).
    body, tail = answer[start:end], answer[start:]
    marks = [f"citation marks ({m.group()})" for m in _CITATION.finditer(body)][:1]
    marks += [f"a “{m.group()}” section" for m in _SECTION.finditer(tail)][:1]
    people = [m.group().strip() for m in _ATTRIBUTION.finditer(body)]
    # (citation marks glue sentences together: "plans.[1] The first")
    told = sentences(re.sub(r"\[[^\]\n]{1,25}\]", "", body))
    marked = [s.text for s in told if _ATTRIBUTION.search(s.text) or _DATED.search(s.text)]
    if len(people) >= REFERENCE_MIN_ATTRIBUTIONS or len(marked) >= REFERENCE_MIN_MARKED:
        example = marked[0] if len(marked[0]) <= 80 else marked[0][:80].rsplit(" ", 1)[0] + "…"
        marks.append(f"{len(marked)} sentences of attributed or dated history (“{example}”)")
    if marks or (chars >= UNVOICED_MAX_CHARS and share >= UNVOICED_MAX_SHARE):
        return ReferenceRun(chars, share, tuple(marks))
    return None


def _longest_unvoiced(answer: str) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    start: int | None = None
    for sentence in sentences(answer):
        if _VOICE.search(sentence.text):
            start = None
            continue
        start = sentence.start if start is None else start
        if best is None or sentence.end - start > best[1] - best[0]:
            best = (start, sentence.end)
    return best
