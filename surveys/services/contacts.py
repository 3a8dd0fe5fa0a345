"""The people behind incoming answers: find a customer's contact by email, or add one."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from customers.models import Contact, Customer, Language


def find_or_create_contact(*, customer: Customer, email: str) -> Contact:
    """Return the customer's contact with this email (any case), creating one when there is none.

    A created contact is named after the email's local part and speaks Norwegian (nb) until someone
    corrects it; an answer from an unknown person is worth more kept than refused.
    """
    email = email.strip()
    # Compare on Lower(email), the expression the unique constraint indexes, so the lookup uses that
    # index on PostgreSQL (email__iexact would compile to UPPER(...) and scan).
    by_email = Contact.objects.annotate(email_lower=Lower("email")).filter(
        customer=customer, email_lower=email.lower()
    )
    contact = by_email.first()
    if contact is not None:
        return contact
    try:
        # A savepoint, so that losing the race below leaves a caller's transaction usable.
        with transaction.atomic():
            return Contact.objects.create(
                customer=customer,
                name=email.split("@", 1)[0] or email,
                email=email,
                language=Language.NB,
            )
    except IntegrityError:
        # Two answers from the same new person at once: the unique (customer, lower(email))
        # constraint let one insert win; use its row.
        contact = by_email.first()
        if contact is None:
            raise
        return contact
