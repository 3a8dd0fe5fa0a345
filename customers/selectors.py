"""Reads of the customers app that take more than a one-line filter, shaped for the admin and the API."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext

from core.formats import format_number
from customers.models import (
    ZERO,
    Customer,
    Interaction,
    PotentialAttribute,
    PotentialFactor,
    ProductAffinity,
    RecalculationRun,
    RevenueLine,
    RunStatus,
    TierChange,
    TierPolicy,
    size_band,
)
from customers.windows import Window

# Wide enough for the sum of many 14-digit lines; the explicit scale also makes SQLite, which sums
# floats, hand back amounts rounded to øre rather than 0.30000000000000004.
_AMOUNT_SUM = DecimalField(max_digits=20, decimal_places=2)
_QUANTITY_SUM = DecimalField(max_digits=20, decimal_places=3)


def _share_pct(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole <= 0:
        return None
    # Half up, the one rounding rule of everything shown (core.formats).
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ProductRevenue:
    """What one customer bought of one product over a window."""

    product_id: int
    sku: str
    name: str
    quantity: Decimal
    revenue: Decimal
    margin: Decimal

    @property
    def margin_pct(self) -> Decimal | None:
        return _share_pct(self.margin, self.revenue)


@dataclass(frozen=True)
class RevenueSummary:
    """A customer's revenue over a window, by product (largest first), with totals."""

    window: Window
    products: list[ProductRevenue]

    @property
    def revenue(self) -> Decimal:
        return sum((p.revenue for p in self.products), ZERO)

    @property
    def margin(self) -> Decimal:
        return sum((p.margin for p in self.products), ZERO)

    @property
    def margin_pct(self) -> Decimal | None:
        return _share_pct(self.margin, self.revenue)


def revenue_by_product(customer_id: int, window: Window) -> RevenueSummary:
    """Sum a customer's revenue lines inside the window per product, in one aggregate query."""
    rows = (
        RevenueLine.objects.filter(customer_id=customer_id, date__gt=window.start, date__lte=window.end)
        .values("product_id", "product__sku", "product__name")
        .annotate(
            quantity_sum=Sum("quantity", output_field=_QUANTITY_SUM),
            revenue_sum=Sum("revenue", output_field=_AMOUNT_SUM),
            margin_sum=Sum(F("revenue") - F("cost"), output_field=_AMOUNT_SUM),
        )
        .order_by("-revenue_sum", "product__sku")
    )
    return RevenueSummary(
        window=window,
        products=[
            ProductRevenue(
                product_id=row["product_id"],
                sku=row["product__sku"],
                name=row["product__name"],
                quantity=row["quantity_sum"],
                revenue=row["revenue_sum"],
                margin=row["margin_sum"],
            )
            for row in rows
        ],
    )


def recent_interactions(customer_id: int, *, limit: int = 20) -> QuerySet[Interaction]:
    """Return a customer's latest interactions, newest first, with contact and author loaded."""
    # Served by interaction_customer_time_idx read backwards: the cost is `limit` rows whatever the
    # length of the customer's history.
    return Interaction.objects.filter(customer_id=customer_id).select_related("contact", "logged_by")[:limit]


def tier_history(customer_id: int, *, limit: int | None = None) -> QuerySet[TierChange]:
    """Return a customer's tier changes, newest first, with the run that made each one."""
    changes = (
        TierChange.objects.filter(customer_id=customer_id)
        .select_related("run")
        .order_by("-changed_at", "-pk")
    )
    return changes[:limit] if limit is not None else changes


def last_recalculation() -> RecalculationRun | None:
    """Return the latest successful recalculation: every customer's figures are as of its date."""
    # Customers a run left unchanged keep an older economics_as_of, yet their figures hold as of the
    # run's date too; the run, not the customers' dates, says how fresh the figures are.
    return RecalculationRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-started_at").first()


def running_recalculation() -> RecalculationRun | None:
    """Return the recalculation in progress, if any (the database admits at most one)."""
    return RecalculationRun.objects.filter(status=RunStatus.RUNNING).first()


