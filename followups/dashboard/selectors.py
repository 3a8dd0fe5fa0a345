"""The dashboard's figures: each selector a fixed number of set-based queries over the filtered rows.

Every selector takes the same DashboardFilters, so the admin page and /api/metrics/dashboard/ read
the same numbers. "Per account manager" and "per tier" are the customer's today (the filters are
too), so a follow-up counts under the account manager of its customer, not whoever worked it.
"""

# Churn, recovery and coverage are SQL strings: only table names (from _meta) and fixed fragments are
# interpolated; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Avg, Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext

from core.types import AnyUser
from customers.models import Customer, RevenueLine, Tier
from customers.windows import add_months
from followups.metrics import first_contact_wait
from followups.models import FollowUpTask, Status
from followups.policy import is_lead
from surveys.models import CustomerSatisfaction, SurveyInvitation, SurveyKind, SurveyResponse
from surveys.selectors import NPS_COUNTS, OSLO, NpsFigures, percentage, person_name

from .filters import DashboardFilters
from .stats import Proportion

ALL = "all"
# The months of revenue before the churn window that make a customer "a customer": a year, so a
# customer that buys once a season still counts.
CHURN_BEFORE_MONTHS = 12
COVERAGE_MONTHS = 12


def _customer_sql(filters: DashboardFilters, alias: str) -> tuple[str, list[Any]]:
    """The customer filters as SQL conditions on the customer table aliased `alias`, and their params.

    For the selectors written in SQL (churn, recovery): the same conditions as customers_q().
    """
    clauses: list[str] = ["1 = 1"]
    params: list[Any] = []
    if filters.tier:
        clauses.append(f"{alias}.tier = %s")
        params.append(filters.tier)
    if filters.account_manager_id is not None:
        clauses.append(f"{alias}.account_manager_id = %s")
        params.append(filters.account_manager_id)
    if filters.industry:
        clauses.append(f"{alias}.industry = %s")
        params.append(filters.industry)
    return " AND ".join(clauses), params


def _moment(value: datetime) -> Any:
    # What the backend compares a datetime column with (SQLite: UTC text), as the ORM would pass it.
    return connection.ops.adapt_datetimefield_value(value)


