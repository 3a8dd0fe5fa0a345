from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer, CustomerProduct, Product, ProductAffinity, Tier
from customers.selectors import format_lift
from customers.services import RelevanceResult, recalculate_product_relevance
from customers.tasks import recalculate_tiers
from tests.factories import CustomerFactory, ProductFactory, RevenueLineFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 23)
IN_WINDOW = date(2026, 6, 1)


def recalculate(**kwargs: Any) -> RelevanceResult:
    return recalculate_product_relevance(as_of=kwargs.pop("as_of", AS_OF), **kwargs)


def holding(customer: Customer, product: Product) -> CustomerProduct:
    return CustomerProduct.objects.get(customer=customer, product=product)


def holds(customer: Customer, product: Product) -> bool:
    return CustomerProduct.objects.filter(customer=customer, product=product).exists()


def affinity(from_product: Product, to_product: Product) -> ProductAffinity:
    return ProductAffinity.objects.get(from_product=from_product, to_product=to_product)


def customer_holding(*products: Product, **fields: Any) -> Customer:
    customer = CustomerFactory.create(**fields)
    for product in products:
        RevenueLineFactory(customer=customer, product=product, date=IN_WINDOW)
    return customer


@pytest.fixture
def ten_customers() -> dict[str, Product]:
    """Ten customers holding P, Q, R and T, and one holding nothing in the window.

    P: c1-c6 (6), Q: c1-c4, c7 (5), R: c1, c2, c8-c10 (5), T: c1-c3 (3).
    Held together: P+Q 4, P+T 3, Q+T 3, P+R 2, Q+R 2, R+T 2.
    """
    p, q, r, t = (ProductFactory.create(sku=sku) for sku in ("P", "Q", "R", "T"))
    holdings = {
        1: [p, q, r, t],
        2: [p, q, r, t],
        3: [p, q, t],
        4: [p, q],
        5: [p],
        6: [p],
        7: [q],
        8: [r],
        9: [r],
        10: [r],
    }
    for products in holdings.values():
        customer_holding(*products)
    RevenueLineFactory(customer=CustomerFactory.create(), product=p, date=AS_OF - timedelta(days=400))
    return {"P": p, "Q": q, "R": r, "T": t}


# --- Holdings


def test_holding_sums_revenue_and_keeps_the_last_purchase_date():
    customer, product = CustomerFactory.create(), ProductFactory.create()
    RevenueLineFactory(customer=customer, product=product, date=date(2026, 2, 1), revenue=Decimal("100.10"))
    RevenueLineFactory(customer=customer, product=product, date=date(2026, 9, 5), revenue=Decimal("250.25"))

    recalculate()

    held = holding(customer, product)
    assert (held.revenue_12m, held.last_purchase) == (Decimal("350.35"), date(2026, 9, 5))


def test_line_exactly_one_calendar_year_before_as_of_is_outside_the_window():
    customer, product = CustomerFactory.create(), ProductFactory.create()
    RevenueLineFactory(customer=customer, product=product, date=date(2025, 11, 23))

    recalculate()

    assert not holds(customer, product)


def test_line_one_day_inside_the_window_makes_a_holding():
    customer, product = CustomerFactory.create(), ProductFactory.create()
    RevenueLineFactory(customer=customer, product=product, date=date(2025, 11, 24))

    recalculate()

    assert holding(customer, product).last_purchase == date(2025, 11, 24)


def test_line_on_the_as_of_date_counts_and_the_day_after_does_not():
    on_the_day, day_after, product = (
        CustomerFactory.create(),
        CustomerFactory.create(),
        ProductFactory.create(),
    )
    RevenueLineFactory(customer=on_the_day, product=product, date=AS_OF)
    RevenueLineFactory(customer=day_after, product=product, date=AS_OF + timedelta(days=1))

    recalculate()

    assert holds(on_the_day, product)
    assert not holds(day_after, product)


def test_product_fully_credited_in_the_window_is_not_held():
    customer, product = CustomerFactory.create(), ProductFactory.create()
    RevenueLineFactory(customer=customer, product=product, date=date(2026, 3, 1), revenue=Decimal("100.10"))
    RevenueLineFactory(customer=customer, product=product, date=date(2026, 3, 9), revenue=Decimal("-100.10"))

    recalculate()

    assert not holds(customer, product)


def test_credit_note_does_not_move_the_last_purchase_date():
    customer, product = CustomerFactory.create(), ProductFactory.create()
    RevenueLineFactory(customer=customer, product=product, date=date(2026, 3, 1), revenue=Decimal(500))
    RevenueLineFactory(customer=customer, product=product, date=date(2026, 4, 1), revenue=Decimal(-100))

    recalculate()

    held = holding(customer, product)
    assert (held.revenue_12m, held.last_purchase) == (Decimal("400.00"), date(2026, 3, 1))


