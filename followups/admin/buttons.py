"""The follow-up page's buttons: one POST endpoint per service call.

Each endpoint checks the Django permission for the kind of act (Sales may press nothing: 403), then
lets the service decide about this task for this user. A refusal or a lost race becomes a message
on the follow-up page rather than an error page: the usual cause is a page opened before a
colleague took, closed or reassigned the task.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from followups.forms import CancelForm, CompleteForm, NoteForm, ReassignForm
from followups.models import FollowUpTask
from followups.services import (
    FollowUpConflict,
    add_followup_note,
    cancel_followup,
    complete_followup,
    is_lead,
    reassign_followup,
    start_followup,
    take_followup,
)

from .display import person

NOTE_PERMISSION = "followups.add_followupnote"


class FollowUpButtonsAdmin(admin.ModelAdmin):
    """The endpoints behind the buttons; FollowUpTaskAdmin adds the list and the page."""

    def has_reassign_permission(self, request: HttpRequest) -> bool:
        return is_lead(request.user)

    def get_urls(self) -> list[URLPattern]:
        actions: list[tuple[str, Callable[[HttpRequest, str], HttpResponse]]] = [
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
        return [*urls, *super().get_urls()]

    def _task(self, request: HttpRequest, object_id: str) -> FollowUpTask:
        return get_object_or_404(self.get_queryset(request), pk=object_id)

    def _back(self, request: HttpRequest, task: FollowUpTask) -> HttpResponseRedirect:
        url = reverse("admin:followups_followuptask_change", args=[task.pk])
        context = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        return HttpResponseRedirect(add_preserved_filters(context, url))

    def _run(
        self, request: HttpRequest, task: FollowUpTask, change: Callable[[], object], done: str
    ) -> HttpResponseRedirect:
        """Call the service; turn its refusals into messages on the follow-up page."""
        try:
            change()
        except PermissionDenied as refusal:
            self.message_user(request, str(refusal) or "You may not do that.", messages.ERROR)
        except FollowUpConflict as conflict:
            self.message_user(request, f"Nothing changed: {conflict}", messages.WARNING)
        except ValueError as invalid:  # the services' word for bad input (an empty note)
            self.message_user(request, str(invalid), messages.ERROR)
        else:
            self.log_change(request, task, done)
            self.message_user(request, done, messages.SUCCESS)
        return self._back(request, task)

    def _invalid(self, request: HttpRequest, task: FollowUpTask, form: forms.Form) -> HttpResponseRedirect:
        errors = "; ".join(
            f"{form.fields[name].label}: {' '.join(errs)}" if name in form.fields else " ".join(errs)
            for name, errs in form.errors.items()
        )
        self.message_user(request, f"Nothing changed. {errors}", messages.ERROR)
        return self._back(request, task)

    def _require_change(self, request: HttpRequest) -> None:
        # The Django permission says what kind of user may press the button at all (Sales may not);
        # the service then says whether this user may do it to this task.
        if not self.has_change_permission(request):
            raise PermissionDenied

    def take_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Move a shared task to the user."""
        self._require_change(request)
        task = self._task(request, object_id)
        return self._run(
            request, task, lambda: take_followup(task=task, user=request.user), "You took this follow-up."
        )

    def start_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Mark the task in progress; the service records the first contact."""
        self._require_change(request)
        task = self._task(request, object_id)
        return self._run(
            request,
            task,
            lambda: start_followup(task=task, user=request.user),
            "Started: first contact recorded.",
        )

    def note_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Add a note to the task's log."""
        if not request.user.has_perm(NOTE_PERMISSION):
            raise PermissionDenied
        task = self._task(request, object_id)
        form = NoteForm(request.POST)
        if not form.is_valid():
            return self._invalid(request, task, form)
        text = form.cleaned_data["text"]
        return self._run(
            request, task, lambda: add_followup_note(task=task, user=request.user, text=text), "Note added."
        )

    def complete_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Close the task with an outcome (and an optional note)."""
        self._require_change(request)
        task = self._task(request, object_id)
        form = CompleteForm(request.POST)
        if not form.is_valid():
            return self._invalid(request, task, form)
        outcome, note = form.cleaned_data["outcome"], form.cleaned_data["note"]
        return self._run(
            request,
            task,
            lambda: complete_followup(task=task, user=request.user, outcome=outcome, note=note),
            "Completed. The contact is asked how the follow-up went (CSAT), unless they opted out or "
            "another follow-up of the customer is still open.",
        )

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
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
            "Cancelled.",
        )

    def reassign_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
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
            f"Assigned to {person(to)}." if to is not None else "Returned to the shared queue.",
        )
