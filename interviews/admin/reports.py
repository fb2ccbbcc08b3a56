"""The evaluation report as staff read it, and the re-run both admin pages offer."""

from collections.abc import Iterable

from django.contrib import messages
from django.http import HttpRequest
from django.template.loader import render_to_string

from interviews.models import Evaluation, EvaluationStatus, Interview
from interviews.selectors import interview_ending, interview_question_labels
from interviews.selectors_code import interview_coding_answers
from interviews.services.answer_flags import FLAG_LABELS
from interviews.services.evaluation import EvaluationRerunRefused, evaluation_rerun


def render_report(evaluation: Evaluation) -> str:
    """The evaluation as staff read it; no score is shown unless the evaluation is done."""
    done = evaluation.status == EvaluationStatus.DONE
    report = evaluation.report if done else {}
    # Who wrote each question, read from its turns: the report itself does not say.
    labels = interview_question_labels(interview=evaluation.interview) if done else {}
    # Coding questions: every run and submit, with the code and each test's result.
    coding = (
        interview_coding_answers(interview=evaluation.interview)
        if done and report.get("coding_questions")
        else {}
    )
    questions = [
        {
            **q,
            "labels": labels.get(q.get("index", 0), []),
            "submissions": coding[q["index"]].submissions if q.get("index") in coding else (),
            # Reports stored before schema 2 keep bare quotes and bare flag codes.
            "evidence": [e if isinstance(e, dict) else {"text": e} for e in q.get("evidence", [])],
            "flag_reasons": q.get("flag_reasons")
            or [{"flag": f, "label": FLAG_LABELS.get(f, f)} for f in q.get("flags", [])],
        }
        for q in report.get("questions", [])
    ]
    context = {
        "evaluation": evaluation,
        # How the interview ended (time up, and how many questions were answered).
        "ending": interview_ending(interview=evaluation.interview),
        "done": done,
        "report": report,
        "questions": questions,
        "confidence_pct": round((evaluation.confidence or 0) * 100),
    }
    return render_to_string("admin/interviews/evaluation_report.html", context)


def rerun_evaluations(request: HttpRequest, interviews: Iterable[Interview]) -> None:
    """Re-run each interview's evaluation through the service; one message per outcome."""
    started, refused = 0, []
    for interview in interviews:
        try:
            evaluation_rerun(interview=interview, actor=request.user)
        except EvaluationRerunRefused as exc:
            refused.append(f"{interview}: {exc}")
        else:
            started += 1
    if started:
        messages.success(request, f"Re-running {started} evaluation(s); refresh in a minute.")
    for why in refused:
        messages.warning(request, f"Not re-run — {why}")
