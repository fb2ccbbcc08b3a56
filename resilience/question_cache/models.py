"""The question cache's rows (the database backend's storage, and what the admin lists)."""

from django.db import models
from django.db.models import F, Q

from resilience.question_cache.keys import TOPIC_DISPLAY_CHARS, Difficulty


class CachedQuestion(models.Model):
    # difficulty:language:topic-hash; every variant of one key shares it.
    key = models.CharField(max_length=64)
    difficulty = models.CharField(max_length=8, choices=Difficulty.choices)
    language = models.CharField(max_length=16)
    # The normalised topic, for people; lookups go by `key`.
    topic = models.CharField(max_length=TOPIC_DISPLAY_CHARS)
    # Hash of the normalised text: the same question is stored once per key.
    fingerprint = models.CharField(max_length=32)
    text = models.TextField()
    # Whatever the caller stores with the text (rubric, provider); opaque to the cache.
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "cached question"
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("key", "fingerprint"), name="cached_question_unique_variant"
            ),
            models.CheckConstraint(
                condition=Q(difficulty__in=Difficulty.values),
                name="cached_question_difficulty_valid",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="cached_question_expires_after_creation",
            ),
        ]
        indexes = [
            # The hot path: the unexpired variants of one key.
            models.Index(fields=("key", "expires_at"), name="cached_question_lookup"),
            # The purge task.
            models.Index(fields=("expires_at",), name="cached_question_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.difficulty}/{self.language}/{self.topic}: {self.text[:60]}"