def test_holding_that_left_the_window_is_deleted_and_a_changed_one_updated():
    customer, old, kept = CustomerFactory.create(), ProductFactory.create(), ProductFactory.create()
    RevenueLineFactory(customer=customer, product=old, date=date(2026, 1, 10))
    RevenueLineFactory(customer=customer, product=kept, date=date(2026, 2, 10), revenue=Decimal(100))
    RevenueLineFactory(customer=customer, product=kept, date=date(2027, 1, 20), revenue=Decimal(50))
    recalculate()

    result = recalculate(as_of=date(2027, 1, 20))

    assert not holds(customer, old)
    assert holding(customer, kept).revenue_12m == Decimal("150.00")
    assert (result.holdings_inserted, result.holdings_updated, result.holdings_deleted) == (0, 1, 1)


def test_holdings_are_built_chunk_by_chunk_with_the_same_result():
    product = ProductFactory.create()
    customers = [customer_holding(product) for _ in range(7)]

    result = recalculate(chunk_size=3)

    assert result.chunks == 3
    assert result.holdings == result.holders == result.holdings_inserted == 7
    assert CustomerProduct.objects.filter(customer__in=customers, product=product).count() == 7


def test_rerun_without_changes_writes_no_holdings_and_stores_the_same_affinities(ten_customers):
    first = recalculate()
    holdings_before = list(CustomerProduct.objects.order_by("pk").values_list())
    affinities_before = set(
        ProductAffinity.objects.values_list(
            "from_product", "to_product", "holders_from", "holders_both", "confidence", "lift"
        )
    )

    second = recalculate()

    assert first.holdings_written == 19
    assert second.holdings_written == 0
    assert (second.holdings, second.holders, second.pairs) == (first.holdings, first.holders, first.pairs)
    assert list(CustomerProduct.objects.order_by("pk").values_list()) == holdings_before
    assert (
        set(
            ProductAffinity.objects.values_list(
                "from_product", "to_product", "holders_from", "holders_both", "confidence", "lift"
            )
        )
        == affinities_before
    )


# --- Affinities


def test_affinity_counts_confidence_and_lift_match_the_hand_computed_example(ten_customers):
    p, q = ten_customers["P"], ten_customers["Q"]

    result = recalculate()

    # 10 customers hold something (the eleventh only bought before the window).
    # P -> Q: 4 of P's 6 holders take Q: confidence 4/6; Q is held by 5 of 10: lift 0.6667 / 0.5.
    p_to_q = affinity(p, q)
    assert (p_to_q.holders_from, p_to_q.holders_both) == (6, 4)
    assert (p_to_q.confidence, p_to_q.lift) == (Decimal("0.6667"), Decimal("1.333"))
    q_to_p = affinity(q, p)
    assert (q_to_p.holders_from, q_to_p.holders_both) == (5, 4)
    assert (q_to_p.confidence, q_to_p.lift) == (Decimal("0.8000"), Decimal("1.333"))
    assert result.holders == 10
    assert result.as_of == p_to_q.as_of == AS_OF


def test_every_holder_of_a_rare_product_taking_another_gives_the_highest_lift(ten_customers):
    q, t = ten_customers["Q"], ten_customers["T"]

    recalculate()

    # All 3 holders of T hold Q (5 of 10 customers): confidence 1, lift 1 / 0.5 = 2.
    assert (affinity(t, q).confidence, affinity(t, q).lift) == (Decimal("1.0000"), Decimal("2.000"))
    assert (affinity(q, t).confidence, affinity(q, t).lift) == (Decimal("0.6000"), Decimal("2.000"))


def test_pairs_held_together_by_fewer_than_three_customers_are_left_out(ten_customers):
    p, r = ten_customers["P"], ten_customers["R"]

    result = recalculate()

    # P, Q and T pairwise (3 pairs, both directions); every pair with R has only 2 holders in common.
    assert result.pairs == ProductAffinity.objects.count() == 6
    assert not ProductAffinity.objects.filter(from_product=r).exists()
    assert not ProductAffinity.objects.filter(from_product=p, to_product=r).exists()


def test_a_lower_minimum_support_admits_the_weaker_pairs_with_their_lift(ten_customers):
    p, r = ten_customers["P"], ten_customers["R"]

    result = recalculate(min_support=2)

    # P -> R: 2 of 6, R held by 5 of 10: lift 2 * 10 / (6 * 5).
    assert result.pairs == 12
    assert (affinity(p, r).confidence, affinity(p, r).lift) == (Decimal("0.3333"), Decimal("0.667"))


