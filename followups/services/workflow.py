"""Working a follow-up: take, start, note, complete, cancel, reassign, and escalation when overdue.

Who may do which of these is followups.policy's to say; each service asks it first and raises its
refusal as core.errors.Forbidden. Every transition is then a conditional UPDATE whose row count says
whether it happened, so two people (or two browser tabs) acting on one task at once cannot both
succeed, and a task reassigned since it was loaded is not changed by its former assignee.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import BadInput, Conflict
from core.i18n import emails_in_their_language
from core.tasks import enqueue_on_commit
from core.types import User
from customers.models import Contact
from followups.models import ACTIVE_STATUSES, FollowUpNote, FollowUpTask, Outcome, Status
from followups.policy import followup_policy
from followups.roles import LEADS_GROUP
from surveys.models import SurveyKind, Trigger
from surveys.services import invite_contacts, lift_survey_suppression

from .creation import suppression_reason


class FollowUpConflict(Conflict):
    """The task changed under the user (taken, completed, cancelled or reassigned meanwhile)."""


def _transition(task: FollowUpTask, *, user: User, allowed_from: tuple[str, ...], **changes: object) -> None:
    candidates = FollowUpTask.objects.filter(pk=task.pk, status__in=allowed_from)
    # The policy's rule again, inside the UPDATE itself: a lead may have reassigned the task since it
    # was loaded and checked, and the former assignee must then change nothing.
    updated = followup_policy.changeable(user, candidates).update(**changes)
    if updated != 1:
        current = FollowUpTask.objects.filter(pk=task.pk).values_list("status", flat=True).first()
        if current in allowed_from:
            raise FollowUpConflict(_("The follow-up was reassigned meanwhile."))
        if current is None:
            raise FollowUpConflict(_("The follow-up no longer exists."))
        raise FollowUpConflict(
            _("The follow-up is %(status)s now.") % {"status": Status(current).label.lower()}
        )
    task.refresh_from_db()


def take_followup(*, task: FollowUpTask, user: User) -> None:
    """Move a task from the shared queue to the user."""
    followup_policy.require_take(user, task)
    updated = FollowUpTask.objects.filter(
        pk=task.pk, assigned_to__isnull=True, status__in=ACTIVE_STATUSES
    ).update(assigned_to=user)
    if updated != 1:
        raise FollowUpConflict(_("Someone else took this follow-up, or it is closed."))
    task.refresh_from_db()


def start_followup(*, task: FollowUpTask, user: User) -> None:
    """Mark that the account manager has reached out; records the first contact."""
    followup_policy.require_change(user, task)
    _transition(
        task,
        user=user,
        allowed_from=(Status.OPEN,),
        status=Status.IN_PROGRESS,
        first_contact_at=Coalesce(F("first_contact_at"), timezone.now()),
    )


def add_followup_note(*, task: FollowUpTask, user: User, text: str) -> FollowUpNote:
    """Add a note to the task's log."""
    followup_policy.require_note(user, task)
    text = text.strip()
    if not text:
        raise BadInput(_("A note needs some text."))
    return FollowUpNote.objects.create(task=task, author=user, text=text)


def complete_followup(*, task: FollowUpTask, user: User, outcome: str, note: str = "") -> None:
    """Close the task with an outcome, lift the survey hold and ask the contact how it went (CSAT)."""
    followup_policy.require_change(user, task)
    if outcome not in Outcome.values:
        raise BadInput(_("Choose the outcome of the follow-up."), field="outcome")
    now = timezone.now()
    with transaction.atomic():
        _transition(
            task,
            user=user,
            allowed_from=ACTIVE_STATUSES,
            status=Status.DONE,
            outcome=outcome,
            completed_at=now,
            first_contact_at=Coalesce(F("first_contact_at"), now),
        )
        if note.strip():
            FollowUpNote.objects.create(task=task, author=user, text=note.strip())
        lift_survey_suppression(customer_id=task.customer_id, reason=suppression_reason(task.pk))
        if task.contact_id is not None:
            # The recovery survey continues the conversation the contact started, so the cool-down
            # does not hold it back; opt-outs and other open follow-ups still do.
            invite_contacts(
                contacts=Contact.objects.filter(pk=task.contact_id),
                kind=SurveyKind.CSAT,
                trigger=Trigger.FOLLOWUP_COMPLETED,
                trigger_key=suppression_reason(task.pk),
                created_by=user,
                respect_cooldown=False,
            )


def cancel_followup(*, task: FollowUpTask, user: User, reason: str) -> None:
    """Close the task without an outcome (e.g. a duplicate complaint), with the reason as a note."""
    followup_policy.require_change(user, task)
    if not reason.strip():
        raise BadInput(_("Say why the follow-up is cancelled."), field="reason")
    with transaction.atomic():
        _transition(
            task,
            user=user,
            allowed_from=ACTIVE_STATUSES,
            status=Status.CANCELLED,
            completed_at=timezone.now(),
        )
        FollowUpNote.objects.create(
            task=task, author=user, text=_("Cancelled: %(reason)s") % {"reason": reason.strip()}
        )
        lift_survey_suppression(customer_id=task.customer_id, reason=suppression_reason(task.pk))


def reassign_followup(*, task: FollowUpTask, user: User, to: User | None) -> None:
    """Give the task to another account manager, or back to the shared queue (leads only)."""
    followup_policy.require_reassign(user)
    with transaction.atomic():
        # The new owner hears about it the way the first one did.
        _transition(task, user=user, allowed_from=ACTIVE_STATUSES, assigned_to=to, notified_at=None)
        from followups.tasks import notify_followup_created  # tasks import the services

        enqueue_on_commit(notify_followup_created, task.pk)


def escalate_overdue_followups(*, now: datetime | None = None, limit: int = 500) -> int:
    """Mark overdue tasks escalated and email the follow-up leads, once per task; return the count.

    The rows are claimed with skip_locked, so two runs at once split the work instead of both
    emailing; the email is sent inside the claiming transaction, so a failed send rolls the claim
    back for the next run.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            FollowUpTask.objects.overdue(now)
            .filter(escalated_at__isnull=True)
            .order_by("due_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return 0
        FollowUpTask.objects.filter(pk__in=ids, escalated_at__isnull=True).update(escalated_at=now)
        leads = list(
            get_user_model()
            .objects.filter(groups__name=LEADS_GROUP, is_active=True)
            .exclude(email="")
            .distinct()
            .order_by("pk")
        )
        if leads:
            # Read once, rendered once per language: each lead gets their own email in their language.
            tasks = list(
                FollowUpTask.objects.filter(pk__in=ids).select_related("customer", "assigned_to", "response")
            )
            context = {"tasks": tasks, "count": len(ids)}
            get_connection().send_messages(
                emails_in_their_language(
                    recipients=leads,
                    subject_template="followups/email/escalated_subject.txt",
                    body_template="followups/email/escalated.txt",
                    context=context,
                )
            )
    return len(ids)
