"""Positions: an interview inherits its position's plan; the command line takes --position and
its older flags find or make a position; free-text topics come with a warning; migration 0009
links existing interviews to positions and reverses without loss."""

import json
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from interviews.models import Interview, Position
from interviews.services.interviews import interview_create
from interviews.services.positions import position_create, position_topic_notes


def _position(**overrides: object) -> Position:
    fields: dict[str, object] = {
        "title": "Backend engineer",
        "description": "Builds the payments API in Python and PostgreSQL.",
        "topics": ["python", "sql"],
        "difficulty": "hard",
        "language": "en",
        "question_count": 4,
        "time_limit_seconds": 1800,
    }
    fields.update(overrides)
    return position_create(**fields)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_interview_for_a_position__inherits_its_plan() -> None:
    position = _position()
    interview = interview_create(candidate_name=" Grace ", position=position).interview
    interview.refresh_from_db()
    assert interview.position_id == position.pk
    assert (
        interview.candidate_name,
        interview.role,
        interview.topic,
        interview.difficulty,
        interview.question_count,
        interview.time_limit_seconds,
    ) == ("Grace", "Backend engineer", "python, sql", "hard", 4, 1800)


@pytest.mark.django_db
def test_position_create__refuses_no_topic_and_a_count_out_of_range() -> None:
    with pytest.raises(ValidationError) as no_topic:
        _position(topics=["  ", ""])
    assert "topics" in no_topic.value.message_dict
    with pytest.raises(ValidationError) as too_many:
        _position(question_count=51)
    assert "question_count" in too_many.value.message_dict
    assert Position.objects.count() == 0


def test_topic_notes__a_bank_topic_needs_none_and_free_text_says_what_offline_does() -> None:
    assert position_topic_notes(topics=["python"]) == []
    (mapped,) = position_topic_notes(topics=["Go microservices"])
    assert "“Go microservices” is not in the question bank" in mapped
    assert "System design questions" in mapped
    (mixed,) = position_topic_notes(topics=["Underwater basket weaving"])
    assert "general questions drawn from Python, JavaScript" in mixed
    several = position_topic_notes(topics=["python", "sql"])
    assert several == [
        "With several topics the offline interviewer asks Python questions only; an LLM "
        "interviewer covers them all."
    ]


def _create(*flags: str) -> tuple[dict[str, Any], str]:
    out, err = StringIO(), StringIO()
    call_command("create_interview", "--candidate=Ada", *flags, "--json", stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


@pytest.mark.django_db
def test_create_interview_command__position_flag_inherits_that_plan() -> None:
    position = _position(topics=["Go microservices"])
    payload, err = _create(f"--position={position.pk}")
    interview = Interview.objects.get(pk=payload["id"])
    assert (payload["position_id"], interview.topic, interview.question_count) == (
        position.pk,
        "Go microservices",
        4,
    )
    assert "Warning: “Go microservices” is not in the question bank" in err


@pytest.mark.django_db
def test_create_interview_command__old_flags_reuse_the_position_with_that_plan() -> None:
    first, _ = _create("--role=Engineer", "--topic=python", "--questions=3")
    second, _ = _create("--role=Engineer", "--topic=python", "--questions=3")
    other, _ = _create("--role=Engineer", "--topic=python", "--questions=4")
    assert first["position_id"] == second["position_id"] != other["position_id"]
    assert Position.objects.get(pk=first["position_id"]).topics == ["python"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--position=999999"], "No position with id 999999"),
        (["--position=1", "--questions=3"], "drop ['--questions']"),
        (["--role=Engineer"], "Give --position ID, or both --role and --topic"),
    ],
)
def test_create_interview_command__refuses_mixed_or_missing_plans(
    flags: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _create(*flags)
    assert Interview.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_migration_0009__links_every_interview_to_a_position_and_reverses_without_loss() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("interviews", "0008_positions")])
    old = executor.loader.project_state([("interviews", "0008_positions")]).apps
    interview_model = old.get_model("interviews", "Interview")
    common = {"token_expires_at": "2030-01-01T00:00:00Z", "language": "en"}
    plans = [
        ("Engineer", "python", "easy", 3, None),
        ("Engineer", "python", "easy", 3, None),
        ("Engineer", "python", "easy", 3, 90),  # 90 s: not a whole minute, kept exactly
        ("Analyst", "sql", "hard", 5, None),
    ]
    for n, (role, topic, difficulty, count, limit) in enumerate(plans):
        interview_model.objects.create(
            candidate_name=f"C{n}",
            role=role,
            topic=topic,
            difficulty=difficulty,
            question_count=count,
            time_limit_seconds=limit,
            room_id=f"room{n}",
            token_hash=f"{n:064d}",
            **common,
        )
    executor = MigrationExecutor(connection)
    executor.migrate([("interviews", "0009_positions_from_interviews")])
    new = executor.loader.project_state([("interviews", "0009_positions_from_interviews")]).apps
    rows = new.get_model("interviews", "Interview").objects.order_by("candidate_name")
    linked = [
        (
            i.position.title,
            i.position.topics,
            i.position.question_count,
            i.position.time_limit_seconds,
        )
        for i in rows.select_related("position")
    ]
    assert linked == [
        ("Engineer", ["python"], 3, None),
        ("Engineer", ["python"], 3, None),
        ("Engineer", ["python"], 3, 90),
        ("Analyst", ["sql"], 5, None),
    ]
    assert new.get_model("interviews", "Position").objects.count() == 3

    executor = MigrationExecutor(connection)
    executor.migrate([("interviews", "0008_positions")])
    back = executor.loader.project_state([("interviews", "0008_positions")]).apps
    restored = back.get_model("interviews", "Interview").objects.order_by("candidate_name")
    assert [(i.role, i.topic, i.time_limit_seconds, i.position_id) for i in restored] == [
        (role, topic, limit, None) for role, topic, _, _, limit in plans
    ]
    assert back.get_model("interviews", "Position").objects.count() == 0
    MigrationExecutor(connection).loader.build_graph()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
