"""The hook between "every provider failed" and the contextual fallback: a bank of questions.

The chain asks the bank for a question when no provider could write one, and hands it every
question an LLM did write, so a real cache can fill itself from live traffic. The default bank
holds nothing; a cache plugs in by implementing this protocol (see gateway.question_bank).
A bank that raises is treated as a miss, never as an outage.
"""

from collections.abc import Collection
from typing import Protocol

from interviews.llm.base import GeneratedQuestion


class QuestionBank(Protocol):
    def get(
        self, *, difficulty: str, language: str, topic: str, exclude: Collection[str] = ()
    ) -> GeneratedQuestion | None:
        """A stored question for this key whose text is not in `exclude`, or None."""
        ...

    def put(
        self, *, difficulty: str, language: str, topic: str, question: GeneratedQuestion
    ) -> None:
        """Offer a freshly generated question for later reuse."""
        ...


class NoQuestionBank:
    """The default: nothing stored, nothing kept."""

    def get(
        self, *, difficulty: str, language: str, topic: str, exclude: Collection[str] = ()
    ) -> GeneratedQuestion | None:
        return None

    def put(
        self, *, difficulty: str, language: str, topic: str, question: GeneratedQuestion
    ) -> None:
        return None
