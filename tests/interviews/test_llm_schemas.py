"""Validation of the models' structured replies (no server needed)."""

import json

import pytest

from interviews.llm.errors import MalformedReply
from interviews.llm.schemas import (
    parse_evaluation,
    parse_follow_up,
    parse_object,
    parse_question,
)

QUESTION = {"question": "How do Python generators work?", "rubric": ["Explains lazy iteration"]}


def _evaluation(**overrides: object) -> str:
    reply: dict[str, object] = {
        "questions": [
            {"index": 1, "score": 4, "rationale": "Solid.", "evidence": ["I used yield."]},
            {"index": 2, "score": 2, "rationale": "Thin.", "evidence": []},
        ],
        "overall_score": 3.0,
        "recommendation": "lean_no",
        "strengths": ["Knows generators"],
        "concerns": ["Thin on testing"],
    }
    reply.update(overrides)
    return json.dumps(reply)


def test_fenced_json_object__is_accepted() -> None:
    assert parse_object('```json\n{"a": 1}\n```') == {"a": 1}
    assert parse_object('  ```\n{"a": 1}\n```  ') == {"a": 1}


@pytest.mark.parametrize(
    "reply",
    [
        'Sure! Here is the JSON you asked for:\n{"question": "Wh',
        '{"a": 1} and some prose',
        "[1, 2]",
        "",
    ],
)
def test_prose_truncation_or_non_object__is_malformed(reply: str) -> None:
    with pytest.raises(MalformedReply):
        parse_object(reply)


def test_question__valid_reply_gives_text_and_rubric() -> None:
    reply = parse_question(json.dumps(QUESTION))
    assert reply.question == QUESTION["question"]
    assert reply.rubric == ("Explains lazy iteration",)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"question": ""}, '"question" must be a non-empty string'),
        ({"question": "x" * 1001}, "at most 1000 characters"),
        ({"rubric": []}, "1 to 8"),
        ({"rubric": ["p"] * 9}, "1 to 8"),
        ({"rubric": ["ok", 3]}, '"rubric"[1] must be a non-empty string'),
        (
            {"question": "Explain lazy iteration in Python", "rubric": ["explain lazy iteration"]},
            "must not contain the rubric",
        ),
    ],
)
def test_question__schema_violations_name_the_field(
    change: dict[str, object], problem: str
) -> None:
    with pytest.raises(MalformedReply) as caught:
        parse_question(json.dumps({**QUESTION, **change}))
    assert problem in caught.value.problem


def test_question__repeat_of_a_previous_question_is_rejected() -> None:
    with pytest.raises(MalformedReply, match="repeats"):
        parse_question(json.dumps(QUESTION), previous=["how do python   GENERATORS work?"])


def test_follow_up__null_or_blank_means_no_follow_up() -> None:
    assert parse_follow_up('{"follow_up": null}') is None
    assert parse_follow_up('{"follow_up": "  "}') is None
    assert parse_follow_up('{"follow_up": "Can you give an example?"}') == (
        "Can you give an example?"
    )


def test_follow_up__missing_key_or_rubric_leak_is_malformed() -> None:
    with pytest.raises(MalformedReply, match="follow_up"):
        parse_follow_up('{"question": "?"}')
    with pytest.raises(MalformedReply, match="must not reveal"):
        parse_follow_up(
            '{"follow_up": "Did you mention that it explains lazy iteration?"}',
            rubric=["Explains lazy iteration"],
        )


def test_evaluation__valid_reply_is_parsed_in_index_order() -> None:
    reply = parse_evaluation(_evaluation(), indexes=[1, 2])
    assert [q.index for q in reply.questions] == [1, 2]
    assert reply.questions[0].evidence == ("I used yield.",)
    assert (reply.overall_score, reply.recommendation) == (3.0, "lean_no")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"overall_score": 0}, '"overall_score" must be a number from 1 to 5'),
        ({"overall_score": True}, '"overall_score"'),
        ({"recommendation": "maybe"}, '"recommendation" must be one of'),
        ({"questions": [{"index": 1, "score": 6, "rationale": "x"}]}, "score must be an integer"),
        ({"questions": [{"index": 1, "score": 4, "rationale": "x"}]}, "exactly once"),
        ({"questions": [{"index": 7, "score": 4, "rationale": "x"}]}, "index must be one of"),
        ({"strengths": "great"}, '"strengths" must be a list'),
    ],
)
def test_evaluation__schema_violations_name_the_field(
    change: dict[str, object], problem: str
) -> None:
    with pytest.raises(MalformedReply) as caught:
        parse_evaluation(_evaluation(**change), indexes=[1, 2])
    assert problem in caught.value.problem
