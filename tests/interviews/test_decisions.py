"""A human decision on record: reviewers with the record_decision permission decide (advance,
hold, reject) with a note; going against the evaluation's advice needs a reason; every decision
and every re-run is in the audit trail (who, when, what, previous value) shown on the interview
page; decisions survive a re-run; the AI output is labelled advisory. Hostile input (oversized,
unstorable, concurrent, forged) is refused with a clear error and loses nothing."""

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client

from interviews.models import (
    NOTE_MAX_CHARS,
    AuditEvent,
    Decision,
    Evaluation,
    EvaluationStatus,
    Interview,
)
from interviews.services.decisions import DecisionRefused, decision_record
from interviews.services.evaluation import evaluation_rerun, evaluation_run
from tests.interviews.evaluation_corpus import GENUINE
from tests.interviews.evaluation_support import eager_celery, interview_answering

STRONG = next(s for s in GENUINE if s.kind == "strong")


def _reviewer(name: str = "rita", *, allowed: bool = True) -> User:
    user = User.objects.create_user(name, password="pw-123456", is_staff=True)
    codenames = ["view_interview", "change_interview"]
    if allowed:
        codenames.append("record_decision")
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=user.pk)  # fresh, so the permission cache is empty


def _interview(advice: str = "") -> Interview:
    interview = interview_answering((STRONG.qid, STRONG.text))
    evaluation_run(interview_id=interview.pk)
    if advice:  # what an LLM advised; the heuristic only ever says needs_review
        Evaluation.objects.filter(interview=interview).update(
            recommendation=advice, method="llm:openai", overall_score=Decimal("4.5")
        )
    return interview


def _client(user: User, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_decisions__are_kept_in_order_with_who_when_what_and_the_previous_value() -> None:
    interview, rita, sam = _interview(), _reviewer(), _reviewer("sam")

    first = decision_record(
        interview_id=interview.pk, reviewer=rita, outcome="hold", note="Check references."
    )
    second = decision_record(
        interview_id=interview.pk, reviewer=sam, outcome="advance", note="References fine."
    )

    assert list(interview.decisions.all()) == [second, first]
    newest, oldest = AuditEvent.objects.filter(interview=interview)
    assert (oldest.actor, oldest.action, oldest.previous) == (rita, "decision", None)
    assert (oldest.value["outcome"], oldest.value["note"]) == ("hold", "Check references.")
    assert newest.actor == sam
    assert newest.previous is not None
    assert (newest.value["outcome"], newest.previous["outcome"]) == ("advance", "hold")
    assert newest.previous["reviewer"] == "rita"
    assert newest.at >= oldest.at


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("advice", "outcome"),
    [("hire", "reject"), ("strong_hire", "reject"), ("no_hire", "advance"), ("lean_no", "advance")],
)
def test_decision_against_the_advice__needs_a_reason(advice: str, outcome: str) -> None:
    interview, rita = _interview(advice), _reviewer()

    with pytest.raises(DecisionRefused, match="say why") as refused:
        decision_record(interview_id=interview.pk, reviewer=rita, outcome=outcome, note="No.")
    assert refused.value.field == "reason"
    assert not Decision.objects.exists()

    decision = decision_record(
        interview_id=interview.pk,
        reviewer=rita,
        outcome=outcome,
        note="Decided.",
        reason="The panel saw the live coding.",
    )
    assert (decision.ai_recommendation, decision.reason) == (
        advice,
        "The panel saw the live coding.",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", ["advance", "hold", "reject"])
def test_heuristic_advice__never_needs_a_reason(outcome: str) -> None:
    interview = _interview()  # offline: needs_review
    decision = decision_record(
        interview_id=interview.pk, reviewer=_reviewer(), outcome=outcome, note="ok"
    )
    assert (decision.ai_recommendation, decision.reason) == ("needs_review", "")


@pytest.mark.django_db
def test_without_the_permission__the_page_and_the_service_refuse() -> None:
    interview, staff = _interview(), _reviewer("viewer", allowed=False)
    client = _client(staff)
    url = f"/admin/interviews/interview/{interview.pk}/decision/"

    page, post = client.get(url), client.post(url, {"outcome": "advance", "note": "x"})
    change = client.get(f"/admin/interviews/interview/{interview.pk}/change/")

    assert (page.status_code, post.status_code) == (403, 403)
    assert "Record decision" not in change.content.decode()
    with pytest.raises(DecisionRefused, match="permission"):
        decision_record(interview_id=interview.pk, reviewer=staff, outcome="hold", note="x")
    assert not Decision.objects.exists()


@pytest.mark.django_db
def test_admin_form__records_with_csrf_and_shows_the_trail_and_advisory_labels() -> None:
    interview, rita = _interview("hire"), _reviewer()
    client = _client(rita, csrf=True)
    url = f"/admin/interviews/interview/{interview.pk}/decision/"

    forged = client.post(url, {"outcome": "hold", "note": "x"})
    form = client.get(url)
    token = form.context["csrf_token"]
    recorded = client.post(url, {"outcome": "hold", "note": "Wait.", "csrfmiddlewaretoken": token})
    change = client.get(f"/admin/interviews/interview/{interview.pk}/change/").content.decode()

    assert forged.status_code == 403, "no CSRF token, no decision"
    assert "Advisory" in form.content.decode()
    assert recorded.status_code == 302
    assert "Decision: Hold" in change
    assert "rita" in change
    assert "Advisory" in change
    assert "evaluation (advisory)" in change.lower()
    assert list(Decision.objects.values_list("outcome", flat=True)) == ["hold"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"note": "x" * (NOTE_MAX_CHARS + 1)}, "at most 4000 characters"),
        ({"note": "   "}, "This field is required"),
        ({"note": "bad\x00byte"}, "Null characters are not allowed"),
        ({"outcome": "promote"}, "Select a valid choice"),
        ({"outcome": "reject", "note": "Against the advice, no reason."}, "say why"),
    ],
)
def test_admin_form__bad_input_gets_a_clear_error_and_keeps_what_was_typed(
    fields: dict[str, str], error: str
) -> None:
    interview = _interview("hire")
    client = _client(_reviewer())
    data = {"outcome": "hold", "note": "fine", "reason": "", **fields}

    response = client.post(f"/admin/interviews/interview/{interview.pk}/decision/", data)

    body = response.content.decode()
    assert response.status_code == 200
    assert error in body
    kept = data["note"].split("\x00")[0][:50].strip()
    assert kept in body, "what the reviewer typed is given back, not lost"
    assert not Decision.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("note", "reason", "field"),
    [
        ("half an emoji \ud83d here", "", "note"),
        ("fine", "lone \udfff surrogate", "reason"),
        ("nul \x00 inside", "", "note"),
        ("y" * (NOTE_MAX_CHARS + 1), "", "note"),
    ],
)
def test_service__refuses_unstorable_or_oversized_text_by_field(
    note: str, reason: str, field: str
) -> None:
    interview = _interview()
    with pytest.raises(DecisionRefused) as refused:
        decision_record(
            interview_id=interview.pk,
            reviewer=_reviewer(),
            outcome="hold",
            note=note,
            reason=reason,
        )
    assert refused.value.field == field
    assert not Decision.objects.exists()


