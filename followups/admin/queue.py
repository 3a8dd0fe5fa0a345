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
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet
from django.db.models.options import Options
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.admin import domain_errors_as_messages
from core.types import AuthenticatedHttpRequest
from customers.admin.economics import tier_badge
from customers.models import Channel
from customers.policy import interaction_policy
from followups.forms import (
    AssignSelectedForm,
    CancelForm,
    CompleteForm,
    NoteForm,
    ReassignForm,
    name_and_username,
)
from followups.models import ACTIVE_STATUSES, FollowUpNote, FollowUpTask, Status
from followups.policy import followup_policy, is_lead
from followups.selectors import WORK_QUEUES, QueueView, followup_context, queue_summary, queue_tasks
from followups.services import (
    AssignResult,
    FollowUpConflict,
    assign_followups,
    reassign_followup,
    take_followup,
)

from .buttons import FollowUpButtonsAdmin
from .display import (
    due_badge,
    due_in_words,
    escalated_badge,
    local_time,
    person,
    score_badge,
    status_badge,
)

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices
    from django.db.models.expressions import Combinable
    from django.utils.functional import _StrPromise

# How much of the customer's comment a row of the queue shows: enough to know what it is about.
COMMENT_EXCERPT = 90


class QueueFilter(admin.SimpleListFilter):
    """Mine / shared / all active / overdue / closed / all; Mine when nothing is chosen.

    It reads the parameter and narrows the list; the page shows its choices as tabs above the list
    (change_list.html, counted by queue_summary) rather than in the filter sidebar, so its sidebar
    template renders nothing.
    """

    title = gettext_lazy("queue")
    parameter_name = "queue"
    template = "admin/followups/followuptask/queue_filter.html"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(value, str(label)) for value, label in QueueView.choices]

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


class AssigneeFilter(admin.RelatedOnlyFieldListFilter):
    """The leads' "by assignee" filter, by full name like the reassign choice, not by username."""

    def field_choices(
        self, field: Any, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str | _StrPromise]]:
        # One query, as the parent's: the people among the assignees of what the user may see.
        assignees = model_admin.get_queryset(request).values("assigned_to")
        people = (
            get_user_model().objects.filter(pk__in=assignees).order_by("first_name", "last_name", "username")
        )
        return [(str(user.pk), name_and_username(user)) for user in people]


