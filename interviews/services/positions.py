"""Positions: the job and the interview plan its interviews inherit.

The plan an interview runs is copied from its position when it is created, so the rest of the
code (the interviewer, the evaluation, the clock) reads the interview alone. Topics are the
question bank's keys or free text; free text is allowed because an LLM interviewer can use it,
but the offline interviewer can only map it onto its own bank (`resolve_topic`), and staff are
told what it will do instead (`position_topic_notes`).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from interviews.llm.grounding import position_knowledge_refresh
from interviews.llm.offline_bank import MIXED, TECHNICAL, TOPICS, load_bank, resolve_topic
from interviews.models import Position

TOPIC_SEPARATOR = ", "


@dataclass(frozen=True)
class Plan:
    """What an interview inherits from its position, in the Interview model's field names."""

    role: str
    topic: str
    difficulty: str
    language: str
    question_count: int
    time_limit_seconds: int | None
    coding_count: int = 0  # the last questions are coding ones (interviews.coding.plan)
    coding_language: str = "python"


def bank_topic_choices() -> list[tuple[str, str]]:
    """The question bank's topics as (key, title) pairs, for forms and the CLI's help."""
    bank = load_bank()
    return [(key, bank.topics[key].title) for key in TOPICS]


def position_topics_clean(topics: list[str]) -> list[str]:
    cleaned: list[str] = []
    for topic in topics:
        topic = " ".join(str(topic).split())
        if topic and topic.casefold() not in {t.casefold() for t in cleaned}:
            cleaned.append(topic)
    if not cleaned:
        raise ValidationError({"topics": "Choose at least one topic."})
    if len(TOPIC_SEPARATOR.join(cleaned)) > 200:
        raise ValidationError({"topics": "The topics together must fit in 200 characters."})
    return cleaned


def position_topic_notes(*, topics: list[str]) -> list[str]:
    """What the offline interviewer will do with topics it has no questions for.

    Empty when every topic is a bank key and there is only one. The mapping itself is the
    offline bank's (`resolve_topic`); this only puts it into words before anyone is invited.
    """
    bank = load_bank()
    notes = []
    for topic in topics:
        if topic in TOPICS:
            continue
        resolved = resolve_topic(topic)
        if resolved == MIXED:
            titles = ", ".join(bank.topics[k].title for k in TECHNICAL)
            notes.append(
                f"“{topic}” is not in the question bank: the offline interviewer will ask "
                f"general questions drawn from {titles}. An LLM interviewer uses the text as "
                "written."
            )
        else:
            notes.append(
                f"“{topic}” is not in the question bank: the offline interviewer will ask "
                f"{bank.topics[resolved].title} questions, nothing specific to “{topic}”. An "
                "LLM interviewer uses the text as written."
            )
    if len(topics) > 1:
        resolved = resolve_topic(TOPIC_SEPARATOR.join(topics))
        title = "general" if resolved == MIXED else bank.topics[resolved].title
        notes.append(
            f"With several topics the offline interviewer asks {title} questions only; an LLM "
            "interviewer covers them all."
        )
    return notes


def position_create(
    *,
    title: str,
    topics: list[str],
    difficulty: str,
    question_count: int,
    description: str = "",
    language: str = "en",
    time_limit_seconds: int | None = None,
    created_by_id: int | None = None,
    coding_count: int = 0,
    coding_language: str = "python",
) -> Position:
    position = Position(
        title=" ".join(title.split()),
        description=description.strip(),
        topics=position_topics_clean(topics),
        difficulty=difficulty,
        language=language.strip() or "en",
        question_count=question_count,
        time_limit_seconds=time_limit_seconds,
        created_by_id=created_by_id,
        coding_count=coding_count,
        coding_language=coding_language,
    )
    if coding_count > question_count:
        raise ValidationError(
            {"coding_count": "There cannot be more coding questions than questions."}
        )
    position.full_clean()
    position.save()
    # Its knowledge base exists from the start, so staff can attach documents to it.
    position_knowledge_refresh(position=position)
    return position


def position_for_plan(
    *,
    role: str,
    topic: str,
    difficulty: str,
    question_count: int,
    language: str = "en",
    time_limit_seconds: int | None = None,
    created_by_id: int | None = None,
    coding_count: int = 0,
    coding_language: str = "python",
) -> Position:
    """The position with exactly this plan, made if none exists: how the pre-position way of
    creating an interview (a role and a topic) still works."""
    title, topics = " ".join(role.split()), position_topics_clean([topic])
    language = language.strip() or "en"
    with transaction.atomic():
        candidates = Position.objects.select_for_update().filter(
            title=title,
            difficulty=difficulty,
            language=language,
            question_count=question_count,
            time_limit_seconds=time_limit_seconds,
            coding_count=coding_count,
            coding_language=coding_language,
        )
        # JSON equality differs between SQLite and PostgreSQL; compare the short list here.
        for position in candidates:
            if position.topics == topics:
                return position
        return position_create(
            title=title,
            topics=topics,
            difficulty=difficulty,
            question_count=question_count,
            language=language,
            time_limit_seconds=time_limit_seconds,
            created_by_id=created_by_id,
            coding_count=coding_count,
            coding_language=coding_language,
        )


def position_plan(*, position: Position) -> Plan:
    return Plan(
        role=position.title,
        topic=TOPIC_SEPARATOR.join(position.topics),
        difficulty=position.difficulty,
        language=position.language,
        question_count=position.question_count,
        time_limit_seconds=position.time_limit_seconds,
        coding_count=position.coding_count,
        coding_language=position.coding_language,
    )
