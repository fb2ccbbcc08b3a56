"""interviews/rows.py writes and reads what the ORM would, on whichever database runs the suite
(SQLite without DATABASE_URL, PostgreSQL with it): JSON, UUIDs, datetimes, nullable fields."""

import threading
import time
import uuid
from collections.abc import Callable
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


def _versioned(interview_id: int) -> Interview:
    """The interview as the answer path reads it: with its row version where there is one."""
    from interviews.services.answer_tail import tail_locked

    return tail_locked(interview_id, None, with_questions=False).interview


def _elsewhere(work: Callable[[], object]) -> None:
    """`work` in another thread: its own connection, its own committed transaction."""
    from django.db import connections, transaction

    def run() -> None:
        try:
            with transaction.atomic():
                work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("moved", ["nothing", "a column the update does not write", "locked"])
def test_update_with_was__applies_exactly_when_nothing_changed_the_row(moved: str) -> None:
    from django.test.utils import CaptureQueriesContext

    interview_id = make_interview().interview.pk
    was = _versioned(interview_id)
    rows_of = Interview.objects.filter(pk=interview_id)
    if moved == "a column the update does not write":
        # A staff edit in between: the compare-and-set must see it, whatever the column.
        _elsewhere(lambda: rows_of.update(candidate_name="Edited"))
    elif moved == "locked":
        # Another transaction that only locked the row changed nothing.
        _elsewhere(lambda: list(rows_of.select_for_update()))
    mine = Interview.objects.get(pk=interview_id)
    mine.last_seq = was.last_seq + 1
    with CaptureQueriesContext(connection) as queries:
        applied = rows.update(mine, ["last_seq"], was=was)
    assert applied is (moved != "a column the update does not write")
    [sql] = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        # One value compared, the version, not every column; the new one comes back.
        assert "xmin = " in sql
        assert "candidate_name" not in sql
        assert (getattr(mine, rows.VERSION) is not None) is applied
        again = Interview.objects.get(pk=interview_id)
        again.last_seq = mine.last_seq + 1
        assert rows.update(again, ["last_seq"], was=mine) is applied  # chained from it
    else:
        assert "candidate_name" in sql  # SQLite: every column compared


def test_find__the_row_the_orm_finds_by_a_unique_field_or_none() -> None:
    interview = make_interview().interview
    found = rows.find(Interview, "room_id", interview.room_id)
    assert found is not None
    orm = Interview.objects.get(room_id=interview.room_id)
    assert [getattr(found, f.attname) for f in Interview._meta.concrete_fields] == [
        getattr(orm, f.attname) for f in Interview._meta.concrete_fields
    ]
    assert rows.find(Interview, "room_id", "0" * 32) is None
    assert rows.get(Interview, interview.pk).room_id == interview.room_id
    with pytest.raises(Interview.DoesNotExist):
        rows.get(Interview, interview.pk + 1000)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_required")  # SQLite has no row locks
def test_find_with_lock__waits_for_another_transaction_s_lock() -> None:
    # As select_for_update(): a second locker waits until the first commits, then reads the
    # row as that transaction left it.
    from django.db import transaction

    interview_id = make_interview().interview.pk
    locked, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def first() -> None:
        with transaction.atomic():
            rows.get(Interview, interview_id, lock=True)
            Interview.objects.filter(pk=interview_id).update(candidate_name="Changed")
            locked.set()
            release.wait(timeout=10)

    def second() -> None:
        locked.wait(timeout=10)
        with transaction.atomic():
            seen.append(rows.get(Interview, interview_id, lock=True).candidate_name)

    threads = [threading.Thread(target=_closing(first)), threading.Thread(target=_closing(second))]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    assert seen == []  # still waiting on the lock
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert seen == ["Changed"]


def _closing(work: Callable[[], None]) -> Callable[[], None]:
    from django.db import connections

    def run() -> None:
        try:
            work()
        finally:
            connections.close_all()

    return run
