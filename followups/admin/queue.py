"""The account manager's queue: the follow-up list with its bulk actions, and the follow-up page.

Which follow-ups are listed and which page opens is followups.policy's to say (PolicyAdmin), as in
the API: Sales see none, an account manager no other manager's (unless it is of a customer they
manage). The page is read-only; every change goes through a button (buttons.py) that posts to its
own URL and calls one service, which asks the same policy and makes the transition a compare-and-set
UPDATE.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.types import AuthenticatedHttpRequest
from customers.admin.economics import tier_badge
from followups.forms import CancelForm, CompleteForm, NoteForm, ReassignForm
from followups.models import ACTIVE_STATUSES, FollowUpNote, FollowUpTask, Status
from followups.policy import followup_policy, is_lead
from followups.selectors import QueueView, followup_context, queue_summary, queue_tasks
from followups.services import FollowUpConflict, reassign_followup, take_followup

from .buttons import FollowUpButtonsAdmin
from .display import due_badge, due_in_words, local_time, person, score_badge, status_badge

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices
    from django.db.models.expressions import Combinable


class QueueFilter(admin.SimpleListFilter):
    """My queue / shared / all active / overdue / closed / all; My queue when nothing is chosen."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(QueueView.choices)

    def value(self) -> str:
        return super().value() or QueueView.MINE

    def queryset(self, request: HttpRequest, queryset: QuerySet[FollowUpTask]) -> QuerySet[FollowUpTask]:
        return queue_tasks(queryset, view=self.value(), user=request.user)

    def choices(self, changelist: ChangeList) -> Iterator[_ListFilterChoices]:
        # No "All" link without a value: an absent value means My queue, so "All" is a real choice.
        counts = self.get_facet_queryset(changelist) if changelist.add_facets else None
        for index, (lookup, title) in enumerate(self.lookup_choices):
            if counts is not None:
                title = f"{title} ({counts.get(f'{index}__c', '-')})"
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


def _time_column(field: str, description: str) -> Callable[[Any, FollowUpTask], str]:
    @admin.display(description=description, ordering=field)
    def column(self: Any, task: FollowUpTask) -> str:
        return local_time(getattr(task, field))

    return column


class FollowUpNoteInline(admin.TabularInline):
    """The notes log as a record under the form; notes are added with the page's "Add note" button.

    Whoever may see the follow-up reads its notes (the policy), nobody else.
    """

    model = FollowUpNote
    fields = readonly_fields = ("written", "author", "text")
    extra = 0
    classes = ["collapse"]
    verbose_name_plural = "notes (record)"

    written = _time_column("created_at", "written")

    def get_queryset(self, request: HttpRequest) -> QuerySet[FollowUpNote]:
        return super().get_queryset(request).select_related("author")

    def has_view_permission(self, request: HttpRequest, obj: FollowUpTask | None = None) -> bool:
        if obj is None:
            return followup_policy.can_view_any(request.user)
        return followup_policy.can_view(request.user, obj)

    def has_add_permission(self, request: HttpRequest, obj: FollowUpTask | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: FollowUpTask | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: FollowUpTask | None = None) -> bool:
        return False


def _phone_href(phone: str) -> str:
    """'+47 400 00 000' -> 'tel:+4740000000', which phones and softphones dial as it is."""
    return "tel:" + re.sub(r"[^\d+]", "", phone)


