"""Product relevance: what each customer holds, and which products go together ("has X, so likely Y").

Recalculated nightly right after the economics, over the same window, in two steps:

1. Holdings (CustomerProduct), per customer-id chunk in one short transaction each: one aggregate of
   the chunk's revenue lines fills a temporary table, then three statements bring the chunk's rows in
   line with it (update the changed, insert the new, delete the gone). An unchanged night writes
   nothing, which on PostgreSQL also means no dead tuples for autovacuum to clean up in a table of
   millions of rows.
2. Affinities (ProductAffinity): one INSERT ... SELECT over a self-join of the holdings, replacing the
   whole table in one transaction; readers see the old pairs until it commits. Its size is bounded
   by products², not customers, and a diff would save nothing: holders_from moves for nearly every
   product every night, so nearly every row changes anyway.

Measured on PostgreSQL with 100 000 customers, 2 million lines, 1 000 products (970 000 holdings,
742 000 pairs): 35 s a night (12 s holdings, 23 s affinities), 60 s on the first run.

Stored ratios are computed in integer arithmetic and rounded half up before the final division (see
_replace_affinities), so PostgreSQL (exact numerics) and SQLite (floats) store the same values.

The reads of these tables live in customers/selectors.py (top_affinities, the product page) and
sales/selectors.py (the upsell ranking).
"""

# ruff: noqa: S608
# Set-based SQL the ORM cannot express (UPDATE ... FROM, INSERT ... SELECT over a self-join); only
# table names from _meta are formatted into it, every value is a bound parameter.

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.chunking import id_ranges
from customers.models import Customer, CustomerProduct, ProductAffinity, RevenueLine, TierPolicy
from customers.windows import Window

logger = logging.getLogger(__name__)

# A pair ranks only when at least this many customers hold both products. Below that a lift is noise:
# two customers who happen to buy the same odd pair give it a lift in the hundreds on a large base.
AFFINITY_MIN_SUPPORT = 3

# The largest lift ProductAffinity.lift (9 digits, 3 decimals) holds. A lift is at most
# customers / holders_both, so it can only be reached beyond 3 million customers; capped, not failed.
_MAX_LIFT_MILLI = 999_999_999

_HOLDINGS_TABLE = "tilfreds_holdings_chunk"
_HOLDERS_TABLE = "tilfreds_product_holders"
_PAIRS_TABLE = "tilfreds_product_pairs"


@dataclass(frozen=True)
class RelevanceResult:
    """What one product-relevance recalculation found and wrote."""

    as_of: date
    holdings: int
    holders: int
    holdings_inserted: int
    holdings_updated: int
    holdings_deleted: int
    pairs: int
    chunks: int
    longest_chunk_ms: int
    seconds: float

    @property
    def holdings_written(self) -> int:
        return self.holdings_inserted + self.holdings_updated + self.holdings_deleted


def recalculate_product_relevance(
    *,
    as_of: date | None = None,
    chunk_size: int | None = None,
    min_support: int = AFFINITY_MIN_SUPPORT,
) -> RelevanceResult:
    """Rebuild every customer's holdings over the economics window, then the product affinities.

    Idempotent: a rerun with the same data writes no holdings and stores the same affinities. A run
    that fails part-way leaves the holding chunks it committed; the next run completes them.
    """
    started = time.monotonic()
    as_of = as_of or timezone.localdate()
    chunk_size = chunk_size or settings.TILFREDS_RECALCULATION_CHUNK_SIZE
    window = Window.ending(as_of, TierPolicy.current().window_months)
    holdings = holders = inserted = updated = deleted = chunks = longest_ms = 0
    for ids in id_ranges(Customer, chunk_size):
        chunk_started = time.monotonic()
        with transaction.atomic():
            counts = _rebuild_holdings_chunk(window=window, ids=ids)
        holdings += counts[0]
        holders += counts[1]
        inserted += counts[2]
        updated += counts[3]
        deleted += counts[4]
        chunks += 1
        longest_ms = max(longest_ms, int((time.monotonic() - chunk_started) * 1000))
    if (inserted + updated + deleted) * 10 > holdings:
        # The self-join below is planned from the table's statistics; after a night that rewrote a
        # good share of the holdings (the first run above all) they describe another table:
        # PostgreSQL estimated 5 billion joined rows and chose a nested loop, 24 s instead of 6 s on
        # 100 000 customers. Autovacuum would re-analyze only after the fact. ANALYZE samples a
        # fixed number of rows, so it costs well under a second at any size.
        _analyze(CustomerProduct._meta.db_table)
    pairs_started = time.monotonic()
    pairs = _replace_affinities(as_of=as_of, min_support=min_support)
    longest_ms = max(longest_ms, int((time.monotonic() - pairs_started) * 1000))
    result = RelevanceResult(
        as_of=as_of,
        holdings=holdings,
        holders=holders,
        holdings_inserted=inserted,
        holdings_updated=updated,
        holdings_deleted=deleted,
        pairs=pairs,
        chunks=chunks,
        longest_chunk_ms=longest_ms,
        seconds=time.monotonic() - started,
    )
    logger.info(
        "Product relevance as of %s: %s holdings of %s customers (%s written), %s product pairs, %.1f s",
        as_of,
        holdings,
        holders,
        result.holdings_written,
        pairs,
        result.seconds,
    )
    return result


