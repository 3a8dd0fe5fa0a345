"""Reads of the followups app: the account manager's queue and what the follow-up page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.types import AnyUser
from customers.selectors import recent_interactions
from followups.models import ACTIVE_STATUSES, FollowUpNote, FollowUpTask, Status
from followups.policy import followup_policy
from followups.roles import ACCOUNT_MANAGERS_GROUP, LEADS_GROUP
from surveys.models import SurveyResponse

# The follow-up page shows this many of the customer's other responses and latest interactions; the
# account manager on the phone needs the recent story, the customer page has the rest.
EARLIER_RESPONSES = 10
RECENT_INTERACTIONS = 10


class QueueView(models.TextChoices):
    """The slices of the follow-up list; MINE is what everyone sees first."""

    MINE = "mine", _("Mine")
    SHARED = "shared", _("Shared queue")
    ACTIVE = "active", _("All active")
    OVERDUE = "overdue", _("Overdue")
    CLOSED = "closed", _("Done / cancelled")
    ALL = "all", _("All")


# The two queues an account manager works from, each its own tab: what is theirs, what is free to take.
WORK_QUEUES = (QueueView.MINE, QueueView.SHARED)


def queue_tasks(
    tasks: QuerySet[FollowUpTask],
    *,
    view: str,
    user: AnyUser,
    now: datetime | None = None,
) -> QuerySet[FollowUpTask]:
    """Narrow `tasks` (already what `user` may see) to one queue view; an unknown view means MINE."""
    now = now or timezone.now()
    if view == QueueView.ALL:
        return tasks
    if view == QueueView.CLOSED:
        return tasks.filter(status__in=(Status.DONE, Status.CANCELLED))
    active = tasks.filter(status__in=ACTIVE_STATUSES)
    if view == QueueView.ACTIVE:
        return active
    if view == QueueView.OVERDUE:
        return active.filter(due_at__lt=now)
    # Both served by followup_queue_idx: the user's rows, or the NULL (shared) rows.
    if view == QueueView.SHARED:
        return active.filter(assigned_to__isnull=True)
    return active.filter(assigned_to_id=user.pk)


def next_queue_task(
    user: AnyUser, *, view: str = QueueView.MINE, after: FollowUpTask | None = None
) -> FollowUpTask | None:
    """The first active task of the user's queue (MINE, or SHARED) in the queue's order, or None.

    `after` is the task just closed: it is left out even if the caller's transaction still sees it
    active. Only tasks the user may see are considered (followups.policy), so the answer never
    reveals another manager's work.
    """
    view = view if view in WORK_QUEUES else QueueView.MINE
    tasks = queue_tasks(visible_followups(user), view=view, user=user)
    if after is not None:
        tasks = tasks.exclude(pk=after.pk)
    # The list's order (model ordering: due_at, priority), with pk to break ties the same every time.
    return tasks.select_related("customer").order_by("due_at", "priority", "pk").first()


@dataclass(frozen=True)
class QueueSummary:
    """How much is waiting: the user's own active tasks, the shared queue, and overdue among them."""

    active: int
    mine: int
    mine_overdue: int
    shared: int
    shared_overdue: int
    overdue: int


def queue_summary(user: AnyUser, *, now: datetime | None = None) -> QueueSummary:
    """Count the user's queue, the shared queue and the overdue tasks they may see, in one query."""
    now = now or timezone.now()
    late = Q(due_at__lt=now)
    active = FollowUpTask.objects.filter(status__in=ACTIVE_STATUSES)
    counts = followup_policy.visible(user, active).aggregate(
        active=Count("pk"),
        mine=Count("pk", filter=Q(assigned_to_id=user.pk)),
        mine_overdue=Count("pk", filter=Q(assigned_to_id=user.pk) & late),
        shared=Count("pk", filter=Q(assigned_to__isnull=True)),
        shared_overdue=Count("pk", filter=Q(assigned_to__isnull=True) & late),
        overdue=Count("pk", filter=late),
    )
    return QueueSummary(**counts)


def assignable_users() -> QuerySet[Any]:
    """Active members of the account manager and lead groups: whom a lead can hand a follow-up to."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[ACCOUNT_MANAGERS_GROUP, LEADS_GROUP])
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def followup_context(task_id: int, *, include_notes: bool = True) -> dict[str, Any]:
    """Everything the follow-up page shows about a task, in five queries whatever the history's length.

    Raises FollowUpTask.DoesNotExist when the task is gone. `include_notes=False` leaves the notes
    log out (and its query) for people who may not read notes.
    """
    task = FollowUpTask.objects.select_related(
        "customer", "customer__account_manager", "contact", "response", "response__survey", "assigned_to"
    ).get(pk=task_id)
    # Every other answer of the customer, newest first, with the follow-up each one got (if any):
    # served by response_customer_latest_idx per kind; `limit` rows whatever the history's length.
    earlier_responses = list(
        SurveyResponse.objects.filter(customer_id=task.customer_id)
        .exclude(pk=task.response_id)
        .select_related("contact", "followup")
        .order_by("-submitted_at", "-pk")[:EARLIER_RESPONSES]
    )
    notes = (
        list(
            FollowUpNote.objects.filter(task_id=task.pk).select_related("author").order_by("created_at", "pk")
        )
        if include_notes
        else []
    )
    # The interactions logged from this follow-up, oldest first as the story went (a handful at most).
    logged_interactions = list(
        task.interactions.select_related("contact", "logged_by").order_by("occurred_at", "pk")
    )
    return {
        "task": task,
        "customer": task.customer,
        "contact": task.contact,
        "response": task.response,
        "is_overdue": task.is_overdue,
        "earlier_responses": earlier_responses,
        "interactions": list(recent_interactions(task.customer_id, limit=RECENT_INTERACTIONS)),
        "notes": notes,
        "include_notes": include_notes,
        "logged_interactions": logged_interactions,
    }


def visible_followups(user: AnyUser) -> QuerySet[FollowUpTask]:
    """The follow-ups `user` may see (followups.policy): all for leads, none for Sales."""
    return followup_policy.visible(user, FollowUpTask.objects.all())
