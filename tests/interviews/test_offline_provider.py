"""The offline interviewer: its question bank, question choice, follow-ups and heuristic scoring."""

import copy
import inspect
import itertools
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interviews.llm import offline
from interviews.llm.base import (
    AnsweredQuestion,
    GeneratedQuestion,
    InterviewerProvider,
    QuestionContext,
    QuestionScore,
)
from interviews.llm.offline import GENERIC_FOLLOW_UP, OfflineInterviewer
from interviews.llm.offline_bank import (
    BANK_PATH,
    MIXED,
    TECHNICAL,
    QuestionBankError,
    load_bank,
    parse_bank,
    resolve_topic,
)

TOPICS = {"python", "javascript", "sql", "system_design", "data_structures", "behavioural"}
DIFFICULTIES = ("easy", "medium", "hard")

LIST_VS_TUPLE = "python-easy-01"
STRONG_LIST_VS_TUPLE = (
    "Lists are mutable: you can append, remove or reassign items, while tuples are immutable "
    "once created. Because a tuple is immutable it is hashable when its items are hashable, so "
    "you can use it as a dict key or put it in a set; a list cannot be a dictionary key. I use "
    "tuples for fixed records with heterogeneous fields, often as a namedtuple or for unpacking "
    "return values like `x, y = point`, and lists for homogeneous collections that grow. Tuples "
    "are also slightly smaller in memory and a bit faster to create, and choosing one signals "
    "intent to the reader. For example, in one project we cached results keyed by a "
    "(user_id, day) tuple."
)
LRU_CACHE = "data_structures-medium-01"
STRONG_LRU = (
    "I would combine a hash map with a doubly linked list. The dict maps each key to its node in "
    "the list, so lookups are O(1). The doubly linked list keeps recency order: on every get or "
    "put I move the node to the front, and when we go over capacity I evict the tail, which is "
    "the least recently used entry. Doubly linked matters because removing a node needs its "
    "previous pointer. In Python I would often just use OrderedDict with move_to_end, and if "
    "several threads share it I would guard it with a lock."
)
COOKING = (
    "My favourite weekend activity is cooking a slow braised beef stew. I brown the meat in "
    "batches, soften onions and carrots, deglaze the pot with red wine, then let everything "
    "simmer gently for three hours until the sauce thickens. Fresh thyme and bay leaves go in "
    "near the end, and I serve it with crusty bread and a green salad."
)

provider = OfflineInterviewer()


def _raw_bank() -> dict[str, Any]:
    with BANK_PATH.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _all_questions(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        q
        for topic in raw["topics"].values()
        for difficulty in DIFFICULTIES
        for q in topic["questions"][difficulty]
    ]


def _ctx(**overrides: Any) -> QuestionContext:
    values: dict[str, Any] = {
        "role": "Backend engineer",
        "topic": "python",
        "difficulty": "medium",
        "language": "en",
        "index": 1,
        "total": 5,
        "seed": 7,
    }
    values.update(overrides)
    return QuestionContext(**values)


def _bank_question(qid: str) -> GeneratedQuestion:
    q = load_bank().by_id[qid]
    return GeneratedQuestion(q.text, tuple(p.point for p in q.rubric), "offline", "offline", q.id)


def _answered(qid: str, answer: str, index: int = 1) -> AnsweredQuestion:
    q = _bank_question(qid)
    return AnsweredQuestion(index=index, question=q.text, rubric=q.rubric, answer=answer)


def _evaluate(*answers: AnsweredQuestion, topic: str = "python") -> Any:
    return provider.evaluate(role="Engineer", topic=topic, difficulty="easy", answers=answers)


def _ask(count: int, **ctx: Any) -> list[GeneratedQuestion]:
    asked: list[GeneratedQuestion] = []
    for i in range(1, count + 1):
        previous = tuple(q.text for q in asked)
        asked.append(provider.generate_question(_ctx(index=i, previous_questions=previous, **ctx)))
    return asked


