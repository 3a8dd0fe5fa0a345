"""Reads behind the sales API: customer rows with satisfaction and holdings, and the upsell ranking.

Upsell ranking, and why it is built from segments
-------------------------------------------------
A customer's relevance for SKU is the best lift among the products it holds toward SKU (0 when none).
Computing that for every customer and sorting would read every candidate on every page, which at a
million customers is seconds, not milliseconds. But relevance takes only one value per "from" product:
load the affinities toward SKU ordered by lift, X1 > X2 > ... (one small query), and

    segment k    = candidates holding X_k and none of X_1 .. X_k-1   (relevance = lift of X_k)
    last segment = candidates holding none of them                    (relevance 0)

Within a segment every customer has the same relevance, so ordering by id there is the ranking
"relevance desc, id". Each segment is an EXISTS / NOT EXISTS on holdings (holding_product_idx serves
"holders of X", holding_unique "does this customer hold any of ...") plus the gate: lacks SKU, latest NPS
above 6, no active follow-up. core.pagination walks the segments from the cursor (segment, last id),
one query per segment a page touches; the CSV export walks all of them with the same querysets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypeAlias, TypedDict, cast, overload

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext, ngettext

from core.formats import format_date
from core.pagination import Segment
from customers.models import Contact, Customer, CustomerProduct, Product, ProductAffinity
from customers.selectors import (
    Factor,
    economics_window,
    format_lift,
    format_potential_explanation,
    last_recalculation,
    potential_explanations,
    revenue_by_product,
)
from customers.selectors import tier_history as customer_tier_history
from followups.models import ACTIVE_STATUSES, FollowUpTask
from surveys.models import SurveyResponse

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from customers.models import TierChange
    from customers.selectors import RevenueSummary

# Above this latest NPS a customer counts as satisfied enough to be offered more (passives and
# promoters); detractors (0-6) get a follow-up, not a sales call.
UPSELL_NPS_ABOVE = 6

# The detail page's histories are the latest this many entries; older ones are in the admin.
HISTORY_LIMIT = 20

NO_RELEVANCE = Decimal("0.000")


@dataclass(frozen=True)
class OrderingField:
    key: str
    nullable: bool
    label: str
    # The unique tiebreaker: the customer id, or a column equal to it that shares an index with `key`.
    tiebreak: str = "id"


# What the customer list may be sorted by, each page one range (core.pagination); every field has an
# index to walk (customer_name_idx, customer_revenue_idx, customer_margin_idx, customer_potential_idx,
# satisfaction_latest_nps_idx, and external_id's unique index).
ORDERING_FIELDS: dict[str, OrderingField] = {
    "name": OrderingField("name", nullable=False, label="name"),
    "revenue_12m": OrderingField("revenue_12m", nullable=False, label="revenue, 12 months"),
    "contribution_margin_12m": OrderingField(
        "contribution_margin_12m", nullable=False, label="contribution margin, 12 months"
    ),
    "potential_score": OrderingField("potential_score", nullable=True, label="potential (no score last)"),
    # Tied by satisfaction.customer_id (= the customer id) so that (latest_nps, customer_id) is one
    # range of satisfaction_latest_nps_idx; customer.id lives in another table than latest_nps.
    "latest_nps": OrderingField(
        "latest_nps", nullable=True, label="latest NPS (no answer last)", tiebreak="satisfaction_customer_id"
    ),
    "external_id": OrderingField("external_id", nullable=False, label="external ID"),
}
ORDERING_CHOICES: list[tuple[str, str]] = [
    choice
    for name, spec in ORDERING_FIELDS.items()
    for choice in ((name, f"{spec.label}, ascending"), (f"-{name}", f"{spec.label}, descending"))
]
# Largest first is what sales asks for most, and customer_revenue_idx serves it.
DEFAULT_ORDERING = "-revenue_12m"


class CustomerRowAttributes(TypedDict):
    """What the selectors here put on a customer beside its fields.

    customer_rows() annotates the first five on every row; attach_held_skus() sets skus_held;
    with_potential_factors() sets potential_factors; the upsell list sets upsell_driver and
    upsell_reason; customer_detail() sets the rest.
    """

    satisfaction_customer_id: int | None
    latest_nps: int | None
    latest_nps_at: datetime | None
    account_nps: Decimal | None
    open_followup: bool
    skus_held: list[str]
    potential_factors: list[Factor]
    upsell_driver: Driver | None
    upsell_reason: str
    revenue_summary: RevenueSummary
    recent_tier_changes: list[TierChange]
    recent_surveys: list[SurveyResponse]
    recent_followups: list[FollowUpTask]


# A customer as the sales API handles it; for the type checker only (at run time it is a Customer).
CustomerRow: TypeAlias = "WithAnnotations[Customer, CustomerRowAttributes]"


def attach_held_skus(customers: Sequence[CustomerRow]) -> None:
    """Set `skus_held` (SKU order) on each customer: one query for all of them, none without any."""
    # Plain (customer id, SKU) tuples rather than a prefetch of holdings: building a CustomerProduct
    # and a Product per row made a 2000-customer export chunk four times slower.
    held: dict[int, list[str]] = {customer.pk: [] for customer in customers}
    if held:
        rows = (
            CustomerProduct.objects.filter(customer_id__in=held)
            .order_by("product__sku")
            .values_list("customer_id", "product__sku")
        )
        for customer_id, sku in rows:
            held[customer_id].append(sku)
    for customer in customers:
        customer.skus_held = held[customer.pk]


def held_skus(customer: Customer) -> list[str]:
    """The SKUs a customer holds, as attach_held_skus() found them."""
    return getattr(customer, "skus_held", [])


def active_followup_exists() -> Exists:
    # Served by the partial index followup_active_customer_idx.
    return Exists(FollowUpTask.objects.filter(customer=OuterRef("pk"), status__in=ACTIVE_STATUSES))


def holds_any(product_ids: Sequence[int]) -> Exists:
    return Exists(CustomerProduct.objects.filter(customer=OuterRef("pk"), product_id__in=product_ids))


def customer_rows() -> QuerySet[CustomerRow]:
    """Return customers with latest/account NPS, an open-follow-up flag and the account manager loaded."""
    # The satisfaction figures are a kept-current read model (surveys.CustomerSatisfaction), so a list
    # filters and sorts on indexed columns instead of finding each customer's latest answer.
    rows = Customer.objects.select_related("account_manager").annotate(
        # The customer id again, from the satisfaction row: keyset pagination over satisfaction
        # columns bounds this one (see OrderingField.tiebreak, Segment.first_key_twins).
        satisfaction_customer_id=F("satisfaction__customer_id"),
        latest_nps=F("satisfaction__latest_nps"),
        latest_nps_at=F("satisfaction__latest_nps_at"),
        account_nps=F("satisfaction__account_nps"),
        open_followup=active_followup_exists(),
    )
    # The checker infers the five annotations; the attributes the other selectors attach later are
    # declared by CustomerRowAttributes, which it cannot see here.
    return cast("QuerySet[CustomerRow]", rows)


def customer_segments(queryset: QuerySet[Customer], ordering: str) -> list[Segment]:
    """Split an ordered customer list into keyset segments: values first, then NULLs by id."""
    descending = ordering.startswith("-")
    spec = ORDERING_FIELDS[ordering.removeprefix("-")]
    if not spec.nullable:
        return [Segment(queryset, (spec.key, spec.tiebreak), descending)]
    # NULLS LAST in both directions, made explicit as a second segment so that neither database's
    # default NULL ordering matters and each segment stays one index range.
    return [
        Segment(queryset.filter(**{f"{spec.key}__isnull": False}), (spec.key, spec.tiebreak), descending),
        Segment(queryset.filter(**{f"{spec.key}__isnull": True}), ("id",), descending),
    ]


@dataclass(frozen=True)
class Driver:
    """A product whose holders take the target product `lift` times as often as customers in general."""

    product_id: int
    sku: str
    lift: Decimal


# Every candidate has a satisfaction row (latest NPS above 6), joined by customer id.
SATISFACTION_TWIN = ("satisfaction_customer_id",)


class RelevanceSegments(Sequence[Segment]):
    """The segments of an upsell ranking, each built when first asked for.

    Built lazily because a product can have hundreds of drivers, and composing hundreds of
    EXISTS querysets costs more Python time than the one or two a page actually reads.
    """

    def __init__(self, candidates: QuerySet[Customer], drivers: tuple[Driver, ...]) -> None:
        self._candidates = candidates
        self._drivers = drivers
        self._built: dict[int, Segment] = {}

    def __len__(self) -> int:
        return len(self._drivers) + 1

    @overload
    def __getitem__(self, index: int) -> Segment: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Segment]: ...

    def __getitem__(self, index: int | slice) -> Segment | Sequence[Segment]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index not in self._built:
            self._built[index] = Segment(self._build(index), ("id",), first_key_twins=SATISFACTION_TWIN)
        return self._built[index]

    def _build(self, index: int) -> QuerySet[Customer]:
        stronger = [d.product_id for d in self._drivers[:index]]
        segment = self._candidates
        if index < len(self._drivers):
            segment = segment.filter(holds_any([self._drivers[index].product_id]))
        return segment.filter(~holds_any(stronger)) if stronger else segment


@dataclass(frozen=True)
class UpsellRanking:
    """The candidates for one product as relevance segments: one per driver, then those with none."""

    product: Product
    drivers: tuple[Driver, ...]
    segments: RelevanceSegments = field(repr=False)

    def driver_of(self, segment_index: int) -> Driver | None:
        return self.drivers[segment_index] if segment_index < len(self.drivers) else None

    @property
    def listing(self) -> str:
        """Names this ranking in cursors; changes when the nightly affinities reorder the drivers."""
        fingerprint = ",".join(f"{d.product_id}" for d in self.drivers)
        digest = hashlib.blake2s(fingerprint.encode(), digest_size=6).hexdigest()
        return f"upsell:{self.product.pk}:{digest}"


def upsell_gate(queryset: QuerySet[Customer], product: Product) -> QuerySet[Customer]:
    """Keep the customers that may be offered `product`: lack it, latest NPS above 6, no open follow-up."""
    return queryset.filter(
        ~holds_any([product.pk]),
        ~active_followup_exists(),
        satisfaction__latest_nps__gt=UPSELL_NPS_ABOVE,
    )


def upsell_ranking(product: Product, queryset: QuerySet[Customer]) -> UpsellRanking:
    """Rank the gated customers of `queryset` for `product` by relevance, as segments (see module doc)."""
    drivers = tuple(
        Driver(product_id=from_id, sku=sku, lift=lift)
        for from_id, sku, lift in ProductAffinity.objects.filter(to_product=product)
        .order_by("-lift", "from_product_id")
        .values_list("from_product_id", "from_product__sku", "lift")
    )
    segments = RelevanceSegments(upsell_gate(queryset, product), drivers)
    return UpsellRanking(product=product, drivers=drivers, segments=segments)


def _sku_list(skus: Sequence[str]) -> str:
    shown = list(skus[:3])
    if len(skus) > len(shown):
        more = len(skus) - len(shown)
        return ngettext("%(skus)s and %(count)s more", "%(skus)s and %(count)s more", more) % {
            "skus": ", ".join(shown),
            "count": more,
        }
    if len(shown) > 1:
        return gettext("%(skus)s and %(last)s") % {"skus": ", ".join(shown[:-1]), "last": shown[-1]}
    return shown[0]


def with_potential_factors(customers: Sequence[CustomerRow]) -> None:
    """Attach `potential_factors` (strongest first) to each customer, in one query for all of them."""
    explanations = potential_explanations(customers)
    for customer in customers:
        customer.potential_factors = explanations.get(customer.pk, [])


def explain_candidate(customer: CustomerRow, driver: Driver | None, product: Product) -> str:
    """Say in one line why a customer is on the upsell list, e.g.

    "holds X and Y; customers with X take SKU 3.1x as often; NPS 9 on 2 Oct 2026; potential 82
    (industry: Bygg og anlegg x2.4)", in the request's language (its date by core.formats). Reads
    held_skus and with_potential_factors' attributes.
    """
    skus = held_skus(customer)
    if driver is not None:
        # The driver first: it is the reason for the rank.
        skus = [driver.sku, *(sku for sku in skus if sku != driver.sku)]
    parts = [
        gettext("holds %(skus)s") % {"skus": _sku_list(skus)}
        if skus
        else gettext("holds no products in the last 12 months")
    ]
    if driver is not None:
        times = format_lift(driver.lift).removeprefix("x")
        parts.append(
            gettext("customers with %(driver)s take %(sku)s %(times)sx as often")
            % {"driver": driver.sku, "sku": product.sku, "times": times}
        )
    else:
        parts.append(gettext("no held product is linked to %(sku)s") % {"sku": product.sku})
    latest_nps: int | None = getattr(customer, "latest_nps", None)
    latest_nps_at = getattr(customer, "latest_nps_at", None)
    if latest_nps is not None:
        if latest_nps_at:
            parts.append(
                gettext("NPS %(score)s on %(date)s")
                % {"score": latest_nps, "date": format_date(latest_nps_at)}
            )
        else:
            parts.append(gettext("NPS %(score)s") % {"score": latest_nps})
    if customer.potential_score is not None:
        factors: list[Factor] = getattr(customer, "potential_factors", [])
        if factors:
            parts.append(
                gettext("potential %(score)s (%(factors)s)")
                % {"score": customer.potential_score, "factors": format_potential_explanation(factors)}
            )
        else:
            parts.append(gettext("potential %(score)s") % {"score": customer.potential_score})
    return "; ".join(parts)


def customer_detail(customer_id: int) -> CustomerRow | None:
    """Return one customer for the detail page, or None.

    Besides the list annotations it carries: contacts (prefetched), `potential_factors`,
    `revenue_summary` (the last recalculation's window by product), and the latest HISTORY_LIMIT of
    `recent_tier_changes`, `recent_surveys` and `recent_followups`. A fixed number of queries,
    whatever the history length.
    """
    customer = (
        customer_rows()
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.order_by("name")))
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        return None
    attach_held_skus([customer])
    with_potential_factors([customer])
    # The window of the last recalculation, so the products add up to the stored revenue_12m.
    customer.revenue_summary = revenue_by_product(customer.pk, economics_window(last_recalculation()))
    customer.recent_tier_changes = list(customer_tier_history(customer.pk, limit=HISTORY_LIMIT))
    customer.recent_surveys = list(
        SurveyResponse.objects.filter(customer_id=customer.pk)
        .select_related("contact")
        .order_by("-submitted_at", "-pk")[:HISTORY_LIMIT]
    )
    customer.recent_followups = list(
        FollowUpTask.objects.filter(customer_id=customer.pk)
        .select_related("assigned_to", "response")
        .order_by("-created_at", "-pk")[:HISTORY_LIMIT]
    )
    return customer


def search_condition(term: str) -> Q:
    """Match a search term against name (contains, any case), external ID and org number (exact)."""
    # The external ID as typed or upper-cased (ERP keys are usually upper case): an IN on the unique
    # index, where iexact would compare UPPER(external_id) row by row. The name part is served on
    # PostgreSQL by customer_name_trgm_idx, a trigram index on UPPER(name) (customers migration 0005).
    condition = Q(name__icontains=term) | Q(external_id__in={term, term.upper()})
    # People paste organisation numbers as printed ("923 609 016"); stored ones are 9 bare digits.
    digits = "".join(term.split())
    if digits.isdigit() and len(digits) == 9:
        condition |= Q(org_number=digits)
    return condition


def account_manager_condition(value: str) -> Q:
    """Match the account manager by user id (digits) or username."""
    condition = Q(account_manager__username=value)
    # Only ids that fit the id column: a longer number is a username or nothing, never a database error.
    if value.isdigit() and int(value) < 2**31:
        condition |= Q(account_manager_id=int(value))
    return condition


def export_chunks(segments: Sequence[Segment], *, chunk_size: int) -> Iterator[list[tuple[int, CustomerRow]]]:
    """Yield every segment's rows in order as lists of (segment index, customer), chunk_size at a time.

    Streamed from the database (QuerySet.iterator: a server-side cursor on PostgreSQL) with the
    holdings of each chunk in one query, so memory holds one chunk whatever the total. A chunk never
    spans two segments.
    """
    for index, segment in enumerate(segments):
        chunk: list[tuple[int, CustomerRow]] = []
        for row in segment.ordered().iterator(chunk_size=chunk_size):
            chunk.append((index, row))
            if len(chunk) == chunk_size:
                attach_held_skus([customer for _, customer in chunk])
                yield chunk
                chunk = []
        if chunk:
            attach_held_skus([customer for _, customer in chunk])
            yield chunk
