"""Invites: CSV rows checked one by one and nothing created unless all are good; each invite
emailed (with the link that opens the interview) by a task that retries and dead-letters; one
reminder per link before it expires, however often beat runs."""

import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.db import connection

from interviews.models import (
    Interview,
    InterviewStatus,
    InviteEmail,
    InviteEmailKind,
    InviteEmailStatus,
    Position,
)
from interviews.services.interviews import interview_reissue_token, interview_start
from interviews.services.invite_emails import invite_reminders_queue
from interviews.services.invites import InvitesRefused, invite_rows_parse, invites_create
from interviews.services.positions import position_create
from interviews.services.tokens import interview_by_invite
from interviews.tasks import send_invite_email
from resilience.dlq.models import DeadLetter
from tests.interviews.evaluation_support import eager_celery


@pytest.fixture
def eager() -> Iterator[None]:
    with eager_celery():
        yield


@pytest.fixture
def invite(django_capture_on_commit_callbacks: Any) -> Any:
    """Invite the rows of a CSV; the emails queued on commit are sent (by eager tasks) when
    the call returns, as they would be after a real commit."""

    def run(position: Position, data: bytes) -> list[Any]:
        with django_capture_on_commit_callbacks(execute=True):
            return invites_create(position=position, rows=invite_rows_parse(data=data))

    return run


def _position() -> Position:
    return position_create(
        title="Data engineer", topics=["sql"], difficulty="medium", question_count=3
    )


def _problems(data: bytes) -> list[str]:
    with pytest.raises(InvitesRefused) as refused:
        invite_rows_parse(data=data)
    return [str(p) for p in refused.value.problems]


def test_csv__header_bom_blank_lines_and_case_are_accepted() -> None:
    data = (
        "\ufeffName,Email\r\nAda Lovelace, ADA@Example.org \r\n\r\n"
        "  Grace   Hopper ,grace@example.org\r\n"
    )
    rows = invite_rows_parse(data=data.encode())
    assert [(r.line, r.name, r.email) for r in rows] == [
        (2, "Ada Lovelace", "ada@example.org"),
        (4, "Grace Hopper", "grace@example.org"),
    ]


def test_csv__every_bad_row_is_reported_with_its_number() -> None:
    data = (
        "name,email\n"
        "Ada,ada@example.org\n"
        "Bob\n"  # one column
        "Cy,cy@example.org,extra\n"  # three
        ",nobody@example.org\n"  # no name
        "Dee,not-an-email\n"
        "Eve\u200b,eve@example.org\n"  # a zero-width space hidden in the name
        "Fay,\n"
        f"{'x' * 201},long@example.org\n"
        "Ada again,ADA@example.org\n"  # same email as row 2
    ).encode()
    assert _problems(data) == [
        "Row 3: expected 2 columns (name, email), got 1.",
        "Row 4: expected 2 columns (name, email), got 3.",
        "Row 5: the name is empty.",
        "Row 6: “not-an-email” is not an email address.",
        "Row 7: the name contains control or invisible characters.",
        "Row 8: no email.",
        "Row 9: the name is longer than 200 characters.",
    ]


def test_csv__malformed_quoting_is_reported_not_raised() -> None:
    problems = _problems(b'name,email\nAda,ada@example.org\n"Bob,bob@example.org\n')
    assert len(problems) == 1
    assert problems[0].startswith("Row 3: not valid CSV")


def test_csv__invalid_utf8_names_the_row_and_says_how_to_fix_it() -> None:
    data = "name,email\nAda,ada@example.org\nJosé,jose@example.org\n".encode("latin-1")
    assert _problems(data) == ["Row 3: not UTF-8 text; save the file as “CSV UTF-8” and try again."]


def test_csv__oversized_and_too_many_rows_are_refused(settings: Any) -> None:
    settings.INVITE_CSV_MAX_BYTES = 1024
    assert _problems(b"a,a@example.org\n" * 100) == ["The file is larger than 1 KiB."]
    settings.INVITE_CSV_MAX_BYTES = 262_144
    settings.INVITE_CSV_MAX_ROWS = 3
    data = "".join(f"C{n},c{n}@example.org\n" for n in range(5)).encode()
    assert _problems(data) == ["More than 3 rows; split the file."]
    assert _problems(b"\n\n") == ["The file has no candidates."]


@pytest.mark.django_db
def test_invites_create__duplicates_in_the_file_or_already_invited_create_nothing(
    eager: None,
) -> None:
    position = _position()
    invites_create(position=position, rows=invite_rows_parse(data=b"Ada,ada@example.org\n"))
    data = b"Bob,bob@example.org\nCy,cy@example.org\nBob 2,BOB@example.org\nAda,Ada@Example.org\n"
    with pytest.raises(InvitesRefused) as refused:
        invites_create(position=position, rows=invite_rows_parse(data=data))
    assert [str(p) for p in refused.value.problems] == [
        "Row 3: bob@example.org is also on row 1.",
        "Row 4: ada@example.org is already invited to this position; reissue that link instead.",
    ]
    assert list(Interview.objects.values_list("candidate_name", flat=True)) == ["Ada"]


