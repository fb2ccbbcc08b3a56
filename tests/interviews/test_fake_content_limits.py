"""The fake LLM's evaluation of a long interview stays within what the prompt asks and the
schema accepts. Found by the llm-down chaos scenario (bench/chaos.py): 39-question interviews
got more than 20 strengths, every evaluation was rejected as malformed, and the rejections
opened the providers' breakers for the live interviews too."""

import json

from interviews.fake_llm import content as fake_content
from interviews.llm.schemas import parse_evaluation
from tests.factories import STRONG_ANSWER


def test_fake_evaluation_of_fifty_answers__lists_at_most_five_strengths_and_concerns() -> None:
    strong = [{"index": i, "answer": STRONG_ANSWER} for i in range(1, 26)]
    thin = [{"index": i, "answer": "No."} for i in range(26, 51)]

    reply = fake_content.evaluate({"answers": strong + thin})

    assert len(reply["strengths"]) == len(reply["concerns"]) == 5
    assert len(reply["questions"]) == 50
    parsed = parse_evaluation(json.dumps(reply), indexes=range(1, 51))
    assert len(parsed.strengths) == 5
