"""How the evaluation reads a candidate's text: words, sentences and a normal form.

One definition, shared by the offline interviewer (interviews/llm/offline.py), the answer flags
(interviews/services/answer_flags.py) and the evidence in reports, so that a "sentence" or a
"word" means the same thing wherever a score or a quote is decided.
"""

import re
import unicodedata
from dataclasses import dataclass

WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
# Abbreviations whose full stop does not end a sentence ("e.g. a dict", "vs. a list").
_ABBREVIATIONS = frozenset(
    "e.g i.e etc vs cf approx esp incl resp mr mrs ms dr prof st no fig eq sec min max".split()  # noqa: SIM905
)
# A sentence ends at . ! ? (and runs of them) followed by whitespace, or at a line break.
_BOUNDARY = re.compile(r"[.!?…]+(?=\s)|\n")
# What may hang off either end of a slice without being part of the sentence.
# (dashes, quotes and bullets written as escapes: \u2013 en dash, \u2014 em dash, \u2026
# ellipsis, \u2019 and \u201d closing quotes, \u2022 bullet)
_LEADING = " \t\r\n.,;:!?)]}-\u2013\u2014\u2026*\u2022>\"'\u2019\u201d"
_TRAILING = " \t\r\n,;:-\u2013\u2014(*\u2022"
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"))
# Letters that look Latin but are not, as used to slip a phrase past a filter.
_HOMOGLYPHS = str.maketrans(
    "аеорсхуіјѕԁɡοαεκνρτυхАВЕЅКМНОРСТХ", "aeopcxyijsdgoaeknptuxABESKMHOPCTX"
)


@dataclass(frozen=True)
class Sentence:
    start: int  # offset in the text it was cut from: text[start:end] == self.text
    end: int
    text: str


def words(text: str) -> list[str]:
    return WORD.findall(text)


def word_count(text: str) -> int:
    return len(WORD.findall(text))


def sentences(text: str) -> list[Sentence]:
    """The text's sentences, each a verbatim slice with stray punctuation trimmed off its ends.

    A full stop inside a token ("sys.path", "3.5") or after a known abbreviation does not end a
    sentence; a line break always does (lists and bullet points are one item per line).
    """
    out: list[Sentence] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group() != "\n" and m.group() == "." and _is_abbreviation(text, m.start()):
            continue
        _add(out, text, start, m.end())
        start = m.end()
    _add(out, text, start, len(text))
    return out


def _is_abbreviation(text: str, dot: int) -> bool:
    before = text[:dot].rsplit(None, 1)[-1] if text[:dot].strip() else ""
    before = before.lstrip("(\"'").lower()
    # A single letter is an initial ("J. Smith") unless it is the pronoun.
    return before in _ABBREVIATIONS or (len(before) == 1 and before.isalpha() and before != "i")


def _add(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start] in _LEADING:
        start += 1
    while end > start and text[end - 1] in _TRAILING:
        end -= 1
    if start < end and WORD.search(text, start, end):
        out.append(Sentence(start, end, text[start:end]))


def fold(text: str) -> str:
    """Casefolded, whitespace collapsed: the one test of "the same question" (bank lookups and
    duplicates, repeat checks, rubric leaks, fallbacks already asked)."""
    return " ".join(text.casefold().split())


def normalise(text: str) -> str:
    """Casefolded text with look-alike letters, zero-width characters, spaced-out letters
    ("i g n o r e", "p-l-e-a-s-e") and digits standing in for letters ("1gn0re") undone,
    whitespace collapsed.

    For detecting phrases whatever their disguise; never shown or quoted.
    """
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).translate(_HOMOGLYPHS)
    text = text.casefold()
    text = re.sub(r"\b(?:[a-z] ){3,}[a-z]\b", lambda m: m.group().replace(" ", ""), text)
    # Letters joined by dashes or dots ("p-l-e-a-s-e", "i.g.n.o.r.e"); four at least, so
    # "e.g." and "a-b" stay.
    text = re.sub(r"\b(?:[a-z][-.\u00b7_]){3,}[a-z]\b", lambda m: m.group()[::2], text)
    text = re.sub(r"\b\w*[a-z]\w*\b", _unleet, text)
    return " ".join(text.split())


_LEET = str.maketrans("01345@$7", "oieasast")


def _unleet(match: re.Match[str]) -> str:
    token = match.group()
    return token.translate(_LEET) if re.search(r"\d", token) else token
