"""Who may see, work, take and reassign a follow-up. The admin, the API and the services ask this.

- Leads (`followups.reassign_followuptask`) and superusers see and change every follow-up, and are
  the only ones who reassign.
- Account managers (`followups.change_followuptask`) see the follow-ups assigned to them, those of the
  customers they manage (even when a lead handed one to a colleague) and the shared queue. They work
  (start, note, complete, cancel) only the ones assigned to them, and take from the shared queue.
- Everyone else, Sales included, sees no follow-up: the page carries the customer's complaint and
  the account manager's private notes. The sales API's customer lists still say whether a customer
  has an open follow-up.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.errors import Forbidden
from core.permissions import Policy, has_perm, is_superuser
from core.types import AnyUser
from followups.models import FollowUpTask

WORK_PERMISSION = "followups.change_followuptask"
REASSIGN_PERMISSION = "followups.reassign_followuptask"


def is_lead(user: AnyUser) -> bool:
    return is_superuser(user) or has_perm(user, REASSIGN_PERMISSION)


def works_on_followups(user: AnyUser) -> bool:
    """Account managers and leads."""
    return is_lead(user) or has_perm(user, WORK_PERMISSION)


class FollowUpPolicy(Policy[FollowUpTask]):
    def visible(self, user: AnyUser, queryset: QuerySet[FollowUpTask]) -> QuerySet[FollowUpTask]:
        if is_lead(user):
            return queryset
        if not works_on_followups(user):
            return queryset.none()
        # Served by followup_queue_idx (own and NULL rows); the customer arm by the customer's
        # account_manager index and the active-follow-up index per customer.
        return queryset.filter(
            Q(assigned_to_id=user.pk) | Q(assigned_to__isnull=True) | Q(customer__account_manager_id=user.pk)
        )

    def can_view_any(self, user: AnyUser) -> bool:
        return works_on_followups(user)

    def can_view(self, user: AnyUser, obj: FollowUpTask) -> bool:
        if is_lead(user):
            return True
        if not works_on_followups(user):
            return False
        if obj.assigned_to_id is None or obj.assigned_to_id == user.pk:
            return True
        return obj.customer.account_manager_id == user.pk

    def can_change_any(self, user: AnyUser) -> bool:
        return works_on_followups(user)

    def can_change(self, user: AnyUser, obj: FollowUpTask) -> bool:
        """Start, note, complete, cancel: its assignee, or a lead."""
        if is_lead(user):
            return True
        return works_on_followups(user) and obj.assigned_to_id is not None and obj.assigned_to_id == user.pk

    def can_take(self, user: AnyUser, obj: FollowUpTask) -> bool:
        return works_on_followups(user) and obj.assigned_to_id is None

    def can_reassign(self, user: AnyUser) -> bool:
        return is_lead(user)

    def refusal(self, user: AnyUser, obj: FollowUpTask) -> str:
        if not works_on_followups(user):
            return "Only account managers and follow-up leads work on follow-ups."
        if obj.assigned_to_id is None:
            return "Take the task from the shared queue before working on it."
        return "This follow-up belongs to another account manager; ask a lead to reassign it."

    def require_take(self, user: AnyUser, obj: FollowUpTask) -> None:
        if not works_on_followups(user):
            raise Forbidden("Only account managers can take follow-ups.")

    def require_reassign(self, user: AnyUser) -> None:
        if not self.can_reassign(user):
            raise Forbidden("Only follow-up leads reassign follow-ups.")


followup_policy = FollowUpPolicy()
