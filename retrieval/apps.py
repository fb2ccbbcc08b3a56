from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class RetrievalConfig(AppConfig):
    name = "retrieval"
    verbose_name = "Knowledge bases"

    def ready(self) -> None:
        from retrieval.conf import check_retrieval_settings

        checks.register(check_retrieval_settings)
        # The rag breaker's row exists from the start, so operators see it (health, dashboard)
        # even while search is lexical and nothing has called out yet.
        post_migrate.connect(rag_breaker_ensure, sender=self, dispatch_uid="retrieval.breaker")


def rag_breaker_ensure(**kwargs: object) -> None:
    from resilience.breakers.services import breaker_config_ensure
    from retrieval.embeddings import BREAKER

    breaker_config_ensure(name=BREAKER)
