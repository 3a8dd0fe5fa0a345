"""Answers given on the public survey page: one per invitation, never after it expires."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict
from surveys.models import Source, SurveyInvitation, SurveyResponse

from .responses import record_response, validate_score


class InvitationClosed(Conflict):
    """The invitation takes no more answers."""

    # Lazy: translated when raised, in the language active then (the contact's, on the public page).
    default_message: Promise = _("This survey link takes no more answers.")

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or str(self.default_message))


class InvitationAlreadyAnswered(InvitationClosed):
    """Someone already answered through this invitation."""

    default_message = _("This survey link has already been answered.")


class InvitationExpired(InvitationClosed):
    """The invitation's link is past its expiry."""

    default_message = _("This survey link has expired.")


def submit_invitation_response(*, invitation_id: int, score: int, comment: str) -> SurveyResponse:
    """Store the answer given through an invitation link, once.

    Raises SurveyInvitation.DoesNotExist for an unknown invitation, BadInput for a score off the
    survey's scale, InvitationAlreadyAnswered or InvitationExpired when the link is closed; in
    every one of those cases nothing is stored.
    """
    invitation = SurveyInvitation.objects.select_related("survey", "customer", "contact").get(
        pk=invitation_id
    )
    kind = invitation.survey.kind
    # Checked before the claim, so an invalid score does not use up the link.
    validate_score(kind, score)
    now = timezone.now()
    try:
        return _claim_and_record(invitation, kind=kind, score=score, comment=comment, now=now)
    except IntegrityError as exc:
        # Only the unique invitation column of responses can collide here: a response reached this
        # invitation by another path between our claim and insert.
        raise InvitationAlreadyAnswered() from exc


def _claim_and_record(
    invitation: SurveyInvitation, *, kind: str, score: int, comment: str, now: datetime
) -> SurveyResponse:
    invitation_id = invitation.pk
    with transaction.atomic():
        # The claim is a compare-and-set: of two submits racing, one UPDATE matches the row and the
        # other matches nothing (PostgreSQL re-checks the WHERE after waiting for the row lock).
        # The response's one-to-one invitation column backs this up in the database.
        claimed = SurveyInvitation.objects.filter(
            pk=invitation_id, responded_at__isnull=True, expires_at__gt=now
        ).update(responded_at=now)
        if claimed != 1:
            answered = (
                SurveyInvitation.objects.filter(pk=invitation_id, responded_at__isnull=False).exists()
                or SurveyResponse.objects.filter(invitation_id=invitation_id).exists()
            )
            raise InvitationAlreadyAnswered() if answered else InvitationExpired()
        response, _ = record_response(
            survey=invitation.survey,
            kind=kind,
            customer=invitation.customer,
            contact=invitation.contact,
            score=score,
            comment=comment,
            source=Source.LINK,
            submitted_at=now,
            invitation_id=invitation.pk,
        )
    return response