# --- the bank -------------------------------------------------------------------------------


def test_bank__has_six_topics_each_with_ten_questions_per_difficulty() -> None:
    raw = _raw_bank()
    assert raw["version"] == 1
    assert set(raw["topics"]) == TOPICS
    for key, topic in raw["topics"].items():
        assert topic["title"].strip()
        assert topic["aliases"]
        assert all(a == a.lower() for a in topic["aliases"])
        assert set(topic["questions"]) == set(DIFFICULTIES)
        for difficulty in DIFFICULTIES:
            questions = topic["questions"][difficulty]
            assert len(questions) == 10, (key, difficulty)
            for n, q in enumerate(questions, start=1):
                assert q["id"] == f"{key}-{difficulty}-{n:02d}"
                assert q["text"].strip()
                assert q["follow_up"].strip()
                assert q["follow_up"] != q["text"]
                assert 3 <= len(q["rubric"]) <= 5, q["id"]
                for point in q["rubric"]:
                    assert point["point"].strip()
                    assert point["keywords"], q["id"]
                    assert all(k == k.lower() and k.strip() for k in point["keywords"])
    assert len(_all_questions(raw)) == 180


def test_bank__ids_and_texts_are_unique_and_no_two_questions_are_near_duplicates() -> None:
    questions = _all_questions(_raw_bank())
    assert len({q["id"] for q in questions}) == 180
    assert len({q["text"].strip().lower() for q in questions}) == 180
    stop = {"a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "is", "are"}
    stop |= {"what", "how", "would", "you", "your", "do", "it"}

    def words(text: str) -> set[str]:
        # Operators count as words: "== vs ===" and "null vs undefined" are different questions.
        return set(re.findall(r"[a-z0-9]+|[=<>!*]+", text.lower())) - stop

    for a, b in itertools.combinations(questions, 2):
        wa, wb = words(a["text"]), words(b["text"])
        assert len(wa & wb) / len(wa | wb) < 0.6, (a["id"], b["id"])


def test_bank__is_loaded_once_per_process() -> None:
    assert load_bank() is load_bank()
    assert len(load_bank().by_id) == 180


def test_malformed_bank__error_names_the_entry_with_empty_keywords() -> None:
    raw = copy.deepcopy(_raw_bank())
    raw["topics"]["python"]["questions"]["easy"][2]["rubric"][1]["keywords"] = []
    with pytest.raises(QuestionBankError, match=r"python-easy-03\.rubric\[1\]"):
        parse_bank(raw)


def test_malformed_bank__error_names_the_question_with_too_few_rubric_points() -> None:
    raw = copy.deepcopy(_raw_bank())
    raw["topics"]["sql"]["questions"]["hard"][4]["rubric"] = [{"point": "x", "keywords": ["y"]}]
    with pytest.raises(QuestionBankError, match=r"sql-hard-05\.rubric.*3 to 5"):
        parse_bank(raw)


def test_malformed_bank__missing_topic_is_rejected() -> None:
    raw = copy.deepcopy(_raw_bank())
    del raw["topics"]["behavioural"]
    with pytest.raises(QuestionBankError, match="topics"):
        parse_bank(raw)


# --- topics ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("free_text", "expected"),
    [
        ("Python backend", "python"),
        ("Django REST APIs", "python"),
        ("Postgres/SQL", "sql"),
        ("MySQL query tuning", "sql"),
        ("System Design", "system_design"),
        ("system_design", "system_design"),
        ("Distributed systems", "system_design"),
        ("leadership", "behavioural"),
        ("Behavioral interview", "behavioural"),
        ("TypeScript / React front end", "javascript"),
        ("Node.js services", "javascript"),
        ("Data structures & algorithms", "data_structures"),
    ],
)
def test_resolve_topic__maps_free_text_to_a_bank_topic(free_text: str, expected: str) -> None:
    assert resolve_topic(free_text) == expected
    assert provider.resolve_topic(free_text) == expected


