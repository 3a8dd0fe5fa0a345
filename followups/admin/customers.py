"""The customer's follow-ups, as an inline for the customer page.

Only the piece: the top app (sales/admin.py) composes the customer page from what each app exports
and registers it once. This module registers nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.safestring import SafeString
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyTabularInline
from followups.models import FollowUpTask
from followups.policy import followup_policy

from .display import due_badge, local_time, person, score_badge, status_badge

# The newest follow-ups of a customer on its page; the queue, filtered to the customer, has the rest.
FOLLOWUPS_ON_CUSTOMER_PAGE = 10


class _LatestFollowUps(BaseInlineFormSet):
    def get_queryset(self) -> QuerySet[FollowUpTask]:
        # Sliced here rather than in the inline's get_queryset: the formset filters that queryset by
        # customer first, and a sliced queryset cannot be filtered.
        if not hasattr(self, "_queryset"):
            self._queryset = super().get_queryset()[:FOLLOWUPS_ON_CUSTOMER_PAGE]
        return self._queryset


class FollowUpInline(ReadOnlyTabularInline):
    """The customer's follow-ups, newest first, read-only; each row links to its follow-up page."""

    model = FollowUpTask
    formset = _LatestFollowUps
    fields = readonly_fields = ("opened", "score", "status_display", "due", "assignee", "outcome")
    show_change_link = True
    verbose_name_plural = format_lazy(_("follow-ups (the newest {count})"), count=FOLLOWUPS_ON_CUSTOMER_PAGE)

    def get_queryset(self, request: HttpRequest) -> QuerySet[FollowUpTask]:
        # Only the follow-ups the user may open (followups.policy): the rows link to their pages.
        # customer: the row's title (str(task)) names it; the rest feed the columns.
        return followup_policy.visible(
            request.user,
            super()
            .get_queryset(request)
            .select_related("customer", "response", "assigned_to")
            .order_by("-created_at", "-pk"),
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return followup_policy.can_view_any(request.user)

    @admin.display(description=_("opened"))
    def opened(self, task: FollowUpTask) -> str:
        return local_time(task.created_at)

    @admin.display(description=_("score"))
    def score(self, task: FollowUpTask) -> SafeString:
        return score_badge(task.response)

    @admin.display(description=_("status"))
    def status_display(self, task: FollowUpTask) -> SafeString:
        return status_badge(task.status)

    @admin.display(description=_("due"))
    def due(self, task: FollowUpTask) -> SafeString:
        return due_badge(task)

    @admin.display(description=_("assigned to"))
    def assignee(self, task: FollowUpTask) -> str:
        return person(task.assigned_to) or gettext("Shared")
