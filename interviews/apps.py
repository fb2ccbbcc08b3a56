from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed


class InterviewsConfig(AppConfig):
    name = "interviews"
    verbose_name = "Interviews"

    def ready(self) -> None:
        from interviews.checks import check_invite_email, check_llm_providers
        from interviews.llm.gateway import reset_interviewer

        checks.register(check_llm_providers)
        checks.register(check_invite_email)
        # Tests override LLM settings; the next request must see them.
        setting_changed.connect(reset_interviewer, dispatch_uid="interviews.reset_interviewer")
