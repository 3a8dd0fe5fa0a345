"""Potential: how much a customer looks like today's A customers ("lookalike" scoring, explainable).

Recalculated nightly after the tiers, in two steps:

1. Factors (PotentialFactor), one transaction: for every value v of industry, size band, business
   model and region, lift(v) = share of A customers with v / share of all customers with v, among
   the customers whose attribute is known. Small groups are smoothed toward 1 with an m-estimate:

       lift(v) = (a_v + m * p) / ((n_v + m) * p),   p = A / N, the attribute's overall A rate,

   i.e. m = SMOOTHING_CUSTOMERS imaginary customers with the average A rate join every group. Plain
   add-one (Laplace) smoothing of the two shares would not do: a group of one customer that happens
   to be A would still get a lift of about N / A (x20 when 5 % are A), exactly the explosion to avoid.
   With m = 10 it gets (1 + 10p) / (11p), about x2.7, while a group of 100 with 20 A keeps x3.7 of
   its raw x4.
2. Scores (Customer.potential_score), per customer-id chunk: the naive-Bayes style product L of the
   lifts of the customer's known attributes, mapped to round(100 * L / (1 + L)), so 50 is an average
   customer and above 50 resembles the A customers. One UPDATE ... FROM per chunk, writing only the
   customers whose score changed.

No score (NULL) for A customers, for customers with fewer than MIN_KNOWN_ATTRIBUTES known attributes,
and for everyone when there are fewer than MIN_A_CUSTOMERS A customers: too little data gives no score
rather than a made-up one. An attribute takes part only when at least MIN_A_CUSTOMERS A customers have
it known, for the same reason.

The explanation is not stored per customer: it is read from the customer's factors
(customers.selectors.potential_explanation) and put in words by customers.explanations ("The industry
Bygg og anlegg is 2.4 times as common among A customers as among all customers."). A per-customer copy
would change whenever any lift moved in its third decimal and rewrite nearly every customer each night,
where the score alone changes for few.

Measured on PostgreSQL with 100 000 customers: 4.5 s when every score is new, 0.8 s on a night that
changes none.

The arithmetic is plain SQL both databases run the same way (SQLite may lack LN/EXP, so the product is
a product). Lifts are rounded half up in integer arithmetic before they are stored, so PostgreSQL and
SQLite store the same factors; scores are computed from the stored lifts, so they match the explanation.
"""

# ruff: noqa: S608
# Set-based SQL the ORM cannot express (UPDATE ... FROM, window aggregates in INSERT ... SELECT);
# only table names from _meta and constants of this module are formatted into it, every value is a
# bound parameter.

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.chunking import id_ranges
from customers.models import SIZE_BANDS, Customer, PotentialAttribute, PotentialFactor, Tier

logger = logging.getLogger(__name__)

# Fewer A customers than this (overall, or with an attribute known) is too few to say what they share.
MIN_A_CUSTOMERS = 10
# A score from one attribute is that attribute's lift restated; two or more make it a comparison.
MIN_KNOWN_ATTRIBUTES = 2
# m of the m-estimate above: imaginary average customers added to every group. 10 keeps a one- or
# two-customer group near x1 while groups of a hundred keep almost all of their lift.
SMOOTHING_CUSTOMERS = 10


# The SQL twin of customers.models.size_band; keep the two in step.
def _size_band_sql(column: str) -> str:
    whens = " ".join(
        f"WHEN {column} < {upper} THEN '{band}'" for upper, band in SIZE_BANDS if upper is not None
    )
    return f"CASE WHEN {column} IS NULL THEN NULL {whens} ELSE '{SIZE_BANDS[-1][1]}' END"


# (attribute, SQL expression of its value over the customer table aliased `cu`, '' or NULL = unknown)
_ATTRIBUTE_SQL: tuple[tuple[str, str], ...] = (
    (PotentialAttribute.INDUSTRY, "cu.industry"),
    (PotentialAttribute.SIZE, _size_band_sql("cu.employees")),
    (PotentialAttribute.BUSINESS_MODEL, "cu.business_model"),
    (PotentialAttribute.REGION, "cu.region"),
)

_TIE_NUDGE = "0.000000001"


@dataclass(frozen=True)
class PotentialResult:
    """What one potential recalculation found and wrote."""

    as_of: date
    a_customers: int
    factors: int
    customers_scored: int
    customers_updated: int
    chunks: int
    longest_chunk_ms: int
    seconds: float


def recalculate_potential(*, as_of: date | None = None, chunk_size: int | None = None) -> PotentialResult:
    """Rebuild the potential factors from today's A customers and rescore every customer.

    Idempotent: a rerun with the same customers writes no scores. Scores follow the factors chunk by
    chunk; a run that fails part-way leaves some customers scored on yesterday's factors until the
    next run.
    """
    started = time.monotonic()
    as_of = as_of or timezone.localdate()
    chunk_size = chunk_size or settings.TILFREDS_RECALCULATION_CHUNK_SIZE
    a_customers, factors = _replace_factors(as_of=as_of)
    updated = chunks = longest_ms = 0
    for ids in id_ranges(Customer, chunk_size):
        chunk_started = time.monotonic()
        with transaction.atomic():
            updated += _score_chunk(ids)
        chunks += 1
        longest_ms = max(longest_ms, int((time.monotonic() - chunk_started) * 1000))
    result = PotentialResult(
        as_of=as_of,
        a_customers=a_customers,
        factors=factors,
        # Counted over customer_potential_idx; 0.05 s at 100 000 customers.
        customers_scored=Customer.objects.filter(potential_score__isnull=False).count(),
        customers_updated=updated,
        chunks=chunks,
        longest_chunk_ms=longest_ms,
        seconds=time.monotonic() - started,
    )
    logger.info(
        "Potential as of %s: %s A customers, %s factors, %s customers scored (%s updated), %.1f s",
        as_of,
        a_customers,
        factors,
        result.customers_scored,
        updated,
        result.seconds,
    )
    return result


