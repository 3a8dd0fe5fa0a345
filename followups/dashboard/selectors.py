"""The dashboard's figures: each selector a fixed number of set-based queries over the filtered rows.

Every selector takes the same DashboardFilters, so the admin page and /api/metrics/dashboard/ read
the same numbers. "Per account manager" and "per tier" are the customer's today (the filters are
too), so a follow-up counts under the account manager of its customer, not whoever worked it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext

from core.types import AnyUser
from customers.models import Customer, RevenueLine, Tier
from customers.windows import add_months
from followups.metrics import first_contact_wait, recovery_detractors
from followups.models import FollowUpTask, Status
from followups.policy import is_lead
from surveys.models import SurveyInvitation, SurveyKind, SurveyResponse
from surveys.selectors import NPS_COUNTS, OSLO, NpsFigures, percentage, person_name

from .filters import DashboardFilters
from .stats import Proportion

ALL = "all"
# The months of revenue before the churn window that make a customer "a customer": a year, so a
# customer that buys once a season still counts.
CHURN_BEFORE_MONTHS = 12
COVERAGE_MONTHS = 12


def _month_of(value: datetime) -> date:
    # Both backends hand TruncMonth back as an aware datetime; its Oslo date names the month.
    return timezone.localtime(value, OSLO).date()


def _responses(filters: DashboardFilters) -> Any:
    return SurveyResponse.objects.filter(
        filters.customers_q("customer__"), submitted_at__gte=filters.since, submitted_at__lt=filters.until
    ).order_by()


@dataclass(frozen=True)
class NpsTrend:
    """NPS per month: one line per tier and one for all ("all"), each a list aligned with `months`."""

    months: list[date]
    lines: dict[str, list[NpsFigures]]

    @property
    def total(self) -> NpsFigures:
        """The plain NPS of the whole period: the "all" line's months added up."""
        return _sum_figures(self.lines[ALL])


def _sum_figures(figures: Iterable[NpsFigures]) -> NpsFigures:
    rows = list(figures)
    return NpsFigures(
        responses=sum(f.responses for f in rows),
        promoters=sum(f.promoters for f in rows),
        passives=sum(f.passives for f in rows),
        detractors=sum(f.detractors for f in rows),
    )


def nps_trend(filters: DashboardFilters) -> NpsTrend:
    """Give the NPS per Oslo month and customer tier over the period, empty months included (one query)."""
    rows = (
        _responses(filters)
        .filter(kind=SurveyKind.NPS)
        .annotate(month=TruncMonth("submitted_at", tzinfo=OSLO))
        .values("month", "customer__tier")
        .annotate(**NPS_COUNTS)
    )
    cells = {(_month_of(row["month"]), row["customer__tier"]): NpsFigures.from_row(row) for row in rows}
    months = filters.months
    lines = {tier: [cells.get((month, tier), NpsFigures()) for month in months] for tier in Tier.values}
    lines[ALL] = [_sum_figures(lines[tier][index] for tier in Tier.values) for index in range(len(months))]
    return NpsTrend(months=months, lines=lines)


@dataclass(frozen=True)
class ScoreMonth:
    month: date
    responses: int
    average: float | None  # the mean score on the kind's scale (CSAT 1-5, CES 1-7), two decimals


def score_trends(filters: DashboardFilters) -> dict[str, list[ScoreMonth]]:
    """Give the CSAT and CES average score and answer count per Oslo month (one query)."""
    kinds = [SurveyKind.CSAT, SurveyKind.CES]
    rows = (
        _responses(filters)
        .filter(kind__in=kinds)
        .annotate(month=TruncMonth("submitted_at", tzinfo=OSLO))
        .values("month", "kind")
        .annotate(responses=Count("pk"), average=Avg("score"))
    )
    cells = {(_month_of(row["month"]), row["kind"]): row for row in rows}
    trends: dict[str, list[ScoreMonth]] = {}
    for kind in kinds:
        trend = []
        for month in filters.months:
            row = cells.get((month, kind))
            trend.append(
                ScoreMonth(month, row["responses"], round(float(row["average"]), 2))
                if row
                else ScoreMonth(month, 0, None)
            )
        trends[str(kind)] = trend
    return trends