def _rebuild_holdings_chunk(*, window: Window, ids: tuple[int, int]) -> tuple[int, int, int, int, int]:
    """Bring the holdings of customers with ids in the inclusive range in line with their revenue lines.

    Return (holdings, holders, inserted, updated, deleted).
    """
    q = connection.ops.quote_name
    ops = connection.ops
    holding, line = q(CustomerProduct._meta.db_table), q(RevenueLine._meta.db_table)
    lower, upper = ids
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_HOLDINGS_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_HOLDINGS_TABLE} ("
            " customer_id bigint NOT NULL, product_id bigint NOT NULL, revenue numeric NOT NULL,"
            " last_purchase date NOT NULL, PRIMARY KEY (customer_id, product_id))"
        )
        # Same window as the economics (start < date <= end). A product is held when its lines net
        # above zero: one that was bought and fully credited is not held. Amounts are rounded to øre
        # before comparing, because SQLite sums floats (100.10 - 100.10 is not 0 there). A credit
        # note is not a purchase, so last_purchase looks at positive lines only.
        cursor.execute(
            f"""
            INSERT INTO {_HOLDINGS_TABLE} (customer_id, product_id, revenue, last_purchase)
            SELECT customer_id, product_id, ROUND(SUM(revenue), 2),
                MAX(CASE WHEN revenue > 0 THEN date END)
            FROM {line}
            WHERE customer_id BETWEEN %s AND %s AND date > %s AND date <= %s
            GROUP BY customer_id, product_id
            HAVING ROUND(SUM(revenue), 2) > 0
            """,
            [lower, upper, ops.adapt_datefield_value(window.start), ops.adapt_datefield_value(window.end)],
        )
        holdings = cursor.rowcount
        cursor.execute(f"SELECT COUNT(DISTINCT customer_id) FROM {_HOLDINGS_TABLE}")
        holders = cursor.fetchone()[0]
        cursor.execute(
            f"""
            UPDATE {holding} AS h SET revenue_12m = t.revenue, last_purchase = t.last_purchase
            FROM {_HOLDINGS_TABLE} t
            WHERE h.customer_id BETWEEN %s AND %s
              AND h.customer_id = t.customer_id AND h.product_id = t.product_id
              AND (h.revenue_12m <> t.revenue OR h.last_purchase <> t.last_purchase)
            """,
            [lower, upper],
        )
        updated = cursor.rowcount
        # The unique index itself finds the holdings that exist: an existing one is a conflict that
        # writes nothing (PostgreSQL checks before inserting). As fast as an anti-join, and with no plan
        # to go wrong: on the first run, planned from the statistics of an empty table, NOT EXISTS
        # took 11 minutes for one chunk of 20 000 customers. It also settles a second run racing this
        # one to the same new holding. "WHERE true" is SQLite's cue that ON CONFLICT is not a join's ON.
        cursor.execute(
            f"""
            INSERT INTO {holding} (customer_id, product_id, revenue_12m, last_purchase)
            SELECT t.customer_id, t.product_id, t.revenue, t.last_purchase
            FROM {_HOLDINGS_TABLE} t
            WHERE true
            ON CONFLICT (customer_id, product_id) DO NOTHING
            """
        )
        inserted = cursor.rowcount
        # The range condition walks holding_unique (customer, product) for just this chunk.
        cursor.execute(
            f"""
            DELETE FROM {holding}
            WHERE customer_id BETWEEN %s AND %s AND NOT EXISTS (
                SELECT 1 FROM {_HOLDINGS_TABLE} t
                WHERE t.customer_id = {holding}.customer_id AND t.product_id = {holding}.product_id
            )
            """,
            [lower, upper],
        )
        deleted = cursor.rowcount
        cursor.execute(f"DROP TABLE {_HOLDINGS_TABLE}")
    return holdings, holders, inserted, updated, deleted


