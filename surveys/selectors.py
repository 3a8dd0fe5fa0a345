"""Satisfaction figures: NPS overall, per tier, month, account manager, industry and account, the
response rate, and the figures CustomerSatisfaction stores.

Every selector is one set-based query (two for the largest customers), so a page showing them makes
the same number of queries for ten responses as for ten million.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import BadInput
from customers.models import Customer, Tier
from surveys.models import SurveyInvitation, SurveyKind, SurveyResponse

# Months are the company's calendar months: a response at 00:30 on 1 February in Oslo is February,
# although it is still January in UTC.
OSLO = ZoneInfo("Europe/Oslo")

# NPS bands are fixed by the method (0-6, 7-8, 9-10), so they are counted from the score rather than
# from the stored category, which for CSAT and CES follows a configurable policy. Public: the
# dashboard's selectors (followups.dashboard) count the same way.
NPS_COUNTS = {
    "responses": Count("pk"),
    "promoters": Count("pk", filter=Q(score__gte=9)),
    "passives": Count("pk", filter=Q(score__gte=7, score__lte=8)),
    "detractors": Count("pk", filter=Q(score__lte=6)),
}


def percentage(part: int, whole: int) -> float | None:
    """Return part as a percentage of whole, rounded half up to one decimal; None when whole is 0."""
    if not whole:
        return None
    # Decimal, so 12.25 rounds to 12.3 on every platform instead of following binary floats.
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class NpsFigures:
    """NPS counts of a set of responses and the score they give (-100 to 100, None without answers)."""

    responses: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    # A field rather than a property, so it travels with dataclasses.asdict() into API responses.
    score: float | None = field(init=False)

    def __post_init__(self) -> None:
        # % promoters - % detractors, rounded once from the exact difference, not from two rounded shares.
        object.__setattr__(self, "score", percentage(self.promoters - self.detractors, self.responses))

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> NpsFigures:
        return cls(
            responses=row["responses"],
            promoters=row["promoters"],
            passives=row["passives"],
            detractors=row["detractors"],
        )


@dataclass(frozen=True)
class MonthlyNps:
    month: date  # the first day of the month, Oslo calendar
    figures: NpsFigures


@dataclass(frozen=True)
class ResponseRate:
    sent: int
    responded: int

    @property
    def percent(self) -> float | None:
        return percentage(self.responded, self.sent)


@dataclass(frozen=True)
class AccountNps:
    customer: Customer
    figures: NpsFigures


def _nps_responses(queryset: QuerySet[SurveyResponse] | None) -> QuerySet[SurveyResponse]:
    # order_by(): the model's default ordering has no place in a GROUP BY.
    return (
        (SurveyResponse.objects.all() if queryset is None else queryset)
        .filter(kind=SurveyKind.NPS)
        .order_by()
    )


def nps(queryset: QuerySet[SurveyResponse] | None = None) -> NpsFigures:
    """Count the NPS answers among the responses (all by default) and give their NPS."""
    return NpsFigures.from_row(_nps_responses(queryset).aggregate(**NPS_COUNTS))


def nps_by_tier(queryset: QuerySet[SurveyResponse] | None = None) -> dict[str, NpsFigures]:
    """Give the NPS figures per customer tier (the customer's current tier), A first, every tier present."""
    rows = _nps_responses(queryset).values("customer__tier").annotate(**NPS_COUNTS)
    by_tier = {row["customer__tier"]: NpsFigures.from_row(row) for row in rows}
    return {tier: by_tier.get(tier, NpsFigures()) for tier in Tier.values}


def _month_start(year: int, month_index: int) -> datetime:
    # month_index counts from 0 = January of `year`, and may run outside 0-11.
    extra_years, month0 = divmod(month_index, 12)
    return datetime(year + extra_years, month0 + 1, 1, tzinfo=OSLO)


def nps_by_month(
    months: int = 12,
    queryset: QuerySet[SurveyResponse] | None = None,
    *,
    now: datetime | None = None,
) -> list[MonthlyNps]:
    """Give the NPS figures of the last `months` Oslo calendar months, oldest first, empty months included."""
    if months < 1:
        raise BadInput("months must be 1 or more", field="months")
    today = timezone.localtime(now or timezone.now(), OSLO)
    current = today.month - 1
    starts = [_month_start(today.year, current - offset) for offset in range(months - 1, -1, -1)]
    end = _month_start(today.year, current + 1)
    rows = (
        _nps_responses(queryset)
        .filter(submitted_at__gte=starts[0], submitted_at__lt=end)
        .annotate(month=TruncMonth("submitted_at", tzinfo=OSLO))
        .values("month")
        .annotate(**NPS_COUNTS)
    )
    # Both backends hand the truncated month back as an aware datetime; its Oslo date names the month.
    by_month = {timezone.localtime(row["month"], OSLO).date(): NpsFigures.from_row(row) for row in rows}
    return [MonthlyNps(start.date(), by_month.get(start.date(), NpsFigures())) for start in starts]


def response_rate(since: datetime | None = None) -> ResponseRate:
    """Count the invitations sent (since a time) and how many of them were answered."""
    sent = SurveyInvitation.objects.filter(sent_at__isnull=False)
    if since is not None:
        sent = sent.filter(sent_at__gte=since)
    counts = sent.order_by().aggregate(
        sent=Count("pk"), responded=Count("pk", filter=Q(responded_at__isnull=False))
    )
    return ResponseRate(sent=counts["sent"], responded=counts["responded"])


def account_nps(customer_ids: Iterable[int] | None = None) -> dict[int, NpsFigures]:
    """Give each customer's NPS over its contacts' latest NPS scores, keyed by customer id.

    A person who answered five times counts once, with their latest answer, so a chatty contact does
    not outweigh the rest of the account. Answers without a contact cannot be told apart from a later
    answer by the same person and are left out. Customers without such answers are absent.
    """
    latest_of_contact = (
        SurveyResponse.objects.filter(contact_id=OuterRef("contact_id"), kind=SurveyKind.NPS)
        # pk breaks ties, so two answers stamped with the same second still count once.
        .order_by("-submitted_at", "-pk")
        .values("pk")[:1]
    )
    latest = _nps_responses(None).filter(contact__isnull=False, pk=Subquery(latest_of_contact))
    if customer_ids is not None:
        latest = latest.filter(customer_id__in=list(customer_ids))
    rows = latest.values("customer_id").annotate(**NPS_COUNTS)
    return {row["customer_id"]: NpsFigures.from_row(row) for row in rows}


def largest_customers_account_nps(limit: int = 20) -> list[AccountNps]:
    """Give the account-level NPS of the `limit` customers with the most revenue, largest first."""
    customers = list(Customer.objects.order_by("-revenue_12m", "pk")[:limit])
    figures = account_nps(customer_ids=[customer.pk for customer in customers])
    return [AccountNps(customer, figures.get(customer.pk, NpsFigures())) for customer in customers]


@dataclass(frozen=True)
class NpsGroup:
    """The NPS figures of one group of answers: a key a client can filter on and a label to show.

    `key` is None for the answers that belong to no group (customers without an account manager or
    without an industry), so they are counted, not dropped.
    """

    key: str | None
    label: str
    figures: NpsFigures


def person_name(first_name: str | None, last_name: str | None, username: str | None) -> str:
    """A person's full name from their user row's columns, the username when they have none."""
    return f"{first_name or ''} {last_name or ''}".strip() or username or ""


def nps_by_account_manager(queryset: QuerySet[SurveyResponse] | None = None) -> list[NpsGroup]:
    """Give the NPS figures per account manager of the customer (today's), by name, unassigned last."""
    manager = "customer__account_manager"
    rows = (
        _nps_responses(queryset)
        .values(manager, f"{manager}__first_name", f"{manager}__last_name", f"{manager}__username")
        .annotate(**NPS_COUNTS)
    )
    groups = [
        NpsGroup(
            key=str(row[manager]),
            label=person_name(
                row[f"{manager}__first_name"], row[f"{manager}__last_name"], row[f"{manager}__username"]
            ),
            figures=NpsFigures.from_row(row),
        )
        if row[manager] is not None
        else NpsGroup(key=None, label=gettext("No account manager"), figures=NpsFigures.from_row(row))
        for row in rows
    ]
    # Sorted here rather than in SQL: a handful of rows, and "unassigned last" is awkward to say
    # portably in ORDER BY.
    return sorted(groups, key=lambda group: (group.key is None, group.label.casefold(), group.key or ""))


def nps_by_industry(queryset: QuerySet[SurveyResponse] | None = None) -> list[NpsGroup]:
    """Give the NPS figures per customer industry, alphabetically, customers without one last."""
    rows = _nps_responses(queryset).values("customer__industry").annotate(**NPS_COUNTS)
    groups = [
        NpsGroup(
            key=row["customer__industry"], label=row["customer__industry"], figures=NpsFigures.from_row(row)
        )
        if row["customer__industry"]
        else NpsGroup(key=None, label=gettext("No industry"), figures=NpsFigures.from_row(row))
        for row in rows
    ]
    return sorted(groups, key=lambda group: (group.key is None, group.label.casefold()))


@dataclass(frozen=True)
class SatisfactionFigures:
    """What CustomerSatisfaction stores for one customer."""

    latest_nps: int | None
    latest_nps_at: datetime | None
    account_nps: Decimal | None
    nps_contacts: int


def _of_customers(
    responses: QuerySet[SurveyResponse], customer_ids: Collection[int] | range
) -> QuerySet[SurveyResponse]:
    # A range is a chunk of the nightly run: a BETWEEN on the indexed customer column instead of a
    # list of thousands of bound parameters.
    if isinstance(customer_ids, range):
        return responses.filter(customer_id__gte=customer_ids.start, customer_id__lt=customer_ids.stop)
    return responses.filter(customer_id__in=list(customer_ids))


def satisfaction_figures(customer_ids: Collection[int] | range) -> dict[int, SatisfactionFigures]:
    """Compute the stored satisfaction figures of the customers (ids, or a range of ids), in one query.

    Customers without an NPS answer are absent. The latest answer is the one with the latest
    submitted_at (then the highest id), whatever order the answers arrived in, so an imported old
    answer never displaces a newer one. The account NPS counts each contact's latest answer once, as
    account_nps() does; a contact's answers are taken among its customer's, which is where every
    path records them (a contact belongs to one customer).
    """
    # One pass over the customers' answers ranks each answer twice: within its customer and within
    # its contact. Window functions, not a correlated "latest" subquery per answer: measured about
    # three times faster per 10 000-customer chunk on PostgreSQL.
    newest_first = [F("submitted_at").desc(), F("pk").desc()]
    rows = (
        _of_customers(_nps_responses(None), customer_ids)
        .annotate(
            customer_rank=Window(RowNumber(), partition_by=[F("customer_id")], order_by=newest_first),
            contact_rank=Window(RowNumber(), partition_by=[F("contact_id")], order_by=newest_first),
        )
        .filter(Q(customer_rank=1) | Q(contact_rank=1))
        .values_list("customer_id", "contact_id", "score", "submitted_at", "customer_rank", "contact_rank")
    )
    latest: dict[int, tuple[int, datetime]] = {}
    # customer id -> [contacts, promoters, detractors] over each contact's latest answer.
    tallies: dict[int, list[int]] = {}
    for customer_id, contact_id, score, submitted_at, customer_rank, contact_rank in rows:
        if customer_rank == 1:
            latest[customer_id] = (score, submitted_at)
        # Answers without a contact all share one NULL partition; they cannot be told apart by person.
        if contact_rank == 1 and contact_id is not None:
            tally = tallies.setdefault(customer_id, [0, 0, 0])
            tally[0] += 1
            tally[1] += score >= 9
            tally[2] += score <= 6
    figures = {}
    for customer_id, (score, submitted_at) in latest.items():
        contacts, promoters, detractors = tallies.get(customer_id, (0, 0, 0))
        figures[customer_id] = SatisfactionFigures(
            latest_nps=score,
            latest_nps_at=submitted_at,
            account_nps=_nps_decimal(promoters - detractors, contacts),
            nps_contacts=contacts,
        )
    return figures


def _nps_decimal(difference: int, whole: int) -> Decimal | None:
    # The same half-up rounding as percentage(), kept a Decimal for the DecimalField it is stored in.
    if not whole:
        return None
    return (Decimal(difference) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
