"""GET /api/customers/{id}/: contacts, revenue by product, tier, survey and follow-up histories."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import RecalculationRun, RunStatus, TierChange, TierPolicy
from tests.factories import (
    ContactFactory,
    FollowUpTaskFactory,
    RevenueLineFactory,
    SurveyResponseFactory,
    UserFactory,
)
from tests.sales.helpers import customer, get, hold, product, satisfied

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")


def url(pk: int) -> str:
    return f"/api/customers/{pk}/"


def successful_run(as_of: date) -> RecalculationRun:
    return RecalculationRun.objects.create(
        as_of=as_of, status=RunStatus.SUCCEEDED, policy=TierPolicy.current().snapshot()
    )


def with_history(entries: int):
    c = customer(tier="B", revenue_12m=Decimal("300000.00"), potential_score=64)
    satisfied(c, 8)
    hold(c, product("X"))
    run = successful_run(date(2026, 6, 30))
    start = datetime(2026, 1, 1, 12, 0, tzinfo=OSLO)
    for n in range(entries):
        contact = ContactFactory.create(customer=c, name=f"Kontakt {n:02d}")
        response = SurveyResponseFactory.create(
            contact=contact, score=n % 11, submitted_at=start + timedelta(days=n)
        )
        TierChange.objects.create(
            customer=c,
            from_tier="C",
            to_tier="B",
            revenue_12m=Decimal(n),
            run=run,
            changed_at=start + timedelta(days=n),
        )
        RevenueLineFactory.create(customer=c, product=product(f"P{n % 3}"), date=date(2026, 6, 1))
        if n % 2 == 0:
            FollowUpTaskFactory.create(
                response=SurveyResponseFactory.create(
                    contact=contact, score=2, submitted_at=response.submitted_at
                ),
                assigned_to=UserFactory.create(username=f"am{n}", first_name="Kari", last_name=f"N{n}"),
                created_at=start + timedelta(days=n),
            )
    return c


def test_the_detail_adds_contacts_revenue_by_product_and_the_latest_histories(admin_api):
    c = with_history(25)

    body = get(admin_api, url(c.pk)).json()

    assert body["id"] == c.pk
    assert body["tier"] == "B"
    assert body["products_held"] == ["X"]
    assert body["latest_nps"] == 8
    assert body["region"] == "Vestland"
    assert [contact["name"] for contact in body["contacts"]] == [f"Kontakt {n:02d}" for n in range(25)]
    revenue = body["revenue_by_product"]
    assert (revenue["start"], revenue["end"]) == ("2025-06-30", "2026-06-30")
    assert [p["sku"] for p in revenue["products"]] == ["P0", "P1", "P2"]
    assert revenue["revenue"] == "25000.00"
    assert len(body["tier_history"]) == 20
    assert body["tier_history"][0] == {
        "from_tier": "C",
        "to_tier": "B",
        "revenue_12m": "24.00",
        "changed_at": "2026-01-25T12:00:00+01:00",
    }
    assert len(body["surveys"]) == 20
    assert body["surveys"][0]["contact"] == "Kontakt 24"
    assert len(body["followups"]) == 13
    assert body["followups"][0]["assigned_to"] == {
        "id": body["followups"][0]["assigned_to"]["id"],
        "name": "Kari N24",
    }
    assert body["followups"][0]["status"] == "open"
    assert body["followups"][0]["response_score"] == 2


def test_a_customer_without_history_has_empty_lists(admin_api):
    c = customer()

    body = get(admin_api, url(c.pk)).json()

    assert (body["contacts"], body["tier_history"], body["surveys"], body["followups"]) == ([], [], [], [])
    assert body["revenue_by_product"]["products"] == []
    assert body["potential_explanation"] == []


@pytest.mark.parametrize("pk", [0, 999_999, 10**30])
def test_an_unknown_customer_is_a_404(admin_api, pk):
    customer()

    response = get(admin_api, url(pk))

    assert response.status_code == 404
    assert "detail" in response.json()


def _queries(client, c) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = get(client, url(c.pk))
    assert response.status_code == 200
    return len(queries)


def test_the_detail_costs_the_same_queries_with_a_short_or_a_long_history(sales_api):
    short = with_history(1)
    long = with_history(25)

    assert _queries(sales_api, short) == _queries(sales_api, long)
