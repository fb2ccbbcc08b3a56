"""The offline interviewer's heuristic scoring as it is stored (after the evaluation service's
answer flags): rubric coverage, flags, confidence, evidence in whole sentences, and a
recommendation that is always "needs review"."""

import inspect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interviews.llm import offline
from interviews.llm.base import (
    AnsweredQuestion,
    InterviewerProvider,
    QuestionScore,
)
from interviews.llm.offline import OfflineInterviewer
from tests.interviews.offline_samples import (
    COOKING,
    LIST_VS_TUPLE,
    LRU_CACHE,
    STRONG_LIST_VS_TUPLE,
    STRONG_LRU,
    answered,
    evaluate,
)

# --- evaluation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qid", "answer", "topic"),
    [(LIST_VS_TUPLE, STRONG_LIST_VS_TUPLE, "python"), (LRU_CACHE, STRONG_LRU, "algorithms")],
)
def test_strong_answer_covering_the_rubric__scores_at_least_four(
    qid: str, answer: str, topic: str
) -> None:
    result = evaluate(answered(qid, answer), topic=topic)
    (score,) = result.questions
    assert score.score >= 4
    assert score.flags == ()
    assert score.evidence
    assert all(quote in answer for quote in score.evidence)
    assert "Covered" in score.rationale
    assert result.overall_score >= 4
    assert result.recommendation == "needs_review", "a keyword count never decides"
    assert result.strengths


def test_partial_answer__names_the_missing_points_and_scores_below_a_full_one() -> None:
    partial = (
        "The main difference is that lists are mutable and tuples are immutable, so you can "
        "change a list in place but you have to build a new tuple if you want a different value. "
        "That is really the whole story as far as I know, and I mostly just use lists everywhere."
    )
    full = evaluate(answered(LIST_VS_TUPLE, STRONG_LIST_VS_TUPLE)).questions[0]
    part = evaluate(answered(LIST_VS_TUPLE, partial)).questions[0]
    assert part.score < full.score
    assert "Not covered:" in part.rationale
    assert "dict keys" in part.rationale


@pytest.mark.parametrize("answer", ["", "   ", "no idea"])
def test_empty_answer__is_flagged_and_scores_one(answer: str) -> None:
    (score,) = evaluate(answered(LIST_VS_TUPLE, answer)).questions
    assert (score.score, score.flags, score.evidence) == (1, ("empty",), ())


def test_gibberish_answer__is_flagged_and_scores_one() -> None:
    (score,) = evaluate(answered(LIST_VS_TUPLE, "asdf jkl qwer zxcv asdf")).questions
    assert (score.score, score.flags) == (1, ("gibberish",))


def test_mostly_non_alphabetic_answer__is_flagged_as_gibberish() -> None:
    (score,) = evaluate(
        answered(LIST_VS_TUPLE, "!!! 123 ??? 456 ### 789 $$$ 000 %%% 111")
    ).questions
    assert (score.score, score.flags) == (1, ("gibberish",))


def test_gibberish_sprinkled_with_keywords__still_scores_only_one() -> None:
    mash = "asdf qwer zxcv immutable hashable asdfgh jkl sdfsdf qwerty lkjh"
    (score,) = evaluate(answered(LIST_VS_TUPLE, mash)).questions
    assert (score.score, score.flags) == (1, ("gibberish",))


def test_long_off_topic_answer_about_cooking__is_flagged_and_scores_one() -> None:
    (score,) = evaluate(answered(LIST_VS_TUPLE, COOKING)).questions
    assert (score.score, score.flags) == (1, ("off_topic",))


def test_short_honest_dont_know_answer__scores_low_without_an_off_topic_flag() -> None:
    answer = (
        "I'm not really sure, I think it has something to do with versions but I never used it."
    )
    (score,) = evaluate(answered(LIST_VS_TUPLE, answer)).questions
    # Honest, so neither off topic nor gaming: only that it gives no point to quote.
    assert score.flags == ("no_rubric_point",)
    assert score.score <= 2
    assert "Covered 0 of 4" in score.rationale


def test_plain_technical_prose_with_acronyms__is_not_mistaken_for_gibberish() -> None:
    answer = (
        "Use a tuple as the dict key for the cache: TCP host and port, or an HTTP method and URL. "
        "It is immutable and hashable, which a list is not, so SQL rows fetched as tuples work too."
    )
    (score,) = evaluate(answered(LIST_VS_TUPLE, answer)).questions
    assert score.flags == ()
    assert score.score >= 2


