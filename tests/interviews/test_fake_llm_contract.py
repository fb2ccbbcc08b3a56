"""The fake LLM over real HTTP: schema-valid answers to our prompts in both provider shapes, and
the requests a real provider would refuse. No database needed."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interviews.fake_llm import content as fake_content
from interviews.fake_llm import evaluation as fake_evaluation
from interviews.fake_llm.server import FakeLLMHandle
from interviews.llm.schemas import recommendation_for
from tests.interviews.fake_llm_client import (
    DIALECTS,
    LONG_ANSWER,
    RECOMMENDATIONS,
    ask,
    call,
    question_prompt,
    reply_text,
)

# --- the prompt contract, in both provider shapes ------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_generate_question_is_schema_valid_in_both_shapes(
    fake: FakeLLMHandle, dialect: str
) -> None:
    document = ask(fake, dialect, question_prompt())

    assert set(document) == {"question", "rubric"}
    assert "PostgreSQL indexing" in document["question"]
    assert 3 <= len(document["rubric"]) <= 4
    assert all(isinstance(point, str) and point for point in document["rubric"])


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_questions_vary_by_index_and_avoid_previous_questions(
    fake: FakeLLMHandle, difficulty: str
) -> None:
    asked: list[str] = []
    for index in range(1, 6):
        prompt = question_prompt(difficulty=difficulty, index=index, previous_questions=asked)
        asked.append(ask(fake, "openai", prompt)["question"])
    assert len(set(asked)) == 5

    # Even when the index points at a question already asked, it is not asked again.
    repeat = ask(
        fake, "openai", question_prompt(difficulty=difficulty, previous_questions=asked[:1])
    )
    assert repeat["question"] != asked[0]


def test_difficulty_changes_the_question(fake: FakeLLMHandle) -> None:
    easy = ask(fake, "openai", question_prompt(difficulty="easy"))["question"]
    hard = ask(fake, "openai", question_prompt(difficulty="hard"))["question"]
    assert easy != hard


def test_anthropic_text_blocks_with_fenced_json_are_understood(fake: FakeLLMHandle) -> None:
    blocks = [
        {"type": "text", "text": "Here is the task:"},
        {"type": "text", "text": "```json\n" + json.dumps(question_prompt()) + "\n```"},
    ]
    document = json.loads(reply_text("anthropic", call(fake, "anthropic", blocks)))
    assert "PostgreSQL indexing" in document["question"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_follow_up_only_for_thin_answers(fake: FakeLLMHandle, dialect: str) -> None:
    base = {"task": "follow_up", "question": "What is an index?", "rubric": ["Explains B-trees"]}

    thin = ask(fake, dialect, base | {"answer": "It makes queries faster."})
    full = ask(fake, dialect, base | {"answer": LONG_ANSWER})

    assert isinstance(thin["follow_up"], str)
    assert "?" in thin["follow_up"]
    assert full == {"follow_up": None}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_evaluate_quotes_evidence_verbatim_and_scores_by_length(
    fake: FakeLLMHandle, dialect: str
) -> None:
    answers = {
        1: "",
        2: "Indexes speed up reads.",
        3: "An index is a separate structure that maps values to rows. It avoids scanning the "
        "whole table, which matters once tables grow past memory.",
        4: LONG_ANSWER,
    }
    prompt = {
        "task": "evaluate",
        "role": "backend engineer",
        "topic": "PostgreSQL indexing",
        "difficulty": "medium",
        "answers": [
            {"index": i, "question": f"Q{i}", "rubric": ["a", "b", "c"], "answer": text}
            for i, text in answers.items()
        ],
    }

    result = ask(fake, dialect, prompt)

    by_index = {q["index"]: q for q in result["questions"]}
    assert set(by_index) == set(answers)
    for index, question in by_index.items():
        assert isinstance(question["score"], int)
        assert 1 <= question["score"] <= 5
        assert isinstance(question["rationale"], str)
        assert question["rationale"]
        for quote in question["evidence"]:
            assert quote
            assert len(quote) <= 200
            assert quote in answers[index]
    assert by_index[1]["score"] == 1
    assert by_index[1]["evidence"] == []
    assert by_index[4]["evidence"] == ["I would start with a B-tree index on the lookup column."]
    scores = [by_index[i]["score"] for i in sorted(answers)]
    assert scores[0] < scores[1] < scores[2] < scores[3]  # the answers grow longer
    assert isinstance(result["overall_score"], float)
    assert 1.0 <= result["overall_score"] <= 5.0
    assert result["recommendation"] in RECOMMENDATIONS
    assert all(isinstance(item, str) for item in result["strengths"] + result["concerns"])


@given(st.text(max_size=600))
def test_evidence_is_always_a_verbatim_substring(answer: str) -> None:
    [question] = fake_content.evaluate({"answers": [{"index": 1, "answer": answer}]})["questions"]
    for quote in question["evidence"]:
        assert quote
        assert len(quote) <= fake_evaluation.MAX_QUOTE_CHARS
        assert quote in answer
    if not answer.strip():
        assert question["score"] == 1
        assert question["evidence"] == []


@pytest.mark.parametrize(
    "content", ["Hello, how are you?", json.dumps({"task": "write_poem", "topic": "SQL"})]
)
def test_plain_or_unknown_prompts_get_a_plain_text_reply(fake: FakeLLMHandle, content: str) -> None:
    text = reply_text("openai", call(fake, "openai", content))
    with pytest.raises(ValueError, match="Expecting value"):
        json.loads(text)
    assert fake.status()["by_task"] == {"other": 1}


# --- what a real provider would refuse ------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer", "Basic dXNlcjpwYXNz"])
def test_openai_without_bearer_key_is_401_in_openai_shape(
    fake: FakeLLMHandle, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    response = fake.client.post("/v1/chat/completions", headers=headers, json=body)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "API key" in error["message"]


def test_anthropic_without_api_key_is_401_in_anthropic_shape(fake: FakeLLMHandle) -> None:
    response = call(fake, "anthropic", "hi", key=None)
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "authentication_error"


def test_requests_a_provider_would_reject_are_400(fake: FakeLLMHandle) -> None:
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    no_max_tokens = {"model": "claude", "messages": [{"role": "user", "content": "hi"}]}
    response = fake.client.post("/v1/messages", headers=headers, json=no_max_tokens)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("max_tokens")

    response = fake.client.post(
        "/v1/chat/completions", headers={"Authorization": "Bearer k"}, content=b"{not json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


WORDS_FOR_SCORE = {2: 5, 3: 20, 4: 50, 5: 80}  # answer length -> the fake's score for it


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ((5, 4, 4, 4, 4), "strong_hire"),  # 4.2
        ((4, 4, 3, 3, 3), "hire"),  # 3.4
        ((3, 3, 2, 2, 2), "lean_no"),  # 2.4
        ((3, 2, 2, 2, 2), "no_hire"),  # 2.2
    ],
)
def test_fake_evaluation__recommends_by_the_products_score_bands(
    scores: tuple[int, ...], expected: str
) -> None:
    # The fake model follows the bands the evaluation prompt states and the evaluation check
    # applies; a copy of its own had drifted (4.25/3.5/2.5 against 4.2/3.4/2.4).
    answers = [
        {"index": i, "question": f"Q{i}?", "answer": " ".join(["word"] * WORDS_FOR_SCORE[score])}
        for i, score in enumerate(scores, start=1)
    ]
    result = fake_content.evaluate({"task": "evaluate", "answers": answers})
    assert [q["score"] for q in result["questions"]] == list(scores)
    assert result["recommendation"] == expected == recommendation_for(result["overall_score"])