def _money(value: Any) -> Decimal:
    # SQLite sums decimals as floats: round to the cents the columns hold, as the ORM's converter does.
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


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
    # The same detractors and "next answer" as followups.metrics.recovery_detractors, but each
    # contact's next NPS score read with one LEAD() over the NPS answers since the period began (a
    # detractor's next answer is later, so none before is needed) instead of a correlated subquery
    # per detractor, and the completed follow-up as a hashed EXISTS over the done tasks. In SQL: the
    # ORM would move the filters on score and period inside the window, where they would change
    # which answer is "next". Answers stamped the same instant are ordered by id, as there.
    where, params = _customer_sql(filters, "c")
    # Filtered, the window reads only the filtered customers' answers: a contact answers for its own
    # customer only (see surveys.selectors.satisfaction_figures), so its next answer is among them.
    of_customers = f"AND r.customer_id IN (SELECT c.id FROM {Customer._meta.db_table} c WHERE {where})"
    response, task = SurveyResponse._meta.db_table, FollowUpTask._meta.db_table
    user = get_user_model()._meta.db_table
    rows = _fetch(
        f"""
        SELECT c.tier, c.account_manager_id, u.first_name, u.last_name, u.username,
               CASE WHEN EXISTS (SELECT 1 FROM {task} t WHERE t.response_id = d.id AND t.status = %s)
                    THEN 1 ELSE 0 END AS completed,
               COUNT(*), SUM(CASE WHEN d.next_nps >= 7 THEN 1 ELSE 0 END)
        FROM (
            SELECT r.id, r.customer_id, r.score, r.submitted_at,
                   LEAD(r.score) OVER (PARTITION BY r.contact_id ORDER BY r.submitted_at, r.id) AS next_nps
            FROM {response} r
            WHERE r.kind = %s AND r.contact_id IS NOT NULL AND r.submitted_at >= %s
              {of_customers if params else ""}
        ) d
        JOIN {Customer._meta.db_table} c ON c.id = d.customer_id
        LEFT JOIN {user} u ON u.id = c.account_manager_id
        WHERE d.score <= 6 AND d.submitted_at < %s AND d.next_nps IS NOT NULL AND {where}
        GROUP BY c.tier, c.account_manager_id, u.first_name, u.last_name, u.username, 6
        """,
        [Status.DONE, SurveyKind.NPS, _moment(filters.since), *params, _moment(filters.until), *params],
    )
    prefix = "customer__"
    keys = ("tier", *_manager_values(prefix), "completed", "detractors", "recovered")
    records = [dict(zip(keys, row, strict=True)) for row in rows]
    # key -> [followed-up recovered, followed-up detractors, comparison recovered, comparison detractors]
    tiers: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    managers: dict[tuple[int | None, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    total = [0, 0, 0, 0]
    for row in records:
        offset = 0 if row["completed"] else 2
        for tally in (tiers[row["tier"]], managers[_manager_name(row, prefix)], total):
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
    # The customers who answered, found once (a DISTINCT over response_customer_latest_idx) and
    # hash-joined to the customers with revenue: about 2.2 s at a million against 2.8 s for the
    # correlated EXISTS probing the index once per customer. Not an uncorrelated IN: with half a
    # million answering customers its subplan outgrew work_mem, PostgreSQL stopped hashing it and
    # the query ran for minutes (docs/benchmarks.md). MATERIALIZED, as in churn(): in a parallel
    # plan each worker repeated the DISTINCT in full.
    where, params = _customer_sql(filters, "c")
    of_customers = f"AND r.customer_id IN (SELECT c.id FROM {Customer._meta.db_table} c WHERE {where})"
    materialized = "MATERIALIZED" if connection.vendor == "postgresql" else ""
    ((revenue, covered_revenue, customers, covered_customers),) = _fetch(
        f"""
        WITH answered AS {materialized} (
            SELECT DISTINCT r.customer_id FROM {SurveyResponse._meta.db_table} r WHERE r.submitted_at >= %s
              {of_customers if params else ""}
        )
        SELECT SUM(c.revenue_12m),
               SUM(CASE WHEN answered.customer_id IS NOT NULL THEN c.revenue_12m END),
               COUNT(*), COUNT(answered.customer_id)
        FROM {Customer._meta.db_table} c
        LEFT JOIN answered ON answered.customer_id = c.id
        WHERE c.revenue_12m > 0 AND {where}
        """,
        [_moment(since), *params, *params],
    )
    return Coverage(
        since=since,
        revenue=_money(revenue),
        covered_revenue=_money(covered_revenue),
        customers=customers,
        covered_customers=covered_customers,
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
    # Two steps, in SQL because the ORM cannot join a grouped subquery. First the revenue lines of the
    # 15 months grouped by customer alone, read in customer order from revenueline_customer_date_idx
    # (an index-only scan feeding a streaming GroupAggregate): a customer whose latest line is before
    # the quiet window is churned, its lines' sum the revenue lost. Only then the churned customers
    # (about half a million at a million) are joined to their tier and last NPS. Grouping the joined
    # lines by (customer, tier, NPS) in one step made PostgreSQL hash 2.5 million rows in 4 MB of
    # work_mem, spill 128 batches to disk and take 9-10 s; this takes about 3 s (docs/benchmarks.md).
    # MATERIALIZED keeps the grouping out of a parallel plan, where each worker repeated it in full.
    where, params = _customer_sql(filters, "c")
    # Unfiltered, no semi-join at all: one over every customer would cost a hash of a million ids.
    of_customers = f"AND line.customer_id IN (SELECT c.id FROM {Customer._meta.db_table} c WHERE {where})"
    materialized = "MATERIALIZED" if connection.vendor == "postgresql" else ""
    line, customer = RevenueLine._meta.db_table, Customer._meta.db_table
    satisfaction = CustomerSatisfaction._meta.db_table
    rows = _fetch(
        f"""
        WITH lost AS {materialized} (
            SELECT line.customer_id, SUM(line.revenue) AS revenue
            FROM {line} line
            WHERE line.date >= %s AND line.date < %s
              {of_customers if params else ""}
            GROUP BY line.customer_id
            HAVING MAX(line.date) < %s
        )
        SELECT c.tier, COUNT(*), SUM(lost.revenue),
               SUM(CASE WHEN s.latest_nps >= 9 THEN 1 ELSE 0 END),
               SUM(CASE WHEN s.latest_nps >= 7 AND s.latest_nps <= 8 THEN 1 ELSE 0 END),
               SUM(CASE WHEN s.latest_nps <= 6 THEN 1 ELSE 0 END),
               SUM(CASE WHEN s.latest_nps IS NULL THEN 1 ELSE 0 END)
        FROM lost
        JOIN {customer} c ON c.id = lost.customer_id
        LEFT JOIN {satisfaction} s ON s.customer_id = c.id
        GROUP BY c.tier
        """,
        [
            connection.ops.adapt_datefield_value(active_since),
            connection.ops.adapt_datefield_value(until),
            *params,
            connection.ops.adapt_datefield_value(quiet_since),
        ],
    )
    groups = {
        tier: ChurnGroup(
            customers=count,
            revenue_lost=_money(revenue),
            promoters=promoters,
            passives=passives,
            detractors=detractors,
            never_answered=never,
        )
        for tier, count, revenue, promoters, passives, detractors, never in rows
    }
    tiers = {tier: groups.get(tier, ChurnGroup()) for tier in Tier.values}
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
    computed_at: datetime  # when the figures were computed (a cached copy keeps its time)

    @property
    def response_rate_total(self) -> RateMonth:
        return RateMonth(
            self.filters.first_month,
            sum(month.sent for month in self.response_rate),
            sum(month.responded for month in self.response_rate),
        )


def _own_breakdown(breakdown: Breakdown, viewer_id: int | None) -> Breakdown:
    return Breakdown(
        total=breakdown.total,
        tiers=breakdown.tiers,
        managers=[row for row in breakdown.managers if row[0] is not None and row[0] == viewer_id],
    )


def own_rows(board: Dashboard, viewer_id: int | None) -> Dashboard:
    """The board as someone who is not a lead sees it: the totals, and of the managers' rows only theirs."""
    return replace(
        board,
        timeliness=_own_breakdown(board.timeliness, viewer_id),
        recovery=_own_breakdown(board.recovery, viewer_id),
        shows_colleagues=False,
    )


def company_dashboard(filters: DashboardFilters, *, now: datetime | None = None) -> Dashboard:
    """Compute every figure of the dashboard for the filters, every manager's row, in a fixed number of queries."""
    now = now or timezone.now()
    waited, contacted = median_first_contact(filters)
    return Dashboard(
        filters=filters,
        nps=nps_trend(filters),
        scores=score_trends(filters),
        response_rate=response_rate_trend(filters),
        timeliness=followup_timeliness(filters, now=now),
        median_first_contact=waited,
        contacted=contacted,
        recovery=recovery(filters),
        weighted_nps=revenue_weighted_nps(filters),
        coverage=revenue_coverage(filters, now=now),
        churn=churn(filters, now=now),
        shows_colleagues=True,
        computed_at=now,
    )


def dashboard(filters: DashboardFilters, *, viewer: AnyUser, now: datetime | None = None) -> Dashboard:
    """Compute every figure of the dashboard for the filters, in a fixed number of queries.

    Everyone who may read the numbers sees the company's figures; the rates per account manager
    name colleagues only to leads (who coach them). Anyone else sees their own row next to the total.
    The page and the API read it through followups.dashboard.cache.cached_dashboard().
    """
    board = company_dashboard(filters, now=now)
    return board if is_lead(viewer) else own_rows(board, viewer.pk)
