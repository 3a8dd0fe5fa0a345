"""Handing many follow-ups to one person at once: the list's "Assign to ..." action."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from core.tasks import enqueue_on_commit
from core.types import User
from followups.models import ACTIVE_STATUSES, FollowUpTask
from followups.policy import followup_policy


@dataclass(frozen=True)
class AssignResult:
    """What became of the chosen tasks: handed over, already with that person, or closed."""

    assigned_ids: tuple[int, ...]
    unchanged: int
    closed: int

    @property
    def assigned(self) -> int:
        return len(self.assigned_ids)


def assign_followups(*, tasks: QuerySet[FollowUpTask], user: User, to: User | None) -> AssignResult:
    """Give every active task of `tasks` to `to` (None: the shared queue) in one UPDATE (leads only).

    The set form of reassign_followup: the same policy, the same columns, and each new owner is
    emailed about each task as on a single reassignment. Closed tasks and those `to` already has
    are left as they are and counted.
    """
    followup_policy.require_reassign(user)
    # A bare id filter: the caller's queryset may carry joins (the list's select_related), and
    # PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    chosen = FollowUpTask.objects.filter(pk__in=tasks.values("pk"))
    with transaction.atomic():
        rows = list(
            followup_policy.changeable(user, chosen)
            # Rows locked in pk order, as everywhere, so two leads' overlapping actions cannot deadlock.
            .order_by("pk")
            .select_for_update()
            .values_list("pk", "status", "assigned_to_id")
        )
        active = [(pk, owner) for pk, status, owner in rows if status in ACTIVE_STATUSES]
        target = to.pk if to is not None else None
        moving = [pk for pk, owner in active if owner != target]
        if moving:
            FollowUpTask.objects.filter(pk__in=moving).update(assigned_to=to, notified_at=None)
            from followups.tasks import notify_followup_created  # tasks import the services

            for pk in moving:
                enqueue_on_commit(notify_followup_created, pk)
    return AssignResult(
        assigned_ids=tuple(moving), unchanged=len(active) - len(moving), closed=len(rows) - len(active)
    )
