import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from interviews.models import Evaluation, Interview, InterviewStatus, TurnKind
from interviews.services.interviews import (
    AnswerRejected,
    interview_advance,
    interview_answer_submit,
    interview_reissue_token,
    interview_revoke_token,
    interview_start,
)
from interviews.services.tokens import (
    InviteProblem,
    InviteRejected,
    interview_authenticate,
    interview_by_invite,
    token_hash,
)
from tests.factories import STRONG_ANSWER, make_interview, run_to_completion

pytestmark = pytest.mark.django_db


def _started(**overrides: object) -> Interview:
    interview = make_interview(**overrides).interview
    interview_start(interview_id=interview.pk)
    interview_advance(interview_id=interview.pk)
    return Interview.objects.get(pk=interview.pk)


def _answer(interview: Interview, text: str = STRONG_ANSWER) -> None:
    interview_answer_submit(interview_id=interview.pk, text=text, client_msg_id=uuid.uuid4())
    interview_advance(interview_id=interview.pk)


def test_start_and_advance__asks_question_one_with_seq_one() -> None:
    interview = _started()
    turns = list(interview.turns.all())
    assert [(t.seq, t.kind, t.question_index) for t in turns] == [(1, TurnKind.QUESTION, 1)]
    assert interview.status == InterviewStatus.IN_PROGRESS
    assert turns[0].source == "offline"
    assert turns[0].meta["rubric"], "the rubric is stored with the question"


def test_advance_twice__appends_one_turn_only() -> None:
    interview = _started()
    assert interview_advance(interview_id=interview.pk) == []
    assert interview.turns.count() == 1


def test_answers__get_strictly_increasing_seq_without_gaps() -> None:
    interview = _started(question_count=3)
    for _ in range(3):
        _answer(interview)
    seqs = list(interview.turns.values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert Interview.objects.get(pk=interview.pk).last_seq == seqs[-1]


def test_duplicate_client_msg_id__stored_once_and_acknowledged_with_same_seq() -> None:
    interview = _started()
    msg_id = uuid.uuid4()
    first = interview_answer_submit(interview_id=interview.pk, text="One", client_msg_id=msg_id)
    again = interview_answer_submit(interview_id=interview.pk, text="One", client_msg_id=msg_id)
    assert not first.duplicate
    assert again.duplicate
    assert again.answer.seq == first.answer.seq
    assert interview.turns.filter(kind=TurnKind.ANSWER).count() == 1


def test_thin_answer__gets_exactly_one_follow_up_then_the_next_question() -> None:
    interview = _started(question_count=2)
    _answer(interview, "Not sure.")
    last = interview.turns.order_by("-seq").first()
    assert last is not None
    assert (last.kind, last.question_index) == (TurnKind.FOLLOW_UP, 1)
    _answer(interview, "Still not sure.")
    last = interview.turns.order_by("-seq").first()
    assert last is not None
    assert (last.kind, last.question_index) == (TurnKind.QUESTION, 2)


def test_last_answer__completes_and_requests_one_evaluation(
    django_capture_on_commit_callbacks,
) -> None:
    created = make_interview(question_count=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        interview = run_to_completion(created.interview.pk)
    assert interview.status == InterviewStatus.COMPLETED
    assert interview.completed_at is not None
    last = interview.turns.order_by("-seq").first()
    assert last is not None
    assert last.meta == {"event": "completed", "reason": "all_answered"}
    assert Evaluation.objects.filter(interview=interview, status="pending").count() == 1
    assert len(callbacks) >= 1, "the evaluation task is enqueued on commit"


def test_answer_after_completion__is_rejected_and_not_stored() -> None:
    interview = run_to_completion(make_interview(question_count=1).interview.pk)
    count = interview.turns.count()
    with pytest.raises(AnswerRejected) as exc:
        interview_answer_submit(interview_id=interview.pk, text="late", client_msg_id=uuid.uuid4())
    assert exc.value.code == "interview_finished"
    assert interview.turns.count() == count


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("   ", "empty_answer"),
        ("x" * 8001, "answer_too_long"),
        ("half an emoji \ud83d", "invalid_text"),
        ("a\x00b", "invalid_text"),
    ],
)
def test_invalid_answer__is_rejected_with_a_code_and_nothing_stored(text: str, code: str) -> None:
    interview = _started()
    with pytest.raises(AnswerRejected) as exc:
        interview_answer_submit(interview_id=interview.pk, text=text, client_msg_id=uuid.uuid4())
    assert exc.value.code == code
    assert interview.turns.count() == 1


def test_answer_before_any_question__is_rejected_as_retryable() -> None:
    interview = make_interview().interview
    with pytest.raises(AnswerRejected) as exc:
        interview_answer_submit(interview_id=interview.pk, text="hi", client_msg_id=uuid.uuid4())
    assert exc.value.code == "no_question_pending"
    assert exc.value.retryable


def test_time_limit_and_grace_passed__advance_completes_with_time_up() -> None:
    interview = _started(time_limit_seconds=60)
    Interview.objects.filter(pk=interview.pk).update(
        started_at=timezone.now() - timedelta(seconds=61 + settings.INTERVIEW_TIME_GRACE_SECONDS)
    )
    (turn,) = interview_advance(interview_id=interview.pk)
    assert turn.meta["reason"] == "time_up"
    assert Interview.objects.get(pk=interview.pk).status == InterviewStatus.COMPLETED


def test_token__is_stored_only_as_its_hash() -> None:
    created = make_interview()
    row = Interview.objects.filter(pk=created.interview.pk).values().get()
    assert created.token not in {str(v) for v in row.values()}
    assert row["token_hash"] == token_hash(created.token)


def test_authenticate__accepts_the_right_token_only() -> None:
    created = make_interview()
    room = created.interview.room_id
    assert interview_authenticate(room_id=room, token=created.token).pk == created.interview.pk
    with pytest.raises(InviteRejected) as exc:
        interview_authenticate(room_id=room, token=created.token + "x")
    assert exc.value.problem is InviteProblem.BAD_TOKEN
    with pytest.raises(InviteRejected) as exc:
        interview_authenticate(room_id="0" * 16, token=created.token)
    assert exc.value.problem is InviteProblem.UNKNOWN_INTERVIEW


def test_expired_revoked_and_reissued_tokens() -> None:
    created = make_interview()
    interview = created.interview
    Interview.objects.filter(pk=interview.pk).update(token_expires_at=timezone.now())
    with pytest.raises(InviteRejected) as exc:
        interview_by_invite(token=created.token)
    assert exc.value.problem is InviteProblem.EXPIRED_TOKEN

    interview.refresh_from_db()
    fresh = interview_reissue_token(interview=interview)
    assert interview_by_invite(token=fresh.token).pk == interview.pk
    with pytest.raises(InviteRejected):
        interview_by_invite(token=created.token)  # the old link no longer opens it

    interview_revoke_token(interview=interview)
    with pytest.raises(InviteRejected) as exc:
        interview_by_invite(token=fresh.token)
    assert exc.value.problem is InviteProblem.REVOKED_TOKEN


def test_finished_interview__cannot_be_opened() -> None:
    created = make_interview()
    Interview.objects.filter(pk=created.interview.pk).update(status=InterviewStatus.COMPLETED)
    with pytest.raises(InviteRejected) as exc:
        interview_authenticate(room_id=created.interview.room_id, token=created.token)
    assert exc.value.problem is InviteProblem.FINISHED
    assert exc.value.problem.close_code == 4410
