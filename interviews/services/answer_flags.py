"""Why an answer cannot be taken at face value: the one definition of answer flags.

Every evaluation runs through these, whoever scored it (the offline heuristic, an
OpenAI-compatible model or Anthropic), and a flagged answer's score is capped afterwards
(interviews/services/evidence.py), so no defence depends on a model obeying its prompt. Each
flag carries a reason that names what was measured, for the staff who read the report.

The measures are about the *form* of the answer, which gaming cannot avoid: a keyword list has
almost no function words ("the", "is", "because"); an echo is made of the question's own word
sequences; a pasted paragraph repeats its word sequences and compresses to almost nothing;
padding is filler runs or a long text that mostly does not touch the question; keyboard mash
is not made of words; an instruction to the evaluator addresses someone who is not asking the
question. What they cannot judge is whether sentences that read as an answer are *right*.
"""

import re
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean

from django.conf import settings

from interviews.llm.base import AnsweredQuestion
from interviews.llm.offline import Coverage, rubric_coverage
from interviews.prose import normalise, sentences, word_count, words
from interviews.services.instructions import evaluator_instructions, result_shaped
from interviews.services.register import reference_text

# The highest score a question keeps once its answer carries the flag: 1 = "no substantive
# answer", 2 = "weak". Every flag caps at 2 or lower; a flag the model raised counts the same.
FLAG_CAPS = {
    "empty": 1,
    "gibberish": 1,
    "off_topic": 2,
    "no_rubric_point": 2,
    "keyword_stuffing": 2,
    "question_echo": 2,
    "repetition": 2,
    "padding": 2,
    "instructions": 2,
    "result_json": 2,
    "score_request": 2,  # reports stored before "instructions" replaced it
    "fits_examples_only": 2,  # code: set by its tests (interviews/services/coding_evaluation.py)
}
FLAG_LABELS = {
    "empty": "blank or too short to assess",
    "gibberish": "does not read as language (keyboard mash or non-words)",
    "off_topic": "does not address the question or its topic",
    "no_rubric_point": "touches none of the points the question asks for",
    "keyword_stuffing": "a list of terms rather than sentences",
    "question_echo": "repeats the question instead of answering it",
    "repetition": "the same passage repeated",
    "padding": "padded with filler",
    "instructions": "addresses the evaluator (instructions or a score request)",
    "result_json": "contains a pasted evaluation result",
    "score_request": "asks the evaluator for a score",
    "fits_examples_only": "code that passes the visible examples and no hidden test",
}
# Flags that mean the candidate tried to game the evaluation rather than simply answer badly:
# any one of them keeps the whole interview from a hire recommendation.
GAMING_FLAGS = frozenset(FLAG_CAPS) - {"empty", "off_topic", "no_rubric_point"}

EMPTY_WORDS = 3
OFF_TOPIC_MIN_WORDS = 25  # below this an unrelated answer reads as "don't know"
# Prose in any register keeps about a third of its words for grammar; a list of terms does not.
STUFFING_MIN_WORDS = 8
STUFFING_FUNCTION_SHARE = 0.12
# Below this share, a list shape or a long run of content words also gives a list away.
STUFFING_LIST_FUNCTION_SHARE = 0.3
LISTED_SHARE = 0.6  # of the words in items of one to three words between commas or lines
CONTENT_RUN = 12  # content words in a row; prose rarely goes five without a grammar word
ECHO_SHARE = 0.7  # of the answer's words inside word sequences the question also has
ECHO_LOW_SHARE = 0.5  # from here, an echo unless the rest of the answer covers a rubric point
REPEATED_SHARE = 0.4  # of the answer's 6-word sequences that already occurred in it
# Five sentences or more, most opening with the same three words: a template filled with terms.
TEMPLATE_MIN_SENTENCES = 5
TEMPLATE_SHARE = 0.6
TEMPLATE_FILL = 2  # words after the opening, on average ("I would use threads for IO" is 3)
COMPRESSED_SHARE = 0.3  # zlib size / raw size; prose stays near 0.5
COMPRESSION_MIN_CHARS = 600
PADDING_LIMIT_SHARE = 0.8  # of MAX_ANSWER_CHARS, where a filler check starts
PADDING_RELATED_SHARE = 0.25  # of sentences that touch the question, below which it is filler

