"""Answers that arrive from other survey tools and forms through the API."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from customers.models import Customer
from surveys.models import Source, SurveyResponse

from .contacts import find_or_create_contact
from .responses import record_response


def record_api_response(
    *,
    customer: Customer,
    kind: str,
    score: int,
    comment: str = "",
    contact_email: str = "",
    external_id: str | None = None,
    submitted_at: datetime | None = None,
) -> tuple[SurveyResponse, bool]:
    """Store an answer sent over the API, with its contact found or added; return (response, created).

    Idempotent on `external_id` like `record_response`; a ResponseConflict (or a BadInput)
    rolls back a contact this call created, so a refused answer leaves nothing behind.
    """
    with transaction.atomic():
        contact = find_or_create_contact(customer=customer, email=contact_email) if contact_email else None
        return record_response(
            kind=kind,
            customer=customer,
            score=score,
            source=Source.API,
            comment=comment,
            contact=contact,
            external_id=external_id or None,
            submitted_at=submitted_at,
        )
