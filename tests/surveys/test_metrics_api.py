from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from followups.models import Outcome, Status
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    FollowUpTaskFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("followups_api:metrics-nps")
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seller():
    user = UserFactory.create(username="selger", password=None)
    user.groups.add(Group.objects.get(name="Sales"))
    return user


def metrics(user, **params):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    # secure: production settings (the tests' defaults) redirect plain HTTP to HTTPS.
    return client.get(URL, params, secure=True)


def answer(customer, score: int, submitted_at: datetime = NOW - timedelta(days=1), **fields):
    return SurveyResponseFactory.create(
        contact=ContactFactory.create(customer=customer), score=score, submitted_at=submitted_at, **fields
    )


def figures(responses: int, promoters: int, passives: int, detractors: int, nps: float | None) -> dict:
    return {
        "responses": responses,
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
        "nps": nps,
    }


@time_machine.travel(NOW, tick=False)
def test_nps_by_tier_lists_every_tier_with_its_counts(seller):
    a, c = CustomerFactory.create(tier="A"), CustomerFactory.create(tier="C")
    for score in (10, 9, 3):
        answer(a, score)
    answer(c, 7)

    body = metrics(seller, group_by="tier").json()

    assert body["group_by"] == "tier"
    # Without `since`, the dashboard's default period: the last 12 Oslo months, June 2026 included.
    assert body["since"] == "2025-07-01T00:00:00+02:00"
    assert body["overall"] == figures(4, 2, 1, 1, 25.0)
    assert body["groups"] == [
        {"key": "A", "label": "A", **figures(3, 2, 0, 1, 33.3)},
        {"key": "B", "label": "B", **figures(0, 0, 0, 0, None)},
        {"key": "C", "label": "C", **figures(1, 0, 1, 0, 0.0)},
    ]


def test_tier_is_the_grouping_when_none_is_asked_for(seller):
    assert metrics(seller).json()["group_by"] == "tier"


def test_nps_by_account_manager_names_each_manager_and_the_unassigned(seller):
    kari = UserFactory.create(username="kari", first_name="Kari", last_name="Nordmann")
    answer(CustomerFactory.create(account_manager=kari), 10)
    answer(CustomerFactory.create(account_manager=None), 2)

    body = metrics(seller, group_by="account_manager").json()

    assert body["groups"] == [
        {"key": str(kari.pk), "label": "Kari Nordmann", **figures(1, 1, 0, 0, 100.0)},
        {"key": None, "label": "No account manager", **figures(1, 0, 0, 1, -100.0)},
    ]


def test_nps_by_industry_puts_customers_without_one_last(seller):
    answer(CustomerFactory.create(industry="Transport"), 9)
    answer(CustomerFactory.create(industry="Bygg og anlegg"), 8)
    answer(CustomerFactory.create(industry=""), 5)

    body = metrics(seller, group_by="industry").json()

    assert [(group["key"], group["label"], group["nps"]) for group in body["groups"]] == [
        ("Bygg og anlegg", "Bygg og anlegg", 0.0),
        ("Transport", "Transport", 100.0),
        (None, "No industry", -100.0),
    ]


@time_machine.travel(NOW, tick=False)
def test_nps_by_month_shows_the_asked_months_and_counts_only_them(seller):
    customer = CustomerFactory.create()
    answer(customer, 10, submitted_at=datetime(2026, 6, 2, tzinfo=UTC))
    answer(customer, 0, submitted_at=datetime(2026, 4, 20, tzinfo=UTC))
    answer(customer, 0, submitted_at=datetime(2025, 12, 1, tzinfo=UTC))  # before the 3 months

    body = metrics(seller, group_by="month", months=3).json()

    assert [(group["key"], group["label"], group["responses"]) for group in body["groups"]] == [
        ("2026-04", "April 2026", 1),
        ("2026-05", "May 2026", 0),
        ("2026-06", "June 2026", 1),
    ]
    assert body["overall"] == figures(2, 1, 0, 1, 0.0)
    assert body["since"] == "2026-04-01T00:00:00+02:00"


def test_since_leaves_out_earlier_answers_and_follow_ups(seller):
    customer = CustomerFactory.create()
    answer(customer, 10, submitted_at=datetime(2026, 3, 1, tzinfo=UTC))
    answer(customer, 2, submitted_at=datetime(2026, 1, 1, tzinfo=UTC))

    body = metrics(seller, since="2026-02-01").json()

    assert body["overall"] == figures(1, 1, 0, 0, 100.0)
    assert body["since"] == "2026-02-01T00:00:00+01:00"


def test_the_follow_up_figures_come_along(seller):
    contact = ContactFactory.create()
    SurveyInvitationFactory.create(contact=contact, sent_at=NOW - timedelta(days=5))
    SurveyInvitationFactory.create(contact=contact, sent_at=NOW - timedelta(days=5), responded_at=NOW)
    unhappy = SurveyResponseFactory.create(contact=contact, score=2, submitted_at=NOW - timedelta(days=4))
    created = NOW - timedelta(days=4)
    FollowUpTaskFactory.create(
        response=unhappy,
        created_at=created,
        first_contact_at=created + timedelta(hours=2),
        completed_at=created + timedelta(hours=3),
        status=Status.DONE,
        outcome=Outcome.RECOVERED,
    )
    SurveyResponseFactory.create(contact=contact, score=9, submitted_at=NOW - timedelta(days=1))

    body = metrics(seller).json()

    assert body["response_rate"] == {"sent": 2, "responded": 1, "percent": 50.0}
    assert body["median_time_to_first_contact_seconds"] == 7200.0
    assert body["recovery"] == {
        "followed_up": {"detractors": 1, "recovered": 1, "percent": 100.0},
        "not_followed_up": {"detractors": 0, "recovered": 0, "percent": None},
    }


def test_an_unknown_grouping_is_answered_400_naming_the_choices(seller):
    response = metrics(seller, group_by="region")

    assert response.status_code == 400
    assert response.json() == {
        "group_by": ['"region" cannot be grouped by; use one of: tier, month, account_manager, industry.']
    }


@pytest.mark.parametrize(
    "params", [{"months": "0"}, {"months": "many"}, {"since": "yesterday"}, {"since": "0001-01-01"}]
)
def test_bad_period_parameters_are_answered_400(seller, params):
    response = metrics(seller, group_by="month", **params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_an_anonymous_request_is_answered_401():
    assert metrics(None).status_code == 401


def test_a_user_without_the_survey_permission_is_answered_403():
    assert metrics(UserFactory.create(password=None)).status_code == 403


@pytest.mark.parametrize("group", ["Sales", "Account managers", "Follow-up leads"])
def test_every_role_group_may_read_the_metrics(group):
    user = UserFactory.create(password=None)
    user.groups.add(Group.objects.get(name=group))

    assert metrics(user).status_code == 200


def test_a_superuser_may_read_the_metrics(superuser):
    assert metrics(superuser).status_code == 200
