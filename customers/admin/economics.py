"""Admin for the economics: the tier policy with its audit trail, recalculation runs and tier changes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.formsets import BaseFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.admin import ReadOnlyAdmin, SingletonAdmin
from core.formats import MISSING, format_date, format_datetime, format_nok, format_number, group_thousands
from core.permissions import has_perm
from core.types import AnyUser, AuthenticatedHttpRequest
from customers.models import RecalculationRun, RunStatus, Tier, TierChange, TierPolicy
from customers.selectors import running_recalculation
from customers.tasks import recalculate_tiers

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

logger = logging.getLogger(__name__)

_TIER_COLOURS: dict[str, str] = {Tier.A: "#1b7f3b", Tier.B: "#2160a8", Tier.C: "#6b6f76"}
_STATUS_COLOURS: dict[str, str] = {
    RunStatus.RUNNING: "#a55a00",
    RunStatus.SUCCEEDED: "#1b7f3b",
    RunStatus.FAILED: "#b3261e",
}
# Inline styles rather than a stylesheet: the badges appear on lists and forms of several models.
_BADGE = (
    "display:inline-block;white-space:nowrap;min-width:1.4em;padding:1px 7px;border-radius:9px;"
    "color:#fff;font-weight:600;text-align:center;background:{}"
)


def tier_badge(tier: str) -> SafeString:
    """A coloured 'A', 'B' or 'C'."""
    return format_html('<span style="{}">{}</span>', _BADGE.format(_TIER_COLOURS.get(tier, "#6b6f76")), tier)


def time_thief_badge(flagged: bool) -> SafeString | str:
    """An amber 'time thief' for a flagged customer, nothing otherwise."""
    # Not the admin's boolean icons: a green tick next to "time thief" reads as good news.
    if not flagged:
        return ""
    return format_html('<span style="{}">{}</span>', _BADGE.format("#a55a00"), gettext("time thief"))


def can_recalculate(user: AnyUser) -> bool:
    """Superusers and holders of customers.add_recalculationrun may start a recalculation."""
    # Starting a recalculation is adding a run; the permission exists on every install, needs no
    # migration, and its name says what it grants. has_perm is True for active superusers.
    return has_perm(user, "customers.add_recalculationrun")


def _grouped_column(field: str, description: _StrPromise) -> Callable[[Any, RecalculationRun], str]:
    @admin.display(description=description, ordering=field)
    def column(self: Any, run: RecalculationRun) -> str:
        return group_thousands(getattr(run, field))

    return column


def _format_seconds(seconds: float) -> str:
    if seconds < 60:
        return gettext("%(seconds)s s") % {"seconds": format_number(seconds, 1)}
    minutes, rest = divmod(round(seconds), 60)
    return gettext("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": rest}


@admin.register(RecalculationRun)
class RecalculationRunAdmin(ReadOnlyAdmin):
    """Runs are written only by the recalculation; "Recalculate now" starts one through the task."""

    # One run a night and the odd manual one: the total is cheap to count and worth showing.
    show_full_result_count = True
    list_display = [
        "run_as_of",
        "status_badge",
        "trigger",
        "started",
        "duration_display",
        "processed",
        "updated",
        "changed",
        "tier_counts",
        "longest_ms",
        "error_excerpt",
    ]
    list_filter = ["status"]
    search_fields = ["trigger"]
    fieldsets = [
        (None, {"fields": ["as_of", "status_badge", "trigger", "error"]}),
        (_("Timing"), {"fields": ["started_at", "heartbeat_at", "finished_at", "duration_display"]}),
        (
            _("Figures"),
            {
                "fields": [
                    "processed",
                    "updated",
                    "changed",
                    "tier_counts",
                    "chunks",
                    "longest_ms",
                ]
            },
        ),
        (_("Tier policy the run used"), {"fields": ["policy_snapshot"]}),
    ]
    readonly_fields = [
        "as_of",
        "status_badge",
        "trigger",
        "error",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "duration_display",
        "processed",
        "updated",
        "changed",
        "tier_counts",
        "chunks",
        "longest_ms",
        "policy_snapshot",
    ]

    processed = _grouped_column("customers_processed", _("processed"))
    updated = _grouped_column("customers_updated", _("updated"))
    changed = _grouped_column("tiers_changed", _("tier changes"))
    longest_ms = _grouped_column("longest_chunk_ms", _("longest tx (ms)"))

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, run: RecalculationRun) -> SafeString:
        return format_html(
            '<span style="{}">{}</span>', _BADGE.format(_STATUS_COLOURS[run.status]), run.get_status_display()
        )

    @admin.display(description=_("as of"), ordering="as_of")
    def run_as_of(self, run: RecalculationRun) -> str:
        return format_date(run.as_of)

    @admin.display(description=_("customers A / B / C"))
    def tier_counts(self, run: RecalculationRun) -> str:
        return " / ".join(group_thousands(n) for n in (run.tier_a_count, run.tier_b_count, run.tier_c_count))

    @admin.display(description=_("started"), ordering="started_at")
    def started(self, run: RecalculationRun) -> str:
        return format_datetime(run.started_at)

    @admin.display(description=_("duration"))
    def duration_display(self, run: RecalculationRun) -> str:
        if run.duration is not None:
            return _format_seconds(run.duration)
        if run.status == RunStatus.RUNNING:
            elapsed = _format_seconds((timezone.now() - run.started_at).total_seconds())
            return gettext("running for %(duration)s") % {"duration": elapsed}
        return MISSING

    @admin.display(description=_("error"))
    def error_excerpt(self, run: RecalculationRun) -> str:
        return Truncator(run.error).chars(80)

    @admin.display(description=_("policy snapshot"))
    def policy_snapshot(self, run: RecalculationRun) -> SafeString | str:
        if not run.policy:
            return MISSING
        labels = {field.name: field.verbose_name for field in TierPolicy._meta.get_fields() if field.concrete}
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td></tr>",
                ((labels.get(key, key), _policy_value(key, value)) for key, value in run.policy.items()),
            ),
        )

    def get_urls(self) -> list[URLPattern]:
        recalculate = path(
            "recalculate/",
            self.admin_site.admin_view(require_POST(self.recalculate_view)),
            name="customers_recalculationrun_recalculate",
        )
        return [recalculate, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_recalculate": can_recalculate(request.user),
            "running_run": running_recalculation(),
        }
        return super().changelist_view(request, extra_context)

    def recalculate_view(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        """Queue a recalculation of every customer and go back to the list of runs."""
        if not can_recalculate(request.user):
            raise PermissionDenied
        running = running_recalculation()
        trigger = f"admin ({request.user})"
        try:
            # delay_on_commit, spelled out: celery-types types shared tasks as plain Tasks without it.
            transaction.on_commit(partial(recalculate_tiers.delay, trigger=trigger))
        except Exception:
            # Without a broker (the demo) the task runs right here and its failure lands here; with
            # one, an unreachable broker does. Either way the run list, not a 500 page, should say so.
            logger.exception("Recalculation requested by %s could not run", request.user)
            self.message_user(
                request,
                gettext(
                    "The recalculation could not be started or failed; the error is logged and, if a run "
                    "started, shown on it below."
                ),
                messages.ERROR,
            )
        else:
            self.message_user(
                request,
                gettext("Recalculation queued (trigger “%(trigger)s”).") % {"trigger": trigger},
                messages.SUCCESS,
            )
            if running is not None:
                self.message_user(
                    request,
                    gettext(
                        "A recalculation started %(started)s is still running. The one you queued does "
                        "nothing if that one has not finished when it starts; its figures will be fresh "
                        "either way."
                    )
                    % {"started": format_datetime(running.started_at)},
                    messages.WARNING,
                )
        return HttpResponseRedirect(reverse("admin:customers_recalculationrun_changelist"))


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    """The audit trail of tier moves, written by the recalculation."""

    list_display = ["changed_at", "customer", "tiers", "revenue_at_the_time", "run"]
    list_filter = ["to_tier", "from_tier"]
    list_select_related = ["customer", "run"]
    search_fields = ["customer__name", "=customer__external_id"]
    date_hierarchy = "changed_at"
    fields = readonly_fields = ("customer", "tiers", "revenue_at_the_time", "run", "changed_at")

    @admin.display(description=_("tier"), ordering="to_tier")
    def tiers(self, change: TierChange) -> SafeString:
        return format_html("{} → {}", tier_badge(change.from_tier), tier_badge(change.to_tier))

    @admin.display(description=_("revenue at the time"), ordering="revenue_12m")
    def revenue_at_the_time(self, change: TierChange) -> str:
        return format_nok(change.revenue_12m)


def _policy_value(field: str, value: Any) -> str:
    """A policy value as the audit trail shows it: exact, in the active language's notation."""
    if value is None:
        return MISSING
    if field in {"a_threshold", "b_threshold", "hourly_service_cost"}:
        return format_nok(Decimal(value), decimals=True)
    if field == "time_cost_share_pct":
        # Exact (25.5 stays 25,5, 25.00 reads 25): an audit shows what was stored, not a rounding.
        return f"{format_number(Decimal(value).normalize(), None)}\u00a0%"
    return str(value)


