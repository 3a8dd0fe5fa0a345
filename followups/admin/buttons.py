"""The follow-up page's buttons: one POST endpoint per service call.

Each endpoint asks followups.policy whether this kind of user may press the button at all (Sales may
press nothing: 403), then lets the service decide about this task for this user, by the same policy.
A refusal or a lost race becomes a message rather than an error page: the usual cause is a page
opened before a colleague took, closed or reassigned the task.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field, Model
from django.db.models.options import Options
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.admin import domain_errors_as_messages
from core.permissions import PolicyAdmin
from core.types import AnyUser, AuthenticatedHttpRequest
from customers.models import Channel, Direction, Interaction
from customers.policy import interaction_policy
from followups.forms import (
    LOGGED_CHANNELS,
    CancelForm,
    CompleteForm,
    InteractionLogForm,
    NoteForm,
    ReassignForm,
)
from followups.models import FollowUpTask
from followups.policy import followup_policy
from followups.selectors import QueueView, next_queue_task
from followups.services import (
    add_followup_note,
    cancel_followup,
    complete_followup,
    log_followup_interaction,
    reassign_followup,
    start_followup,
    take_followup,
)

from .display import local_time, person

# What the log page says once saved, per channel.
_LOGGED = {
    Channel.PHONE: gettext_lazy("The call is logged on the follow-up."),
    Channel.MEETING: gettext_lazy("The meeting is logged on the follow-up."),
    Channel.EMAIL: gettext_lazy("The email is logged on the follow-up."),
}


class FollowUpButtonsAdmin(PolicyAdmin):
    """The endpoints behind the buttons; FollowUpTaskAdmin adds the list and the page."""

    policy = followup_policy

    def has_reassign_permission(self, request: HttpRequest) -> bool:
        return followup_policy.can_reassign(request.user)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> FollowUpTask | None:
        """The follow-up with this id among all of them, not only those the user may see.

        The admin asks has_view_permission(request, obj) next, that is the policy: another manager's
        follow-up answers 403 as the API does, instead of the admin's "does not exist" redirect, and
        a button pressed on a task reassigned meanwhile gets the service's reason as a message.
        """
        queryset = FollowUpTask.objects.select_related("customer", "contact", "response", "assigned_to")
        field = FollowUpTask._meta.pk if from_field is None else FollowUpTask._meta.get_field(from_field)
        if not isinstance(field, Field):  # a reverse relation is no field to look a row up by
            return None
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (FollowUpTask.DoesNotExist, DjangoValidationError, ValueError):
            return None

    def get_urls(self) -> list[URLPattern]:
        actions: list[tuple[str, Callable[[AuthenticatedHttpRequest, str], HttpResponse]]] = [
            ("take", self.take_view),
            ("start", self.start_view),
            ("note", self.note_view),
            ("complete", self.complete_view),
            ("cancel", self.cancel_view),
            ("reassign", self.reassign_view),
        ]
        # admin_view adds the staff login check and CSRF protection; require_POST turns a stray
        # GET into a 405 instead of a state change.
        urls = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(require_POST(view)),
                name=f"followups_followuptask_{name}",
            )
            for name, view in actions
        ]
        # The log page is a form of its own (GET shows it, POST saves), not a button.
        urls.append(
            path(
                "<path:object_id>/log/",
                self.admin_site.admin_view(require_http_methods(["GET", "POST"])(self.log_view)),
                name="followups_followuptask_log",
            )
        )
        return [*urls, *super().get_urls()]

    def _task(self, request: HttpRequest, object_id: str) -> FollowUpTask:
        task = self.get_object(request, object_id)
        if task is None:
            raise Http404(_("No follow-up with this id."))
        return task

    def _back(self, request: HttpRequest, task: FollowUpTask) -> HttpResponseRedirect:
        """To the follow-up page, or to the queue once the user may no longer see the task."""
        still_visible = followup_policy.visible(
            request.user, FollowUpTask.objects.filter(pk=task.pk)
        ).exists()
        url = (
            reverse("admin:followups_followuptask_change", args=[task.pk])
            if still_visible
            else reverse("admin:followups_followuptask_changelist")
        )
        context: dict[str, Options[Model] | str] = {
            "preserved_filters": self.get_preserved_filters(request),
            "opts": self.opts,
        }
        return HttpResponseRedirect(add_preserved_filters(context, url))

    def _run(
        self, request: HttpRequest, task: FollowUpTask, change: Callable[[], object], done: str
    ) -> HttpResponseRedirect:
        """Call the service; show its refusal, conflict or complaint about the input as a message."""
        with domain_errors_as_messages(request, success=done) as failed:
            change()
        if not failed:
            self.log_change(request, task, done)
        return self._back(request, task)

    def _invalid(self, request: HttpRequest, task: FollowUpTask, form: forms.Form) -> HttpResponseRedirect:
        errors = "; ".join(
            " ".join(str(error) for error in errs)
            if name not in form.fields
            else f"{form.fields[name].label}: {' '.join(str(error) for error in errs)}"
            for name, errs in form.errors.items()
        )
        self.message_user(request, _("Nothing changed. %(errors)s") % {"errors": errors}, messages.ERROR)
        return self._back(request, task)

    def _require_change(self, request: HttpRequest) -> None:
        # Whether this kind of user may press the button at all (Sales may not); the service then
        # asks the policy whether this user may do it to this task.
        if not self.has_change_permission(request):
            raise PermissionDenied

    def take_view(self, request: AuthenticatedHttpRequest, object_id: str) -> HttpResponse:
        """Move a shared task to the user."""
        self._require_change(request)
        task = self._task(request, object_id)
        return self._run(
            request, task, lambda: take_followup(task=task, user=request.user), _("You took this follow-up.")
        )

    def start_view(self, request: AuthenticatedHttpRequest, object_id: str) -> HttpResponse:
        """Mark the task in progress; the service records the first contact."""
        self._require_change(request)
        task = self._task(request, object_id)
        return self._run(
            request,
            task,
            lambda: start_followup(task=task, user=request.user),
            _("Started: first contact recorded."),
        )

    def note_view(self, request: AuthenticatedHttpRequest, object_id: str) -> HttpResponse:
        """Add a note to the task's log."""
        if not followup_policy.can_note_any(request.user):
            raise PermissionDenied
        task = self._task(request, object_id)
        form = NoteForm(request.POST)
        if not form.is_valid():
            return self._invalid(request, task, form)
        text = form.cleaned_data["text"]
        return self._run(
            request,
            task,
            lambda: add_followup_note(task=task, user=request.user, text=text),
            _("Note added."),
        )

    def complete_view(self, request: AuthenticatedHttpRequest, object_id: str) -> HttpResponse:
        """Close a started task with an outcome (and an optional note), then open the next one."""
        self._require_change(request)
        task = self._task(request, object_id)
        # Start comes before Complete: the page offers Complete only on a started task. The first
        # contact is a measured figure (time to first contact per tier and manager), and an open task
        # completed in one go would record it at completion, later than the call was; Start, or
        # logging the call, records it when it happened. A post from a page opened before (or an
        # API client) still completes an open task: the service then records the first contact at
        # completion, which is the latest it can have been.
        form = CompleteForm(request.POST)
        if not form.is_valid():
            return self._invalid(request, task, form)
        outcome, note = form.cleaned_data["outcome"], form.cleaned_data["note"]
        done = _(
            "Completed. The contact is asked how the follow-up went (CSAT), unless they opted out or "
            "another follow-up of the customer is still open."
        )
        with domain_errors_as_messages(request, success=done) as failed:
            complete_followup(task=task, user=request.user, outcome=outcome, note=note)
        if failed:
            return self._back(request, task)
        self.log_change(request, task, done)
        return self._next(request, task)

    def _next(self, request: HttpRequest, done: FollowUpTask) -> HttpResponseRedirect:
        """To the next task of the user's own queue (the queue's order), or to the list when empty."""
        following = next_queue_task(request.user, view=QueueView.MINE, after=done)
        context: dict[str, Options[Model] | str] = {
            "preserved_filters": self.get_preserved_filters(request),
            "opts": self.opts,
        }
        if following is None:
            self.message_user(request, _("No more follow-ups in your queue."), messages.INFO)
            url = reverse("admin:followups_followuptask_changelist")
        else:
            self.message_user(
                request,
                _("Next in your queue: %(customer)s, due %(due)s.")
                % {"customer": following.customer.name, "due": local_time(following.due_at)},
                messages.INFO,
            )
            url = reverse("admin:followups_followuptask_change", args=[following.pk])
        return HttpResponseRedirect(add_preserved_filters(context, url))

    def cancel_view(self, request: AuthenticatedHttpRequest, object_id: str) -> HttpResponse:
        """Close the task without an outcome, with the reason as a note."""
        self._require_change(request)
        task = self._task(request, object_id)
        form = CancelForm(request.POST)
        if not form.is_valid():
            return self._invalid(request, task, form)
        reason = form.cleaned_data["reason"]
        return self._run(
            request,
            task,
            lambda: cancel_followup(task=task, user=request.user, reason=reason),
            _("Cancelled."),
        )

    def reassign_view(self, request: AuthenticatedHttpRequest, object_id: str) -> HttpResponse:
        """Give the task to another account manager or the shared queue (leads only)."""
        if not self.has_reassign_permission(request):
            raise PermissionDenied
        task = self._task(request, object_id)
        form = ReassignForm(request.POST)
        if not form.is_valid():
            return self._invalid(request, task, form)
        to = form.cleaned_data["to"]
        return self._run(
            request,
            task,
            lambda: reassign_followup(task=task, user=request.user, to=to),
            _("Assigned to %(person)s.") % {"person": person(to)}
            if to is not None
            else _("Returned to the shared queue."),
        )

    def log_view(self, request: AuthenticatedHttpRequest, object_id: str) -> HttpResponse:
        """Log a call, meeting or email about the task; it is linked to the task and counts as contact."""
        task = self._task(request, object_id)
        user = request.user
        if not followup_policy.can_view(user, task):
            # Another manager's follow-up: 403, as the page itself answers, and nothing about it.
            raise PermissionDenied
        refusal = _log_refusal(user, task)
        if refusal:
            self.message_user(request, refusal, messages.ERROR)
            return self._back(request, task)
        if request.method == "POST":
            form = InteractionLogForm(request.POST, customer=task.customer)
            if form.is_valid():
                interaction = form.save(commit=False)
                done = str(_LOGGED.get(interaction.channel, _LOGGED[Channel.PHONE]))
                with domain_errors_as_messages(request, success=done) as failed:
                    log_followup_interaction(task=task, user=user, interaction=interaction)
                if not failed:
                    self.log_change(request, task, done)
                return self._back(request, task)
        else:
            channel = request.GET.get("channel")
            form = InteractionLogForm(
                customer=task.customer,
                initial={
                    "channel": channel if channel in LOGGED_CHANNELS else Channel.PHONE,
                    "direction": Direction.OUTBOUND,
                    "contact": task.contact_id,
                    "occurred_at": timezone.localtime().replace(second=0, microsecond=0),
                },
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Log a call, meeting or email: %(customer)s") % {"customer": task.customer.name},
            "subtitle": None,
            "opts": self.opts,
            "task": task,
            "original": task,
            "form": form,
            "has_view_permission": True,
            "media": self.media + form.media,
            "preserved_filters": self.get_preserved_filters(request),
            "first_contact_recorded": task.first_contact_at is not None,
        }
        return TemplateResponse(request, "admin/followups/followuptask/log_interaction.html", context)


def _log_refusal(user: AnyUser, task: FollowUpTask) -> str:
    """Why `user` may not log an interaction on `task`, or '' when they may."""
    if not followup_policy.can_change(user, task):
        return followup_policy.refusal(user, task)
    if not interaction_policy.can_add_for(user, task.customer):
        return interaction_policy.refusal(user, Interaction(customer=task.customer))
    return ""
