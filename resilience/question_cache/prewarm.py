"""What the pre-warm task fills, and who writes the questions.

QUESTION_CACHE_PREWARM lists "topic:difficulty:language" items, e.g.
"django orm:medium:en". The topic may itself contain colons ("c++:hard:en" is fine, and so is
"http/2: framing:easy:en"): the last two fields are split off from the right.

The questions come from a QuestionSource named by QUESTION_CACHE_SOURCE (a dotted path to a
class or factory taking no arguments). The cache is generic and cannot write questions
itself; the product plugs its LLM gateway in there. The source also names the circuit
breakers that guard it, and the task only calls it while every one of them is closed: an
outage is what the bank is for, and pre-warm must not spend the half-open trials.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from resilience.conf import resilience_settings
from resilience.question_cache.keys import (
    InvalidCacheInput,
    check_difficulty,
    check_language,
    check_topic,
)


@dataclass(frozen=True)
class PrewarmItem:
    topic: str  # as written in the setting (the cache normalises it for the key)
    difficulty: str
    language: str

    def __str__(self) -> str:
        return f"{self.topic}:{self.difficulty}:{self.language}"


@dataclass(frozen=True)
class SourceQuestion:
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


class QuestionSource(Protocol):
    def breaker_names(self) -> Sequence[str]:
        """The circuit breakers that must all be closed before `generate` is called."""
        ...

    def generate(
        self, *, topic: str, difficulty: str, language: str, avoid: Sequence[str]
    ) -> SourceQuestion | None:
        """A new question for the key, different from every text in `avoid`; None when the
        source cannot write one now. May raise: the pre-warm run stops and logs it."""
        ...


def parse_prewarm_item(item: object) -> PrewarmItem:
    if not isinstance(item, str) or item.count(":") < 2:
        raise InvalidCacheInput(
            f"QUESTION_CACHE_PREWARM item {item!r} is not 'topic:difficulty:language'"
        )
    topic, difficulty, language = (part.strip() for part in item.rsplit(":", 2))
    try:
        check_topic(topic)
        return PrewarmItem(topic, check_difficulty(difficulty), check_language(language))
    except InvalidCacheInput as exc:
        raise InvalidCacheInput(f"QUESTION_CACHE_PREWARM item {item!r}: {exc}") from exc


def prewarm_problems(items: object) -> list[str]:
    """Everything wrong with a QUESTION_CACHE_PREWARM value, one sentence per bad item."""
    if isinstance(items, str) or not isinstance(items, list | tuple):
        return ["QUESTION_CACHE_PREWARM must be a list of 'topic:difficulty:language' strings"]
    problems = []
    for item in items:
        try:
            parse_prewarm_item(item)
        except InvalidCacheInput as exc:
            problems.append(str(exc))
    return problems


def prewarm_items() -> list[PrewarmItem]:
    """QUESTION_CACHE_PREWARM, parsed; ImproperlyConfigured names every bad item."""
    items = resilience_settings().question_cache_prewarm
    problems = prewarm_problems(items)
    if problems:
        raise ImproperlyConfigured("; ".join(problems))
    return list(dict.fromkeys(parse_prewarm_item(item) for item in items))


def source_path() -> str:
    return str(resilience_settings().question_cache_source or "")


def load_source() -> QuestionSource | None:
    """The configured QuestionSource, or None when QUESTION_CACHE_SOURCE is empty."""
    path = source_path()
    if not path:
        return None
    try:
        factory = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"QUESTION_CACHE_SOURCE {path!r} cannot be imported") from exc
    source: QuestionSource = factory()
    if not (
        callable(getattr(source, "generate", None))
        and callable(getattr(source, "breaker_names", None))
    ):
        raise ImproperlyConfigured(f"QUESTION_CACHE_SOURCE {path!r} is not a QuestionSource")
    return source
