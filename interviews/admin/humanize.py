"""How the admin words times and durations: one place, so every page says them alike."""

from datetime import datetime

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.timesince import timesince, timeuntil


def minutes_label(seconds: int | float | None) -> str:
    """A limit or a duration in minutes: "30 min", "1 h 30 min", "no limit"."""
    if seconds is None:
        return "no limit"
    minutes = round(seconds / 60)
    if seconds and minutes == 0:
        return "under a minute"
    hours, rest = divmod(minutes, 60)
    if hours:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes} min"


def when_label(moment: datetime | None, *, relative: bool = True) -> str:
    """ "Fri 11 Dec 2026, 16:52 UTC (in 6 days)"; "—" for no time."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    text = date_format(local, "D j M Y, H:i T")
    if not relative:
        return text
    now = timezone.now()
    if moment > now:
        return f"{text} (in {timeuntil(moment, now, depth=1)})"
    return f"{text} ({timesince(moment, now, depth=1)} ago)"
