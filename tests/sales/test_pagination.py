"""Keyset pagination (core.pagination) through GET /api/customers/: ties, NULLs, both directions."""

import base64
import json
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from customers.models import Customer
from tests.sales.helpers import customer, get, satisfied

pytestmark = pytest.mark.django_db

URL = "/api/customers/"


def walk_forward(client, params: dict) -> list[list[int]]:
    """Follow `next` from the first page; the ids of every page."""
    pages = []
    url = f"{URL}?{urlencode(params, doseq=True)}"
    while url:
        response = client.get(url, secure=True)
        assert response.status_code == 200, response.content
        pages.append([row["id"] for row in response.json()["results"]])
        url = response.json()["next"]
        assert len(pages) < 100, "pagination does not end"
    return pages


def walk_backward(client, params: dict) -> list[list[int]]:
    """Go to the last page, then follow `previous` to the first; the ids of every page, first to last."""
    url = f"{URL}?{urlencode(params, doseq=True)}"
    while True:
        body = client.get(url, secure=True).json()
        if body["next"] is None:
            break
        url = body["next"]
    pages = [[row["id"] for row in body["results"]]]
    while body["previous"]:
        body = client.get(body["previous"], secure=True).json()
        pages.insert(0, [row["id"] for row in body["results"]])
    return pages


def cursor_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["cursor"][0]


def forged(listing: str, segment: int, values: list, backward: bool = False) -> str:
    raw = json.dumps([listing, segment, values, backward]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_thousands_of_ties_are_split_by_id_so_no_row_repeats_or_goes_missing(admin_api):
    zeros = [customer(revenue_12m=Decimal(0)).pk for _ in range(23)]
    big = [customer(revenue_12m=Decimal(1000)).pk for _ in range(3)]

    pages = walk_forward(admin_api, {"page_size": 4})

    flat = [pk for page in pages for pk in page]
    assert flat == sorted(big, reverse=True) + sorted(zeros, reverse=True)
    assert [len(page) for page in pages] == [4] * 6 + [2]


@pytest.mark.parametrize("ordering", ["latest_nps", "-latest_nps"])
def test_customers_without_nps_come_last_in_both_directions_across_pages(admin_api, ordering):
    scores = [5, 5, 5, 9, 0, 10, 7, 7, None, None, None, None, None]
    expected_values = sorted((s for s in scores if s is not None), reverse=ordering.startswith("-"))
    made = {}
    for score in scores:
        c = customer()
        if score is not None or len(made) % 2:
            # Some without an answer have a satisfaction row with NULL, some have no row at all.
            satisfied(c, score)
        made[c.pk] = score

    pages = walk_forward(admin_api, {"ordering": ordering, "page_size": 3})

    flat = [pk for page in pages for pk in page]
    assert sorted(flat) == sorted(made)
    assert [made[pk] for pk in flat] == expected_values + [None] * 5
    tiebreak = [pk for pk in flat if made[pk] == 5]
    assert tiebreak == sorted(tiebreak, reverse=ordering.startswith("-"))


@pytest.mark.parametrize("ordering", ["name", "-potential_score", "latest_nps", "-revenue_12m"])
def test_walking_back_with_previous_gives_the_same_pages_as_walking_forward(admin_api, ordering):
    for n in range(17):
        c = customer(name=f"Kunde {n % 4}", potential_score=None if n % 3 == 0 else n % 5)
        satisfied(c, None if n % 4 == 0 else n % 3)

    forward = walk_forward(admin_api, {"ordering": ordering, "page_size": 5})
    backward = walk_backward(admin_api, {"ordering": ordering, "page_size": 5})

    assert forward == backward
    assert len({pk for page in forward for pk in page}) == 17


def test_the_first_page_has_no_previous_and_the_last_no_next(admin_api):
    for _ in range(3):
        customer()

    first = get(admin_api, URL, {"page_size": 2}).json()
    last = admin_api.get(first["next"], secure=True).json()

    assert first["previous"] is None
    assert first["next"] is not None
    assert last["next"] is None
    assert last["previous"] is not None
    assert len(last["results"]) == 1


def test_page_size_defaults_to_50_and_is_capped_at_500(admin_api):
    Customer.objects.bulk_create(Customer(external_id=f"K{n}", name=f"Kunde {n}") for n in range(501))

    default = get(admin_api, URL).json()
    capped = get(admin_api, URL, {"page_size": 10_000}).json()

    assert len(default["results"]) == 50
    assert len(capped["results"]) == 500
    assert capped["next"] is not None


def test_links_keep_the_filters_and_page_size(admin_api):
    for _ in range(3):
        customer(tier="B")

    body = get(admin_api, URL, {"tier": "B", "page_size": 2}).json()

    query = parse_qs(urlparse(body["next"]).query)
    assert query["tier"] == ["B"]
    assert query["page_size"] == ["2"]


def test_a_cursor_from_another_ordering_is_refused(admin_api):
    for _ in range(3):
        customer()
    by_name = get(admin_api, URL, {"ordering": "name", "page_size": 1}).json()

    response = get(admin_api, URL, {"ordering": "-name", "cursor": cursor_of(by_name["next"])})

    assert response.status_code == 400
    assert "another ordering" in response.json()["cursor"][0]


@pytest.mark.parametrize(
    ("ordering", "cursor"),
    [
        ("-revenue_12m", forged("customers:-revenue_12m", 0, ["abc", 1])),
        ("-revenue_12m", forged("customers:-revenue_12m", 0, ["1" + "0" * 30, 1])),
        ("-revenue_12m", forged("customers:-revenue_12m", 0, ["NaN", 1])),
        ("-revenue_12m", forged("customers:-revenue_12m", 0, ["10.00", 2**70])),
        ("-revenue_12m", forged("customers:-revenue_12m", 0, ["10.00", None])),
        ("-revenue_12m", forged("customers:-revenue_12m", 0, ["10.00", 1.5])),
        ("-revenue_12m", forged("customers:-revenue_12m", 0, ["10.00"])),
        ("-revenue_12m", forged("customers:-revenue_12m", 1, ["10.00", 1])),
        ("-revenue_12m", forged("customers:-revenue_12m", -1, ["10.00", 1])),
        ("name", forged("customers:name", 0, ["Kunde\x00", 1])),
        ("latest_nps", forged("customers:latest_nps", 0, [2**70, 1])),
        ("latest_nps", forged("customers:latest_nps", 1, [True])),
        ("name", base64.urlsafe_b64encode(b'{"a": 1}').decode()),
        ("name", "%%%"),
    ],
)
def test_a_tampered_cursor_is_a_400_not_a_database_error(admin_api, ordering, cursor):
    customer()

    response = get(admin_api, URL, {"ordering": ordering, "cursor": cursor})

    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


def test_a_cursor_past_the_end_gives_an_empty_page_that_leads_back(admin_api):
    first = customer(revenue_12m=Decimal(5))
    beyond = forged("customers:-revenue_12m", 0, ["1.00", 1])

    body = get(admin_api, URL, {"cursor": beyond}).json()
    back = admin_api.get(body["previous"], secure=True).json()

    assert body["results"] == []
    assert body["next"] is None
    assert [row["id"] for row in back["results"]] == [first.pk]
