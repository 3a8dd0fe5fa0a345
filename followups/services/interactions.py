"""Logging a call, meeting or email from the follow-up page, linked to the follow-up."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.types import User
from customers.models import Interaction
from customers.services.interactions import log_interaction
from followups.models import FollowUpTask, Status
from followups.policy import followup_policy

from .workflow import FollowUpConflict


def log_followup_interaction(*, task: FollowUpTask, user: User, interaction: Interaction) -> Interaction:
    """Save `interaction` (unsaved, of the task's customer) in the dialog log and link it to `task`.

    Logging counts as the first contact: whether the user called, met or wrote, they have reached
    the customer about the complaint. An open task moves to in progress, and the first contact moves
    back to the interaction's time when that was earlier (never before the task existed, never into
    the future). A closed task still takes a late-logged call, without reopening.
    """
    followup_policy.require_change(user, task)
    interaction.customer_id = task.customer_id
    now = timezone.now()
    contact_at = max(min(interaction.occurred_at, now), task.created_at)
    with transaction.atomic():
        # Locked, and by the policy's rule in SQL: a lead may have reassigned the task since it was
        # loaded and checked, and the former assignee must then log nothing on it.
        mine = followup_policy.changeable(user, FollowUpTask.objects.filter(pk=task.pk))
        if not mine.select_for_update().exists():
            raise FollowUpConflict(_("The follow-up was reassigned meanwhile."))
        log_interaction(interaction=interaction, user=user)
        task.interactions.add(interaction)
        mine.filter(Q(first_contact_at__isnull=True) | Q(first_contact_at__gt=contact_at)).update(
            first_contact_at=contact_at
        )
        mine.filter(status=Status.OPEN).update(status=Status.IN_PROGRESS)
    task.refresh_from_db()
    return interaction