class TierPolicyForm(forms.ModelForm):
    class Meta:
        model = TierPolicy
        fields = ["b_threshold", "a_threshold", "window_months", "hourly_service_cost", "time_cost_share_pct"]

    def clean_b_threshold(self) -> Decimal:
        b_threshold: Decimal = self.cleaned_data["b_threshold"]
        if b_threshold < 0:
            raise forms.ValidationError(gettext("The B threshold cannot be negative."))
        return b_threshold

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        a_threshold, b_threshold = cleaned.get("a_threshold"), cleaned.get("b_threshold")
        if a_threshold is not None and b_threshold is not None and a_threshold <= b_threshold:
            # On the field rather than the form: Django then skips the database check constraint,
            # whose generic "Constraint … is violated" would otherwise repeat this message.
            self.add_error(
                "a_threshold",
                gettext(
                    "The A threshold must be above the B threshold (%(b_threshold)s); with %(a_threshold)s "
                    "no customer could be B."
                )
                % {"b_threshold": format_nok(b_threshold), "a_threshold": format_nok(a_threshold)},
            )
        return cleaned


@admin.register(TierPolicy)
class TierPolicyAdmin(SingletonAdmin):
    form = TierPolicyForm
    fieldsets = [
        (_("Tier bands"), {"fields": ["b_threshold", "a_threshold", "window_months"]}),
        (_("Cost to serve"), {"fields": ["hourly_service_cost", "time_cost_share_pct"]}),
        (_("Last change"), {"fields": ["updated_at", "updated_by"]}),
    ]
    readonly_fields = ["updated_at", "updated_by"]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: TierPolicy | None = None,
    ) -> HttpResponse:
        context["can_recalculate"] = can_recalculate(request.user)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(
        self, request: HttpRequest, obj: TierPolicy, form: forms.ModelForm[TierPolicy], change: bool
    ) -> None:
        # Every admin view runs behind admin_site.admin_view, which lets only signed-in staff through.
        obj.updated_by = cast(AuthenticatedHttpRequest, request).user
        super().save_model(request, obj, form, change)
        if form.changed_data:
            self.message_user(
                request,
                gettext(
                    "Customers are re-tiered with these values at the next recalculation (nightly), or now "
                    "with “Recalculate now”."
                ),
                messages.INFO,
            )

    # The stubs type the change message as Django's JSON list only; Django stores a str as it is
    # (LogEntry.change_message), and an audit needs this one, so the narrower stub type is overridden.
    def construct_change_message(  # type: ignore[override]
        self, request: HttpRequest, form: forms.Form, formsets: Iterable[BaseFormSet[Any]], add: bool = False
    ) -> str | list[dict[str, Any]]:
        """Spell out every changed value as old → new, for the object's History page."""
        if add or not form.changed_data:
            return super().construct_change_message(request, form, formsets, add)
        # A plain string, not Django's JSON list: LogEntry shows a string as it is, while its JSON
        # format can only name the changed fields, and an audit needs the values.
        changes = "; ".join(
            f"{form.fields[name].label}: {_policy_value(name, form.initial.get(name))} → "
            f"{_policy_value(name, form.cleaned_data[name])}"
            for name in form.changed_data
        )
        # Stored as text in the editor's language: LogEntry keeps a plain string as it is.
        return gettext("Changed %(changes)s.") % {"changes": changes}
