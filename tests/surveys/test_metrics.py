from datetime import UTC, date, datetime, timedelta

import pytest

from customers.models import Tier
from surveys.models import SurveyKind, SurveyResponse
from surveys.selectors import (
    NpsFigures,
    account_nps,
    largest_customers_account_nps,
    nps,
    nps_by_month,
    nps_by_tier,
    percentage,
    response_rate,
)
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
)

pytestmark = pytest.mark.django_db


def answers(*scores: int, **fields) -> None:
    for score in scores:
        SurveyResponseFactory.create(score=score, **fields)


def test_five_promoters_three_passives_and_two_detractors_give_an_nps_of_30():
    answers(9, 10, 9, 10, 9, 7, 8, 7, 6, 0)

    figures = nps()

    assert figures == NpsFigures(responses=10, promoters=5, passives=3, detractors=2)
    assert figures.score == 30.0


def test_the_nps_band_edges_are_6_7_8_and_9():
    answers(6, 7, 8, 9)

    assert nps() == NpsFigures(responses=4, promoters=1, passives=2, detractors=1)


def test_an_nps_is_rounded_half_up_to_one_decimal():
    answers(9, *[7] * 15)  # 1 of 16: 6.25, which banker's rounding would make 6.2

    assert nps().score == 6.3


def test_all_detractors_give_minus_100():
    answers(0, 3, 6)

    assert nps().score == -100.0


def test_without_answers_the_nps_is_none_not_zero():
    assert nps() == NpsFigures()
    assert nps().score is None


def test_csat_and_ces_answers_do_not_count_toward_the_nps():
    answers(9)
    SurveyResponseFactory.create(kind=SurveyKind.CSAT, score=1)
    SurveyResponseFactory.create(kind=SurveyKind.CES, score=7)

    assert nps().responses == 1


def test_nps_counts_only_the_responses_it_is_given():
    customer = CustomerFactory.create()
    answers(0, contact=ContactFactory.create(customer=customer))
    answers(10, 10)

    assert nps(SurveyResponse.objects.filter(customer=customer)).score == -100.0


def test_nps_by_tier_counts_each_answer_under_its_customers_tier_and_lists_every_tier():
    a_contact = ContactFactory.create(customer=CustomerFactory.create(tier=Tier.A))
    b_contact = ContactFactory.create(customer=CustomerFactory.create(tier=Tier.B))
    answers(10, 9, 3, contact=a_contact)
    answers(2, 8, contact=b_contact)

    by_tier = nps_by_tier()

    assert list(by_tier) == ["A", "B", "C"]
    assert (by_tier["A"].score, by_tier["B"].score, by_tier["C"].score) == (33.3, -50.0, None)
    assert by_tier["B"] == NpsFigures(responses=2, promoters=0, passives=1, detractors=1)


def test_an_answer_at_2330_utc_on_31_january_belongs_to_february_in_oslo():
    answers(10, submitted_at=datetime(2026, 1, 31, 22, 30, tzinfo=UTC))  # 23:30 in Oslo: January
    answers(0, submitted_at=datetime(2026, 1, 31, 23, 30, tzinfo=UTC))  # 00:30 in Oslo: February

    months = nps_by_month(3, now=datetime(2026, 3, 10, 12, 0, tzinfo=UTC))

    assert [(m.month, m.figures.responses, m.figures.score) for m in months] == [
        (date(2026, 1, 1), 1, 100.0),
        (date(2026, 2, 1), 1, -100.0),
        (date(2026, 3, 1), 0, None),
    ]


def test_in_summer_the_oslo_month_starts_two_hours_before_utc():
    answers(9, submitted_at=datetime(2026, 6, 30, 21, 59, tzinfo=UTC))  # 23:59 on 30 June in Oslo
    answers(9, submitted_at=datetime(2026, 6, 30, 22, 0, tzinfo=UTC))  # midnight, 1 July in Oslo

    months = nps_by_month(2, now=datetime(2026, 7, 20, tzinfo=UTC))

    assert [(m.month, m.figures.responses) for m in months] == [(date(2026, 6, 1), 1), (date(2026, 7, 1), 1)]


def test_nps_by_month_leaves_out_answers_before_its_first_month_and_after_the_current_one():
    answers(9, submitted_at=datetime(2025, 12, 31, 22, 59, tzinfo=UTC))  # December in Oslo
    answers(9, submitted_at=datetime(2026, 2, 28, 23, 0, tzinfo=UTC))  # 1 March in Oslo

    months = nps_by_month(2, now=datetime(2026, 2, 15, tzinfo=UTC))

    assert [m.month for m in months] == [date(2026, 1, 1), date(2026, 2, 1)]
    assert [m.figures.responses for m in months] == [0, 0]