@pytest.mark.parametrize(
    "free_text", ["Rust", "Java developer", "", "   ", "Underwater basket weaving"]
)
def test_resolve_topic__unknown_topic_falls_back_to_the_technical_mix(free_text: str) -> None:
    assert resolve_topic(free_text) == MIXED


def test_unknown_topic__questions_come_from_several_technical_topics() -> None:
    asked = _ask(10, topic="Rust")
    topics = {load_bank().by_id[q.key].topic for q in asked}
    assert topics <= set(TECHNICAL)
    assert len(topics) >= 3
    assert _ask(10, topic="Rust") == asked


# --- questions ------------------------------------------------------------------------------


def test_generated_question__is_a_bank_question_with_its_rubric_and_offline_source() -> None:
    q = provider.generate_question(_ctx(topic="SQL", difficulty="hard"))
    entry = load_bank().by_id[q.key]
    assert q.key.startswith("sql-hard-")
    assert q.text == entry.text
    assert q.rubric == tuple(p.point for p in entry.rubric)
    assert (q.source, q.provider) == ("offline", "offline")
    assert provider.name == "offline"


def test_same_seed__gives_the_same_questions_in_the_same_order() -> None:
    assert _ask(6, seed=42) == _ask(6, seed=42)


def test_different_seeds__give_different_orders() -> None:
    orders = {tuple(q.key for q in _ask(5, seed=seed)) for seed in range(5)}
    assert len(orders) > 1


def test_twelve_questions_at_one_difficulty__never_repeat_and_continue_one_level_up() -> None:
    asked = _ask(12, topic="python", difficulty="medium")
    assert len({q.text for q in asked}) == 12
    assert all(q.key.startswith("python-medium-") for q in asked[:10])
    assert all(q.key.startswith("python-hard-") for q in asked[10:])


def test_hard_questions_exhausted__continue_with_medium() -> None:
    asked = _ask(11, topic="sql", difficulty="hard")
    assert asked[-1].key.startswith("sql-medium-")


def test_index_alone__avoids_repeats_when_no_history_is_passed() -> None:
    keys = [provider.generate_question(_ctx(index=i)).key for i in range(1, 11)]
    assert len(set(keys)) == 10


def test_whole_topic_exhausted__moves_on_to_other_topics_without_repeating() -> None:
    python_texts = tuple(q.text for q in load_bank().by_id.values() if q.topic == "python")
    q = provider.generate_question(_ctx(index=31, previous_questions=python_texts))
    assert q.text not in python_texts
    assert not q.key.startswith("python-")


def test_entire_bank_exhausted__raises_instead_of_repeating() -> None:
    everything = tuple(q.text for q in load_bank().by_id.values())
    with pytest.raises(LookupError):
        provider.generate_question(_ctx(previous_questions=everything))


# --- follow-ups -----------------------------------------------------------------------------


def test_follow_up__thin_answer_gets_the_questions_follow_up() -> None:
    question = _bank_question(LIST_VS_TUPLE)
    result = provider.follow_up(_ctx(), question, "Tuples are immutable.")
    assert result == load_bank().by_id[LIST_VS_TUPLE].follow_up


def test_follow_up__rich_answer_gets_none() -> None:
    assert provider.follow_up(_ctx(), _bank_question(LIST_VS_TUPLE), STRONG_LIST_VS_TUPLE) is None


def test_follow_up__long_answer_that_covers_no_rubric_point_still_gets_one() -> None:
    question = _bank_question(LIST_VS_TUPLE)
    assert (
        provider.follow_up(_ctx(), question, COOKING) == load_bank().by_id[LIST_VS_TUPLE].follow_up
    )


