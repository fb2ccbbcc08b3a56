"""The start-up check that production invites are really emailed."""

from typing import Any

from interviews.checks import CONSOLE_EMAIL, check_invite_email


def test_production_with_the_console_backend__warns(settings: Any) -> None:
    settings.DATABASE_URL = "postgres://db/app"
    settings.EMAIL_BACKEND = CONSOLE_EMAIL
    (warning,) = check_invite_email()
    assert warning.id == "interviews.W001"
    assert "will not receive them" in warning.msg


def test_smtp_in_production_or_the_embedded_default__no_warning(settings: Any) -> None:
    settings.DATABASE_URL = "postgres://db/app"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert check_invite_email() == []
    settings.DATABASE_URL = ""
    settings.EMAIL_BACKEND = CONSOLE_EMAIL
    assert check_invite_email() == []
