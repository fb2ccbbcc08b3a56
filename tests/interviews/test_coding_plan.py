"""A plan mixing discussion and coding questions: the coding ones come last, carry what the
editor needs (never the hidden tests or the solution), take code rather than text, and get no
follow-up; a position cannot ask for more coding questions than questions."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from interviews.coding.plan import coding_slot
from interviews.models import Interview, TurnKind
from interviews.selectors import turn_event
from interviews.services.interviews import (
    AnswerRejected,
    interview_advance,
    interview_answer_submit,
    interview_start,
)
from interviews.services.positions import position_create
from tests.factories import STRONG_ANSWER, make_interview

pytestmark = pytest.mark.django_db


def _at_coding_question(**overrides: object) -> Interview:
    """An interview of two questions, the second a coding one, waiting on that one."""
    fields: dict[str, object] = {"question_count": 2, "coding_count": 1}
    fields.update(overrides)
    interview = make_interview(**fields).interview
    interview_start(interview_id=interview.pk)
    interview_advance(interview_id=interview.pk)
    for _ in range(2):  # the discussion question and its follow-up, if one is asked
        interview_answer_submit(
            interview_id=interview.pk, text=STRONG_ANSWER, client_msg_id=uuid.uuid4()
        )
        interview_advance(interview_id=interview.pk)
        if interview.turns.filter(question_index=2).exists():
            break
    return Interview.objects.get(pk=interview.pk)


def test_coding_slot__the_last_questions_of_the_plan() -> None:
    slots = [coding_slot(index=i, question_count=5, coding_count=2) for i in range(0, 7)]
    assert slots == [False, False, False, False, True, True, False]
    assert not any(coding_slot(index=i, question_count=3, coding_count=0) for i in range(1, 4))


def test_mixed_plan__discussion_first_then_a_coding_question_with_its_editor_data() -> None:
    interview = _at_coding_question(coding_language="javascript")
    first, coding = interview.turns.filter(kind=TurnKind.QUESTION).order_by("seq")
    assert "coding" not in first.meta
    assert "coding" not in turn_event(first, total=2)
    assert coding.question_index == 2
    stored = coding.meta["coding"]
    assert stored["language"] == "javascript"
    assert stored["solution"]
    assert stored["hidden"]
    event = turn_event(coding, total=2)
    view = event["coding"]
    assert view["language"] == "javascript"
    assert view["starter"] == stored["starter"]
    assert view["hidden_count"] == len(stored["hidden"])
    assert "solution" not in view
    assert "hidden" not in view
    assert stored["solution"] not in repr(event)


def test_coding_question__refuses_a_text_answer_and_a_discussion_question_refuses_code() -> None:
    interview = _at_coding_question()
    with pytest.raises(AnswerRejected) as text_refused:
        interview_answer_submit(
            interview_id=interview.pk, text="I would use a loop.", client_msg_id=uuid.uuid4()
        )
    assert text_refused.value.code == "code_expected"
    other = make_interview().interview
    interview_start(interview_id=other.pk)
    interview_advance(interview_id=other.pk)
    with pytest.raises(AnswerRejected) as code_refused:
        interview_answer_submit(
            interview_id=other.pk, text="def f(): pass", client_msg_id=uuid.uuid4(), code=True
        )
    assert code_refused.value.code == "not_a_coding_question"
    assert not interview.turns.filter(kind=TurnKind.ANSWER, question_index=2).exists()


def test_code_answer__gets_no_follow_up_and_the_interview_completes() -> None:
    interview = _at_coding_question()
    interview_answer_submit(
        interview_id=interview.pk, text="def f():\n    return 1\n", client_msg_id=uuid.uuid4(),
        code=True,
    )  # fmt: skip
    interview_advance(interview_id=interview.pk)
    interview.refresh_from_db()
    assert interview.status == "completed"
    assert not interview.turns.filter(kind=TurnKind.FOLLOW_UP, question_index=2).exists()


def test_position__refuses_more_coding_questions_than_questions() -> None:
    with pytest.raises(ValidationError) as exc:
        position_create(
            title="Dev", topics=["python"], difficulty="easy", question_count=2, coding_count=3
        )
    assert "coding_count" in exc.value.message_dict


def test_every_question_coding__asks_distinct_bank_questions() -> None:
    interview = make_interview(question_count=3, coding_count=3).interview
    interview_start(interview_id=interview.pk)
    interview_advance(interview_id=interview.pk)
    for _ in range(2):
        interview_answer_submit(
            interview_id=interview.pk, text="pass\n", client_msg_id=uuid.uuid4(), code=True
        )
        interview_advance(interview_id=interview.pk)
    keys = [t.meta["coding"]["key"] for t in interview.turns.filter(kind=TurnKind.QUESTION)]
    assert len(keys) == 3 == len(set(keys))


def test_position_form__sets_coding_questions_and_refuses_more_than_questions() -> None:
    from interviews.forms import PositionForm

    data = {
        "title": "Backend engineer",
        "description": "",
        "bank_topics": ["python"],
        "other_topics": "",
        "difficulty": "medium",
        "language": "en",
        "question_count": 3,
        "coding_count": 1,
        "coding_language": "javascript",
    }
    form = PositionForm(data=data)
    assert form.is_valid(), form.errors
    position = form.save()
    assert (position.coding_count, position.coding_language) == (1, "javascript")

    too_many = PositionForm(data={**data, "title": "Other", "coding_count": 4})
    assert not too_many.is_valid()
    assert too_many.errors["coding_count"] == [
        "There cannot be more coding questions than questions."
    ]
    bad_language = PositionForm(data={**data, "title": "Third", "coding_language": "cobol"})
    assert "coding_language" in bad_language.errors