def test_follow_up__unknown_question_gets_the_generic_prompt_only_when_short() -> None:
    generated = GeneratedQuestion("How do you deploy?", ("mentions CI",), "llm", "some-llm")
    assert provider.follow_up(_ctx(), generated, "With a script.") == GENERIC_FOLLOW_UP
    assert provider.follow_up(_ctx(), generated, STRONG_LRU) is None


# --- evaluation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qid", "answer", "topic"),
    [(LIST_VS_TUPLE, STRONG_LIST_VS_TUPLE, "python"), (LRU_CACHE, STRONG_LRU, "algorithms")],
)
def test_strong_answer_covering_the_rubric__scores_at_least_four(
    qid: str, answer: str, topic: str
) -> None:
    result = _evaluate(_answered(qid, answer), topic=topic)
    (score,) = result.questions
    assert score.score >= 4
    assert score.flags == ()
    assert score.evidence
    assert all(quote in answer for quote in score.evidence)
    assert "Covered" in score.rationale
    assert result.overall_score >= 4
    assert result.recommendation in {"strong_hire", "hire"}
    assert result.strengths


def test_partial_answer__names_the_missing_points_and_scores_below_a_full_one() -> None:
    partial = (
        "The main difference is that lists are mutable and tuples are immutable, so you can "
        "change a list in place but you have to build a new tuple if you want a different value. "
        "That is really the whole story as far as I know, and I mostly just use lists everywhere."
    )
    full = _evaluate(_answered(LIST_VS_TUPLE, STRONG_LIST_VS_TUPLE)).questions[0]
    part = _evaluate(_answered(LIST_VS_TUPLE, partial)).questions[0]
    assert part.score < full.score
    assert "Missing:" in part.rationale
    assert "dict keys" in part.rationale


@pytest.mark.parametrize("answer", ["", "   ", "no idea"])
def test_empty_answer__is_flagged_and_scores_one(answer: str) -> None:
    (score,) = _evaluate(_answered(LIST_VS_TUPLE, answer)).questions
    assert (score.score, score.flags, score.evidence) == (1, ("empty",), ())


def test_gibberish_answer__is_flagged_and_scores_one() -> None:
    (score,) = _evaluate(_answered(LIST_VS_TUPLE, "asdf jkl qwer zxcv asdf")).questions
    assert (score.score, score.flags) == (1, ("gibberish",))


def test_mostly_non_alphabetic_answer__is_flagged_as_gibberish() -> None:
    (score,) = _evaluate(
        _answered(LIST_VS_TUPLE, "!!! 123 ??? 456 ### 789 $$$ 000 %%% 111")
    ).questions
    assert (score.score, score.flags) == (1, ("gibberish",))


def test_gibberish_sprinkled_with_keywords__still_scores_only_one() -> None:
    mash = "asdf qwer zxcv immutable hashable asdfgh jkl sdfsdf qwerty lkjh"
    (score,) = _evaluate(_answered(LIST_VS_TUPLE, mash)).questions
    assert (score.score, score.flags) == (1, ("gibberish",))


def test_long_off_topic_answer_about_cooking__is_flagged_and_scores_one() -> None:
    (score,) = _evaluate(_answered(LIST_VS_TUPLE, COOKING)).questions
    assert (score.score, score.flags) == (1, ("off_topic",))


def test_short_honest_dont_know_answer__scores_low_without_an_off_topic_flag() -> None:
    answer = (
        "I'm not really sure, I think it has something to do with versions but I never used it."
    )
    (score,) = _evaluate(_answered(LIST_VS_TUPLE, answer)).questions
    assert score.flags == ()
    assert score.score <= 2
    assert "Covered 0 of 4" in score.rationale


def test_plain_technical_prose_with_acronyms__is_not_mistaken_for_gibberish() -> None:
    answer = (
        "Use a tuple as the dict key for the cache: TCP host and port, or an HTTP method and URL. "
        "It is immutable and hashable, which a list is not, so SQL rows fetched as tuples work too."
    )
    (score,) = _evaluate(_answered(LIST_VS_TUPLE, answer)).questions
    assert score.flags == ()
    assert score.score >= 2