_FUNCTION_WORDS = frozenset(
    "a an the and or but if so as of to in on at by for with from into onto about than then "  # noqa: SIM905
    "that this these those there here it its it's is are was were be been being am do does did "
    "doing done have has had having not no nor can could should would will shall may might "
    "must i me my we us our you your he him his she her they them their what which who whom "
    "whose when where why how because while until unless although though also very just only "
    "more most less some any each every all both either neither such own same other another "
    "too up down out over under again once between through during before after above below "
    "i'm i've i'd we're don't doesn't isn't aren't can't won't".split()
)
_KEYBOARD_RUNS = tuple(row for r in ("qwertyuiop", "asdfghjkl", "zxcvbnm") for row in (r, r[::-1]))
_FILLER_RUN = re.compile(r"\b(\w+)(?:\W+\1\b){4,}|([^\w\s])\2{19,}|(?:\s*[^\w\s]\s*){30,}")
_BLANK_RUN = re.compile(r"\s{200,}")
_LOREM = re.compile(r"\blorem ipsum\b|\bdolor sit amet\b|\bconsectetur adipiscing\b", re.I)
_SEPARATORS = re.compile(r"[,;\n|/\u2022]+|\s[-\u2013\u2014]\s|[.!?](?=\s|$)")
_RELATION = re.compile(r"\s(?:->|=>|→|=|vs\.?|versus)\s|:\s")
_CODE_START = re.compile(
    r"\s*(?:SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|WITH|FROM|WHERE|JOIN|GROUP BY|ORDER BY|"
    r"def |class |import |from \w+ import|return |>>>|--|//|#|\$ )"
)
_CODE = re.compile(r"```.*?```|`[^`\n]*[^\w\s`][^`\n]*`", re.DOTALL)


@dataclass(frozen=True)
class AnswerFlag:
    code: str  # one of FLAG_CAPS
    reason: str  # what was measured, in words for staff


def answer_flags(
    *, question: AnsweredQuestion, answers: Sequence[str], topic: str
) -> tuple[AnswerFlag, ...]:
    """Every flag the answers to `question` earn, once each, in a stable order.

    `answers` are the candidate's turns for this question (the main answer and any follow-up
    answer); form checks run on each, relevance and instructions on all of them together.
    """
    joined = "\n\n".join(answers)
    found: dict[str, str] = {}
    if word_count(joined) < EMPTY_WORDS:
        found["empty"] = f"Only {word_count(joined)} word(s): too short to assess."
    for answer in answers:
        for code, check in _FORM_CHECKS:
            if code not in found and (why := check(answer, question, topic)):
                found[code] = why
    if "gibberish" in found:
        # Mash has no grammar words either; one reason says it better than two.
        found.pop("keyword_stuffing", None)
    if finding := evaluator_instructions(joined):
        found["instructions"] = f"It {finding.what}: “{finding.excerpt}”."
    if finding := result_shaped(joined):
        found["result_json"] = f"It {finding.what}: “{finding.excerpt}”."
    if not {"empty", "gibberish"} & found.keys():
        # Relevance: one reading of the rubric for both flags.
        coverage = rubric_coverage(question, topic=topic, text=joined)
        if why := _off_topic(coverage, joined):
            found["off_topic"] = why
        elif why := _no_point(coverage):
            found["no_rubric_point"] = why
    return tuple(AnswerFlag(code, found[code]) for code in FLAG_CAPS if code in found)


def flag_cap(codes: Sequence[str]) -> int:
    return min((FLAG_CAPS.get(c, 2) for c in codes), default=5)


# --- form checks: each returns "" or the reason ------------------------------------------------


def _gibberish(answer: str, _question: AnsweredQuestion, _topic: str) -> str:
    chars = [c for c in answer if not c.isspace()]
    if len(chars) >= 3 and sum(c.isalpha() for c in chars) / len(chars) < 0.5:
        return "Mostly symbols or digits rather than words."
    tokens = re.findall(r"[a-z]+", answer.lower())
    junk = sum(map(_is_junk, tokens))
    if tokens and junk / len(tokens) >= 0.5:
        return f"{junk} of {len(tokens)} words are not words (keyboard runs or no vowels)."
    return ""