@dataclass(frozen=True)
class RateMonth:
    month: date
    sent: int
    responded: int

    @property
    def percent(self) -> float | None:
        return percentage(self.responded, self.sent)


def response_rate_trend(filters: DashboardFilters) -> list[RateMonth]:
    """Give the invitations sent per Oslo month of the period and how many were answered (one query)."""
    rows = (
        SurveyInvitation.objects.filter(
            filters.customers_q("customer__"), sent_at__gte=filters.since, sent_at__lt=filters.until
        )
        .order_by()
        .annotate(month=TruncMonth("sent_at", tzinfo=OSLO))
        .values("month")
        .annotate(sent=Count("pk"), responded=Count("pk", filter=Q(responded_at__isnull=False)))
    )
    cells = {_month_of(row["month"]): row for row in rows}
    return [
        RateMonth(month, cells[month]["sent"], cells[month]["responded"])
        if month in cells
        else RateMonth(month, 0, 0)
        for month in filters.months
    ]


@dataclass(frozen=True)
class Breakdown:
    """One figure for the whole filtered company, per tier, and per account manager.

    `managers` holds (user id or None for customers without one, name, figure); for a viewer who
    is not a lead only their own row is kept (see dashboard()).
    """

    total: Any
    tiers: dict[str, Any]
    managers: list[tuple[int | None, str, Any]]


def _manager_values(prefix: str) -> list[str]:
    manager = f"{prefix}account_manager"
    return [manager, f"{manager}__first_name", f"{manager}__last_name", f"{manager}__username"]


def _manager_name(row: Mapping[str, Any], prefix: str) -> tuple[int | None, str]:
    manager = f"{prefix}account_manager"
    if row[manager] is None:
        return None, gettext("No account manager")
    return row[manager], person_name(
        row[f"{manager}__first_name"], row[f"{manager}__last_name"], row[f"{manager}__username"]
    )


def _sorted_managers(rows: dict[tuple[int | None, str], Any]) -> list[tuple[int | None, str, Any]]:
    # Sorted here: a handful of rows, and "unassigned last" is awkward to say portably in ORDER BY.
    ordered = sorted(
        rows.items(), key=lambda item: (item[0][0] is None, item[0][1].casefold(), item[0][0] or 0)
    )
    return [(key, name, value) for (key, name), value in ordered]


def followup_timeliness(filters: DashboardFilters, *, now: datetime | None = None) -> Breakdown:
    """Give the share of follow-ups first contacted by their due time: overall, per tier and manager.

    Counts the follow-ups created in the period that are not cancelled and whose outcome is known:
    contacted (on time when first_contact_at <= due_at), or past due without contact (late). One
    still open before its due time is neither yet. One query, grouped by tier and account manager.
    """
    now = now or timezone.now()
    prefix = "customer__"
    rows = (
        FollowUpTask.objects.filter(
            filters.customers_q(prefix), created_at__gte=filters.since, created_at__lt=filters.until
        )
        .exclude(status=Status.CANCELLED)
        .filter(Q(first_contact_at__isnull=False) | Q(due_at__lt=now))
        .order_by()
        .values(f"{prefix}tier", *_manager_values(prefix))
        .annotate(decided=Count("pk"), on_time=Count("pk", filter=Q(first_contact_at__lte=F("due_at"))))
    )
    tiers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    managers: dict[tuple[int | None, str], list[int]] = defaultdict(lambda: [0, 0])
    total = [0, 0]
    for row in rows:
        for tally in (tiers[row[f"{prefix}tier"]], managers[_manager_name(row, prefix)], total):
            tally[0] += row["on_time"]
            tally[1] += row["decided"]
    return Breakdown(
        total=Proportion(*total),
        tiers={tier: Proportion(*tiers.get(tier, (0, 0))) for tier in Tier.values},
        managers=[(key, name, Proportion(*tally)) for key, name, tally in _sorted_managers(managers)],
    )


