"""GET /api/upsell-candidates/: the satisfaction gate, relevance ranking by segments, reasons, filters."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import PotentialFactor, ProductAffinity
from followups.models import Status
from tests.factories import FollowUpTaskFactory
from tests.sales.helpers import affinity, customer, get, hold, product, satisfied

pytestmark = pytest.mark.django_db

URL = "/api/upsell-candidates/"
OSLO = ZoneInfo("Europe/Oslo")
ANSWERED = datetime(2026, 10, 2, 10, 0, tzinfo=OSLO)


@pytest.fixture
def shop():
    """Target SKU with two drivers: X1 (lift 4) before X2 (lift 2); Y points elsewhere."""
    sku, x1, x2, y, other = (product(s) for s in ("SKU", "X1", "X2", "Y", "OTHER"))
    affinity(x1, sku, "4.000")
    affinity(x2, sku, "2.000")
    affinity(y, other, "9.000")
    return {"SKU": sku, "X1": x1, "X2": x2, "Y": y}


def candidate(nps: int | None, *products, satisfaction_row: bool = True, **fields):
    c = customer(**fields)
    if satisfaction_row:
        satisfied(c, nps, at=ANSWERED)
    return hold(c, *products)


@pytest.fixture
def ranked(shop):
    """The hand-made example: who is in, in which order, and who is out and why."""
    x1, x2, y, sku = shop["X1"], shop["X2"], shop["Y"], shop["SKU"]
    made = {
        "a": candidate(8, x2),
        "b": candidate(9, x1),
        "c": candidate(7, x1, x2),
        "d": candidate(10),
        "e": candidate(9, y),
        "has_sku": candidate(10, x1, sku),
        "nps_6": candidate(6, x1),
        "no_answer_row": candidate(None, x1, satisfaction_row=False),
        "no_answer": candidate(None, x1),
        "open_followup": candidate(9, x1),
        "done_followup": candidate(9, x2),
    }
    FollowUpTaskFactory.create(response__contact__customer=made["open_followup"], status=Status.IN_PROGRESS)
    FollowUpTaskFactory.create(
        response__contact__customer=made["done_followup"],
        status=Status.DONE,
        completed_at=datetime(2026, 9, 1, tzinfo=OSLO),
    )
    return made


def names(response, made) -> list[str]:
    assert response.status_code == 200, response.content
    by_id = {c.pk: name for name, c in made.items()}
    return [by_id[row["id"]] for row in response.json()["results"]]


def test_holders_of_the_strongest_driver_come_first_then_the_next_then_those_with_none(admin_api, ranked):
    response = get(admin_api, URL, {"product": "SKU"})

    assert names(response, ranked) == ["b", "c", "a", "done_followup", "d", "e"]


def test_customers_with_the_product_a_low_or_missing_nps_or_an_open_followup_are_left_out(admin_api, ranked):
    response = get(admin_api, URL, {"product": "SKU"})

    left_out = {"has_sku", "nps_6", "no_answer_row", "no_answer", "open_followup"}
    assert left_out.isdisjoint(names(response, ranked))


def test_each_row_explains_itself_in_words_and_fields(admin_api, ranked):
    c = ranked["c"]
    c.potential_score = 82
    c.save(update_fields=["potential_score"])
    PotentialFactor.objects.create(
        attribute="industry", value="Bygg og anlegg", lift=Decimal("2.400"), a_customers=40, customers=100,
        as_of=date(2026, 11, 1),
    )  # fmt: skip

    rows = {row["id"]: row for row in get(admin_api, URL, {"product": "SKU"}).json()["results"]}

    assert rows[c.pk]["reason"] == (
        "holds X1 and X2; customers with X1 take SKU 4.0x as often; NPS 7 on 2 Oct 2026; "
        "potential 82 (industry: Bygg og anlegg x2.4)"
    )
    assert (rows[c.pk]["relevance"], rows[c.pk]["driver_product"], rows[c.pk]["lift"]) == (
        "4.000",
        "X1",
        "4.000",
    )
    assert (rows[c.pk]["latest_nps"], rows[c.pk]["latest_nps_at"]) == (7, "2026-10-02T10:00:00+02:00")
    assert rows[c.pk]["potential_score"] == 82
    assert rows[c.pk]["potential_explanation"] == [
        {
            "attribute": "industry",
            "value": "Bygg og anlegg",
            "lift": "2.400",
            "a_customers": 40,
            "customers": 100,
        }
    ]
    assert rows[c.pk]["products_held"] == ["X1", "X2"]
    assert (
        rows[ranked["a"].pk]["reason"]
        == "holds X2; customers with X2 take SKU 2.0x as often; NPS 8 on 2 Oct 2026"
    )


def test_customers_holding_no_driver_have_relevance_0_and_say_so(admin_api, ranked):
    rows = {row["id"]: row for row in get(admin_api, URL, {"product": "SKU"}).json()["results"]}

    d, e = rows[ranked["d"].pk], rows[ranked["e"].pk]
    assert (d["relevance"], d["driver_product"], d["lift"]) == ("0.000", None, None)
    assert (
        d["reason"]
        == "holds no products in the last 12 months; no held product is linked to SKU; NPS 10 on 2 Oct 2026"
    )
    assert e["reason"] == "holds Y; no held product is linked to SKU; NPS 9 on 2 Oct 2026"


def test_a_product_without_affinities_lists_every_gated_customer_by_id(admin_api, ranked):
    product("NEW")

    response = get(admin_api, URL, {"product": "NEW"})

    expected = sorted(ranked[n].pk for n in ("a", "b", "c", "d", "e", "has_sku", "done_followup"))
    assert [row["id"] for row in response.json()["results"]] == expected
    assert {row["relevance"] for row in response.json()["results"]} == {"0.000"}


def walk(client, params: dict, *, backward: bool = False) -> list[list[int]]:
    url = f"{URL}?{urlencode(params, doseq=True)}"
    pages: list[list[int]] = []
    body: dict[str, Any] = {}
    while url:
        body = client.get(url, secure=True).json()
        pages.append([row["id"] for row in body["results"]])
        url = body["next"]
    if not backward:
        return pages
    pages = [pages[-1]]
    while body["previous"]:
        body = client.get(body["previous"], secure=True).json()
        pages.insert(0, [row["id"] for row in body["results"]])
    return pages


@pytest.mark.parametrize("page_size", [1, 2, 4, 5])
def test_pages_walk_the_segments_in_order_forward_and_backward(admin_api, ranked, page_size):
    expected = [ranked[n].pk for n in ("b", "c", "a", "done_followup", "d", "e")]

    forward = walk(admin_api, {"product": "SKU", "page_size": page_size})
    backward = walk(admin_api, {"product": "SKU", "page_size": page_size}, backward=True)

    assert [pk for page in forward for pk in page] == expected
    assert backward == forward


def test_a_cursor_made_before_the_affinities_changed_is_refused(admin_api, ranked, shop):
    first = get(admin_api, URL, {"product": "SKU", "page_size": 2}).json()
    ProductAffinity.objects.filter(from_product=shop["X2"]).delete()

    response = admin_api.get(first["next"], secure=True)

    assert response.status_code == 400
    assert "recalculated" in response.json()["cursor"][0]


def test_the_documented_campaign_request_picks_satisfied_b_and_c_customers_that_look_like_a(admin_api, shop):
    wanted = candidate(9, tier="B", potential_score=70)
    also = candidate(8, tier="C", potential_score=60)
    candidate(9, tier="A", potential_score=None)
    candidate(9, tier="C", potential_score=59)
    candidate(9, tier="B", potential_score=None)
    candidate(5, tier="B", potential_score=90)

    response = get(admin_api, URL, {"product": "SKU", "tier": ["B", "C"], "potential_min": 60})

    assert [row["id"] for row in response.json()["results"]] == [wanted.pk, also.pk]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"has_product": "X2"}, ["c", "a", "done_followup"]),
        ({"lacks_product": "X1"}, ["a", "done_followup", "d", "e"]),
        ({"nps_min": 9}, ["b", "done_followup", "d", "e"]),
        ({"search": "no such name"}, []),
    ],
)
def test_the_customer_list_filters_narrow_the_candidates(admin_api, ranked, params, expected):
    response = get(admin_api, URL, {"product": "SKU", **params})

    assert names(response, ranked) == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "This field is required."),
        ({"product": ""}, "This field is required."),
        ({"product": "NOPE"}, "No product with SKU 'NOPE'."),
        ({"product": "x" * 65}, "Ensure this value has at most 64 characters (it has 65)."),
    ],
)
def test_a_missing_or_unknown_product_is_a_400(admin_api, shop, params, message):
    response = get(admin_api, URL, params)

    assert response.status_code == 400
    assert response.json() == {"product": [message]}


def test_other_bad_parameters_are_400_too(admin_api, shop):
    response = get(admin_api, URL, {"product": "SKU", "tier": "D", "potential_min": "high"})

    assert response.status_code == 400
    assert set(response.json()) == {"tier", "potential_min"}


def _candidates(count: int, shop) -> None:
    for n in range(count):
        c = candidate(7 + n % 4, shop["X1"], shop["Y"], potential_score=n % 100)
        if n % 7 == 0:
            c.employees = 100
            c.save(update_fields=["employees"])
    PotentialFactor.objects.create(
        attribute="region", value="Vestland", lift=Decimal("1.500"), a_customers=10, customers=50,
        as_of=date(2026, 11, 1),
    )  # fmt: skip


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params, secure=True)
    assert response.status_code == 200
    return len(queries)


def test_a_page_of_50_costs_the_same_queries_as_a_page_of_5(sales_api, shop):
    _candidates(60, shop)

    five = _queries(sales_api, {"product": "SKU", "page_size": 5})
    fifty = _queries(sales_api, {"product": "SKU", "page_size": 50})

    assert five == fifty


def test_a_page_makes_at_most_one_query_per_segment_it_touches(sales_api, shop):
    _candidates(3, shop)
    candidate(9, shop["X2"])
    candidate(9)

    within_one_segment = _queries(sales_api, {"product": "SKU", "page_size": 2})
    across_all_three = _queries(sales_api, {"product": "SKU", "page_size": 50})

    assert across_all_three == within_one_segment + 2