def _keyword_stuffing(answer: str, _question: AnsweredQuestion, _topic: str) -> str:
    text = _prose(answer)
    # Notes relate terms with symbols ("GIL = one thread", "IO -> threads ok"): those count as
    # grammar, so a terse but reasoned answer is not mistaken for a list of terms.
    text = _RELATION.sub(" is ", text)
    prose = [w.replace("\u2019", "'") for w in words(text.lower())]
    if len(prose) < STUFFING_MIN_WORDS:
        return ""
    grammar = [w in _FUNCTION_WORDS for w in prose]
    share = sum(grammar) / len(prose)
    listed = _listed_share(text)
    run = _longest_run(grammar)
    if share < STUFFING_FUNCTION_SHARE or (
        share < STUFFING_LIST_FUNCTION_SHARE and (listed >= LISTED_SHARE or run >= CONTENT_RUN)
    ):
        return (
            f"A list of terms, not an explanation: {share:.0%} of its {len(prose)} words are "
            f"grammar words (sentences have about a third), {listed:.0%} of them sit in "
            f"one-to-three-word items, and {run} content words run on without one."
        )
    return ""


def _prose(answer: str) -> str:
    """The answer without its code (fenced, inline, or lines that read as code)."""
    lines = _CODE.sub(" ", answer).splitlines()
    return "\n".join(line for line in lines if not _is_code_line(line))


def _is_code_line(line: str) -> bool:
    if _CODE_START.match(line):
        return True
    marks = sum(c in ";{}=<>()[]._*\"'" for c in line)
    return len(line) > 10 and marks / len(line) > 0.12


def _listed_share(text: str) -> float:
    """Share of the words that sit in items of at most three words between separators."""
    items = [words(item) for item in _SEPARATORS.split(text)]
    total = sum(map(len, items))
    short = sum(len(i) for i in items if 0 < len(i) <= 3)
    return short / total if total else 0.0


def _longest_run(grammar: Sequence[bool]) -> int:
    longest = current = 0
    for is_grammar in grammar:
        current = 0 if is_grammar else current + 1
        longest = max(longest, current)
    return longest


def _question_echo(answer: str, question: AnsweredQuestion, topic: str) -> str:
    said = [w.lower() for w in words(answer)]
    if len(said) < EMPTY_WORDS:
        return ""
    asked = [w.lower() for w in words(question.question)]
    grams = {tuple(asked[i : i + 3]) for i in range(len(asked) - 2)}
    echoed = [False] * len(said)
    for i in range(len(said) - 2):
        if tuple(said[i : i + 3]) in grams:
            echoed[i : i + 3] = [True] * 3
    share = sum(echoed) / len(said)
    if share < ECHO_LOW_SHARE:
        return ""
    # Between the two shares, a restatement followed by a real point ("the difference
    # between a list and a tuple is that lists are mutable") is an answer, not an echo.
    rest = " ".join(w for w, e in zip(said, echoed, strict=True) if not e)
    if share >= ECHO_SHARE or not rubric_coverage(question, topic=topic, text=rest).covered:
        return f"{share:.0%} of the answer is the question's own wording."
    return ""


def _repetition(answer: str, _question: AnsweredQuestion, _topic: str) -> str:
    said = [w.lower() for w in words(answer)]
    grams = [tuple(said[i : i + 6]) for i in range(len(said) - 5)]
    if len(grams) >= 10:
        repeats = sum(n - 1 for n in Counter(grams).values())
        if repeats / len(grams) >= REPEATED_SHARE:
            share = repeats / len(grams)
            return f"{share:.0%} of the answer repeats, word for word, what it already said."
    if why := _templated(answer):
        return why
    # Whitespace is collapsed first: blank padding is the padding check's to name.
    raw = " ".join(answer.split()).encode()
    if len(raw) >= COMPRESSION_MIN_CHARS:
        ratio = len(zlib.compress(raw, 9)) / len(raw)
        if ratio < COMPRESSED_SHARE:
            return (
                f"It compresses to {ratio:.0%} of its size (prose stays near half): "
                "the same text over and over."
            )
    return ""


