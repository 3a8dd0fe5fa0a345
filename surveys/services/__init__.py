"""State changes of the surveys app, by sub-domain. Import from here."""

from .invitations import (
    invite_after_purchases,
    invite_contacts,
    lift_survey_suppression,
    opt_out_contact,
    suppress_surveys,
)
from .public import (
    InvitationAlreadyAnswered,
    InvitationClosed,
    InvitationExpired,
    submit_invitation_response,
)
from .responses import ResponseConflict, active_survey, record_response, validate_score
from .satisfaction import refresh_customer_satisfaction
from .sending import retry_failed_invitations, send_pending_invitations

__all__ = [
    "InvitationAlreadyAnswered",
    "InvitationClosed",
    "InvitationExpired",
    "ResponseConflict",
    "active_survey",
    "invite_after_purchases",
    "invite_contacts",
    "lift_survey_suppression",
    "opt_out_contact",
    "record_response",
    "refresh_customer_satisfaction",
    "retry_failed_invitations",
    "send_pending_invitations",
    "submit_invitation_response",
    "suppress_surveys",
    "validate_score",
]
