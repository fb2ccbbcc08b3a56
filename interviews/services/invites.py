"""Inviting candidates to a position: one, or many from a CSV, all or nothing.

Reading a CSV (`invite_rows_parse`) and creating the interviews (`invites_create`) both report
problems row by row and create nothing unless every row is good: staff fix the file and send
it again, with no half-invited batch to untangle. Emails go out after commit, by a task
(interviews.tasks.send_invite_email) that retries and ends in the dead-letter queue.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from interviews.models import (
    Interview,
    InviteEmail,
    InviteEmailKind,
    Position,
)
from interviews.services.effects import enqueue_on_commit
from interviews.services.interviews import CreatedInterview, interview_create

NAME_MAX_CHARS = 200
HEADER = ("name", "email")


@dataclass(frozen=True)
class InviteRow:
    line: int  # the row's number in the file (1 = the first line), for error messages
    name: str
    email: str


@dataclass(frozen=True)
class RowProblem:
    line: int  # 0 = the file as a whole
    message: str

    def __str__(self) -> str:
        return f"Row {self.line}: {self.message}" if self.line else self.message


class InvitesRefused(Exception):
    """Nothing was created; `problems` says why, row by row."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def _decode(data: bytes) -> str:
    if len(data) > settings.INVITE_CSV_MAX_BYTES:
        limit = settings.INVITE_CSV_MAX_BYTES // 1024
        raise InvitesRefused([RowProblem(0, f"The file is larger than {limit} KiB.")])
    try:
        # utf-8-sig: a spreadsheet's "CSV UTF-8" export starts with a byte-order mark.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvitesRefused(
            [RowProblem(line, "not UTF-8 text; save the file as “CSV UTF-8” and try again.")]
        ) from exc


def _name_problem(name: str) -> str | None:
    if not name:
        return "the name is empty."
    if len(name) > NAME_MAX_CHARS:
        return f"the name is longer than {NAME_MAX_CHARS} characters."
    # Control and unassigned characters (Cc, Cf, Cs, Co, Cn) are no part of a name.
    if any(unicodedata.category(c).startswith("C") for c in name):
        return "the name contains control or invisible characters."
    return None


def invite_row_check(
    *, line: int, name: str, email: str, email_required: bool = True
) -> tuple[InviteRow | None, str | None]:
    """One candidate's name and email, normalised, or what is wrong with them. Without an email
    (allowed for a single invite) the link is only shown, to be passed on by hand."""
    name, email = " ".join(name.split()), email.strip()
    problem = _name_problem(name)
    if problem is None and (email or email_required):
        try:
            validate_email(email)
        except ValidationError:
            problem = f"“{email[:80]}” is not an email address." if email else "no email."
    if problem is not None:
        return None, problem
    return InviteRow(line=line, name=name, email=email.lower()), None


def invite_rows_parse(*, data: bytes) -> list[InviteRow]:
    """Rows of `name,email` (a header row is optional); every problem, row by row."""
    text = _decode(data)
    rows: list[InviteRow] = []
    problems: list[RowProblem] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # blank lines, as spreadsheets leave at the end
            if line == 1 and tuple(c.strip().lower() for c in record) == HEADER:
                continue
            if len(record) != len(HEADER):
                problems.append(
                    RowProblem(line, f"expected 2 columns (name, email), got {len(record)}.")
                )
                continue
            row, problem = invite_row_check(line=line, name=record[0], email=record[1])
            if problem:
                problems.append(RowProblem(line, problem))
            elif row:
                rows.append(row)
            if len(rows) + len(problems) > settings.INVITE_CSV_MAX_ROWS:
                raise InvitesRefused(
                    [
                        RowProblem(
                            0, f"More than {settings.INVITE_CSV_MAX_ROWS} rows; split the file."
                        )
                    ]
                )
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num, f"not valid CSV ({exc})."))
    if not rows and not problems:
        problems.append(RowProblem(0, "The file has no candidates."))
    if problems:
        raise InvitesRefused(problems)
    return rows


def _duplicates(position: Position, rows: list[InviteRow]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    first_line: dict[str, int] = {}
    for row in rows:
        if row.email in first_line:
            problems.append(
                RowProblem(row.line, f"{row.email} is also on row {first_line[row.email]}.")
            )
        else:
            first_line[row.email] = row.line
    taken = {
        email.lower(): pk
        for pk, email in Interview.objects.filter(position=position)
        .exclude(candidate_email="")
        .values_list("pk", "candidate_email")
        if email.lower() in first_line
    }
    for email, line in first_line.items():
        if email in taken:
            problems.append(
                RowProblem(
                    line, f"{email} is already invited to this position; reissue that link instead."
                )
            )
    return sorted(problems, key=lambda p: p.line)


def invites_create(
    *, position: Position, rows: list[InviteRow], created_by_id: int | None = None
) -> list[CreatedInterview]:
    """One interview per row, each emailed after commit; all of them or none."""
    with transaction.atomic():
        # Two uploads for one position (a double click, two tabs) take turns here, so the
        # second sees the first one's candidates as already invited.
        position = Position.objects.select_for_update().get(pk=position.pk)
        problems = _duplicates(position, rows)
        if problems:
            raise InvitesRefused(problems)
        created = [
            interview_create(
                candidate_name=row.name,
                candidate_email=row.email,
                position=position,
                created_by_id=created_by_id,
            )
            for row in rows
        ]
        for item in created:
            invite_email_queue(interview=item.interview, kind=InviteEmailKind.INVITE)
    return created


def invite_email_queue(*, interview: Interview, kind: str) -> InviteEmail | None:
    """Queue one email about the interview's current link; None when there is nobody to write
    to or this email was already queued for this link."""
    if not interview.candidate_email:
        return None
    email, made = InviteEmail.objects.get_or_create(
        interview=interview,
        kind=kind,
        for_expiry=interview.token_expires_at,
        defaults={"to": interview.candidate_email},
    )
    if not made:
        return None
    from interviews.tasks import send_invite_email  # tasks import services, not the reverse

    enqueue_on_commit(send_invite_email, email_id=email.pk)
    return email