def _replace_factors(*, as_of: date) -> tuple[int, int]:
    """Replace PotentialFactor from the current tiers; return (A customers, factors stored)."""
    q = connection.ops.quote_name
    customer, factor = q(Customer._meta.db_table), q(PotentialFactor._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Two runs replacing the table at once would both delete, then collide on
            # potential_factor_unique; this mode lets them take turns while readers carry on.
            cursor.execute(f"LOCK TABLE {factor} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {factor}")
        a_customers = Customer.objects.filter(tier=Tier.A).count()
        if a_customers < MIN_A_CUSTOMERS:
            # No factors: the scoring then finds no known attribute and clears every score.
            return a_customers, 0
        # One grouped scan of the customers per attribute; the window sums give each attribute's
        # totals over the customers where it is known.
        groups = " UNION ALL ".join(
            f"""
            SELECT '{attribute}' AS attribute, value, COUNT(*) AS n,
                SUM(CASE WHEN tier = %s THEN 1 ELSE 0 END) AS a
            FROM (SELECT {expression} AS value, cu.tier AS tier FROM {customer} cu) known
            WHERE value IS NOT NULL AND value <> ''
            GROUP BY value
            """
            for attribute, expression in _ATTRIBUTE_SQL
        )
        # lift = (a * N + m * A) / ((n + m) * A), the m-estimate of the docstring with p = A / N
        # multiplied out, is a ratio of integers: rounded half up to thousandths in integer arithmetic
        # ((2000x + y) / 2y) and only then divided, it is the same on PostgreSQL and SQLite. Every
        # product stays far below 2**63 (a * N <= 10**12 for a million customers).
        cursor.execute(
            f"""
            INSERT INTO {factor} (attribute, value, lift, a_customers, customers, as_of)
            SELECT attribute, value,
                ((2000 * (a * total_n + %s * total_a) + (n + %s) * total_a) / (2 * (n + %s) * total_a))
                    / 1000.0,
                a, n, %s
            FROM (
                SELECT attribute, value, n, a,
                    CAST(SUM(n) OVER (PARTITION BY attribute) AS BIGINT) AS total_n,
                    CAST(SUM(a) OVER (PARTITION BY attribute) AS BIGINT) AS total_a
                FROM ({groups}) counted
            ) totals
            WHERE total_a >= %s
            """,
            [
                SMOOTHING_CUSTOMERS,
                SMOOTHING_CUSTOMERS,
                SMOOTHING_CUSTOMERS,
                connection.ops.adapt_datefield_value(as_of),
                *[Tier.A] * len(_ATTRIBUTE_SQL),
                MIN_A_CUSTOMERS,
            ],
        )
        return a_customers, cursor.rowcount


def _score_chunk(ids: tuple[int, int]) -> int:
    """Rescore customers with ids in the inclusive range; return how many scores changed."""
    q = connection.ops.quote_name
    customer, factor = q(Customer._meta.db_table), q(PotentialFactor._meta.db_table)
    lower, upper = ids
    # A value without a factor (blank, or an attribute too few A customers have) is unknown: it
    # neither counts toward MIN_KNOWN_ATTRIBUTES nor multiplies the score. The joins go through
    # potential_factor_unique (attribute, value).
    joins = "\n".join(
        f"LEFT JOIN {factor} f{i} ON f{i}.attribute = '{attribute}' AND f{i}.value = {expression}"
        for i, (attribute, expression) in enumerate(_ATTRIBUTE_SQL)
    )
    known = " + ".join(f"CASE WHEN f{i}.lift IS NULL THEN 0 ELSE 1 END" for i in range(len(_ATTRIBUTE_SQL)))
    product = " * ".join(f"COALESCE(f{i}.lift, 1)" for i in range(len(_ATTRIBUTE_SQL)))
    # 100.0, not 100: SQLite stores a whole lift (x2.000) as an integer, and integer division would
    # truncate. The nudge makes an exact .5 round up on SQLite too, whose float product can land a hair below
    # it (7 becomes 6.999...); PostgreSQL computes numerics exactly and rounds .5 up anyway. It is far
    # below the smallest real gap between a score and a .5 boundary.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {customer} AS c SET potential_score = s.score, updated_at = %s
            FROM (
                SELECT id,
                    CASE WHEN tier = %s OR known < %s THEN NULL
                         ELSE ROUND(100.0 * product / (1 + product) + {_TIE_NUDGE}) END AS score
                FROM (
                    SELECT cu.id AS id, cu.tier AS tier, {known} AS known, {product} AS product
                    FROM {customer} cu
                    {joins}
                    WHERE cu.id BETWEEN %s AND %s
                ) lifts
            ) s
            WHERE c.id BETWEEN %s AND %s AND c.id = s.id AND (
                (c.potential_score IS NULL AND s.score IS NOT NULL)
                OR (c.potential_score IS NOT NULL AND s.score IS NULL)
                OR c.potential_score <> s.score
            )
            """,
            [
                connection.ops.adapt_datetimefield_value(timezone.now()),
                Tier.A,
                MIN_KNOWN_ATTRIBUTES,
                lower,
                upper,
                lower,
                upper,
            ],
        )
        return cursor.rowcount