def economics_window(run: RecalculationRun | None) -> Window:
    """Return the window a run summed, or the current policy's window up to today when there is none."""
    # The run's own policy snapshot, not today's policy: a window changed since would make the
    # per-product revenue disagree with the stored revenue_12m it should add up to.
    if run is not None and "window_months" in run.policy:
        return Window.ending(run.as_of, int(run.policy["window_months"]))
    return Window.ending(timezone.localdate(), TierPolicy.current().window_months)


# --- Product relevance ----------------------------------------------------------------------------


def format_lift(lift: Decimal) -> str:
    """2.437 -> 'x2.4' (nb 'x2,4'); below 1 with two decimals ('x0.33'), so a weak link does not read as 'x0.3'."""
    return f"x{format_number(lift, 2 if lift < 1 else 1)}"


def top_affinities(product_id: int, limit: int) -> QuerySet[ProductAffinity]:
    """Return the products most taken by the product's holders, by lift, with their products joined."""
    # affinity_unique_pair (from_product, to_product) finds the product's pairs; sorting them is cheap.
    return (
        ProductAffinity.objects.filter(from_product_id=product_id)
        .select_related("to_product")
        .order_by("-lift", "-holders_both", "to_product__sku")[:limit]
    )


# --- Potential --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """One attribute value behind a potential score and how over-represented it is among A customers."""

    attribute: str
    value: str
    lift: Decimal
    a_customers: int
    customers: int

    def __str__(self) -> str:
        # The compact form of the sales API and its CSV; the admin reads customers.explanations' sentences.
        if self.attribute == PotentialAttribute.SIZE:
            return gettext("size %(band)s %(lift)s") % {"band": self.value, "lift": format_lift(self.lift)}
        return gettext("%(attribute)s: %(value)s %(lift)s") % {
            "attribute": PotentialAttribute(self.attribute).label,
            "value": self.value,
            "lift": format_lift(self.lift),
        }


def _attribute_values(customer: Customer) -> dict[str, str]:
    """The customer's known attribute values, as the scoring SQL reads them."""
    values = {
        PotentialAttribute.INDUSTRY: customer.industry,
        PotentialAttribute.SIZE: size_band(customer.employees),
        PotentialAttribute.BUSINESS_MODEL: customer.business_model,
        PotentialAttribute.REGION: customer.region,
    }
    return {str(attribute): value for attribute, value in values.items() if value}


def _factor(row: PotentialFactor) -> Factor:
    return Factor(row.attribute, row.value, row.lift, row.a_customers, row.customers)


def _strongest_first(factors: Iterable[Factor]) -> list[Factor]:
    order = list(PotentialAttribute.values)
    return sorted(factors, key=lambda f: (-f.lift, order.index(f.attribute)))


def potential_explanations(customers: Iterable[Customer]) -> dict[int, list[Factor]]:
    """Explain many customers' scores with one query: customer id -> factors, strongest first.

    Customers without a score get an empty list. Read from the current factors and the customer's
    current attributes: if someone edited the attributes since the nightly run, the explanation
    already shows the new ones while the score waits for the next run.
    """
    # A customer without a score has nothing to explain, whatever factors its values have.
    values_of = {c.pk: _attribute_values(c) if c.potential_score is not None else {} for c in customers}
    wanted: dict[str, set[str]] = {}
    for values in values_of.values():
        for attribute, value in values.items():
            wanted.setdefault(attribute, set()).add(value)
    found: dict[tuple[str, str], Factor] = {}
    if wanted:
        condition = Q()
        for attribute, attribute_values in wanted.items():
            condition |= Q(attribute=attribute, value__in=attribute_values)
        found = {
            (row.attribute, row.value): _factor(row) for row in PotentialFactor.objects.filter(condition)
        }
    return {
        pk: _strongest_first(found[key] for key in values.items() if key in found)
        for pk, values in values_of.items()
    }


def potential_explanation(customer: Customer) -> list[Factor]:
    """Return the factors behind the customer's potential score, strongest first; empty without a score."""
    return potential_explanations([customer]).get(customer.pk, [])


def format_potential_explanation(factors: Sequence[Factor]) -> str:
    """'industry: Bygg og anlegg x2.4, size 50-249 x1.8', or '' without factors."""
    return ", ".join(str(factor) for factor in factors)
