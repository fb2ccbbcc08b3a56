"""interviews/rows.py writes and reads what the ORM would, on whichever database runs the suite
(SQLite without DATABASE_URL, PostgreSQL with it): JSON, UUIDs, datetimes, nullable fields."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from interviews import rows
from interviews.models import Interview, Turn, TurnKind, TurnRole
from tests.factories import make_interview

pytestmark = pytest.mark.django_db

META = {"rubric": ["naïve — “quoted”", "🙂"], "nested": {"n": 1, "none": None}, "ok": True}


def _read(model: type[Turn] | type[Interview], pk: int) -> list[object]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {rows.columns(model, 't')} FROM {rows.table(model)} t WHERE t.id = %s", [pk]
        )
        return list(cursor.fetchone())


def test_insert_then_from_row__the_same_values_as_the_orm_reads() -> None:
    interview = make_interview().interview
    msg_id = uuid.uuid4()
    turns = [
        Turn(interview=interview, seq=1, role=TurnRole.INTERVIEWER, kind=TurnKind.QUESTION,
             question_index=1, text="Q\u00e9?", source="offline", provider="offline", meta=META),
        Turn(interview=interview, seq=2, role=TurnRole.CANDIDATE, kind=TurnKind.ANSWER,
             question_index=1, text="A 🙂", client_msg_id=msg_id),
    ]  # fmt: skip
    rows.insert(turns)
    assert all(t.pk is not None and not t._state.adding for t in turns)
    for turn in turns:
        read = rows.from_row(Turn, _read(Turn, turn.pk))
        orm = Turn.objects.get(pk=turn.pk)
        fields = [f.attname for f in Turn._meta.concrete_fields]
        assert [getattr(read, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert Turn.objects.get(seq=2, interview=interview).client_msg_id == msg_id
    assert Turn.objects.get(seq=1, interview=interview).meta == META


def test_update__writes_only_the_named_fields() -> None:
    interview = make_interview().interview
    stale = Interview.objects.get(pk=interview.pk)
    when = timezone.now() - timedelta(minutes=5)
    interview.last_seq, interview.last_activity_at = 7, when
    interview.candidate_name = "not saved"
    rows.update(interview, ["last_seq", "last_activity_at"])
    stored = Interview.objects.get(pk=interview.pk)
    assert (stored.last_seq, stored.last_activity_at) == (7, when)
    assert stored.candidate_name == stale.candidate_name
    read = rows.from_row(Interview, _read(Interview, interview.pk))
    assert (read.last_seq, read.last_activity_at, read.token_expires_at) == (
        7,
        when,
        stored.token_expires_at,
    )
