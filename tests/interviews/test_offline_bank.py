"""The offline interviewer's question bank, topic resolution, question choice and follow-ups."""

import copy
import itertools
import re

import pytest

from interviews.llm.base import (
    GeneratedQuestion,
)
from interviews.llm.offline import GENERIC_FOLLOW_UP
from interviews.llm.offline_bank import (
    MIXED,
    TECHNICAL,
    QuestionBankError,
    load_bank,
    parse_bank,
    resolve_topic,
)
from tests.interviews.offline_samples import (
    COOKING,
    DIFFICULTIES,
    LIST_VS_TUPLE,
    STRONG_LIST_VS_TUPLE,
    STRONG_LRU,
    TOPICS,
    all_questions,
    ask,
    bank_question,
    ctx,
    provider,
    raw_bank,
)

# --- the bank -------------------------------------------------------------------------------


def test_bank__has_six_topics_each_with_ten_questions_per_difficulty() -> None:
    raw = raw_bank()
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
    assert len(all_questions(raw)) == 180


def test_bank__ids_and_texts_are_unique_and_no_two_questions_are_near_duplicates() -> None:
    questions = all_questions(raw_bank())
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
    raw = copy.deepcopy(raw_bank())
    raw["topics"]["python"]["questions"]["easy"][2]["rubric"][1]["keywords"] = []
    with pytest.raises(QuestionBankError, match=r"python-easy-03\.rubric\[1\]"):
        parse_bank(raw)


def test_malformed_bank__error_names_the_question_with_too_few_rubric_points() -> None:
    raw = copy.deepcopy(raw_bank())
    raw["topics"]["sql"]["questions"]["hard"][4]["rubric"] = [{"point": "x", "keywords": ["y"]}]
    with pytest.raises(QuestionBankError, match=r"sql-hard-05\.rubric.*3 to 5"):
        parse_bank(raw)


def test_malformed_bank__a_text_differing_only_in_case_folding_is_a_duplicate() -> None:
    # One normal form for "the same question" everywhere (interviews.prose.fold): the bank must
    # refuse a pair that the repeat check and the fallback would treat as one question.
    raw = copy.deepcopy(raw_bank())
    easy = raw["topics"]["python"]["questions"]["easy"]
    easy[0]["text"] = "Why does the Straße example in Python use a generator here?"
    easy[1]["text"] = "WHY DOES THE STRASSE EXAMPLE IN PYTHON USE A GENERATOR HERE?"
    with pytest.raises(QuestionBankError, match="duplicate id or question text"):
        parse_bank(raw)


def test_malformed_bank__missing_topic_is_rejected() -> None:
    raw = copy.deepcopy(raw_bank())
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
    asked = ask(10, topic="Rust")
    topics = {load_bank().by_id[q.key].topic for q in asked}
    assert topics <= set(TECHNICAL)
    assert len(topics) >= 3
    assert ask(10, topic="Rust") == asked


# --- questions ------------------------------------------------------------------------------


def test_generated_question__is_a_bank_question_with_its_rubric_and_offline_source() -> None:
    q = provider.generate_question(ctx(topic="SQL", difficulty="hard"))
    entry = load_bank().by_id[q.key]
    assert q.key.startswith("sql-hard-")
    assert q.text == entry.text
    assert q.rubric == tuple(p.point for p in entry.rubric)
    assert (q.source, q.provider) == ("offline", "offline")
    assert provider.name == "offline"


def test_same_seed__gives_the_same_questions_in_the_same_order() -> None:
    assert ask(6, seed=42) == ask(6, seed=42)


def test_different_seeds__give_different_orders() -> None:
    orders = {tuple(q.key for q in ask(5, seed=seed)) for seed in range(5)}
    assert len(orders) > 1


def test_twelve_questions_at_one_difficulty__never_repeat_and_continue_one_level_up() -> None:
    asked = ask(12, topic="python", difficulty="medium")
    assert len({q.text for q in asked}) == 12
    assert all(q.key.startswith("python-medium-") for q in asked[:10])
    assert all(q.key.startswith("python-hard-") for q in asked[10:])


def test_hard_questions_exhausted__continue_with_medium() -> None:
    asked = ask(11, topic="sql", difficulty="hard")
    assert asked[-1].key.startswith("sql-medium-")


def test_index_alone__avoids_repeats_when_no_history_is_passed() -> None:
    keys = [provider.generate_question(ctx(index=i)).key for i in range(1, 11)]
    assert len(set(keys)) == 10


def test_whole_topic_exhausted__moves_on_to_other_topics_without_repeating() -> None:
    python_texts = tuple(q.text for q in load_bank().by_id.values() if q.topic == "python")
    q = provider.generate_question(ctx(index=31, previous_questions=python_texts))
    assert q.text not in python_texts
    assert not q.key.startswith("python-")


def test_entire_bank_exhausted__raises_instead_of_repeating() -> None:
    everything = tuple(q.text for q in load_bank().by_id.values())
    with pytest.raises(LookupError):
        provider.generate_question(ctx(previous_questions=everything))


# --- follow-ups -----------------------------------------------------------------------------


def test_follow_up__thin_answer_gets_the_questions_follow_up() -> None:
    question = bank_question(LIST_VS_TUPLE)
    result = provider.follow_up(ctx(), question, "Tuples are immutable.")
    assert result == load_bank().by_id[LIST_VS_TUPLE].follow_up


def test_follow_up__rich_answer_gets_none() -> None:
    assert provider.follow_up(ctx(), bank_question(LIST_VS_TUPLE), STRONG_LIST_VS_TUPLE) is None


def test_follow_up__long_answer_that_covers_no_rubric_point_still_gets_one() -> None:
    question = bank_question(LIST_VS_TUPLE)
    assert (
        provider.follow_up(ctx(), question, COOKING) == load_bank().by_id[LIST_VS_TUPLE].follow_up
    )


def test_follow_up__unknown_question_gets_the_generic_prompt_only_when_short() -> None:
    generated = GeneratedQuestion("How do you deploy?", ("mentions CI",), "llm", "some-llm")
    assert provider.follow_up(ctx(), generated, "With a script.") == GENERIC_FOLLOW_UP
    assert provider.follow_up(ctx(), generated, STRONG_LRU) is None
