"""Interactions from phone systems, helpdesks and calendars: the shared customer dialog log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models.functions import Lower
from django.utils.translation import gettext

from customers.models import Channel, Contact, DataImport, Direction, ImportKind, Interaction

from .engine import INSERT_ROWS, PendingRow, RowImporter, WriteCounts, resolved
from .reading import CellError, cell, check_length, parse_moment, parse_whole_number, shown
from .revenue import customer_ids

# Norwegian exports name channels in Norwegian; the model stores the English value.
_CHANNELS = {
    **{choice.value: choice.value for choice in Channel},
    "telefon": Channel.PHONE,
    "e-post": Channel.EMAIL,
    "epost": Channel.EMAIL,
    "e-mail": Channel.EMAIL,
    "skjema": Channel.FORM,
    "møte": Channel.MEETING,
    "mote": Channel.MEETING,
}
_DIRECTIONS = {
    **{choice.value: choice.value for choice in Direction},
    "inn": Direction.INBOUND,
    "ut": Direction.OUTBOUND,
}


@dataclass
class InteractionRow:
    customer: str
    occurred_at: datetime
    channel: str
    duration_minutes: int
    direction: str
    summary: str
    contact_email: str | None
    customer_id: int | None = None
    contact_id: int | None = None


def _channel(raw: str) -> str:
    try:
        return _CHANNELS[raw.lower()]
    except KeyError:
        raise CellError(
            gettext(
                "%(value)s is not a channel; use phone, email, chat, form or meeting "
                "(or telefon, e-post, chat, skjema, møte)"
            )
            % {"value": shown(raw)}
        ) from None


def _direction(raw: str) -> str:
    try:
        return _DIRECTIONS[raw.lower()]
    except KeyError:
        raise CellError(
            gettext("%(value)s is not a direction; use inbound or outbound (or inn, ut)")
            % {"value": shown(raw)}
        ) from None


def _minutes(raw: str) -> int:
    return parse_whole_number(raw, refusal=gettext("%(value)s is not a whole number of minutes"))


def _email(raw: str) -> str:
    return check_length(raw, Contact._meta.get_field("email").max_length or 254).lower()


class InteractionImporter(RowImporter[InteractionRow]):
    kind = ImportKind.INTERACTIONS
    required = ("customer", "occurred_at", "channel", "duration_minutes")
    optional = ("direction", "summary", "contact_email")

    def parse(self, values: Mapping[str, str], errors: list[tuple[str, str]]) -> InteractionRow | None:
        row = InteractionRow(
            customer=cell(values, "customer", errors, str, required=True),
            occurred_at=cell(values, "occurred_at", errors, parse_moment, required=True),
            channel=cell(values, "channel", errors, _channel, required=True),
            duration_minutes=cell(values, "duration_minutes", errors, _minutes, required=True),
            direction=cell(values, "direction", errors, _direction) or Direction.INBOUND,
            summary=cell(values, "summary", errors, str) or "",
            contact_email=cell(values, "contact_email", errors, _email),
        )
        return None if errors else row

    def resolve(self, rows: Sequence[PendingRow[InteractionRow]]) -> None:
        ids = customer_ids({p.row.customer for p in rows})
        for pending in rows:
            pending.row.customer_id = ids.get(pending.row.customer)
            if pending.row.customer_id is None:
                pending.errors.append(
                    (
                        "customer",
                        gettext("no customer has the external ID %(value)s")
                        % {"value": shown(pending.row.customer)},
                    )
                )
        wanted = {
            (p.row.customer_id, p.row.contact_email)
            for p in rows
            if p.row.customer_id and p.row.contact_email
        }
        if not wanted:
            return
        contacts = _contact_ids(wanted)
        for pending in rows:
            row = pending.row
            if row.customer_id is None or not row.contact_email:
                continue
            row.contact_id = contacts.get((row.customer_id, row.contact_email))
            if row.contact_id is None:
                pending.errors.append(
                    (
                        "contact_email",
                        gettext("%(email)s is not a contact of customer %(customer)s")
                        % {"email": shown(row.contact_email), "customer": shown(row.customer)},
                    )
                )

    def write(self, rows: Sequence[InteractionRow], data_import: DataImport) -> WriteCounts:
        # Interactions have no key in the source systems, so each row is new; importing the same file
        # twice is what the duplicate-file check prevents.
        Interaction.objects.bulk_create(
            [
                Interaction(
                    customer_id=resolved(row.customer_id),
                    contact_id=row.contact_id,
                    channel=row.channel,
                    direction=row.direction,
                    occurred_at=row.occurred_at,
                    duration_minutes=row.duration_minutes,
                    summary=row.summary,
                    data_import=data_import,
                )
                for row in rows
            ],
            batch_size=INSERT_ROWS,
        )
        return WriteCounts(created=len(rows))


def _contact_ids(wanted: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """(customer id, lower-case email) -> contact id for the pairs asked, in one query.

    Filters by customer and email separately and keeps the asked pairs; the unique index on
    (customer, lower(email)) makes each pair at most one contact.
    """
    customer_ids_ = {customer_id for customer_id, _ in wanted}
    emails = {email for _, email in wanted}
    found = (
        Contact.objects.annotate(email_lower=Lower("email"))
        .filter(customer_id__in=customer_ids_, email_lower__in=emails)
        .values_list("customer_id", "email_lower", "pk")
    )
    return {(customer_id, email): pk for customer_id, email, pk in found if (customer_id, email) in wanted}