def _templated(answer: str) -> str:
    """Most sentences are one opening plus a term or two: "I know about X. I know about Y." """
    said = [[w.lower() for w in words(s.text)] for s in sentences(answer)]
    if len(said) < TEMPLATE_MIN_SENTENCES:
        return ""
    (first, count) = Counter(tuple(w[:3]) for w in said).most_common(1)[0]
    filled = [len(w) - 3 for w in said if tuple(w[:3]) == first]
    if len(first) == 3 and count / len(said) >= TEMPLATE_SHARE and mean(filled) <= TEMPLATE_FILL:
        return f"{count} of its {len(said)} sentences are “{' '.join(first)}” and a term or two."
    return ""


def _padding(answer: str, question: AnsweredQuestion, _topic: str) -> str:
    if m := _BLANK_RUN.search(answer):
        return f"A run of {len(m.group())} blank characters."
    if m := _FILLER_RUN.search(answer):
        return f"A filler run: “{m.group()[:40].strip()}…”."
    if m := _LOREM.search(answer):
        return f"Placeholder text: “{m.group()}”."
    if run := reference_text(_prose(answer)):  # code is unvoiced too, and is an answer
        marks = "; ".join(run.marks) or "no mark of a source, but far longer than an answer"
        return (
            f"{run.chars} characters ({run.share:.0%} of the answer) read as pasted reference "
            f"text, not an answer: no one speaks in them (no I, we or you), and {marks}."
        )
    if len(answer) < PADDING_LIMIT_SHARE * settings.MAX_ANSWER_CHARS:
        return ""
    related = _related_terms(question.question)
    parts = sentences(answer)
    touching = sum(1 for s in parts if any(t in normalise(s.text) for t in related))
    if parts and touching / len(parts) < PADDING_RELATED_SHARE:
        return (
            f"{len(answer)} characters, near the {settings.MAX_ANSWER_CHARS}-character limit, "
            f"but only {touching} of {len(parts)} sentences touch the question."
        )
    return ""


_FORM_CHECKS = (
    ("gibberish", _gibberish),
    ("keyword_stuffing", _keyword_stuffing),
    ("question_echo", _question_echo),
    ("repetition", _repetition),
    ("padding", _padding),
)


def _off_topic(coverage: Coverage, joined: str) -> str:
    if word_count(joined) < OFF_TOPIC_MIN_WORDS:
        return ""
    if coverage.covered or coverage.related:
        return ""
    return "It touches neither the question's rubric nor its topic."


def _no_point(coverage: Coverage) -> str:
    # A score above "weak" is a claim the report must back with the answer's own sentences
    # (docs/evaluation.md, "Evidence reads as evidence"). With no rubric point touched there is
    # nothing to quote, whatever a model says of it: so an instruction to the evaluator phrased
    # in a way the detector misses, with nothing else in the answer, still cannot pay.
    # A rubric another provider wrote is matched by its longer words only, which a good answer
    # in other words can miss: there the answer must also share no term with the question.
    if not coverage.points or coverage.covered or (coverage.related and not coverage.curated):
        return ""
    return f"It touches none of the question's {len(coverage.points)} rubric points."


def _related_terms(question: str) -> set[str]:
    return {w for w in map(str.lower, words(question)) if len(w) >= 5} - _FUNCTION_WORDS


def _keyboard_cover(token: str) -> float:
    """Share of the token made of runs of 3+ neighbouring keys ("asdf", "lkj")."""
    covered = [False] * len(token)
    for i in range(len(token) - 2):
        for j in range(min(len(token), i + 10), i + 2, -1):
            if any(token[i:j] in run for run in _KEYBOARD_RUNS):
                covered[i:j] = [True] * (j - i)
                break
    return sum(covered) / len(token)


def _is_junk(token: str) -> bool:
    # Above 0.75 so real words with one run ("tree", "were", "property") are not caught.
    if len(token) >= 3 and _keyboard_cover(token) > 0.75:
        return True
    if re.search(r"(.)\1\1", token):
        return True
    if not re.search(r"[aeiouy]", token):
        return len(token) > 5  # short vowel-less tokens are usually acronyms: sql, http, tcp
    return bool(re.search(r"[^aeiouy]{6,}", token))