def _analyze(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _replace_affinities(*, as_of: date, min_support: int) -> int:
    """Replace ProductAffinity with every ordered pair held together by min_support customers or more."""
    q = connection.ops.quote_name
    holding, affinity = q(CustomerProduct._meta.db_table), q(ProductAffinity._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        for table in (_HOLDERS_TABLE, _PAIRS_TABLE):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_HOLDERS_TABLE} (product_id bigint PRIMARY KEY, holders bigint NOT NULL)"
        )
        # An index-only count over holding_product_idx.
        cursor.execute(
            f"INSERT INTO {_HOLDERS_TABLE} SELECT product_id, COUNT(*) FROM {holding} GROUP BY product_id"
        )
        cursor.execute(f"SELECT COUNT(DISTINCT customer_id) FROM {holding}")
        customers = cursor.fetchone()[0]
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_PAIRS_TABLE} ("
            " low_id bigint NOT NULL, high_id bigint NOT NULL, both_count bigint NOT NULL)"
        )
        # Each unordered pair once (low < high), then mirrored below: "both" is symmetric, and the
        # self-join, the expensive part, does half the work of joining every ordered pair.
        cursor.execute(
            f"""
            INSERT INTO {_PAIRS_TABLE} (low_id, high_id, both_count)
            SELECT a.product_id, b.product_id, COUNT(*)
            FROM {holding} a
            JOIN {holding} b ON b.customer_id = a.customer_id AND b.product_id > a.product_id
            GROUP BY a.product_id, b.product_id
            HAVING COUNT(*) >= %s
            """,
            [min_support],
        )
        if connection.vendor == "postgresql":
            # Two runs replacing the table at once would both delete, then collide on
            # affinity_unique_pair; this mode lets them take turns while readers carry on. SQLite
            # already admits one writer at a time.
            cursor.execute(f"LOCK TABLE {affinity} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {affinity}")
        # confidence = both / holders_from and lift = both * customers / (holders_from * holders_to),
        # each rounded half up in integers (in 1/10 000 and 1/1 000) and only then divided: both
        # databases then store the same value, where SQLite's float division could round a .5 down.
        # Products stay below 2**63 up to 10 million customers. Inserted in affinity_unique_pair
        # order, so that index grows at its right edge instead of splitting pages all over (a tenth
        # faster on 742 000 pairs).
        cursor.execute(
            f"""
            INSERT INTO {affinity}
                (from_product_id, to_product_id, holders_from, holders_both, confidence, lift, as_of)
            SELECT from_id, to_id, holders_from, both_count, confidence_units / 10000.0,
                CASE WHEN lift_milli > {_MAX_LIFT_MILLI} THEN {_MAX_LIFT_MILLI} ELSE lift_milli END / 1000.0,
                %s
            FROM (
                SELECT d.from_id AS from_id, d.to_id AS to_id, hf.holders AS holders_from,
                    d.both_count AS both_count,
                    (20000 * d.both_count + hf.holders) / (2 * hf.holders) AS confidence_units,
                    (2000 * d.both_count * %s + hf.holders * ht.holders) / (2 * hf.holders * ht.holders)
                        AS lift_milli
                FROM (
                    SELECT low_id AS from_id, high_id AS to_id, both_count FROM {_PAIRS_TABLE}
                    UNION ALL
                    SELECT high_id, low_id, both_count FROM {_PAIRS_TABLE}
                ) d
                JOIN {_HOLDERS_TABLE} hf ON hf.product_id = d.from_id
                JOIN {_HOLDERS_TABLE} ht ON ht.product_id = d.to_id
            ) ratios
            ORDER BY from_id, to_id
            """,
            [connection.ops.adapt_datefield_value(as_of), customers],
        )
        pairs = cursor.rowcount
        for table in (_HOLDERS_TABLE, _PAIRS_TABLE):
            cursor.execute(f"DROP TABLE {table}")
    return pairs
