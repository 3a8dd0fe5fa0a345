"""Who may see, work, take and reassign a follow-up. The admin, the API and the services ask this.

- Leads (`followups.reassign_followuptask`) and superusers see and change every follow-up, and are
  the only ones who reassign.
- Account managers (`followups.change_followuptask`) see the follow-ups assigned to them, those of the
  customers they manage (even when a lead handed one to a colleague) and the shared queue. They work
  (start, note, complete, cancel) only the ones assigned to them, and take from the shared queue.
- Everyone else, Sales included, sees no follow-up: the page carries the customer's complaint and
  the account manager's private notes. The sales API's customer lists still say whether a customer
  has an open follow-up.

Notes are read by whoever may see the follow-up; writing one alone (not as part of completing or
cancelling) also needs `followups.add_followupnote`.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from core.errors import Forbidden
from core.permissions import Policy, has_perm, is_superuser
from core.types import AnyUser
from followups.models import FollowUpTask

WORK_PERMISSION = "followups.change_followuptask"
REASSIGN_PERMISSION = "followups.reassign_followuptask"
NOTE_PERMISSION = "followups.add_followupnote"


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

    def view_refusal(self, user: AnyUser, obj: FollowUpTask) -> str:
        """Why `user` may not see `obj`, in words for that user."""
        if not works_on_followups(user):
            return _("Only account managers and follow-up leads see follow-ups.")
        return _("This follow-up belongs to another account manager.")

    def can_change_any(self, user: AnyUser) -> bool:
        return works_on_followups(user)

    def can_change(self, user: AnyUser, obj: FollowUpTask) -> bool:
        """Start, note, complete, cancel: its assignee, or a lead."""
        if is_lead(user):
            return True
        return works_on_followups(user) and obj.assigned_to_id is not None and obj.assigned_to_id == user.pk

    def changeable(self, user: AnyUser, queryset: QuerySet[FollowUpTask]) -> QuerySet[FollowUpTask]:
        """The set form of can_change, for the services' conditional UPDATEs."""
        if is_lead(user):
            return queryset
        if not works_on_followups(user):
            return queryset.none()
        return queryset.filter(assigned_to_id=user.pk)

    def refusal(self, user: AnyUser, obj: FollowUpTask) -> str:
        if not works_on_followups(user):
            return _("Only account managers and follow-up leads work on follow-ups.")
        if obj.assigned_to_id is None:
            return _("Take the task from the shared queue before working on it.")
        return _("This follow-up belongs to another account manager; ask a lead to reassign it.")

    def can_note_any(self, user: AnyUser) -> bool:
        return self.can_change_any(user) and has_perm(user, NOTE_PERMISSION)

    def can_note(self, user: AnyUser, obj: FollowUpTask) -> bool:
        return self.can_change(user, obj) and has_perm(user, NOTE_PERMISSION)

    def require_note(self, user: AnyUser, obj: FollowUpTask) -> None:
        self.require_change(user, obj)
        if not has_perm(user, NOTE_PERMISSION):
            raise Forbidden(_("You may not add notes to follow-ups."))

    def can_take(self, user: AnyUser, obj: FollowUpTask) -> bool:
        """Whether to offer taking `obj`: it is in the shared queue as loaded."""
        return works_on_followups(user) and obj.assigned_to_id is None

    def require_take(self, user: AnyUser, obj: FollowUpTask) -> None:
        """Refuse people who never take follow-ups.

        Whether `obj` is still in the shared queue is not asked here but in the service's conditional
        UPDATE: a task someone else took a moment ago is a lost race (a conflict), not a refusal.
        """
        if not works_on_followups(user):
            raise Forbidden(_("Only account managers can take follow-ups."))

    def can_reassign(self, user: AnyUser) -> bool:
        return is_lead(user)

    def require_reassign(self, user: AnyUser) -> None:
        if not self.can_reassign(user):
            raise Forbidden(_("Only follow-up leads reassign follow-ups."))


followup_policy = FollowUpPolicy()
