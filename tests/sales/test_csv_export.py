"""?format=csv on the customer list and the upsell candidates: streamed, filtered, Excel-ready."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, CustomerProduct
from tests.factories import UserFactory
from tests.sales.helpers import affinity, customer, get, hold, product, satisfied

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")


def content(response) -> str:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode("utf-8")


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content(response).removeprefix("\ufeff")), delimiter=";"))


@time_machine.travel(datetime(2026, 11, 20, 12, 0, tzinfo=OSLO), tick=False)
def test_the_customer_export_is_a_streamed_csv_with_bom_header_and_dated_filename(admin_api):
    customer()

    response = get(admin_api, "/api/customers/", {"format": "csv"})

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="customers-2026-11-20.csv"'
    text = content(response)
    assert text.startswith("\ufeffid;external_id;name;org_number;tier;revenue_12m;")
    assert text.splitlines()[0].endswith(";products_held;open_followup")


def test_accept_text_csv_selects_the_export_as_well(admin_api):
    customer()

    response = get(admin_api, "/api/customers/", HTTP_ACCEPT="text/csv")

    assert isinstance(response, StreamingHttpResponse)


def test_values_are_written_the_way_norwegian_excel_reads_them(admin_api):
    manager = UserFactory.create(username="kari", first_name="Kari", last_name="Nordmann")
    c = customer(
        external_id="K1",
        name="Bodø Bygg; Øst AS",
        revenue_12m=Decimal("1234567.50"),
        contribution_margin_12m=Decimal("-1000.25"),
        account_manager=manager,
    )
    satisfied(c, 9, at=datetime(2026, 10, 2, 9, 30, tzinfo=OSLO), account_nps="-12.5")
    hold(c, product("A-1"), product("B-2"))

    header, row = rows(get(admin_api, "/api/customers/", {"format": "csv"}))

    record = dict(zip(header, row, strict=True))
    assert record["name"] == "Bodø Bygg; Øst AS"
    assert record["revenue_12m"] == "1234567,50"
    assert record["contribution_margin_12m"] == "-1000,25"
    assert record["margin_pct"] == "-0,1"
    assert record["account_nps"] == "-12,5"
    assert record["latest_nps_at"] == "2026-10-02 09:30"
    assert record["account_manager"] == "Kari Nordmann"
    assert record["products_held"] == "A-1, B-2"
    assert record["time_cost_flag"] == "false"


def test_a_name_that_excel_would_run_as_a_formula_is_written_as_text(admin_api):
    customer(name='=HYPERLINK("http://evil.example","klikk")')

    header, row = rows(get(admin_api, "/api/customers/", {"format": "csv"}))

    assert dict(zip(header, row, strict=True))["name"] == '\'=HYPERLINK("http://evil.example","klikk")'


def test_the_export_applies_the_filters_and_ordering_and_ignores_pagination(admin_api):
    a = customer(tier="A", revenue_12m=Decimal(900_000))
    b = customer(tier="B", revenue_12m=Decimal(300_000))
    customer(tier="C")

    exported = rows(get(admin_api, "/api/customers/", {"format": "csv", "tier": ["A", "B"], "page_size": 1}))

    assert [int(row[0]) for row in exported[1:]] == [a.pk, b.pk]


def test_a_bad_parameter_answers_400_in_json_even_for_csv(admin_api):
    response = get(admin_api, "/api/customers/", {"format": "csv", "tier": "D"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "tier" in response.json()


def test_the_upsell_export_streams_every_segment_in_rank_order_with_reasons(admin_api):
    sku, x = product("SKU"), product("X")
    affinity(x, sku, "3.100")
    without_driver = satisfied(customer(), 9)
    with_driver = hold(satisfied(customer(), 8, at=datetime(2026, 10, 2, 9, 0, tzinfo=OSLO)), x)

    exported = rows(
        get(admin_api, "/api/upsell-candidates/", {"product": "SKU", "format": "csv", "page_size": 1})
    )

    header = exported[0]
    records = [dict(zip(header, row, strict=True)) for row in exported[1:]]
    assert [int(r["id"]) for r in records] == [with_driver.pk, without_driver.pk]
    assert header[-5:] == ["relevance", "driver_product", "lift", "potential_explanation", "reason"]
    assert (records[0]["relevance"], records[0]["driver_product"], records[0]["lift"]) == (
        "3,100",
        "X",
        "3,100",
    )
    assert records[0]["reason"] == "holds X; customers with X take SKU 3.1x as often; NPS 8 on 2 Oct 2026"
    assert records[1]["relevance"] == "0,000"


def _export_queries(client, count: int) -> int:
    for _ in range(count):
        hold(customer(), product("X"))
    with CaptureQueriesContext(connection) as queries:
        content(get(client, "/api/customers/", {"format": "csv"}))
    return len(queries)


def test_the_export_fetches_holdings_per_chunk_not_per_row(sales_api):
    five = _export_queries(sales_api, 5)
    fifty = _export_queries(sales_api, 45)

    assert five == fifty


def test_a_large_export_reads_the_customers_in_chunks_of_2000_with_one_holdings_query_each(admin_api):
    x = product("X")
    made = Customer.objects.bulk_create(Customer(external_id=f"K{n}", name=f"Kunde {n}") for n in range(4001))
    CustomerProduct.objects.bulk_create(
        CustomerProduct(customer=c, product=x, revenue_12m=Decimal(1), last_purchase=date(2026, 6, 1))
        for c in Customer.objects.filter(pk__in=[c.pk for c in made])
    )

    with CaptureQueriesContext(connection) as queries:
        exported = rows(get(admin_api, "/api/customers/", {"format": "csv"}))

    holdings_queries = [
        q for q in queries if "customers_customerproduct" in q["sql"] and "EXISTS" not in q["sql"]
    ]
    assert len(holdings_queries) == 3
    assert len(exported) == 1 + 4001
    assert {row[-2] for row in exported[1:]} == {"X"}
