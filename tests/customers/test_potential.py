from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import Customer, PotentialAttribute, PotentialFactor, Tier, size_band
from customers.selectors import (
    Factor,
    format_potential_explanation,
    potential_explanation,
    potential_explanations,
)
from customers.services import PotentialResult, recalculate_potential
from customers.services.potential import _score_chunk
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 23)
BYGG, HANDEL = "Bygg og anlegg", "Handel"


def recalculate(**kwargs: Any) -> PotentialResult:
    return recalculate_potential(as_of=kwargs.pop("as_of", AS_OF), **kwargs)


def customers(count: int, **fields: Any) -> list[Customer]:
    fields.setdefault("region", "Vestland")
    return CustomerFactory.create_batch(count, **fields)


def lift(attribute: str, value: str) -> Decimal:
    return PotentialFactor.objects.get(attribute=attribute, value=value).lift


def score(customer: Customer) -> int | None:
    return Customer.objects.get(pk=customer.pk).potential_score


@pytest.fixture
def population() -> dict[str, Customer]:
    """40 customers, 10 of them A, everyone in Vestland, no business model known.

    A: 8 Bygg og anlegg and 2 Handel, all with 60 employees (50-249).
    Others: 10 Bygg og anlegg with 60 employees, 20 Handel with 5 employees (1-9).
    """
    customers(8, tier=Tier.A, industry=BYGG, employees=60)
    customers(2, tier=Tier.A, industry=HANDEL, employees=60)
    bygg = customers(10, tier=Tier.B, industry=BYGG, employees=60)
    handel = customers(20, tier=Tier.C, industry=HANDEL, employees=5)
    return {"bygg": bygg[0], "handel": handel[0]}


# --- Factors


def test_lifts_match_the_hand_computed_smoothed_shares(population):
    result = recalculate()

    # lift = (a + m p) / ((n + m) p) with m = 10 and p = 10 / 40 A customers.
    # Bygg: (8 + 2.5) / (28 * 0.25) = 1.5; Handel: (2 + 2.5) / (32 * 0.25) = 0.5625, half up.
    assert lift("industry", BYGG) == Decimal("1.500")
    assert lift("industry", HANDEL) == Decimal("0.563")
    # 50-249: (10 + 2.5) / (30 * 0.25); 1-9: (0 + 2.5) / (30 * 0.25).
    assert lift("size", "50-249") == Decimal("1.667")
    assert lift("size", "1-9") == Decimal("0.333")
    # A value everybody has says nothing: x1.
    assert lift("region", "Vestland") == Decimal("1.000")
    assert (result.a_customers, result.factors) == (10, 5)
    factor = PotentialFactor.objects.get(attribute="industry", value=BYGG)
    assert (factor.a_customers, factor.customers, factor.as_of) == (8, 18, AS_OF)


def test_a_group_of_one_a_customer_is_smoothed_toward_one(population):
    customers(1, tier=Tier.A, industry="Fiske", employees=60)

    recalculate()

    # Unsmoothed, (1/11) / (1/41) would be x3.7. Smoothed: (1 * 41 + 10 * 11) / (11 * 11).
    assert lift("industry", "Fiske") == Decimal("1.248")


def test_an_attribute_fewer_than_ten_a_customers_have_takes_no_part(population):
    nine_a = list(Customer.objects.filter(tier=Tier.A).values_list("pk", flat=True)[:9])
    Customer.objects.filter(pk__in=nine_a).update(business_model="Grossist")

    recalculate()

    assert not PotentialFactor.objects.filter(attribute=PotentialAttribute.BUSINESS_MODEL).exists()


def test_rebuilt_factors_replace_the_old_ones(population):
    PotentialFactor.objects.create(
        attribute="industry", value="Gone", lift=Decimal(9), a_customers=9, customers=9, as_of=AS_OF
    )

    recalculate()

    assert not PotentialFactor.objects.filter(value="Gone").exists()


@pytest.mark.parametrize(
    ("employees", "band"),
    [
        (None, ""),
        (0, "1-9"),
        (9, "1-9"),
        (10, "10-49"),
        (49, "10-49"),
        (50, "50-249"),
        (249, "50-249"),
        (250, "250+"),
    ],
)
def test_size_bands_have_their_bounds_where_the_labels_say(employees, band):
    assert size_band(employees) == band


def test_sql_and_python_put_a_head_count_in_the_same_band():
    A_customers = customers(10, tier=Tier.A, industry=BYGG, employees=10)
    for employees in (0, 9, 49, 50, 249, 250):
        customers(1, industry=BYGG, employees=employees)

    recalculate()

    assert set(PotentialFactor.objects.filter(attribute="size").values_list("value", flat=True)) == {
        "1-9",
        "10-49",
        "50-249",
        "250+",
    }
    assert PotentialFactor.objects.get(attribute="size", value="10-49").customers == len(A_customers) + 1


# --- Scores


def test_scores_match_the_hand_computed_product_of_lifts(population):
    recalculate()

    # Bygg, 50-249, Vestland: L = 1.5 * 1.667 * 1 = 2.5005, 100 L / (1 + L) = 71.4.
    assert score(population["bygg"]) == 71
    # Handel, 1-9, Vestland: L = 0.563 * 0.333 * 1 = 0.1875, 100 L / (1 + L) = 15.8.
    assert score(population["handel"]) == 16


def test_a_customers_get_no_score(population):
    a_customer = Customer.objects.filter(tier=Tier.A).first()
    Customer.objects.filter(pk=a_customer.pk).update(potential_score=80)

    recalculate()

    assert score(a_customer) is None