def test_answer_to_question_without_rubric__is_scored_on_substance_and_capped_at_three() -> None:
    answered = AnsweredQuestion(
        index=1, question="Tell me about the hardest bug you fixed.", rubric=(), answer=STRONG_LRU
    )
    (score,) = _evaluate(answered, topic="data structures").questions
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
    (score,) = _evaluate(answered).questions
    assert score.score >= 4
    assert all(quote in STRONG_LRU for quote in score.evidence)


def test_evaluation__reports_method_confidence_and_heuristic_details() -> None:
    result = _evaluate(
        _answered(LIST_VS_TUPLE, STRONG_LIST_VS_TUPLE, 1),
        _answered(LRU_CACHE, "asdf jkl qwer zxcv asdf", 2),
    )
    assert result.method == "offline-heuristic"
    assert 0.3 <= result.confidence <= 0.6
    assert result.details["heuristic"] is True
    assert result.details["flagged"] == 1
    assert result.overall_score == pytest.approx(sum(q.score for q in result.questions) / 2)
    assert any("heuristic" in c for c in result.concerns)
    assert any("gibberish" in c for c in result.concerns)
    assert all(len(s) < 200 for s in (*result.strengths, *result.concerns))


def test_confidence__is_lower_for_short_or_flagged_answers() -> None:
    rich = _evaluate(_answered(LIST_VS_TUPLE, STRONG_LIST_VS_TUPLE))
    short = _evaluate(_answered(LIST_VS_TUPLE, "Tuples are immutable and hashable."))
    flagged = _evaluate(_answered(LIST_VS_TUPLE, ""), _answered(LRU_CACHE, COOKING, 2))
    assert rich.confidence > short.confidence > flagged.confidence
    assert flagged.confidence == 0.3
    assert rich.confidence <= 0.6


def test_no_answers__scores_one_with_no_hire() -> None:
    result = _evaluate()
    assert (result.overall_score, result.recommendation, result.questions) == (1.0, "no_hire", ())
    assert result.confidence == 0.3


def test_all_answers_flagged__is_no_hire() -> None:
    result = _evaluate(_answered(LIST_VS_TUPLE, ""), _answered(LRU_CACHE, COOKING, 2))
    assert result.overall_score == 1.0
    assert result.recommendation == "no_hire"
    assert result.details["flagged"] == 2


@pytest.mark.parametrize(
    ("scores", "expected"),
    [((5, 4), "strong_hire"), ((4, 3), "hire"), ((3, 2), "lean_no"), ((2, 2), "no_hire")],
)
def test_recommendation__follows_the_score_thresholds(
    scores: tuple[int, int], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed = iter(scores)
    monkeypatch.setattr(
        offline,
        "_score_answer",
        lambda aq, topic: (QuestionScore(aq.index, next(fixed), "fixed"), "", ""),
    )
    answers = (_answered(LIST_VS_TUPLE, "x", 1), _answered(LRU_CACHE, "y", 2))
    assert _evaluate(*answers).recommendation == expected


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
    (score,) = _evaluate(_answered(LIST_VS_TUPLE, answer)).questions
    assert len(score.evidence) <= 2
    for quote in score.evidence:
        assert quote.strip()
        assert quote in answer
    if score.flags:
        assert score.score == 1


@pytest.mark.parametrize("method", ["generate_question", "follow_up", "evaluate"])
def test_offline_interviewer__methods_match_the_provider_protocol(method: str) -> None:
    implementation: InterviewerProvider = OfflineInterviewer()
    ours = inspect.signature(getattr(implementation, method)).parameters
    protocol = inspect.signature(getattr(InterviewerProvider, method)).parameters
    assert list(ours) == [name for name in protocol if name != "self"]
    assert [p.kind for p in ours.values()] == [
        p.kind for name, p in protocol.items() if name != "self"
    ]
