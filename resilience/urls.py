"""The resilience app's staff JSON API (the dead-letter queue's)."""

from django.urls import path

from resilience.dlq.api import DeadLetterApi

urlpatterns = [path("api/admin/dlq/", DeadLetterApi.as_view(), name="dead-letter-api")]