def median_first_contact(filters: DashboardFilters) -> tuple[timedelta | None, int]:
    """Give the median time from creation to first contact of the period's follow-ups, and their number.

    Two queries.
    """
    tasks = FollowUpTask.objects.filter(
        filters.customers_q("customer__"), created_at__gte=filters.since, created_at__lt=filters.until
    )
    return first_contact_wait(tasks=tasks)


@dataclass(frozen=True)
class Recovery:
    """Detractors who answered again: recovered (7 or more) with a completed follow-up, and without."""

    followed_up: Proportion
    comparison: Proportion


def recovery(filters: DashboardFilters) -> Breakdown:
    """Give the recovery rate with and without a completed follow-up: overall, per tier and manager.

    The detractors are those who answered in the period (see followups.metrics.recovery_detractors);
    the comparison group is the detractors without a completed follow-up. One query.
    """
    prefix = "customer__"
    rows = (
        recovery_detractors(responses=_responses(filters))
        .order_by()
        .values(f"{prefix}tier", *_manager_values(prefix), "completed")
        .annotate(detractors=Count("pk"), recovered=Count("pk", filter=Q(next_nps__gte=7)))
    )
    # key -> [followed-up recovered, followed-up detractors, comparison recovered, comparison detractors]
    tiers: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    managers: dict[tuple[int | None, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    total = [0, 0, 0, 0]
    for row in rows:
        offset = 0 if row["completed"] else 2
        for tally in (tiers[row[f"{prefix}tier"]], managers[_manager_name(row, prefix)], total):
            tally[offset] += row["recovered"]
            tally[offset + 1] += row["detractors"]

    def figures(tally: list[int]) -> Recovery:
        return Recovery(Proportion(tally[0], tally[1]), Proportion(tally[2], tally[3]))

    return Breakdown(
        total=figures(total),
        tiers={tier: figures(tiers.get(tier, [0, 0, 0, 0])) for tier in Tier.values},
        managers=[(key, name, figures(tally)) for key, name, tally in _sorted_managers(managers)],
    )


@dataclass(frozen=True)
class WeightedNps:
    """The account NPS of the customers whose latest NPS answer is in the period, plain and weighted.

    An account's NPS is CustomerSatisfaction.account_nps: each contact's latest answer counted once.
    `weighted` weighs each account by its 12-month revenue; accounts without revenue weigh nothing.
    """

    accounts: int
    average: float | None
    weighted: float | None
    revenue: Decimal


def revenue_weighted_nps(filters: DashboardFilters) -> WeightedNps:
    """Give the mean and the revenue-weighted mean of the account NPS of customers answering in the period."""
    money = DecimalField(max_digits=20, decimal_places=3)
    row = (
        Customer.objects.filter(
            filters.customers_q(),
            satisfaction__account_nps__isnull=False,
            satisfaction__latest_nps_at__gte=filters.since,
            satisfaction__latest_nps_at__lt=filters.until,
        )
        .order_by()
        .aggregate(
            accounts=Count("pk"),
            average=Avg("satisfaction__account_nps"),
            weight=Sum("revenue_12m", filter=Q(revenue_12m__gt=0)),
            weighted_sum=Sum(
                ExpressionWrapper(F("satisfaction__account_nps") * F("revenue_12m"), output_field=money),
                filter=Q(revenue_12m__gt=0),
            ),
        )
    )
    weight = Decimal(row["weight"] or 0)
    weighted = None
    if weight > 0:
        weighted = float((Decimal(row["weighted_sum"]) / weight).quantize(Decimal("0.1")))
    average = None if row["average"] is None else round(float(row["average"]), 1)
    return WeightedNps(accounts=row["accounts"], average=average, weighted=weighted, revenue=weight)


@dataclass(frozen=True)
class Coverage:
    """How much of the 12-month revenue comes from customers who answered a survey lately."""

    since: datetime
    revenue: Decimal
    covered_revenue: Decimal
    customers: int
    covered_customers: int

    @property
    def percent(self) -> float | None:
        if not self.revenue:
            return None
        return float((self.covered_revenue * 100 / self.revenue).quantize(Decimal("0.1")))


def revenue_coverage(filters: DashboardFilters, *, now: datetime | None = None) -> Coverage:
    """Give the share of 12-month revenue whose customers answered any survey in the last 12 months (one query)."""
    today = timezone.localtime(now or timezone.now(), OSLO).date()
    since = datetime.combine(add_months(today, -COVERAGE_MONTHS), datetime.min.time(), tzinfo=OSLO)
    # A correlated EXISTS (one probe of response_customer_latest_idx per customer). Not an
    # uncorrelated IN: with half a million answering customers its subplan outgrows work_mem,
    # PostgreSQL stops hashing it, and the query went from 12 s to minutes (docs/benchmarks.md).
    answered = Exists(SurveyResponse.objects.filter(customer_id=OuterRef("pk"), submitted_at__gte=since))
    row = (
        Customer.objects.filter(filters.customers_q(), revenue_12m__gt=0)
        .order_by()
        .alias(answered=answered)
        .aggregate(
            revenue=Sum("revenue_12m"),
            covered_revenue=Sum("revenue_12m", filter=Q(answered=True)),
            customers=Count("pk"),
            covered_customers=Count("pk", filter=Q(answered=True)),
        )
    )
    return Coverage(
        since=since,
        revenue=Decimal(row["revenue"] or 0),
        covered_revenue=Decimal(row["covered_revenue"] or 0),
        customers=row["customers"],
        covered_customers=row["covered_customers"],
    )


@dataclass(frozen=True)
class ChurnGroup:
    """Customers lost in one tier, the revenue they brought in the year before, and their last NPS."""

    customers: int = 0
    revenue_lost: Decimal = Decimal(0)
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    never_answered: int = 0


@dataclass(frozen=True)
class Churn:
    """Customers with revenue in the 12 months before the last `months` months and none since.

    The window ends at the end of the period (or now, if sooner): `quiet_since` to `until` without
    revenue, `active_since` to `quiet_since` with some.
    """

    months: int
    active_since: date
    quiet_since: date
    until: date
    total: ChurnGroup
    tiers: dict[str, ChurnGroup]


def churn(filters: DashboardFilters, *, now: datetime | None = None) -> Churn:
    """Give the customers lost per tier with the revenue lost and the NPS they last gave (one query)."""
    today = timezone.localtime(now or timezone.now(), OSLO).date()
    until = min(today + timedelta(days=1), filters.until.date())
    quiet_since = add_months(until, -filters.churn_months)
    active_since = add_months(quiet_since, -CHURN_BEFORE_MONTHS)
    # One pass over the lines of the 15 months (revenueline_customer_date_idx covers date, revenue and
    # customer): per customer, its revenue before the quiet window and its lines inside it. Those with
    # none inside are the churned; the outer aggregate counts them per tier. Measured faster at a
    # million customers than two EXISTS probes per customer (docs/benchmarks.md).
    latest = "customer__satisfaction__latest_nps"
    per_customer = (
        RevenueLine.objects.filter(filters.customers_q("customer__"), date__gte=active_since, date__lt=until)
        .order_by()
        .values("customer_id", "customer__tier", latest)
        .annotate(
            lost=Sum("revenue", filter=Q(date__lt=quiet_since)),
            lately=Count("pk", filter=Q(date__gte=quiet_since)),
        )
        .filter(lately=0)
    )
    figures: dict[str, Any] = {}
    for tier in Tier.values:
        of_tier = Q(customer__tier=tier)
        figures |= {
            f"{tier}_customers": Count("customer_id", filter=of_tier),
            f"{tier}_revenue": Sum("lost", filter=of_tier),
            f"{tier}_promoters": Count("customer_id", filter=of_tier & Q(**{f"{latest}__gte": 9})),
            f"{tier}_passives": Count(
                "customer_id", filter=of_tier & Q(**{f"{latest}__gte": 7, f"{latest}__lte": 8})
            ),
            f"{tier}_detractors": Count("customer_id", filter=of_tier & Q(**{f"{latest}__lte": 6})),
            f"{tier}_never": Count("customer_id", filter=of_tier & Q(**{f"{latest}__isnull": True})),
        }
    row = per_customer.aggregate(**figures)
    tiers = {
        tier: ChurnGroup(
            customers=row[f"{tier}_customers"],
            revenue_lost=Decimal(row[f"{tier}_revenue"] or 0),
            promoters=row[f"{tier}_promoters"],
            passives=row[f"{tier}_passives"],
            detractors=row[f"{tier}_detractors"],
            never_answered=row[f"{tier}_never"],
        )
        for tier in Tier.values
    }
    total = ChurnGroup(
        customers=sum(g.customers for g in tiers.values()),
        revenue_lost=sum((g.revenue_lost for g in tiers.values()), Decimal(0)),
        promoters=sum(g.promoters for g in tiers.values()),
        passives=sum(g.passives for g in tiers.values()),
        detractors=sum(g.detractors for g in tiers.values()),
        never_answered=sum(g.never_answered for g in tiers.values()),
    )
    return Churn(
        months=filters.churn_months,
        active_since=active_since,
        quiet_since=quiet_since,
        until=until,
        total=total,
        tiers=tiers,
    )


@dataclass(frozen=True)
class Dashboard:
    filters: DashboardFilters
    nps: NpsTrend
    scores: dict[str, list[ScoreMonth]]
    response_rate: list[RateMonth]
    timeliness: Breakdown
    median_first_contact: timedelta | None
    contacted: int  # the follow-ups the median is taken over
    recovery: Breakdown
    weighted_nps: WeightedNps
    coverage: Coverage
    churn: Churn
    shows_colleagues: bool  # False: the per-account-manager rows are the viewer's own only

    @property
    def response_rate_total(self) -> RateMonth:
        return RateMonth(
            self.filters.first_month,
            sum(month.sent for month in self.response_rate),
            sum(month.responded for month in self.response_rate),
        )


def _own_rows(breakdown: Breakdown, viewer: AnyUser) -> Breakdown:
    return Breakdown(
        total=breakdown.total,
        tiers=breakdown.tiers,
        managers=[row for row in breakdown.managers if row[0] is not None and row[0] == viewer.pk],
    )


def dashboard(filters: DashboardFilters, *, viewer: AnyUser, now: datetime | None = None) -> Dashboard:
    """Compute every figure of the dashboard for the filters, in a fixed number of queries.

    Everyone who may read the numbers sees the company's figures; the rates per account manager
    name colleagues only to leads (who coach them). Anyone else sees their own row next to the total.
    """
    now = now or timezone.now()
    timeliness = followup_timeliness(filters, now=now)
    recovered = recovery(filters)
    waited, contacted = median_first_contact(filters)
    shows_colleagues = is_lead(viewer)
    if not shows_colleagues:
        timeliness, recovered = _own_rows(timeliness, viewer), _own_rows(recovered, viewer)
    return Dashboard(
        filters=filters,
        nps=nps_trend(filters),
        scores=score_trends(filters),
        response_rate=response_rate_trend(filters),
        timeliness=timeliness,
        median_first_contact=waited,
        contacted=contacted,
        recovery=recovered,
        weighted_nps=revenue_weighted_nps(filters),
        coverage=revenue_coverage(filters, now=now),
        churn=churn(filters, now=now),
        shows_colleagues=shows_colleagues,
    )