@pytest.mark.django_db
def test_invites_create__formula_like_names_are_kept_as_typed(eager: None) -> None:
    # Stored as the candidate wrote them; made harmless where they leave: the CSV export.
    data = b'"=HYPERLINK(""http://x.invalid"",""click"")",eve@example.org\n'
    (created,) = invites_create(position=_position(), rows=invite_rows_parse(data=data))
    assert created.interview.candidate_name == '=HYPERLINK("http://x.invalid","click")'


@pytest.mark.django_db
def test_invite_email__carries_the_link_that_opens_the_interview(eager: None, invite: Any) -> None:
    created = invite(_position(), b"Ada Lovelace,ada@example.org\nGrace,grace@example.org\n")
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.org", "grace@example.org"]
    message = next(m for m in mail.outbox if m.to == ["ada@example.org"])
    assert message.subject == "Your interview for Data engineer"
    assert "Hello Ada Lovelace," in message.body
    assert "3 questions" in message.body
    # A human date ("Friday 11 December 2026, 16:52"), not an ISO timestamp.
    assert re.search(r"expires on \w+day \d{1,2} \w+ \d{4}, \d\d:\d\d \(UTC\)", str(message.body))
    assert "+00:00" not in message.body
    (url,) = re.findall(r"http://\S+/i/(\S+)/", str(message.body))
    assert interview_by_invite(token=url).pk == created[0].interview.pk
    assert set(InviteEmail.objects.values_list("status", flat=True)) == {InviteEmailStatus.SENT}


@pytest.mark.django_db
def test_reissued_link__is_emailed_and_the_old_unsent_email_is_skipped(
    settings: Any,
) -> None:
    # Queued, not sent: the link is replaced before the worker gets to the email.
    (created,) = invites_create(
        position=_position(), rows=invite_rows_parse(data=b"Ada,ada@example.org\n")
    )
    first = InviteEmail.objects.get()
    interview_reissue_token(interview=created.interview)
    assert send_invite_email.apply(kwargs={"email_id": first.pk}).get() == "skipped"
    first.refresh_from_db()
    assert first.error == "The invite link was replaced since this email was queued."


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.django_db
def test_smtp_down__the_send_is_retried_then_failed_in_the_admin_row_and_dead_lettered(
    eager: None, invite: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2
    settings.INVITE_EMAIL_MAX_RETRIES, settings.INVITE_EMAIL_RETRY_BASE_SECONDS = 2, 0
    (created,) = invite(_position(), b"Ada,ada@example.org\n")
    email = InviteEmail.objects.get()
    assert (email.status, email.attempts) == (InviteEmailStatus.FAILED, 3)
    assert email.error.startswith("ConnectionRefusedError")
    letter = DeadLetter.objects.get(task_name="interviews.tasks.send_invite_email")
    assert letter.kwargs == {"email_id": email.pk}  # the link itself is nowhere in the queue
    assert created.token not in str(letter.args) + str(letter.kwargs) + letter.traceback


@pytest.mark.django_db
def test_reminders__one_per_link_before_expiry_and_none_once_started(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    position = _position()
    with eager_celery():
        with django_capture_on_commit_callbacks(execute=True):
            invites_create(position=position, rows=invite_rows_parse(data=b"Cy,cy@example.org\n"))
        settings.INVITE_TTL_HOURS = 5  # these two links expire within INVITE_REMINDER_HOURS
        with django_capture_on_commit_callbacks(execute=True):
            rows = invite_rows_parse(data=b"Ada,ada@example.org\nBob,bob@example.org\n")
            ada, bob = (c.interview for c in invites_create(position=position, rows=rows))
        interview_start(interview_id=bob.pk)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert invite_reminders_queue() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert invite_reminders_queue() == 0  # the next beat run: nothing twice
    (reminder,) = mail.outbox
    assert reminder.to == ["ada@example.org"]
    assert reminder.subject == "Reminder: your interview for Data engineer expires soon"
    (token,) = re.findall(r"http://\S+/i/(\S+)/", str(reminder.body))
    assert interview_by_invite(token=token).pk == ada.pk
    assert InviteEmail.objects.filter(kind=InviteEmailKind.REMINDER).count() == 1
    assert Interview.objects.get(pk=bob.pk).status == InterviewStatus.IN_PROGRESS


@pytest.mark.django_db(transaction=True)
def test_two_uploads_of_one_file_at_once__invite_each_candidate_once(
    postgres_required: None, eager: None
) -> None:
    position = _position()
    data = "".join(f"C{n},c{n}@example.org\n" for n in range(20)).encode()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def upload() -> None:
        try:
            barrier.wait()
            invites_create(position=position, rows=invite_rows_parse(data=data))
            outcomes.append("created")
        except InvitesRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created", "refused"]
    assert Interview.objects.filter(position=position).count() == 20