def test_customer_with_fewer_than_two_known_attributes_gets_no_score(population):
    one_known = CustomerFactory(industry=BYGG, employees=None, region="", potential_score=70)
    none_known = CustomerFactory(industry="", employees=None, region="")
    two_known = CustomerFactory(industry=BYGG, employees=None, region="Vestland")

    recalculate()

    assert score(one_known) is None
    assert score(none_known) is None
    assert score(two_known) is not None


def test_a_value_without_a_factor_does_not_count_as_known(population):
    # Its business model is known, but too few A customers have one for the attribute to take part.
    customer = CustomerFactory(industry=BYGG, employees=None, region="", business_model="Grossist")

    recalculate()

    assert score(customer) is None


def test_fewer_than_ten_a_customers_give_nobody_a_score_and_clear_old_ones():
    customers(9, tier=Tier.A, industry=BYGG, employees=60)
    scored_before = CustomerFactory(industry=BYGG, employees=60, potential_score=64)

    result = recalculate()

    assert score(scored_before) is None
    assert not PotentialFactor.objects.exists()
    assert (result.a_customers, result.factors, result.customers_scored) == (9, 0, 0)


def test_rerun_without_changes_writes_no_scores(population):
    first = recalculate()
    updated_at = dict(Customer.objects.values_list("pk", "updated_at"))

    second = recalculate()

    assert first.customers_updated == first.customers_scored == 30
    assert second.customers_updated == 0
    assert second.customers_scored == 30
    assert dict(Customer.objects.values_list("pk", "updated_at")) == updated_at


def test_scores_are_the_same_computed_chunk_by_chunk(population):
    recalculate()
    whole = dict(Customer.objects.values_list("pk", "potential_score"))
    Customer.objects.update(potential_score=None)

    result = recalculate(chunk_size=7)

    assert result.chunks == 6
    assert dict(Customer.objects.values_list("pk", "potential_score")) == whole


def test_a_score_exactly_on_a_half_rounds_up_on_every_database():
    customer = CustomerFactory(industry="X", employees=None, region="Y")
    PotentialFactor.objects.create(
        attribute="industry", value="X", lift=Decimal("0.300"), a_customers=1, customers=1, as_of=AS_OF
    )
    PotentialFactor.objects.create(
        attribute="region", value="Y", lift=Decimal("2.000"), a_customers=1, customers=1, as_of=AS_OF
    )

    # The scoring step alone, on hand-made factors: L = 0.6 gives exactly 37.5.
    _score_chunk((customer.pk, customer.pk))

    assert score(customer) == 38


# --- Explanation


def test_explanation_lists_the_customers_factors_strongest_first(population):
    recalculate()
    customer = Customer.objects.get(pk=population["bygg"].pk)

    factors = potential_explanation(customer)

    assert factors == [
        Factor("size", "50-249", Decimal("1.667"), 10, 20),
        Factor("industry", BYGG, Decimal("1.500"), 8, 18),
        Factor("region", "Vestland", Decimal("1.000"), 10, 40),
    ]
    assert format_potential_explanation(factors) == (
        "size 50-249 x1.7, industry: Bygg og anlegg x1.5, region: Vestland x1.0"
    )


def test_explanation_reads_business_model_and_weak_links_with_two_decimals():
    factor = Factor("business_model", "Grossist", Decimal("0.563"), 1, 20)

    assert str(factor) == "business model: Grossist x0.56"


def test_customer_without_a_score_has_no_explanation(population):
    recalculate()
    a_customer = Customer.objects.filter(tier=Tier.A).first()

    assert potential_explanation(a_customer) == []
    assert format_potential_explanation(potential_explanation(a_customer)) == ""


def test_explanations_for_a_page_of_customers_take_one_query(population, django_assert_num_queries):
    recalculate()
    page = list(Customer.objects.order_by("pk"))

    with django_assert_num_queries(1):
        explanations = potential_explanations(page)

    assert explanations[population["handel"].pk] == [
        Factor("region", "Vestland", Decimal("1.000"), 10, 40),
        Factor("industry", HANDEL, Decimal("0.563"), 2, 22),
        Factor("size", "1-9", Decimal("0.333"), 0, 20),
    ]
    assert len(explanations) == 40
    assert sum(1 for factors in explanations.values() if not factors) == 10


# --- Admin


@pytest.fixture
def superuser_client(client: Client, superuser: Any) -> Client:
    client.force_login(superuser)
    return client


def customer_page(client: Client, customer: Customer) -> str:
    response = client.get(reverse("admin:customers_customer_change", args=[customer.pk]), secure=True)
    assert response.status_code == 200
    return response.content.decode()


def test_customer_page_explains_the_potential_score_in_sentences_strongest_first(
    superuser_client, population
):
    recalculate()

    html = customer_page(superuser_client, population["bygg"])

    assert "<strong>71</strong> / 100" in html
    assert (
        "<li>A size of 50-249 employees is 1.7 times as common among A customers as among all customers.</li>"
        "<li>The industry Bygg og anlegg is 1.5 times as common among A customers as among all customers.</li>"
        "<li>The region Vestland is about as common among A customers as among all customers.</li>"
    ) in html


def test_customer_page_says_why_an_a_customer_has_no_potential_score(superuser_client, population):
    recalculate()

    html = customer_page(superuser_client, Customer.objects.filter(tier=Tier.A).first())

    assert "an A customer" in html
