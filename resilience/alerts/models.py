"""The alert throttle shared by every subsystem that alerts staff (alerts/services.py)."""

from django.db import models


class AlertThrottle(models.Model):
    """When the alert for one key ("breaker:llm.openai", "task:<name>") last went out."""

    key = models.CharField(max_length=300, unique=True)
    last_sent_at = models.DateTimeField()
    # Alerts held back since last_sent_at (reported with the next one).
    suppressed = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key} alerted at {self.last_sent_at:%Y-%m-%d %H:%M:%S}"
