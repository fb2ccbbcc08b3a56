"""The resilience app's staff JSON API (the dead-letter queue's)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
