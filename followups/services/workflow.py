"""Working a follow-up: take, start, note, complete, cancel, reassign, and escalation when overdue.

Every transition is a conditional UPDATE whose row count says whether it happened, so two people (or
two browser tabs) acting on one task at once cannot both succeed.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone

from core.tasks import enqueue_on_commit
from customers.models import Contact
from followups.models import ACTIVE_STATUSES, FollowUpNote, FollowUpTask, Outcome, Status
from surveys.models import SurveyKind, Trigger
from surveys.services import invite_contacts, lift_survey_suppression

from .creation import LEADS_GROUP, suppression_reason

REASSIGN_PERMISSION = "followups.reassign_followuptask"


class FollowUpConflict(Exception):
    """The task changed under the user (taken, completed or cancelled meanwhile)."""


def is_lead(user: AbstractBaseUser) -> bool:
    return user.is_superuser or user.has_perm(REASSIGN_PERMISSION)


def can_work_on(user: AbstractBaseUser, task: FollowUpTask) -> bool:
    """Whether the user may change the task: its assignee, or a lead."""
    return is_lead(user) or (task.assigned_to_id is not None and task.assigned_to_id == user.pk)


def _require(user: AbstractBaseUser, task: FollowUpTask) -> None:
    if not can_work_on(user, task):
        if task.assigned_to_id is None:
            raise PermissionDenied("Take the task from the shared queue before working on it.")
        raise PermissionDenied(
            "This follow-up belongs to another account manager; ask a lead to reassign it."
        )


def _transition(
    task: FollowUpTask, *, user: AbstractBaseUser, allowed_from: tuple[str, ...], **changes: object
) -> None:
    rows = FollowUpTask.objects.filter(pk=task.pk, status__in=allowed_from)
    if not is_lead(user):
        # Re-checked in the UPDATE itself: a lead may have reassigned the task since it was loaded.
        rows = rows.filter(assigned_to=user)
    updated = rows.update(**changes)
    if updated != 1:
        current = FollowUpTask.objects.filter(pk=task.pk).values_list("status", flat=True).first()
        raise FollowUpConflict(
            f"The follow-up is {Status(current).label.lower() if current else 'gone'} now."
        )
    task.refresh_from_db()


def take_followup(*, task: FollowUpTask, user: AbstractBaseUser) -> None:
    """Move a task from the shared queue to the user."""
    if not user.has_perm("followups.change_followuptask"):
        raise PermissionDenied("Only account managers can take follow-ups.")
    updated = FollowUpTask.objects.filter(
        pk=task.pk, assigned_to__isnull=True, status__in=ACTIVE_STATUSES
    ).update(assigned_to=user)
    if updated != 1:
        raise FollowUpConflict("Someone else took this follow-up, or it is closed.")
    task.refresh_from_db()


def start_followup(*, task: FollowUpTask, user: AbstractBaseUser) -> None:
    """Mark that the account manager has reached out; records the first contact."""
    _require(user, task)
    _transition(
        task,
        user=user,
        allowed_from=(Status.OPEN,),
        status=Status.IN_PROGRESS,
        first_contact_at=Coalesce(F("first_contact_at"), timezone.now()),
    )


def add_followup_note(*, task: FollowUpTask, user: AbstractBaseUser, text: str) -> FollowUpNote:
    """Add a note to the task's log."""
    _require(user, task)
    text = text.strip()
    if not text:
        raise ValueError("A note needs some text.")
    return FollowUpNote.objects.create(task=task, author=user, text=text)


def complete_followup(*, task: FollowUpTask, user: AbstractBaseUser, outcome: str, note: str = "") -> None:
    """Close the task with an outcome, lift the survey hold and ask the contact how it went (CSAT)."""
    _require(user, task)
    if outcome not in Outcome.values:
        raise ValueError(f"Unknown outcome {outcome!r}.")
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


def cancel_followup(*, task: FollowUpTask, user: AbstractBaseUser, reason: str) -> None:
    """Close the task without an outcome (e.g. a duplicate complaint), with the reason as a note."""
    _require(user, task)
    if not reason.strip():
        raise ValueError("Say why the follow-up is cancelled.")
    with transaction.atomic():
        _transition(
            task,
            user=user,
            allowed_from=ACTIVE_STATUSES,
            status=Status.CANCELLED,
            completed_at=timezone.now(),
        )
        FollowUpNote.objects.create(task=task, author=user, text=f"Cancelled: {reason.strip()}")
        lift_survey_suppression(customer_id=task.customer_id, reason=suppression_reason(task.pk))


def reassign_followup(*, task: FollowUpTask, user: AbstractBaseUser, to: AbstractBaseUser | None) -> None:
    """Give the task to another account manager, or back to the shared queue (leads only)."""
    if not is_lead(user):
        raise PermissionDenied("Only follow-up leads can reassign follow-ups.")
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
            .values_list("email", flat=True)
            .distinct()
        )
        if leads:
            tasks = FollowUpTask.objects.filter(pk__in=ids).select_related(
                "customer", "assigned_to", "response"
            )
            context = {"tasks": tasks, "count": len(ids)}
            send_mail(
                subject=render_to_string("followups/email/escalated_subject.txt", context).strip(),
                message=render_to_string("followups/email/escalated.txt", context),
                from_email=None,
                recipient_list=leads,
            )
    return len(ids)
