"""Storing survey answers, from the public link, the API or an import."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from core.errors import BadInput, Conflict
from core.tasks import enqueue_on_commit
from customers.models import Contact, Customer
from surveys.models import SCALES, Category, Survey, SurveyKind, SurveyPolicy, SurveyResponse

from .satisfaction import refresh_customer_satisfaction


class ResponseConflict(Conflict):
    """The idempotency key was used before for a different answer (409 in the API)."""

    def __init__(self, existing: SurveyResponse) -> None:
        self.existing = existing
        super().__init__(
            gettext("external_id %(key)s was already used for a different response (#%(number)s).")
            % {"key": repr(existing.external_id), "number": existing.pk}
        )


def validate_score(kind: str, score: int) -> None:
    """Raise BadInput naming the field when the kind is unknown or the score is off its scale."""
    if kind not in SCALES:
        raise BadInput(
            gettext("Unknown survey kind %(kind)s; use one of: %(kinds)s.")
            % {"kind": repr(kind), "kinds": ", ".join(SurveyKind.values)},
            field="kind",
        )
    low, high = SCALES[kind]
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise BadInput(
            gettext("%(kind)s scores run from %(low)s to %(high)s; got %(score)s.")
            % {"kind": SurveyKind(kind).label, "low": low, "high": high, "score": repr(score)},
            field="score",
        )


def active_survey(kind: str) -> Survey:
    """The survey invitations and incoming answers of a kind use; BadInput when none is active."""
    survey = Survey.objects.filter(kind=kind, is_active=True).first()
    if survey is None:
        raise BadInput(
            gettext("No active %(kind)s survey is set up.") % {"kind": SurveyKind(kind).label}, field="kind"
        )
    return survey


def record_response(
    *,
    kind: str,
    customer: Customer,
    score: int,
    source: str,
    comment: str = "",
    contact: Contact | None = None,
    external_id: str | None = None,
    submitted_at: datetime | None = None,
    invitation_id: int | None = None,
    survey: Survey | None = None,
) -> tuple[SurveyResponse, bool]:
    """Store one answer and announce it if unhappy; return (response, created).

    With an `external_id` the call is idempotent: the same key again returns the stored response
    (created=False), also when two requests race; the key with a different answer raises
    ResponseConflict. `survey` defaults to the active survey of the kind; an answer to an
    invitation belongs to the invitation's survey. The follow-up of an unhappy answer is queued after commit; with the broker
    down it is created in this process instead, so the call neither fails nor leaves it waiting.
    """
    validate_score(kind, score)
    if external_id:
        existing = SurveyResponse.objects.filter(external_id=external_id).first()
        if existing is not None:
            return _same_answer_or_conflict(existing, kind=kind, customer=customer, score=score), False
    survey = survey or active_survey(kind)
    category = SurveyPolicy.current().categorize(kind, score)
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                survey=survey,
                kind=kind,
                customer=customer,
                contact=contact,
                # Kept and counted (the contact chose to answer), but marked: they asked for no more.
                contact_opted_out=contact is not None and contact.opted_out,
                score=score,
                comment=comment.strip(),
                category=category,
                source=source,
                submitted_at=submitted_at or timezone.now(),
                invitation_id=invitation_id,
                external_id=external_id or None,
            )
            if kind == SurveyKind.NPS:
                # In the same transaction, so a sales list read right after the answer already
                # filters on it; a handful of indexed queries for this one customer.
                refresh_customer_satisfaction(customer_ids=[customer.pk])
            if category == Category.DETRACTOR:
                _announce_unhappy(response)
    except IntegrityError:
        # Two requests with the same key at once: the loser of the insert returns the winner's row.
        existing = SurveyResponse.objects.filter(external_id=external_id).first() if external_id else None
        if existing is None:
            raise
        return _same_answer_or_conflict(existing, kind=kind, customer=customer, score=score), False
    return response, True


def _same_answer_or_conflict(
    existing: SurveyResponse, *, kind: str, customer: Customer, score: int
) -> SurveyResponse:
    if (existing.kind, existing.customer_id, existing.score) != (kind, customer.pk, score):
        raise ResponseConflict(existing)
    return existing


def _announce_unhappy(response: SurveyResponse) -> None:
    for path in settings.TILFREDS_DETRACTOR_HANDLERS:
        # With the broker down the handler runs here: a detractor must not wait for the outage to end,
        # and the handler is idempotent (its notification email is repaired by the reconciliation).
        enqueue_on_commit(import_string(path), response.pk, run_here_if_unsent=True)