def test_affinities_are_replaced_when_the_holdings_change(ten_customers):
    p, q = ten_customers["P"], ten_customers["Q"]
    recalculate()
    customer_holding(p, q)

    recalculate()

    # P: 7 holders, Q: 6, both 5, 11 customers: lift 5 * 11 / (7 * 6) = 1.3095.
    p_to_q = affinity(p, q)
    assert (p_to_q.holders_from, p_to_q.holders_both, p_to_q.lift) == (7, 5, Decimal("1.310"))
    assert ProductAffinity.objects.filter(from_product=p, to_product=q).count() == 1


def test_no_holdings_leaves_no_affinities():
    ProductAffinity.objects.create(
        from_product=ProductFactory.create(),
        to_product=ProductFactory.create(),
        holders_from=5,
        holders_both=3,
        confidence=Decimal("0.6"),
        lift=Decimal(2),
        as_of=AS_OF,
    )

    result = recalculate()

    assert (result.holdings, result.pairs) == (0, 0)
    assert not ProductAffinity.objects.exists()


# --- Reads


@pytest.mark.parametrize(
    ("lift", "text"),
    [
        (Decimal("2.437"), "x2.4"),
        (Decimal("1.000"), "x1.0"),
        (Decimal("0.333"), "x0.33"),
        (Decimal("12.25"), "x12.3"),
    ],
)
def test_lift_reads_as_a_multiplier(lift, text):
    assert format_lift(lift) == text


# --- Nightly task and command


def test_nightly_task_runs_economics_then_relevance_then_potential():
    p, q = ProductFactory.create(), ProductFactory.create()
    big = [customer_holding(p, q, industry="Bygg og anlegg") for _ in range(10)]
    for customer in big:
        RevenueLineFactory(customer=customer, product=p, date=IN_WINDOW, revenue=Decimal(600_000))
    lookalike = customer_holding(p, industry="Bygg og anlegg")
    other = customer_holding(q, industry="Handel")

    run_id = recalculate_tiers.run(as_of=AS_OF.isoformat())

    assert run_id is not None
    assert Customer.objects.filter(tier=Tier.A).count() == 10
    assert CustomerProduct.objects.count() == 22
    assert affinity(p, q).holders_both == 10
    lookalike.refresh_from_db()
    other.refresh_from_db()
    assert lookalike.potential_score > 50 > other.potential_score


def test_command_prints_holdings_pairs_and_customers_scored(ten_customers):
    out = StringIO()

    call_command("recalculate_tiers", "--as-of", AS_OF.isoformat(), stdout=out, stderr=StringIO())

    text = out.getvalue()
    assert "holdings:            19 of 10 customers (19 written)" in text
    assert "product pairs:       6" in text
    # Too few A customers to compare with: nobody is scored.
    assert "customers scored:    0" in text


# --- Admin product page


@pytest.fixture
def superuser_client(client: Client, superuser: Any) -> Client:
    client.force_login(superuser)
    return client


def product_page(client: Client, product: Product) -> Any:
    return client.get(reverse("admin:customers_product_change", args=[product.pk]), secure=True)


def test_product_page_lists_what_its_customers_also_take(superuser_client, ten_customers):
    recalculate()

    response = product_page(superuser_client, ten_customers["T"])

    html = response.content.decode()
    assert "Customers who take T also take" in html
    section = html[html.index('id="affinities"') :]
    # All 3 holders of T take both. T -> Q: lift 3 * 10 / (3 * 5) = x2.0; T -> P: 30 / 18 = x1.7.
    assert section.index(">Q ") < section.index("x2.0") < section.index(">P ") < section.index("x1.7")
    assert section.count("100.0\u00a0%") == 2  # the English format; nb reads 100,0 %
    assert "3 customers hold T" in html


def test_product_page_says_so_when_nothing_is_taken_together(superuser_client):
    product = ProductFactory.create()

    response = product_page(superuser_client, product)

    assert "No other product is taken often enough" in response.content.decode()


def test_product_page_makes_the_same_number_of_queries_for_3_and_30_affinities(superuser_client):
    def product_with_affinities(count: int) -> Product:
        product = ProductFactory.create()
        for _ in range(count):
            ProductAffinity.objects.create(
                from_product=product,
                to_product=ProductFactory.create(),
                holders_from=10,
                holders_both=4,
                confidence=Decimal("0.4"),
                lift=Decimal("1.5"),
                as_of=AS_OF,
            )
        return product

    few, many = product_with_affinities(3), product_with_affinities(30)

    with CaptureQueriesContext(connection) as with_3:
        assert product_page(superuser_client, few).status_code == 200
    with CaptureQueriesContext(connection) as with_30:
        assert product_page(superuser_client, many).status_code == 200

    assert len(with_30.captured_queries) == len(with_3.captured_queries)


def test_product_add_page_has_no_affinity_section(superuser_client):
    response = superuser_client.get(reverse("admin:customers_product_add"), secure=True)

    assert response.status_code == 200
    assert "also take" not in response.content.decode()
