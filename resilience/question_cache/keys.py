"""How questions are keyed and told apart: difficulty + language + a hash of the topic.

Everything a caller passes in is untrusted: it is validated here, once, so a bad difficulty or
a malformed language fails with a clear message instead of silently creating a key nobody
will ever look up.
"""

import hashlib
import re
import unicodedata

from django.db import models

TOPIC_DISPLAY_CHARS = 200  # what the admin shows; the key hashes the whole normalised topic
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,8}(?:-[a-z0-9]{1,8})*$")
_WHITESPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


class InvalidCacheInput(ValueError):
    """A difficulty, language, topic or text the question cache cannot key."""


def normalise_topic(topic: str) -> str:
    """Case, Unicode form and spacing do not make a new topic: "  Django ORM" == "django orm"."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", topic)).strip().casefold()


def normalise_text(text: str) -> str:
    """The words of a question, without case, punctuation or spacing differences."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_WORD.sub(" ", folded).strip()


def fingerprint(text: str) -> str:
    """Identical questions (up to case, punctuation and spacing) share a fingerprint."""
    return hashlib.sha256(normalise_text(text).encode()).hexdigest()[:32]


def check_difficulty(difficulty: str) -> str:
    if difficulty not in Difficulty.values:
        raise InvalidCacheInput(
            f"unknown difficulty {difficulty!r}; expected one of {', '.join(Difficulty.values)}"
        )
    return difficulty


def check_language(language: str) -> str:
    """A language code such as "en" or "pt-BR", returned in lower case with "-"."""
    code = language.strip().replace("_", "-").lower() if isinstance(language, str) else ""
    if len(code) > 16 or not LANGUAGE_PATTERN.match(code):
        raise InvalidCacheInput(
            f"malformed language {language!r}; expected a code such as 'en' or 'pt-br'"
        )
    return code


def check_topic(topic: str) -> str:
    normalised = normalise_topic(topic) if isinstance(topic, str) else ""
    if not normalised:
        raise InvalidCacheInput("the topic is empty")
    return normalised


def check_text(text: str) -> str:
    """The question text, stripped; it must have words (a fingerprint of nothing is useless)."""
    if not isinstance(text, str) or not normalise_text(text):
        raise InvalidCacheInput("the question text has no words")
    return text.strip()


def cache_key(*, difficulty: str, language: str, topic: str) -> str:
    """`difficulty:language:<32 hex of the normalised topic>`, validated."""
    topic_hash = hashlib.sha256(check_topic(topic).encode()).hexdigest()[:32]
    return f"{check_difficulty(difficulty)}:{check_language(language)}:{topic_hash}"
