"""The evaluation reply's per-question "flags" (the rest of the schema is covered by
test_llm_schemas.py): optional, limited to the flags the server knows, never free text."""

import json

import pytest

from interviews.llm.errors import MalformedReply
from interviews.llm.prompts import EVALUATION_SYSTEM
from interviews.llm.schemas import ANSWER_FLAGS, parse_evaluation
from interviews.services.answer_flags import FLAG_CAPS


def _reply(**question: object) -> str:
    item = {"index": 1, "score": 1, "rationale": "Keyboard mash.", "evidence": [], **question}
    return json.dumps(
        {"questions": [item], "overall_score": 1, "recommendation": "no_hire"},
    )


def test_flags__are_parsed_and_deduplicated() -> None:
    reply = parse_evaluation(_reply(flags=["gibberish", "gibberish"]), indexes=[1])
    assert reply.questions[0].flags == ("gibberish",)


def test_flags__may_be_left_out() -> None:
    assert parse_evaluation(_reply(), indexes=[1]).questions[0].flags == ()


@pytest.mark.parametrize("flags", [["excellent"], "gibberish", [1], ["empty"] * 10])
def test_flags__outside_the_known_set_are_malformed_and_named(flags: object) -> None:
    with pytest.raises(MalformedReply, match=r'"questions"\[0\]\.flags'):
        parse_evaluation(_reply(flags=flags), indexes=[1])


def test_prompt__asks_for_every_flag_the_schema_accepts() -> None:
    assert all(f'"{flag}"' in EVALUATION_SYSTEM for flag in ANSWER_FLAGS)
    assert '"flags": []' in EVALUATION_SYSTEM


def test_flags__a_model_may_raise_are_the_flags_the_server_caps() -> None:
    # fits_examples_only is the tests' verdict on code, no_rubric_point the server's reading of
    # the evidence: neither is a model's to raise.
    assert set(ANSWER_FLAGS) == set(FLAG_CAPS) - {
        "score_request",
        "fits_examples_only",
        "no_rubric_point",
    }
    assert all(FLAG_CAPS[flag] <= 2 for flag in ANSWER_FLAGS)