@pytest.mark.django_db
def test_decisions__survive_a_rerun_which_is_in_the_trail_with_the_result_it_replaced(
    django_capture_on_commit_callbacks: Any,
) -> None:
    interview, rita = _interview(), _reviewer()
    before = Evaluation.objects.get(interview=interview)
    decision = decision_record(
        interview_id=interview.pk, reviewer=rita, outcome="advance", note="Strong."
    )

    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        evaluation_rerun(interview=interview, actor=rita)

    assert Evaluation.objects.get(interview=interview).status == EvaluationStatus.DONE
    assert list(interview.decisions.all()) == [decision]
    rerun = AuditEvent.objects.filter(interview=interview, action="evaluation_rerun").get()
    assert rerun.actor == rita
    assert rerun.previous == {
        "status": "done",
        "overall_score": str(before.overall_score),
        "recommendation": "needs_review",
        "method": "offline-heuristic",
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions__both_land_one_after_the_other_in_the_trail(
    postgres_required: None,
) -> None:
    interview = _interview()
    reviewers = [_reviewer("rita"), _reviewer("sam")]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def decide(user: User, outcome: str) -> None:
        try:
            start.wait(5)
            decision_record(interview_id=interview.pk, reviewer=user, outcome=outcome, note=outcome)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(user, outcome))
        for user, outcome in zip(reviewers, ["advance", "reject"], strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert errors == []
    newest, oldest = AuditEvent.objects.filter(interview=interview).order_by("-id")
    assert oldest.previous is None
    assert newest.previous is not None
    assert newest.previous["outcome"] == oldest.value["outcome"], "serialised: one saw the other"
    assert interview.decisions.count() == 2


@pytest.mark.django_db
def test_decision_and_audit_lists__are_read_only_for_everyone(admin_client: Client) -> None:
    interview = _interview()
    decision_record(interview_id=interview.pk, reviewer=_reviewer(), outcome="hold", note="Wait.")
    event = AuditEvent.objects.get()

    listing = admin_client.get("/admin/interviews/auditevent/")
    delete = admin_client.post(f"/admin/interviews/auditevent/{event.pk}/delete/", {"post": "yes"})
    add = admin_client.get("/admin/interviews/decision/add/")

    assert listing.status_code == 200
    assert "Decision recorded" in listing.content.decode()
    assert (delete.status_code, add.status_code) == (403, 403)
    assert AuditEvent.objects.count() == 1
