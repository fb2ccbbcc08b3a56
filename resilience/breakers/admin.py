"""Admin: breakers with their live state and operator actions, the read-only event log."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from resilience.breakers.config import Mode
from resilience.breakers.models import BreakerConfig, BreakerEvent, BreakerState
from resilience.breakers.selectors import breaker_live_snapshot
from resilience.breakers.services import (
    breaker_config_update,
    breaker_force_closed,
    breaker_force_open,
    breaker_reset,
    breaker_restore_normal,
)
from resilience.breakers.state import Snapshot, State

DASH = "—"


@admin.register(BreakerConfig)
class BreakerConfigAdmin(admin.ModelAdmin):
    class Media:
        js = ("site/admin-behaviours.js",)  # asks before the force-open and force-closed actions

    list_display = (
        "name",
        "live_state",
        "failure_rate",
        "slow_rate",
        "calls_in_window",
        "consecutive_failures",
        "half_open_in",
        "last_transition",
        "mode",
        "enabled",
        "critical",
    )
    list_filter = ("mode", "enabled", "critical")
    list_select_related = ("state",)
    search_fields = ("name",)
    readonly_fields = ("created_at", "updated_at")
    actions = ("force_open", "force_closed", "reset", "restore_normal")
    fieldsets = (
        (None, {"fields": ("name", "enabled", "mode", "critical")}),
        (
            "Opening",
            {
                "fields": (
                    "failure_threshold",
                    "failure_rate_threshold",
                    "window_type",
                    "window_size",
                    "minimum_calls",
                    "slow_call_duration",
                    "slow_call_rate_threshold",
                    "call_timeout",
                )
            },
        ),
        (
            "Recovery",
            {
                "fields": (
                    "recovery_timeout",
                    "recovery_backoff",
                    "recovery_timeout_max",
                    "half_open_max_calls",
                    "success_threshold",
                    "max_half_open_wait",
                )
            },
        ),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: BreakerConfig | None = None
    ) -> tuple[str, ...]:
        # Code refers to breakers by name: renaming one would silently create a new one.
        readonly = ("created_at", "updated_at")
        return (*readonly, "name") if obj is not None else readonly

    def save_model(
        self, request: HttpRequest, obj: BreakerConfig, form: ModelForm, change: bool
    ) -> None:
        breaker_config_update(
            config=obj, user=request.user, changed_fields=form.changed_data, created=not change
        )

    # --- live columns (one store read per row, memoised on the row) ----------------------

    def _live(self, obj: BreakerConfig) -> Snapshot | None:
        if not hasattr(obj, "_live_snapshot"):
            obj._live_snapshot = breaker_live_snapshot(config=obj)  # type: ignore[attr-defined]
        snapshot: Snapshot | None = obj._live_snapshot  # type: ignore[attr-defined]
        return snapshot

    @admin.display(description="state")
    def live_state(self, obj: BreakerConfig) -> str:
        if not obj.enabled:
            return "disabled"
        if obj.mode != Mode.NORMAL:
            return Mode(obj.mode).label.split(" (")[0].lower()
        snapshot = self._live(obj)
        if snapshot is None:
            return "store unavailable"
        if snapshot.state == State.OPEN and snapshot.retry_after == 0:
            return "open (trial due)"
        return snapshot.state.slug.replace("_", "-")

    @admin.display(description="failure rate")
    def failure_rate(self, obj: BreakerConfig) -> str:
        snapshot = self._live(obj)
        return f"{snapshot.failure_rate:.0f}%" if snapshot else DASH

    @admin.display(description="slow rate")
    def slow_rate(self, obj: BreakerConfig) -> str:
        snapshot = self._live(obj)
        return f"{snapshot.slow_rate:.0f}%" if snapshot else DASH

    @admin.display(description="calls in window")
    def calls_in_window(self, obj: BreakerConfig) -> str:
        snapshot = self._live(obj)
        return str(snapshot.calls) if snapshot else DASH

    @admin.display(description="consecutive failures")
    def consecutive_failures(self, obj: BreakerConfig) -> str:
        snapshot = self._live(obj)
        return str(snapshot.consecutive_failures) if snapshot else DASH

    @admin.display(description="half-open in")
    def half_open_in(self, obj: BreakerConfig) -> str:
        snapshot = self._live(obj)
        if snapshot is None or snapshot.state != State.OPEN:
            return DASH
        return f"{snapshot.retry_after:.1f}s" if snapshot.retry_after else "due"

    @admin.display(description="last transition")
    def last_transition(self, obj: BreakerConfig) -> str:
        try:
            mirror = obj.state
        except BreakerState.DoesNotExist:
            return DASH
        if mirror.changed_at is None:
            return DASH
        return (
            f"{mirror.get_state_display()} ({mirror.reason}) {mirror.changed_at:%Y-%m-%d %H:%M:%S}"
        )

    # --- actions ----------------------------------------------------------------------------

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[BreakerConfig],
        service: Callable[..., object],
        done: str,
    ) -> None:
        names = list(queryset.values_list("name", flat=True))
        for name in names:
            service(name=name, user=request.user, reason="admin action")
        self.message_user(request, f"{done}: {', '.join(names)}", messages.WARNING)

    @admin.action(description="Force open (reject every call)", permissions=["change"])
    def force_open(self, request: HttpRequest, queryset: QuerySet[BreakerConfig]) -> None:
        self._apply(request, queryset, breaker_force_open, "Forced open")

    @admin.action(description="Force closed (admit every call)", permissions=["change"])
    def force_closed(self, request: HttpRequest, queryset: QuerySet[BreakerConfig]) -> None:
        self._apply(request, queryset, breaker_force_closed, "Forced closed")

    @admin.action(description="Reset state and counters (to closed)", permissions=["change"])
    def reset(self, request: HttpRequest, queryset: QuerySet[BreakerConfig]) -> None:
        self._apply(request, queryset, breaker_reset, "Reset")

    @admin.action(description="Back to normal (end forced mode)", permissions=["change"])
    def restore_normal(self, request: HttpRequest, queryset: QuerySet[BreakerConfig]) -> None:
        self._apply(request, queryset, breaker_restore_normal, "Back to normal")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(BreakerEvent)
class BreakerEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "breaker_name",
        "kind",
        "from_state",
        "to_state",
        "reason",
        "user",
    )
    list_filter = ("kind", "breaker_name")
    search_fields = ("breaker_name", "reason")
    list_select_related = ("user",)
    date_hierarchy = "created_at"


@admin.register(BreakerState)
class BreakerStateAdmin(ReadOnlyAdmin):
    list_display = ("config", "state", "reason", "trips", "changed_at")
    list_select_related = ("config",)
