"""What an answer needs to know, read under the interview's row lock in one statement.

The interview (with its position, which a grounded question reads), the transcript's last two
turns, an earlier answer with the same client_msg_id, and for a reply stored with the answer
every question asked so far: one SELECT ... FOR UPDATE, whatever another process did to the
interview before (interviews/rows.py says why this statement is SQL).

A lock that had to wait: PostgreSQL then re-checks the locked interview row at its newest
version, but the turns joined to it come from the statement's snapshot, taken before the other
transaction committed. Turns are only appended with `last_seq` moved on under this lock, so
the turns are stale exactly when the turn numbered `last_seq` is not among them: they are then
read again, which now sees everything committed before the lock was granted.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection

from interviews import rows
from interviews.models import Interview, Position, Turn, TurnKind
from interviews.selectors import Recent


@dataclass(frozen=True)
class Tail:
    interview: Interview
    recent: Recent
    asked: tuple[str, ...]  # every question asked so far (the interviewer avoids repeats)
    existing: Turn | None  # an earlier answer with the same client_msg_id (given one)


def _wanted(last_seq: str, with_questions: bool) -> str:
    """The turns an answer reads, given the SQL for the interview's last seq."""
    wanted = f"t.client_msg_id = %s OR t.seq >= {last_seq} - 1"
    return f"{wanted} OR t.kind = %s" if with_questions else wanted


def _lock() -> str:
    if not connection.features.has_select_for_update:
        return ""  # SQLite: a write transaction is already the only one
    return " FOR UPDATE OF i" if connection.features.has_select_for_update_of else " FOR UPDATE"


def _params(client_msg_id: uuid.UUID | None, with_questions: bool) -> list[Any]:
    field = Turn._meta.get_field("client_msg_id")
    msg_id = field.get_db_prep_value(client_msg_id, connection)
    return [msg_id, TurnKind.QUESTION.value] if with_questions else [msg_id]


def tail_locked(
    interview_id: int, client_msg_id: uuid.UUID | None, *, with_questions: bool
) -> Tail:
    """Lock the interview and read what an answer needs (see the module's docstring).
    Interview.DoesNotExist when there is no such interview."""
    i, p, t = rows.width(Interview), rows.width(Position), rows.width(Turn)
    version = rows.version_column("i")  # for the next answer's compare-and-set (`known`)
    # Every name comes from the models' metadata, every value is a parameter.
    sql = (
        f"SELECT {rows.columns(Interview, 'i')}, {rows.columns(Position, 'p')}, "  # noqa: S608
        f"{rows.columns(Turn, 't')}{f', {version}' if version else ''} "
        f"FROM {rows.table(Interview)} i "
        f"LEFT JOIN {rows.table(Position)} p ON p.id = i.position_id "
        f"LEFT JOIN {rows.table(Turn)} t ON t.interview_id = i.id "
        f"AND ({_wanted('i.last_seq', with_questions)}) "
        f"WHERE i.id = %s ORDER BY t.seq{_lock()}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*_params(client_msg_id, with_questions), interview_id])
        found = cursor.fetchall()
    if not found:
        raise Interview.DoesNotExist(f"Interview {interview_id} does not exist.")
    interview = rows.from_row(Interview, found[0][:i])
    if version:
        rows.version_set(interview, found[0][-1])
    if found[0][i] is not None:
        interview.position = rows.from_row(Position, found[0][i : i + p])
    turns = [rows.from_row(Turn, row[i + p : i + p + t]) for row in found if row[i + p] is not None]
    if interview.last_seq and all(turn.seq != interview.last_seq for turn in turns):
        turns = _turns_again(interview, client_msg_id, with_questions)
    for turn in turns:
        turn.interview = interview
    by_seq = {turn.seq: turn for turn in turns}
    last_seq = interview.last_seq
    return Tail(
        interview=interview,
        recent=Recent(last=by_seq.get(last_seq), before=by_seq.get(last_seq - 1)),
        asked=tuple(turn.text for turn in turns if turn.kind == TurnKind.QUESTION),
        existing=next(
            (t for t in turns if client_msg_id is not None and t.client_msg_id == client_msg_id),
            None,
        ),
    )


def _turns_again(
    interview: Interview, client_msg_id: uuid.UUID | None, with_questions: bool
) -> list[Turn]:
    """The turns tail_locked wants, read after the lock was granted (a new snapshot)."""
    sql = (
        f"SELECT {rows.columns(Turn, 't')} FROM {rows.table(Turn)} t "  # noqa: S608
        f"WHERE t.interview_id = %s AND ({_wanted('%s', with_questions)}) ORDER BY t.seq"
    )
    params = _params(client_msg_id, with_questions)
    with connection.cursor() as cursor:
        cursor.execute(sql, [interview.pk, params[0], interview.last_seq, *params[1:]])
        return [rows.from_row(Turn, row) for row in cursor.fetchall()]
