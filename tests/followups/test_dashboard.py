"""The dashboard's selectors, against fixed data with answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache

from followups.dashboard import DashboardFilterForm, DashboardFilters, Proportion, dashboard, wilson_interval
from followups.dashboard.selectors import (
    churn,
    followup_timeliness,
    median_first_contact,
    nps_trend,
    recovery,
    response_rate_trend,
    revenue_coverage,
    revenue_weighted_nps,
    score_trends,
)
from followups.models import Status
from followups.roles import ACCOUNT_MANAGERS_GROUP, LEADS_GROUP
from surveys.models import CustomerSatisfaction, SurveyKind, SurveyResponse
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    FollowUpTaskFactory,
    RevenueLineFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
    UserFactory,
)
from tests.followups.helpers import staff_in

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    # The filter's industry choices and the page's figures are cached (followups.dashboard.cache).
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


def default() -> DashboardFilters:
    return DashboardFilters.default(NOW)


def answer(customer, score: int, at: datetime, kind: str = SurveyKind.NPS) -> SurveyResponse:
    return SurveyResponseFactory.create(
        contact=ContactFactory.create(customer=customer), kind=kind, score=score, submitted_at=at
    )


# --- the period and the filters


def test_the_default_period_is_the_last_12_oslo_months_this_one_included():
    filters = default()

    assert (filters.first_month, filters.last_month) == (date(2025, 7, 1), date(2026, 6, 1))
    assert filters.since.isoformat() == "2025-07-01T00:00:00+02:00"
    assert filters.until.isoformat() == "2026-07-01T00:00:00+02:00"
    assert len(filters.months) == 12


def test_the_form_reads_the_last_month_the_number_of_months_tier_and_churn_months():
    form = DashboardFilterForm(
        {"end": "2026-03", "months": "3", "tier": "B", "churn_months": "6"},
        viewer=AnonymousUser(),
        now=NOW,
    )

    assert form.is_valid(), form.errors
    filters = form.filters()
    assert (filters.first_month, filters.last_month, filters.tier, filters.churn_months) == (
        date(2026, 1, 1),
        date(2026, 3, 1),
        "B",
        6,
    )


@pytest.mark.parametrize(
    "data",
    [
        {"months": "61"},
        {"months": "0"},
        {"end": "May"},
        {"end": "2026-13"},
        {"end": "1999-12"},
        {"churn_months": "0"},
    ],
)
def test_the_form_refuses_a_too_long_or_malformed_period(data):
    assert not DashboardFilterForm(data, viewer=AnonymousUser(), now=NOW).is_valid()


def test_an_account_manager_may_filter_only_on_themselves_a_lead_on_anyone():
    kari = staff_in(ACCOUNT_MANAGERS_GROUP, "kari")
    ola = staff_in(ACCOUNT_MANAGERS_GROUP, "ola")
    lead = staff_in(LEADS_GROUP, "leder")

    assert DashboardFilterForm({"account_manager": kari.pk}, viewer=kari, now=NOW).is_valid()
    refused = DashboardFilterForm({"account_manager": ola.pk}, viewer=kari, now=NOW)
    assert not refused.is_valid()
    assert refused.forbidden
    assert DashboardFilterForm({"account_manager": ola.pk}, viewer=lead, now=NOW).is_valid()


# --- NPS, CSAT, CES and the response rate


def test_nps_per_month_has_a_line_per_tier_and_one_for_all_counted_in_oslo_months():
    a, b = CustomerFactory.create(tier="A"), CustomerFactory.create(tier="B")
    for score in (10, 9, 3):
        answer(a, score, datetime(2026, 6, 2, tzinfo=UTC))
    # 22:30 UTC on 31 May is 00:30 on 1 June in Oslo: June.
    answer(b, 0, datetime(2026, 5, 31, 22, 30, tzinfo=UTC))
    answer(b, 10, datetime(2026, 5, 10, tzinfo=UTC))
    answer(a, 0, datetime(2025, 6, 30, tzinfo=UTC))  # before the period

    trend = nps_trend(default())

    june, may = trend.months.index(date(2026, 6, 1)), trend.months.index(date(2026, 5, 1))
    assert (trend.lines["A"][june].responses, trend.lines["A"][june].score) == (3, 33.3)
    assert (trend.lines["B"][june].responses, trend.lines["B"][june].score) == (1, -100.0)
    assert (trend.lines["B"][may].responses, trend.lines["B"][may].score) == (1, 100.0)
    assert (trend.lines["all"][june].responses, trend.lines["all"][june].score) == (4, 0.0)
    assert trend.lines["C"][june].responses == 0
    assert trend.lines["C"][june].score is None
    assert (trend.total.responses, trend.total.score) == (5, 20.0)


def test_csat_and_ces_give_the_average_score_and_the_answer_count_per_month():
    customer = CustomerFactory.create()
    for score in (5, 4, 4):
        answer(customer, score, datetime(2026, 6, 3, tzinfo=UTC), kind=SurveyKind.CSAT)
    answer(customer, 2, datetime(2026, 4, 3, tzinfo=UTC), kind=SurveyKind.CES)

    trends = score_trends(default())

    june, april = 11, 9
    assert (trends["csat"][june].responses, trends["csat"][june].average) == (3, 4.33)
    assert (trends["ces"][april].responses, trends["ces"][april].average) == (1, 2.0)
    assert trends["ces"][june].average is None


def test_the_response_rate_counts_invitations_sent_per_month_and_those_answered():
    sent = datetime(2026, 6, 1, 12, tzinfo=UTC)
    SurveyInvitationFactory.create(sent_at=sent, responded_at=sent)
    SurveyInvitationFactory.create(sent_at=sent)
    SurveyInvitationFactory.create(sent_at=None)  # never sent

    june = response_rate_trend(default())[-1]

    assert (june.sent, june.responded, june.percent) == (2, 1, 50.0)


# --- Wilson intervals


@pytest.mark.parametrize(
    ("successes", "n", "interval"),
    [(5, 10, (23.7, 76.3)), (8, 10, (49.0, 94.3)), (0, 10, (0.0, 27.8)), (15, 30, (33.2, 66.8))],
)
def test_the_wilson_interval_matches_the_published_values(successes, n, interval):
    assert wilson_interval(successes, n) == interval


def test_a_rate_without_cases_has_no_interval():
    assert wilson_interval(0, 0) is None
    assert Proportion(0, 0).percent is None


@pytest.mark.parametrize(
    ("successes", "n", "too_small"),
    [(4, 9, True), (5, 10, True), (15, 30, False), (29, 30, False)],
)
def test_a_rate_is_too_small_below_10_cases_or_with_an_interval_wider_than_40_points(successes, n, too_small):
    assert Proportion(successes, n).too_small is too_small


# --- follow-ups


def test_on_time_counts_contacted_or_past_due_follow_ups_per_tier_and_account_manager():
    kari = UserFactory.create(username="kari", first_name="Kari", last_name="Nordmann")
    a = CustomerFactory.create(tier="A", account_manager=kari)
    c = CustomerFactory.create(tier="C")
    created = datetime(2026, 6, 1, 8, tzinfo=UTC)
    due = datetime(2026, 6, 3, 8, tzinfo=UTC)

    def task(customer, **fields):
        fields.setdefault("due_at", due)
        return FollowUpTaskFactory.create(response__contact__customer=customer, created_at=created, **fields)

    task(a, first_contact_at=due - timedelta(hours=1))  # on time
    task(a, first_contact_at=due + timedelta(hours=1))  # late
    task(c)  # past due, never contacted: late
    task(c, due_at=NOW + timedelta(days=1))  # not due yet: not counted
    task(a, status=Status.CANCELLED)  # cancelled: not counted

    figures = followup_timeliness(default(), now=NOW)

    assert (figures.total.successes, figures.total.n) == (1, 3)
    assert (figures.tiers["A"].successes, figures.tiers["A"].n) == (1, 2)
    assert (figures.tiers["C"].successes, figures.tiers["C"].n) == (0, 1)
    assert [(key, name, p.n) for key, name, p in figures.managers] == [
        (kari.pk, "Kari Nordmann", 2),
        (None, "No account manager", 1),
    ]


def test_the_median_time_to_first_contact_covers_the_filtered_follow_ups():
    a, c = CustomerFactory.create(tier="A"), CustomerFactory.create(tier="C")
    created = datetime(2026, 6, 1, 8, tzinfo=UTC)
    for customer, hours in ((a, 1), (a, 3), (c, 50)):
        FollowUpTaskFactory.create(
            response__contact__customer=customer,
            created_at=created,
            first_contact_at=created + timedelta(hours=hours),
        )

    only_a = DashboardFilters(date(2025, 7, 1), date(2026, 6, 1), tier="A")

    assert median_first_contact(default()) == (timedelta(hours=3), 3)
    assert median_first_contact(only_a) == (timedelta(hours=2), 2)


def test_recovery_compares_followed_up_detractors_with_the_comparison_group_per_tier():
    a = CustomerFactory.create(tier="A")
    asked = datetime(2026, 3, 1, tzinfo=UTC)
    # Three detractors with a completed follow-up: two answer 7 or more next time.
    for next_score in (9, 7, 2):
        task = FollowUpTaskFactory.create(
            response__contact__customer=a,
            status=Status.DONE,
            completed_at=asked,
            response__submitted_at=asked,
        )
        SurveyResponseFactory.create(
            contact=task.contact, score=next_score, submitted_at=asked + timedelta(days=30)
        )
    # Two without: one recovers. One detractor never answered again: left out.
    for next_score in (8, 1):
        first = answer(a, 4, asked)
        SurveyResponseFactory.create(
            contact=first.contact, score=next_score, submitted_at=asked + timedelta(days=30)
        )
    answer(a, 0, asked)

    figures = recovery(default())

    assert (figures.total.followed_up.successes, figures.total.followed_up.n) == (2, 3)
    assert (figures.total.comparison.successes, figures.total.comparison.n) == (1, 2)
    assert figures.tiers["A"].followed_up.percent == 66.7
    assert figures.tiers["A"].followed_up.too_small
    assert figures.tiers["B"].comparison.n == 0


# --- revenue-weighted NPS, coverage, churn


def satisfied(customer, *, account_nps: str, at: datetime, latest: int = 9) -> None:
    CustomerSatisfaction.objects.create(
        customer=customer,
        latest_nps=latest,
        latest_nps_at=at,
        account_nps=Decimal(account_nps),
        nps_contacts=1,
    )


def test_the_revenue_weighted_nps_weighs_each_account_by_its_12_month_revenue():
    in_period = datetime(2026, 5, 1, tzinfo=UTC)
    satisfied(CustomerFactory.create(revenue_12m=Decimal(900_000)), account_nps="100", at=in_period)
    satisfied(CustomerFactory.create(revenue_12m=Decimal(100_000)), account_nps="-100", at=in_period)
    satisfied(
        CustomerFactory.create(revenue_12m=Decimal(0)), account_nps="-100", at=in_period
    )  # weighs nothing
    satisfied(
        CustomerFactory.create(revenue_12m=Decimal(500)),
        account_nps="-100",
        at=datetime(2024, 1, 1, tzinfo=UTC),
    )

    figures = revenue_weighted_nps(default())

    assert figures.weighted == 80.0  # (100 * 900 000 - 100 * 100 000) / 1 000 000
    assert figures.average == -33.3  # (100 - 100 - 100) / 3
    assert figures.accounts == 3
    assert figures.revenue == Decimal(1_000_000)


def test_revenue_coverage_is_the_share_of_revenue_of_customers_who_answered_in_12_months():
    recent, lapsed = (
        CustomerFactory.create(revenue_12m=Decimal(600)),
        CustomerFactory.create(revenue_12m=Decimal(400)),
    )
    answer(recent, 5, NOW - timedelta(days=60), kind=SurveyKind.CSAT)
    answer(lapsed, 9, NOW - timedelta(days=400))
    CustomerFactory.create(revenue_12m=Decimal(0))

    coverage = revenue_coverage(default(), now=NOW)

    assert (coverage.revenue, coverage.covered_revenue, coverage.percent) == (
        Decimal(1000),
        Decimal(600),
        60.0,
    )
    assert (coverage.customers, coverage.covered_customers) == (2, 1)


def test_churn_counts_customers_quiet_for_n_months_after_a_year_of_revenue_with_their_last_nps():
    lost_a = CustomerFactory.create(tier="A")
    RevenueLineFactory.create(customer=lost_a, date=date(2025, 10, 1), revenue=Decimal(500))
    RevenueLineFactory.create(customer=lost_a, date=date(2026, 1, 10), revenue=Decimal(250))
    satisfied(lost_a, account_nps="-100", at=datetime(2026, 2, 1, tzinfo=UTC), latest=3)
    lost_c = CustomerFactory.create(tier="C")
    RevenueLineFactory.create(customer=lost_c, date=date(2025, 12, 1), revenue=Decimal(100))
    still_buying = CustomerFactory.create(tier="A")
    RevenueLineFactory.create(customer=still_buying, date=date(2025, 12, 1))
    RevenueLineFactory.create(customer=still_buying, date=date(2026, 5, 1))
    RevenueLineFactory.create(customer=CustomerFactory.create(tier="B"), date=date(2024, 1, 1))  # long gone

    three = churn(default(), now=NOW)
    six = churn(DashboardFilters(date(2025, 7, 1), date(2026, 6, 1), churn_months=6), now=NOW)

    assert (three.quiet_since, three.active_since) == (date(2026, 3, 16), date(2025, 3, 16))
    assert (three.tiers["A"].customers, three.tiers["A"].revenue_lost, three.tiers["A"].detractors) == (
        1,
        Decimal(750),
        1,
    )
    assert (three.tiers["C"].customers, three.tiers["C"].never_answered) == (1, 1)
    assert (three.total.customers, three.total.revenue_lost) == (2, Decimal(850))
    # Six months back, lost_a's January line is inside the quiet window: it still bought.
    assert (six.tiers["A"].customers, six.tiers["C"].customers) == (0, 1)


def test_the_filters_narrow_every_figure_to_the_customers_of_a_tier_manager_or_industry():
    kari = UserFactory.create(username="kari")
    mine = CustomerFactory.create(tier="A", account_manager=kari, industry="Varehandel")
    other = CustomerFactory.create(tier="B", industry="Bygg og anlegg")
    answer(mine, 10, datetime(2026, 6, 1, tzinfo=UTC))
    answer(other, 0, datetime(2026, 6, 1, tzinfo=UTC))
    period = {"first_month": date(2025, 7, 1), "last_month": date(2026, 6, 1)}

    def responses(**filters) -> int:
        return nps_trend(DashboardFilters(**period, **filters)).total.responses

    assert responses() == 2
    assert responses(tier="A") == 1
    assert responses(account_manager_id=kari.pk) == 1
    assert responses(industry="Bygg og anlegg") == 1
    assert responses(tier="A", industry="Bygg og anlegg") == 0


def test_a_period_filter_leaves_out_answers_outside_its_months():
    customer = CustomerFactory.create()
    answer(customer, 10, datetime(2026, 2, 10, tzinfo=UTC))
    answer(customer, 0, datetime(2026, 4, 10, tzinfo=UTC))

    trend = nps_trend(DashboardFilters(date(2026, 1, 1), date(2026, 3, 1)))

    assert (trend.total.responses, trend.total.score, len(trend.months)) == (1, 100.0, 3)


# --- who sees which rows


def test_a_lead_sees_every_account_manager_and_an_account_manager_only_their_own_row():
    kari = staff_in(ACCOUNT_MANAGERS_GROUP, "kari")
    ola = staff_in(ACCOUNT_MANAGERS_GROUP, "ola")
    lead = staff_in(LEADS_GROUP, "leder")
    created, due = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 3, tzinfo=UTC)
    for manager in (kari, ola):
        FollowUpTaskFactory.create(
            response__contact__customer=CustomerFactory.create(account_manager=manager),
            created_at=created,
            due_at=due,
            first_contact_at=created,
        )

    for_lead = dashboard(default(), viewer=lead, now=NOW)
    for_kari = dashboard(default(), viewer=kari, now=NOW)

    assert [key for key, _, _ in for_lead.timeliness.managers] == [kari.pk, ola.pk]
    assert [key for key, _, _ in for_kari.timeliness.managers] == [kari.pk]
    assert for_kari.timeliness.total.n == for_lead.timeliness.total.n == 2
    assert for_lead.shows_colleagues
    assert not for_kari.shows_colleagues


# --- a constant number of queries


def many_answers(count: int) -> None:
    customers = CustomerFactory.create_batch(3)
    contacts = [ContactFactory.create(customer=customer) for customer in customers]
    template = SurveyResponseFactory.build(contact=contacts[0])
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            survey=template.survey,
            kind=SurveyKind.NPS,
            customer=contacts[n % 3].customer,
            contact=contacts[n % 3],
            score=n % 11,
            category=template.category,
            source=template.source,
            submitted_at=NOW - timedelta(days=n % 300),
        )
        for n in range(count)
    )
    for n in range(min(count, 30)):
        FollowUpTaskFactory.create(response__contact=contacts[n % 3], first_contact_at=NOW)
        RevenueLineFactory.create(customer=customers[n % 3], date=date(2025, 12, 1))


@pytest.mark.parametrize("count", [10, 1000])
def test_the_dashboard_makes_the_same_number_of_queries_for_10_and_1000_answers(
    count, django_assert_num_queries
):
    lead = staff_in(LEADS_GROUP, "leder")
    many_answers(count)

    # Ten for the figures (the median takes two), two for the lead's permissions: whatever the rows.
    with django_assert_num_queries(12):
        dashboard(default(), viewer=lead, now=NOW)


def test_the_industry_choices_are_cached_and_the_form_still_works_without_a_cache(monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from followups.dashboard import filters

    CustomerFactory.create(industry="Varehandel")
    assert filters.industries() == ["Varehandel"]
    CustomerFactory.create(industry="Bygg og anlegg")
    assert filters.industries() == ["Varehandel"]  # cached for a quarter of an hour

    def down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(filters.cache, "get", down)
    monkeypatch.setattr(filters.cache, "set", down)
    assert filters.industries() == ["Bygg og anlegg", "Varehandel"]
