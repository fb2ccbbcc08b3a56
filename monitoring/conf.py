"""The monitoring app's settings as one typed value, read once per process (field names are
the settings' names in lower case; their defaults are the only ones in the code:
interviewsite/appconf.py)."""

from dataclasses import dataclass
from functools import cache

from interviewsite.appconf import register_type_check, reset_on_change, settings_from

LOG_FORMATS = ("json", "console")


@dataclass(frozen=True, slots=True)
class MonitoringSettings:
    # json lines for log pipelines, readable lines otherwise (settings.py: json with a database).
    log_format: str = "console"


@cache
def monitoring_settings() -> MonitoringSettings:
    return settings_from(MonitoringSettings)


reset_monitoring_settings = reset_on_change(monitoring_settings, "monitoring.conf")
register_type_check(monitoring_settings, "monitoring.E050")
