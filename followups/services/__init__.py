"""State changes of the followups app. Import from here."""

from .assignment import AssignResult, assign_followups
from .calendar import add_business_days, due_at, is_business_day
from .creation import (
    create_followup_for_response,
    notify_followup_created,
    reconcile_missing_followups,
    reconcile_unsent_notifications,
)
from .interactions import log_followup_interaction
from .workflow import (
    FollowUpConflict,
    add_followup_note,
    cancel_followup,
    complete_followup,
    escalate_overdue_followups,
    reassign_followup,
    start_followup,
    take_followup,
)

__all__ = [
    "AssignResult",
    "FollowUpConflict",
    "add_business_days",
    "add_followup_note",
    "assign_followups",
    "cancel_followup",
    "complete_followup",
    "create_followup_for_response",
    "due_at",
    "escalate_overdue_followups",
    "is_business_day",
    "log_followup_interaction",
    "notify_followup_created",
    "reassign_followup",
    "reconcile_missing_followups",
    "reconcile_unsent_notifications",
    "start_followup",
    "take_followup",
]