def _time_column(field: str, description: Any) -> Callable[[Any, FollowUpTask], str]:
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
    verbose_name_plural = gettext_lazy("notes (record)")

    written = _time_column("created_at", gettext_lazy("written"))

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
    list_display = [
        "due",
        "customer_display",
        "score",
        "comment_excerpt",
        "contact_display",
        "assignee",
        "status_display",
    ]
    list_display_links = ["customer_display"]
    list_select_related = ["customer", "contact", "response", "assigned_to"]
    search_fields = [
        "customer__name",
        "=customer__external_id",
        "contact__name",
        "contact__email",
        "contact__phone",
    ]
    search_help_text = gettext_lazy("Customer name or external ID, contact name, email or phone.")
    # Counting every task for "(N total)" is a second query the queue does not need.
    show_full_result_count = False
    list_per_page = 50
    actions = ["take_selected", "assign_selected", "release_selected"]
    inlines = [FollowUpNoteInline]
    fieldsets = [
        (
            gettext_lazy("Follow-up"),
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
        (gettext_lazy("Source"), {"fields": [("customer", "contact", "response")]}),
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

    created = _time_column("created_at", gettext_lazy("created"))
    due_time = _time_column("due_at", gettext_lazy("due"))
    first_contact = _time_column("first_contact_at", gettext_lazy("first contact"))
    completed = _time_column("completed_at", gettext_lazy("closed"))
    notified = _time_column("notified_at", gettext_lazy("account manager emailed"))
    escalated = _time_column("escalated_at", gettext_lazy("escalated to leads"))

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

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        # In Mine every row is the user's and in the shared queue nobody's: the column would say the
        # same on every row and push the status off a laptop screen.
        if (request.GET.get(QueueFilter.parameter_name) or QueueView.MINE) in WORK_QUEUES:
            return [column for column in self.list_display if column != "assignee"]
        return list(self.list_display)

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters: list[Any] = [QueueFilter, "status", "tier"]
        if is_lead(request.user):
            filters.append(("assigned_to", AssigneeFilter))
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
        if view not in QueueView.values:
            view = QueueView.MINE
        # One aggregate query counts every tab.
        summary = queue_summary(request.user)
        counts: dict[str, int | None] = {
            QueueView.MINE: summary.mine,
            QueueView.SHARED: summary.shared,
            QueueView.ACTIVE: summary.active,
            QueueView.OVERDUE: summary.overdue,
        }
        overdue: dict[str, int] = {
            QueueView.MINE: summary.mine_overdue,
            QueueView.SHARED: summary.shared_overdue,
        }
        tabs = [
            {
                "view": value,
                "label": label,
                "count": counts.get(value),
                "overdue": overdue.get(value, 0),
                "selected": value == view,
            }
            for value, label in QueueView.choices
        ]
        extra_context = {
            **(extra_context or {}),
            "title": _("Follow-ups: %(queue)s") % {"queue": QueueView(view).label},
            "summary": summary,
            "tabs": tabs,
            "is_lead": is_lead(request.user),
            "queue_param": QueueFilter.parameter_name,
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description=gettext_lazy("due"), ordering="due_at")
    def due(self, task: FollowUpTask) -> SafeString:
        return format_html("{}{}", due_badge(task), escalated_badge(task))

    @admin.display(description=gettext_lazy("customer"), ordering="customer__name")
    def customer_display(self, task: FollowUpTask) -> SafeString:
        return format_html("{} {}", tier_badge(task.tier), task.customer.name)

    @admin.display(description=gettext_lazy("score"), ordering="response__score")
    def score(self, task: FollowUpTask) -> SafeString:
        return score_badge(task.response)

    @admin.display(description=gettext_lazy("comment"))
    def comment_excerpt(self, task: FollowUpTask) -> SafeString | str:
        comment = task.response.comment.strip()
        if not comment:
            return format_html('<span class="quiet">{}</span>', _("No comment"))
        return format_html(
            '<span class="comment" title="{}">{}</span>', comment, Truncator(comment).chars(COMMENT_EXCERPT)
        )

    @admin.display(description=gettext_lazy("contact"), ordering="contact__name")
    def contact_display(self, task: FollowUpTask) -> SafeString | str:
        contact = task.contact
        if contact is None:
            return "\u2013"
        if not contact.phone:
            return contact.name
        return format_html(
            '{}<br><a class="tel" href="{}" aria-label="{}">{}</a>',
            contact.name,
            _phone_href(contact.phone),
            _("Call %(name)s") % {"name": contact.name},
            contact.phone,
        )

    @admin.display(description=gettext_lazy("assigned to"), ordering="assigned_to__first_name")
    def assignee(self, task: FollowUpTask) -> SafeString | str:
        if task.assigned_to is None:
            return format_html("<em>{}</em>", _("Shared"))
        return person(task.assigned_to)

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_display(self, task: FollowUpTask) -> SafeString:
        return status_badge(task.status)

    # --- bulk actions

    @admin.action(description=gettext_lazy("Take the selected shared follow-ups"), permissions=["change"])
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
                self.log_change(request, task, _("Taken from the shared queue."))
        skipped = queryset.count() - taken - taken_by_others
        if taken:
            self.message_user(
                request,
                ngettext("You took %(count)s follow-up.", "You took %(count)s follow-ups.", taken)
                % {"count": taken},
                messages.SUCCESS,
            )
        if taken_by_others:
            self.message_user(
                request,
                ngettext(
                    "%(count)s had just been taken by someone else.",
                    "%(count)s had just been taken by someone else.",
                    taken_by_others,
                )
                % {"count": taken_by_others},
                messages.WARNING,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)s was not in the shared queue and was left as it was.",
                    "%(count)s were not in the shared queue and were left as they were.",
                    skipped,
                )
                % {"count": skipped},
                messages.INFO,
            )

    @admin.action(description=gettext_lazy("Assign to …"), permissions=["reassign"])
    def assign_selected(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[FollowUpTask]
    ) -> TemplateResponse | None:
        """An intermediate page with the reassign choice; its "Assign" posts back here with `post`."""
        form = AssignSelectedForm(
            request.POST if "post" in request.POST else None, initial={"action": "assign_selected"}
        )
        if form.is_bound and form.is_valid():
            to = form.cleaned_data["to"]
            with domain_errors_as_messages(request) as failed:
                result = assign_followups(tasks=queryset, user=request.user, to=to)
            if not failed:
                self._report_assignment(request, result, to)
            return None
        count = queryset.count()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Assign follow-ups"),
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "queryset": queryset.select_related("customer")[: self.list_per_page],
            "count": count,
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/followups/followuptask/assign_selected.html", context)

    def _report_assignment(
        self,
        request: AuthenticatedHttpRequest,
        result: AssignResult,
        to: Any,
    ) -> None:
        assigned_ids, unchanged, closed = result.assigned_ids, result.unchanged, result.closed
        who = person(to) if to is not None else _("the shared queue")
        if assigned_ids:
            # One INSERT for the history of every task handed over.
            LogEntry.objects.log_actions(
                user_id=request.user.pk,
                queryset=FollowUpTask.objects.filter(pk__in=assigned_ids),
                action_flag=CHANGE,
                change_message=_("Assigned to %(person)s.") % {"person": who},
            )
            self.message_user(
                request,
                ngettext(
                    "%(count)s follow-up is with %(person)s now.",
                    "%(count)s follow-ups are with %(person)s now.",
                    len(assigned_ids),
                )
                % {"count": len(assigned_ids), "person": who},
                messages.SUCCESS,
            )
        if unchanged:
            self.message_user(
                request,
                ngettext(
                    "%(count)s was already with %(person)s.",
                    "%(count)s were already with %(person)s.",
                    unchanged,
                )
                % {"count": unchanged, "person": who},
                messages.INFO,
            )
        if closed:
            self.message_user(
                request,
                ngettext(
                    "%(count)s is closed and stays as it was.",
                    "%(count)s are closed and stay as they were.",
                    closed,
                )
                % {"count": closed},
                messages.WARNING,
            )

    @admin.action(
        description=gettext_lazy("Return the selected to the shared queue"), permissions=["reassign"]
    )
    def release_selected(self, request: AuthenticatedHttpRequest, queryset: QuerySet[FollowUpTask]) -> None:
        released = closed = 0
        for task in queryset.filter(status__in=ACTIVE_STATUSES, assigned_to__isnull=False):
            try:
                reassign_followup(task=task, user=request.user, to=None)
            except FollowUpConflict:
                closed += 1
            else:
                released += 1
                self.log_change(request, task, _("Returned to the shared queue."))
        self.message_user(
            request,
            ngettext(
                "%(count)s follow-up is in the shared queue now.",
                "%(count)s follow-ups are in the shared queue now.",
                released,
            )
            % {"count": released},
            messages.SUCCESS,
        )
        if closed:
            self.message_user(
                request,
                ngettext(
                    "%(count)s was closed meanwhile and stays closed.",
                    "%(count)s were closed meanwhile and stay closed.",
                    closed,
                )
                % {"count": closed},
                messages.WARNING,
            )

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
                _("In the shared queue: take it to work on it.")
                if task.assigned_to_id is None
                else _("Assigned to %(person)s; only they or a follow-up lead can change it.")
                % {"person": person(task.assigned_to)}
            )
        contact = data["contact"]
        can_log = works_on and interaction_policy.can_add_for(user, task.customer)
        return {
            **data,
            "title": _("Follow-up: %(customer)s") % {"customer": task.customer.name},
            "due_words": due_in_words(task, now=now),
            "due_local": local_time(task.due_at, now=now),
            "submitted_local": local_time(task.response.submitted_at, now=now),
            "phone_href": _phone_href(contact.phone) if contact is not None and contact.phone else "",
            "score_badge": score_badge(task.response),
            "status_badge": status_badge(task.status),
            "escalated_badge": escalated_badge(task),
            "tier_badge": tier_badge(task.customer.tier),
            "assignee": person(task.assigned_to),
            "manager": person(task.customer.account_manager),
            "can_take": task.is_active and followup_policy.can_take(user, task),
            "can_start": can_work and task.status == Status.OPEN,
            # Start comes before Complete (see complete_view): an open task offers Start only.
            "can_complete": can_work and task.status == Status.IN_PROGRESS,
            "can_cancel": can_work,
            "can_note": followup_policy.can_note(user, task),
            "can_reassign": can_reassign,
            "can_log_interaction": can_log,
            "log_links": self._log_links(request, task) if can_log else [],
            "read_only_reason": read_only_reason,
            "note_form": NoteForm(),
            "complete_form": CompleteForm(),
            "cancel_form": CancelForm(),
            "reassign_form": ReassignForm(initial={"to": task.assigned_to_id}) if can_reassign else None,
        }

    def _log_links(self, request: HttpRequest, task: FollowUpTask) -> list[tuple[str, str]]:
        """The page's "Log a call / meeting / email" links, keeping the queue's filters for the way back."""
        context: dict[str, Options[Model] | str] = {
            "preserved_filters": self.get_preserved_filters(request),
            "opts": self.opts,
        }
        log_url = reverse("admin:followups_followuptask_log", args=[task.pk])
        return [
            (add_preserved_filters(context, f"{log_url}?{urlencode({'channel': channel})}"), label)
            for channel, label in (
                (Channel.PHONE, _("Log a call")),
                (Channel.MEETING, _("Log a meeting")),
                (Channel.EMAIL, _("Log an email")),
            )
        ]
