"""GET /api/customers/: row shape, every filter, ordering, 400s and constant query counts."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followups.models import Status
from tests.factories import FollowUpTaskFactory, UserFactory
from tests.sales.helpers import customer, get, hold, product, satisfied

pytestmark = pytest.mark.django_db

URL = "/api/customers/"
OSLO = ZoneInfo("Europe/Oslo")


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_a_row_carries_economics_satisfaction_potential_manager_holdings_and_followup(admin_api):
    manager = UserFactory.create(username="kari", first_name="Kari", last_name="Nordmann")
    x, y = product("X-1"), product("Y-1")
    c = customer(
        external_id="K42",
        name="Fjord Bygg AS",
        tier="B",
        revenue_12m=Decimal("300000.00"),
        contribution_margin_12m=Decimal("75000.00"),
        time_cost_flag=True,
        potential_score=71,
        account_manager=manager,
    )
    satisfied(c, 9, at=datetime(2026, 10, 2, 9, 30, tzinfo=OSLO), account_nps="50.0")
    hold(c, y, x)
    FollowUpTaskFactory.create(response__contact__customer=c)

    response = get(admin_api, URL)

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "id": c.pk,
                "external_id": "K42",
                "name": "Fjord Bygg AS",
                "org_number": c.org_number,
                "tier": "B",
                "revenue_12m": "300000.00",
                "contribution_margin_12m": "75000.00",
                "margin_pct": "25.0",
                "time_cost_flag": True,
                "latest_nps": 9,
                "latest_nps_at": "2026-10-02T09:30:00+02:00",
                "account_nps": "50.0",
                "potential_score": 71,
                "account_manager": {"id": manager.pk, "name": "Kari Nordmann"},
                "products_held": ["X-1", "Y-1"],
                "open_followup": True,
            }
        ],
    }


def test_tier_accepts_several_values(admin_api):
    a, b, c = customer(tier="A"), customer(tier="B"), customer(tier="C")

    response = get(admin_api, URL, {"tier": ["A", "C"], "ordering": "external_id"})

    assert ids(response) == [a.pk, c.pk]
    assert b.pk not in ids(response)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"nps_min": 7}, ["K7", "K9"]),
        ({"nps_max": 7}, ["K3", "K7"]),
        ({"nps_min": 4, "nps_max": 8}, ["K7"]),
        ({"nps_category": "promoter"}, ["K9"]),
        ({"nps_category": "passive"}, ["K7"]),
        ({"nps_category": "detractor"}, ["K3"]),
    ],
)
def test_nps_filters_use_the_latest_answer_and_leave_out_customers_without_one(admin_api, params, expected):
    for nps in (3, 7, 9):
        satisfied(customer(external_id=f"K{nps}"), nps)
    customer(external_id="K-none")
    satisfied(customer(external_id="K-null"), None)

    response = get(admin_api, URL, {**params, "ordering": "external_id"})

    assert [row["external_id"] for row in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"revenue_min": "200000"}, ["K2", "K3"]),
        ({"revenue_max": "200000.00"}, ["K1", "K2"]),
        ({"margin_min": "50000"}, ["K2", "K3"]),
        ({"margin_max": "-1"}, ["K1"]),
        ({"margin_pct_min": "25"}, ["K2"]),
    ],
)
def test_revenue_and_margin_filters_are_inclusive_bounds(admin_api, params, expected):
    customer(external_id="K1", revenue_12m=Decimal("1000.00"), contribution_margin_12m=Decimal("-500.00"))
    customer(external_id="K2", revenue_12m=Decimal("200000.00"), contribution_margin_12m=Decimal("50000.00"))
    customer(external_id="K3", revenue_12m=Decimal("900000.00"), contribution_margin_12m=Decimal("90000.00"))

    response = get(admin_api, URL, {**params, "ordering": "external_id"})

    assert [row["external_id"] for row in response.json()["results"]] == expected


def test_margin_pct_min_leaves_out_customers_without_revenue(admin_api):
    customer(external_id="K0", revenue_12m=Decimal("0.00"), contribution_margin_12m=Decimal("0.00"))

    response = get(admin_api, URL, {"margin_pct_min": "-1000"})

    assert ids(response) == []


@pytest.mark.parametrize(("value", "expected"), [("true", ["K-thief"]), ("false", ["K-fine"])])
def test_time_cost_selects_time_thieves_or_the_others(admin_api, value, expected):
    customer(external_id="K-thief", time_cost_flag=True)
    customer(external_id="K-fine", time_cost_flag=False)

    response = get(admin_api, URL, {"time_cost": value})

    assert [row["external_id"] for row in response.json()["results"]] == expected


def test_account_manager_matches_the_user_id_or_the_username(admin_api):
    kari, ola = UserFactory.create(username="kari"), UserFactory.create(username="ola")
    of_kari, of_ola = customer(account_manager=kari), customer(account_manager=ola)
    customer(account_manager=None)

    by_id = get(admin_api, URL, {"account_manager": str(kari.pk)})
    by_username = get(admin_api, URL, {"account_manager": "ola"})
    by_unknown_huge_number = get(admin_api, URL, {"account_manager": "9" * 30})

    assert ids(by_id) == [of_kari.pk]
    assert ids(by_username) == [of_ola.pk]
    assert ids(by_unknown_huge_number) == []


def test_industry_and_region_match_exactly_in_any_case(admin_api):
    match = customer(industry="Bygg og anlegg", region="Vestland")
    customer(industry="Bygg og anlegg", region="Viken")
    customer(industry="Handel", region="Vestland")

    response = get(admin_api, URL, {"industry": "bygg og anlegg", "region": "VESTLAND"})

    assert ids(response) == [match.pk]


def test_has_product_with_several_skus_needs_every_one(admin_api):
    x, y = product("X"), product("Y")
    both = hold(customer(), x, y)
    hold(customer(), x)
    customer()

    response = get(admin_api, URL, {"has_product": ["X", "Y"]})

    assert ids(response) == [both.pk]


def test_lacks_product_with_several_skus_holds_none_of_them(admin_api):
    x, y, z = product("X"), product("Y"), product("Z")
    hold(customer(), x)
    hold(customer(), y)
    only_z = hold(customer(), z)
    nothing = customer()

    response = get(admin_api, URL, {"lacks_product": ["X", "Y"], "ordering": "external_id"})

    assert ids(response) == [only_z.pk, nothing.pk]


def test_potential_min_leaves_out_lower_and_unscored_customers(admin_api):
    high = customer(potential_score=80)
    customer(potential_score=59)
    customer(potential_score=None)

    response = get(admin_api, URL, {"potential_min": 60})

    assert ids(response) == [high.pk]


def test_open_followup_counts_open_and_in_progress_tasks_only(admin_api):
    open_one, in_progress, done, none = customer(), customer(), customer(), customer()
    for c, status in ((open_one, Status.OPEN), (in_progress, Status.IN_PROGRESS)):
        FollowUpTaskFactory.create(response__contact__customer=c, status=status)
    FollowUpTaskFactory.create(
        response__contact__customer=done,
        status=Status.DONE,
        completed_at=datetime(2026, 1, 1, tzinfo=OSLO),
    )

    with_followup = get(admin_api, URL, {"open_followup": "true", "ordering": "external_id"})
    without_followup = get(admin_api, URL, {"open_followup": "false", "ordering": "external_id"})

    assert ids(with_followup) == [open_one.pk, in_progress.pk]
    assert ids(without_followup) == [done.pk, none.pk]


@pytest.mark.parametrize("term", ["fjord", "K777", "k777", "923 609 016", "923609016"])
def test_search_finds_by_name_external_id_or_org_number_with_spaces(admin_api, term):
    match = customer(name="Fjordkraft AS", external_id="K777", org_number="923609016")
    customer(name="Annen AS", external_id="K778")

    response = get(admin_api, URL, {"search": term})

    assert ids(response) == [match.pk]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["K-b", "K-c", "K-a"]),
        ("-name", ["K-a", "K-c", "K-b"]),
        ("revenue_12m", ["K-a", "K-b", "K-c"]),
        ("-revenue_12m", ["K-c", "K-b", "K-a"]),
        ("contribution_margin_12m", ["K-c", "K-a", "K-b"]),
        ("-contribution_margin_12m", ["K-b", "K-a", "K-c"]),
        ("external_id", ["K-a", "K-b", "K-c"]),
        ("-external_id", ["K-c", "K-b", "K-a"]),
        ("potential_score", ["K-b", "K-a", "K-c"]),
        ("-potential_score", ["K-a", "K-b", "K-c"]),
        ("latest_nps", ["K-c", "K-a", "K-b"]),
        ("-latest_nps", ["K-a", "K-c", "K-b"]),
    ],
)
def test_every_ordering_sorts_and_puts_missing_scores_last_in_both_directions(admin_api, ordering, expected):
    a = customer(
        external_id="K-a", name="Cecilie AS", revenue_12m=Decimal(1), contribution_margin_12m=Decimal(5)
    )
    b = customer(
        external_id="K-b", name="Anna AS", revenue_12m=Decimal(2), contribution_margin_12m=Decimal(9)
    )
    c = customer(
        external_id="K-c", name="Berit AS", revenue_12m=Decimal(3), contribution_margin_12m=Decimal(-4)
    )
    a.potential_score, b.potential_score, c.potential_score = 90, 10, None
    for each in (a, b, c):
        each.save(update_fields=["potential_score"])
    satisfied(a, 9)
    satisfied(c, 2)
    satisfied(b, None)

    response = get(admin_api, URL, {"ordering": ordering})

    assert [row["external_id"] for row in response.json()["results"]] == expected


def test_the_default_ordering_is_largest_revenue_first_then_highest_id(admin_api):
    small = customer(revenue_12m=Decimal(10))
    tie_low, tie_high = customer(revenue_12m=Decimal(500)), customer(revenue_12m=Decimal(500))

    response = get(admin_api, URL)

    assert ids(response) == [tie_high.pk, tie_low.pk, small.pk]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"tier": "D"}, "tier"),
        ({"nps_min": "abc"}, "nps_min"),
        ({"nps_max": "11"}, "nps_max"),
        ({"nps_min": "7.5"}, "nps_min"),
        ({"nps_category": "fan"}, "nps_category"),
        ({"revenue_min": "lots"}, "revenue_min"),
        ({"revenue_min": "1e400000"}, "revenue_min"),
        ({"margin_pct_min": "NaN"}, "margin_pct_min"),
        ({"time_cost": "maybe"}, "time_cost"),
        ({"open_followup": "2"}, "open_followup"),
        ({"potential_min": "101"}, "potential_min"),
        ({"has_product": "NOPE"}, "has_product"),
        ({"lacks_product": "NOPE"}, "lacks_product"),
        ({"has_product": "X\x00"}, "has_product"),
        ({"has_product": [f"S{i}" for i in range(21)]}, "has_product"),
        ({"search": "a\x00b"}, "search"),
        ({"ordering": "password"}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "fifty"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(admin_api, params, parameter):
    customer()

    response = get(admin_api, URL, params)

    assert response.status_code == 400
    assert list(response.json()) == [parameter]
    assert all(isinstance(message, str) for message in response.json()[parameter])


def test_an_unknown_sku_is_named_in_the_message(admin_api):
    product("X")

    response = get(admin_api, URL, {"has_product": ["X", "NOPE"]})

    assert response.json() == {"has_product": ["No product with SKU NOPE."]}


def _customers_with_holdings(count: int, *, without_nps: int = 0) -> None:
    x, y = product("X"), product("Y")
    for n in range(count + without_nps):
        c = customer(potential_score=n % 3 * 40 if n < count else None)
        satisfied(c, n % 11 if n < count else None)
        hold(c, x, y)
        if n % 5 == 0:
            FollowUpTaskFactory.create(response__contact__customer=c)


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = get(client, URL, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("ordering", ["-revenue_12m", "name", "latest_nps", "-potential_score"])
def test_a_page_of_50_costs_the_same_queries_as_a_page_of_5(sales_api, ordering):
    _customers_with_holdings(60)
    params = {"ordering": ordering, "has_product": "X", "tier": ["C"]}

    five = _queries(sales_api, {**params, "page_size": 5})
    fifty = _queries(sales_api, {**params, "page_size": 50})

    assert five == fifty


def test_a_page_running_into_the_customers_without_a_score_costs_one_query_more(sales_api):
    # The NULLs are a segment of their own (core.pagination): bounded, whatever the page size.
    _customers_with_holdings(10, without_nps=60)

    within_scores = _queries(sales_api, {"ordering": "latest_nps", "page_size": 5})
    across = _queries(sales_api, {"ordering": "latest_nps", "page_size": 50})
    across_larger = _queries(sales_api, {"ordering": "latest_nps", "page_size": 500})

    assert across == across_larger == within_scores + 1