def test_answer_to_question_without_rubric__is_scored_on_substance_and_capped_at_three() -> None:
    answered = AnsweredQuestion(
        index=1, question="Tell me about the hardest bug you fixed.", rubric=(), answer=STRONG_LRU
    )
    (score,) = evaluate(answered, topic="data structures").questions
    assert score.flags == ()
    assert 2 <= score.score <= 3
    assert "No rubric" in score.rationale


def test_answer_to_generated_question_with_rubric__is_scored_on_that_rubric() -> None:
    answered = AnsweredQuestion(
        index=1,
        question="How would you cache expensive lookups in a service?",
        rubric=("Eviction policy such as LRU", "Capacity limits", "Thread safety with a lock"),
        answer=STRONG_LRU,
    )
    (score,) = evaluate(answered).questions
    assert score.score >= 4
    assert all(quote in STRONG_LRU for quote in score.evidence)


def test_evaluation__reports_method_confidence_and_heuristic_details() -> None:
    result = evaluate(
        answered(LIST_VS_TUPLE, STRONG_LIST_VS_TUPLE, 1),
        answered(LRU_CACHE, "asdf jkl qwer zxcv asdf", 2),
    )
    assert result.method == "offline-heuristic"
    assert 0.3 <= result.confidence <= 0.6
    assert result.details["heuristic"] is True
    assert [q.flags for q in result.questions] == [(), ("gibberish",)]
    assert result.overall_score == pytest.approx(sum(q.score for q in result.questions) / 2)
    assert any("cannot tell whether to hire" in c for c in result.concerns)
    assert all(len(s) < 200 for s in (*result.strengths, *result.concerns))


def test_confidence__is_lower_for_short_answers() -> None:
    rich = evaluate(answered(LIST_VS_TUPLE, STRONG_LIST_VS_TUPLE))
    short = evaluate(answered(LIST_VS_TUPLE, "Tuples are immutable and hashable."))
    blank = evaluate(answered(LIST_VS_TUPLE, ""), answered(LRU_CACHE, "", 2))
    assert rich.confidence > short.confidence > blank.confidence
    assert blank.confidence == 0.3
    assert rich.confidence <= 0.6


def test_no_answers__scores_one_and_needs_review() -> None:
    result = evaluate()
    assert (result.overall_score, result.recommendation, result.questions) == (
        1.0,
        "needs_review",
        (),
    )
    assert result.confidence == 0.3


def test_all_answers_flagged__score_one_and_still_only_needs_review() -> None:
    result = evaluate(answered(LIST_VS_TUPLE, ""), answered(LRU_CACHE, COOKING, 2))
    assert result.overall_score == 1.0
    assert result.recommendation == "needs_review"
    assert [q.flags for q in result.questions] == [("empty",), ("off_topic",)]


@pytest.mark.parametrize("scores", [(5, 5), (5, 4), (4, 3), (3, 2), (1, 1)])
def test_heuristic__recommends_nothing_whatever_its_scores(
    scores: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed = iter(scores)
    monkeypatch.setattr(
        offline,
        "_score_answer",
        lambda aq, topic: (QuestionScore(aq.index, next(fixed), "fixed"), "", ""),
    )
    answers = (answered(LIST_VS_TUPLE, "x y z", 1), answered(LRU_CACHE, "y x z", 2))
    assert evaluate(*answers).recommendation == "needs_review"


_FILLER = ["the", "so", "we", "then", "really", "I think", "e.g.", "sys.path", "O(1)", "—", "…"]
_KEYWORDS = ["immutable", "hashable", "dict key", "namedtuple", "memory", "faster", "unpacking"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_FILLER + _KEYWORDS), st.sampled_from([" ", ". ", "! ", "\n", ", "])
        ),
        min_size=3,
        max_size=80,
    )
)
def test_evidence__is_always_a_verbatim_substring_of_the_answer(
    parts: list[tuple[str, str]],
) -> None:
    answer = "".join(word + sep for word, sep in parts)
    (score,) = evaluate(answered(LIST_VS_TUPLE, answer)).questions
    assert len(score.evidence) <= 3
    for quote in score.evidence:
        assert quote.strip()
        assert quote in answer
        assert quote[0] not in ".,;:!?"
        assert quote[-1] not in ",;:"
    if score.flags:
        assert score.score <= 2


@pytest.mark.parametrize("method", ["generate_question", "follow_up", "evaluate"])
def test_offline_interviewer__methods_match_the_provider_protocol(method: str) -> None:
    implementation: InterviewerProvider = OfflineInterviewer()
    ours = inspect.signature(getattr(implementation, method)).parameters
    protocol = inspect.signature(getattr(InterviewerProvider, method)).parameters
    assert list(ours) == [name for name in protocol if name != "self"]
    assert [p.kind for p in ours.values()] == [
        p.kind for name, p in protocol.items() if name != "self"
    ]
