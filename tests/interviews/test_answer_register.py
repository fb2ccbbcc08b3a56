"""Reference prose pasted into an answer (interviews/services/register.py): an article about
the subject after a short answer is padding, whether or not its citation marks were removed;
honest answers that are long, impersonal, dated or full of code are not."""

import pytest

from interviews.llm.base import AnsweredQuestion
from interviews.llm.offline_bank import load_bank
from interviews.services.answer_flags import answer_flags
from interviews.services.register import UNVOICED_MAX_CHARS, reference_text
from tests.interviews.evaluation_corpus.genuine import ANSWERS
from tests.interviews.evaluation_corpus.pasted import ARTICLES, SHORT, pasted, stripped

# An explanation with no one speaking and no mark of a source, cut to a given length.
_PLAIN = (
    "A B-tree keeps its keys sorted in pages, so a lookup reads a handful of pages from the root "
    "down to a leaf. An index on the filtered column lets the planner skip the rows that do not "
    "match, and a composite index serves a filter on its leading columns. "
)


@pytest.mark.parametrize("qid", sorted(ARTICLES))
def test_an_article_after_a_short_answer__is_reference_text_with_its_marks(qid: str) -> None:
    run = reference_text(f"{SHORT[qid]}\n\n{ARTICLES[qid]}")
    assert run is not None
    assert run.share > 0.9
    assert any("citation marks" in mark for mark in run.marks)
    assert any("section" in mark for mark in run.marks)


@pytest.mark.parametrize("text", [t for qid in sorted(ARTICLES) for t in pasted(qid)[1:]])
def test_an_article_with_its_marks_stripped__is_still_reference_text(text: str) -> None:
    assert "[1]" not in text
    assert reference_text(text) is not None


def test_the_python_article_stripped__is_caught_by_length_alone_and_says_so() -> None:
    # One named person, one dated fact: too few marks; only its length gives it away.
    run = reference_text(stripped(ARTICLES["python-easy-01"]))
    assert run is not None
    assert run.marks == ()
    assert run.chars >= UNVOICED_MAX_CHARS


@pytest.mark.parametrize(
    "text",
    [
        *(t for kinds in ANSWERS.values() for texts in kinds.values() for t in texts),
        # no one speaking, no marks, below the length that gives a paste away
        (_PLAIN * 5)[: UNVOICED_MAX_CHARS - 100],
        # the candidate speaks between impersonal paragraphs
        (_PLAIN * 3) + "I would check this with EXPLAIN ANALYZE first. " + (_PLAIN * 3),
        # one cited sentence quoted in a short answer
        "I remember the docs say it well: a tuple is an immutable sequence.[1] So I use it "
        "for fixed records.",
        "",
        "   \n\n  ",
    ],
)
def test_honest_answers__are_not_reference_text(text: str) -> None:
    assert reference_text(text) is None


def test_a_long_unmarked_run_in_no_ones_voice__is_reference_text_at_the_limit() -> None:
    text = (_PLAIN * 10)[: UNVOICED_MAX_CHARS + 50]
    run = reference_text(text)
    assert run is not None
    assert run.marks == ()


def test_a_long_answer_in_code__is_not_padding() -> None:
    # Code has no one speaking either; the padding flag reads only the prose around it.
    entry = load_bank().by_id["sql-easy-01"]
    code = "".join(f"total_{i} = rows[{i}][1] + offsets[{i}]  # column {i}\n" for i in range(40))
    answer = f"A LEFT JOIN keeps every row of the left table, so I sum them like this:\n{code}"
    assert len(code) > UNVOICED_MAX_CHARS
    question = AnsweredQuestion(index=1, question=entry.text, rubric=(), answer=answer)

    flags = answer_flags(question=question, answers=[answer], topic=entry.topic)

    assert "padding" not in {f.code for f in flags}


def test_a_pasted_article__is_flagged_as_padding_with_a_reason_staff_can_read() -> None:
    entry = load_bank().by_id["sql-medium-01"]
    answer = f"{SHORT['sql-medium-01']}\n\n{ARTICLES['sql-medium-01']}"
    question = AnsweredQuestion(index=1, question=entry.text, rubric=(), answer=answer)

    reasons = {
        f.code: f.reason
        for f in answer_flags(question=question, answers=[answer], topic=entry.topic)
    }

    assert "pasted reference text" in reasons["padding"]
    assert "[1]" in reasons["padding"]