@admin.register(FollowUpTask)
class FollowUpTaskAdmin(FollowUpButtonsAdmin):
    change_form_template = "admin/followups/followuptask/change_form.html"
    change_list_template = "admin/followups/followuptask/change_list.html"
    list_display = ["due", "customer_display", "score", "contact_display", "assignee", "status_display"]
    list_display_links = ["customer_display"]
    list_select_related = ["customer", "contact", "response", "assigned_to"]
    search_fields = [
        "customer__name",
        "=customer__external_id",
        "contact__name",
        "contact__email",
        "contact__phone",
    ]
    search_help_text = "Customer name or external ID, contact name, email or phone."
    # Counting every task for "(N total)" is a second query the queue does not need.
    show_full_result_count = False
    list_per_page = 50
    actions = ["take_selected", "release_selected"]
    inlines = [FollowUpNoteInline]
    fieldsets = [
        (
            "Follow-up",
            {
                "fields": [
                    ("status_display", "outcome"),
                    ("assignee", "tier", "priority"),
                    ("created", "due_time"),
                    ("first_contact", "completed"),
                    ("notified", "escalated"),
                ]
            },
        ),
        ("Source", {"fields": [("customer", "contact", "response")]}),
    ]
    readonly_fields = [
        "status_display",
        "outcome",
        "assignee",
        "tier",
        "priority",
        "created",
        "due_time",
        "first_contact",
        "completed",
        "notified",
        "escalated",
        "customer",
        "contact",
        "response",
    ]

    created = _time_column("created_at", "created")
    due_time = _time_column("due_at", "due")
    first_contact = _time_column("first_contact_at", "first contact")
    completed = _time_column("completed_at", "closed")
    notified = _time_column("notified_at", "account manager emailed")
    escalated = _time_column("escalated_at", "escalated to leads")

    # --- permissions

    # Tasks come from survey responses only, and deleting one would undo the one-per-response
    # guarantee (the reconciliation job would create it again).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: FollowUpTask | None = None) -> bool:
        return False

    # View and change: PolicyAdmin, from followups.policy.

    # --- the list

    def get_queryset(self, request: HttpRequest) -> QuerySet[FollowUpTask]:
        # What the user may see (PolicyAdmin); the list's columns read these relations.
        return super().get_queryset(request).select_related("customer", "contact", "response", "assigned_to")

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters: list[Any] = [QueueFilter, "status", "tier"]
        if is_lead(request.user):
            filters.append(("assigned_to", admin.RelatedOnlyFieldListFilter))
        return filters

    def get_ordering(self, request: HttpRequest) -> list[str | Combinable]:
        if request.GET.get(QueueFilter.parameter_name) == QueueView.CLOSED:
            # Looking back at closed work, the latest is what one looks for.
            return ["-completed_at"]
        # Model ordering (due_at, priority): overdue tasks have the earliest due times, so they
        # come first, then the soonest due, A customers before C on the same due time.
        return list(super().get_ordering(request) or [])

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        view = request.GET.get(QueueFilter.parameter_name) or QueueView.MINE
        label = dict(QueueView.choices).get(view, QueueView.MINE.label)
        extra_context = {
            **(extra_context or {}),
            "title": f"Follow-ups: {label}",
            "summary": queue_summary(request.user),
            "is_lead": is_lead(request.user),
            "queue_param": QueueFilter.parameter_name,
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description="due", ordering="due_at")
    def due(self, task: FollowUpTask) -> SafeString:
        return due_badge(task)

    @admin.display(description="customer", ordering="customer__name")
    def customer_display(self, task: FollowUpTask) -> SafeString:
        return format_html("{} {}", tier_badge(task.tier), task.customer.name)

    @admin.display(description="score", ordering="response__score")
    def score(self, task: FollowUpTask) -> SafeString:
        return score_badge(task.response)

    @admin.display(description="contact", ordering="contact__name")
    def contact_display(self, task: FollowUpTask) -> SafeString | str:
        contact = task.contact
        if contact is None:
            return "\u2013"
        if not contact.phone:
            return contact.name
        return format_html(
            '{}<br><a href="{}">{}</a>', contact.name, _phone_href(contact.phone), contact.phone
        )

    @admin.display(description="assigned to", ordering="assigned_to__first_name")
    def assignee(self, task: FollowUpTask) -> SafeString | str:
        if task.assigned_to is None:
            return format_html("<em>{}</em>", "Shared")
        return person(task.assigned_to)

    @admin.display(description="status", ordering="status")
    def status_display(self, task: FollowUpTask) -> SafeString:
        return status_badge(task.status)

    # --- bulk actions

    @admin.action(description="Take the selected shared follow-ups", permissions=["change"])
    def take_selected(self, request: AuthenticatedHttpRequest, queryset: QuerySet[FollowUpTask]) -> None:
        taken = taken_by_others = 0
        # At most a page of tasks, each its own compare-and-set, so one already taken by someone
        # else is reported instead of failing the rest.
        for task in queryset.filter(status__in=ACTIVE_STATUSES, assigned_to__isnull=True):
            try:
                take_followup(task=task, user=request.user)
            except FollowUpConflict:
                taken_by_others += 1
            else:
                taken += 1
                self.log_change(request, task, "Taken from the shared queue.")
        skipped = queryset.count() - taken - taken_by_others
        if taken:
            self.message_user(request, f"You took {taken} follow-up(s).", messages.SUCCESS)
        if taken_by_others:
            self.message_user(
                request, f"{taken_by_others} had just been taken by someone else.", messages.WARNING
            )
        if skipped:
            self.message_user(
                request, f"{skipped} were not in the shared queue and were left as they were.", messages.INFO
            )

    @admin.action(description="Return the selected to the shared queue", permissions=["reassign"])
    def release_selected(self, request: AuthenticatedHttpRequest, queryset: QuerySet[FollowUpTask]) -> None:
        released = closed = 0
        for task in queryset.filter(status__in=ACTIVE_STATUSES, assigned_to__isnull=False):
            try:
                reassign_followup(task=task, user=request.user, to=None)
            except FollowUpConflict:
                closed += 1
            else:
                released += 1
                self.log_change(request, task, "Returned to the shared queue.")
        self.message_user(request, f"{released} follow-up(s) are in the shared queue now.", messages.SUCCESS)
        if closed:
            self.message_user(request, f"{closed} were closed meanwhile and stay closed.", messages.WARNING)

    # --- the follow-up page

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            # Every field is read-only; saving the form would write back the whole row as this
            # request read it, undoing a transition another tab or person made in between.
            return HttpResponseNotAllowed(["GET"])
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: FollowUpTask | None = None,
    ) -> HttpResponse:
        if obj is not None and obj.pk is not None:
            context.update(self._page_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _page_context(self, request: HttpRequest, obj: FollowUpTask) -> dict[str, Any]:
        user = request.user
        now = timezone.now()
        # The page opens only for those who may see the task, and they read its notes too.
        data = followup_context(obj.pk, include_notes=followup_policy.can_view(user, obj))
        task: FollowUpTask = data["task"]
        works_on = followup_policy.can_change(user, task)
        can_work = task.is_active and works_on
        can_reassign = task.is_active and followup_policy.can_reassign(user)
        read_only_reason = ""
        if task.is_active and not works_on:
            read_only_reason = (
                "In the shared queue: take it to work on it."
                if task.assigned_to_id is None
                else f"Assigned to {person(task.assigned_to)}; only they or a follow-up lead can change it."
            )
        contact = data["contact"]
        return {
            **data,
            "title": f"Follow-up: {task.customer.name}",
            "due_words": due_in_words(task, now=now),
            "due_local": local_time(task.due_at, now=now),
            "submitted_local": local_time(task.response.submitted_at, now=now),
            "phone_href": _phone_href(contact.phone) if contact is not None and contact.phone else "",
            "score_badge": score_badge(task.response),
            "status_badge": status_badge(task.status),
            "tier_badge": tier_badge(task.customer.tier),
            "assignee": person(task.assigned_to),
            "manager": person(task.customer.account_manager),
            "can_take": task.is_active and followup_policy.can_take(user, task),
            "can_start": can_work and task.status == Status.OPEN,
            "can_close": can_work,
            "can_note": followup_policy.can_note(user, task),
            "can_reassign": can_reassign,
            "can_log_interaction": user.has_perm("customers.add_interaction"),
            "read_only_reason": read_only_reason,
            "note_form": NoteForm(),
            "complete_form": CompleteForm(),
            "cancel_form": CancelForm(),
            "reassign_form": ReassignForm(initial={"to": task.assigned_to_id}) if can_reassign else None,
        }