def test_twelve_months_reach_back_across_the_new_year():
    months = nps_by_month(12, now=datetime(2026, 3, 10, tzinfo=UTC))

    assert (months[0].month, months[-1].month, len(months)) == (date(2025, 4, 1), date(2026, 3, 1), 12)


def test_the_response_rate_is_answered_invitations_over_sent_invitations():
    sent = datetime(2026, 3, 1, tzinfo=UTC)
    SurveyInvitationFactory.create(sent_at=sent, responded_at=sent + timedelta(days=1))
    SurveyInvitationFactory.create_batch(3, sent_at=sent)
    SurveyInvitationFactory.create(sent_at=None)  # still in the outbox: not asked yet

    rate = response_rate()

    assert (rate.sent, rate.responded, rate.percent) == (4, 1, 25.0)


def test_the_response_rate_since_a_time_counts_invitations_sent_since_then():
    SurveyInvitationFactory.create(
        sent_at=datetime(2026, 1, 1, tzinfo=UTC), responded_at=datetime(2026, 1, 2, tzinfo=UTC)
    )
    SurveyInvitationFactory.create(sent_at=datetime(2026, 3, 1, tzinfo=UTC))

    rate = response_rate(since=datetime(2026, 2, 1, tzinfo=UTC))

    assert (rate.sent, rate.responded, rate.percent) == (1, 0, 0.0)


def test_without_sent_invitations_the_response_rate_is_none():
    assert response_rate().percent is None


def test_account_nps_uses_only_each_contacts_latest_score():
    customer = CustomerFactory.create()
    changed_mind, steady = ContactFactory.create(customer=customer), ContactFactory.create(customer=customer)
    day = datetime(2026, 3, 1, tzinfo=UTC)
    answers(2, 3, contact=changed_mind, submitted_at=day)
    answers(10, contact=changed_mind, submitted_at=day + timedelta(days=30))
    answers(9, contact=steady, submitted_at=day + timedelta(days=30))
    answers(4, contact=steady, submitted_at=day + timedelta(days=60))

    figures = account_nps()

    assert figures == {customer.pk: NpsFigures(responses=2, promoters=1, passives=0, detractors=1)}
    assert figures[customer.pk].score == 0.0


def test_account_nps_ignores_csat_when_finding_the_latest_nps():
    contact = ContactFactory.create()
    answers(10, contact=contact, submitted_at=datetime(2026, 3, 1, tzinfo=UTC))
    SurveyResponseFactory.create(
        kind=SurveyKind.CSAT, score=1, contact=contact, submitted_at=datetime(2026, 4, 1, tzinfo=UTC)
    )

    assert account_nps()[contact.customer_id].score == 100.0


def test_two_answers_of_a_contact_at_the_same_moment_count_once():
    contact = ContactFactory.create()
    answers(9, 10, contact=contact, submitted_at=datetime(2026, 3, 1, tzinfo=UTC))

    assert account_nps()[contact.customer_id].responses == 1


def test_answers_without_a_contact_do_not_count_toward_the_account_nps():
    customer = CustomerFactory.create()
    answers(0, 0, customer=customer, contact=None)

    assert account_nps() == {}


def test_account_nps_can_be_limited_to_some_customers():
    wanted, other = ContactFactory.create(), ContactFactory.create()
    answers(9, contact=wanted)
    answers(9, contact=other)

    assert list(account_nps(customer_ids=[wanted.customer_id])) == [wanted.customer_id]


def test_the_largest_customers_come_by_revenue_with_their_account_nps():
    small = CustomerFactory.create(revenue_12m=100)
    big = CustomerFactory.create(revenue_12m=900_000)
    middle = CustomerFactory.create(revenue_12m=300_000)
    answers(10, contact=ContactFactory.create(customer=big))

    rows = largest_customers_account_nps(limit=2)

    assert [(row.customer, row.figures.score) for row in rows] == [(big, 100.0), (middle, None)]
    assert small not in [row.customer for row in rows]


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (1, 16, 6.3),
        (-1, 16, -6.3),
        (1, 8, 12.5),
        (1, 3, 33.3),
        (2, 3, 66.7),
        (-1, 8, -12.5),
        (0, 5, 0.0),
        (3, 0, None),
    ],
)
def test_percentages_round_half_up_to_one_decimal(part, whole, expected):
    assert percentage(part, whole) == expected
