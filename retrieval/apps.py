from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed


class RetrievalConfig(AppConfig):
    name = "retrieval"
    verbose_name = "Knowledge bases"

    def ready(self) -> None:
        from retrieval.conf import check_retrieval_settings, reset_retrieval_settings

        checks.register(check_retrieval_settings)
        # Tests override RETRIEVAL_* and EMBEDDINGS_* settings; the next call must see them.
        setting_changed.connect(reset_retrieval_settings, dispatch_uid="retrieval.reset_settings")
