"""The nightly customer economics: tier, contribution margin, cost-to-serve and the time-thief flag.

The work is set-based SQL over customer-id chunks, one short transaction per chunk:

1. one aggregate SELECT fills a temporary table with the chunk's new figures;
2. one INSERT ... SELECT records the chunk's tier changes against the run;
3. one UPDATE ... FROM writes only the customers whose figures differ.

The statements are plain SQL that PostgreSQL and SQLite (>= 3.33, for UPDATE ... FROM) both run with
the same results. The ORM cannot express UPDATE ... FROM; its correlated-subquery UPDATE computes each
customer's sums in a separate index probe per column and measured several times slower (bench/).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from core.chunking import id_ranges
from core.errors import Conflict
from core.formats import format_date, format_datetime
from customers.models import (
    Customer,
    Interaction,
    RecalculationRun,
    RevenueLine,
    RunStatus,
    Tier,
    TierChange,
    TierPolicy,
)
from customers.windows import Window

logger = logging.getLogger(__name__)

_TEMP_TABLE = "tilfreds_economics_chunk"


class RecalculationAlreadyRunning(Conflict):
    """Another recalculation holds the run lock; try again when it has finished."""

    def __init__(self, run: RecalculationRun) -> None:
        self.run = run
        # Raised inside the request (admin, API) or the command; gettext speaks the active language.
        super().__init__(
            gettext(
                "A recalculation (run %(run)s, as of %(as_of)s) has been running since %(started)s; try "
                "again when it has finished."
            )
            % {
                "run": run.pk,
                "as_of": format_date(run.as_of),
                "started": format_datetime(run.started_at),
            }
        )


class RecalculationAbandoned(Exception):
    """This run was declared dead (no heartbeat) while it still worked; it stops writing."""


def recalculate_customer_economics(
    *,
    as_of: date | None = None,
    trigger: str = "",
    chunk_size: int | None = None,
    progress: Callable[[RecalculationRun, int], None] | None = None,
) -> RecalculationRun:
    """Recalculate every customer's tier and economics as of a date, writing only what changed.

    Raises RecalculationAlreadyRunning when another run is in progress. A run that fails part-way
    leaves the chunks it committed in place and is marked failed; a rerun finishes the rest.
    `progress(run, total)` is called after each chunk.
    """
    as_of = as_of or timezone.localdate()
    chunk_size = chunk_size or settings.TILFREDS_RECALCULATION_CHUNK_SIZE
    policy = TierPolicy.current()
    run = _start_run(as_of=as_of, trigger=trigger, policy=policy)
    total = Customer.objects.count()
    window = Window.ending(as_of, policy.window_months)
    try:
        for lower, upper in id_ranges(Customer, chunk_size):
            started = time.monotonic()
            with transaction.atomic():
                processed, updated, changed = _recalculate_chunk(
                    run=run, policy=policy, window=window, ids=(lower, upper)
                )
                run.customers_processed += processed
                run.customers_updated += updated
                run.tiers_changed += changed
                run.chunks += 1
                run.longest_chunk_ms = max(run.longest_chunk_ms, int((time.monotonic() - started) * 1000))
                _heartbeat(run)
            if progress:
                progress(run, total)
        _finish_run(run)
    except BaseException as exc:
        _fail_run(run, exc)
        raise
    logger.info(
        "Recalculation %s as of %s: %s customers, %s updated, %s tier changes (A %s, B %s, C %s)",
        run.pk,
        as_of,
        run.customers_processed,
        run.customers_updated,
        run.tiers_changed,
        run.tier_a_count,
        run.tier_b_count,
        run.tier_c_count,
    )
    return run


# Attempts at the run lock before giving up. A retry is needed only when the run that held the lock
# finished between our failed insert and our read of it; twice in a row means runs are starting and
# finishing in a tight loop, which is a bug to surface, not to spin on.
_START_ATTEMPTS = 3


def _start_run(*, as_of: date, trigger: str, policy: TierPolicy) -> RecalculationRun:
    stale_before = timezone.now() - timedelta(minutes=settings.TILFREDS_RECALCULATION_STALE_AFTER_MINUTES)
    RecalculationRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=stale_before).update(
        status=RunStatus.FAILED,
        finished_at=timezone.now(),
        # Stored on the run like the exception texts of failed runs: operator's data, in English.
        error="No progress reported for a long time; presumed dead (killed worker or lost connection).",
    )
    for _ in range(_START_ATTEMPTS):
        try:
            with transaction.atomic():
                return RecalculationRun.objects.create(
                    as_of=as_of, trigger=trigger[:100], policy=policy.snapshot(), status=RunStatus.RUNNING
                )
        except IntegrityError:
            running = RecalculationRun.objects.filter(status=RunStatus.RUNNING).first()
            if running is not None:
                raise RecalculationAlreadyRunning(running) from None
            # It finished between our insert and this read: the lock is free again, try once more.
    raise RuntimeError(f"Could not take the recalculation lock in {_START_ATTEMPTS} attempts")


def _recalculate_chunk(
    *, run: RecalculationRun, policy: TierPolicy, window: Window, ids: tuple[int, int]
) -> tuple[int, int, int]:
    """Recalculate customers with ids in the inclusive range; return (processed, updated, tier changes)."""
    ops = connection.ops
    q = connection.ops.quote_name
    customer, line, interaction, change = (
        q(Customer._meta.db_table),
        q(RevenueLine._meta.db_table),
        q(Interaction._meta.db_table),
        q(TierChange._meta.db_table),
    )
    lower, upper = ids
    now = ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_TEMP_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_TEMP_TABLE} ("
            " id bigint PRIMARY KEY, old_tier varchar(1) NOT NULL, tier varchar(1) NOT NULL,"
            " revenue numeric NOT NULL, margin numeric NOT NULL, minutes bigint NOT NULL,"
            " service_cost numeric NOT NULL, time_cost_flag boolean NOT NULL)"
        )
        # Amounts are rounded to øre before they are compared or stored: PostgreSQL sums numerics
        # exactly, SQLite sums floats, and rounding makes both store and compare the same values.
        # Parameters are cast to NUMERIC because SQLite binds Decimals as text, and text never
        # compares equal to, or less than, a number there. Named parameters: the id range and the
        # window appear in three subqueries each, and fourteen positional ones were a list to miscount.
        cursor.execute(
            f"""
            INSERT INTO {_TEMP_TABLE}
            SELECT id, old_tier,
                CASE WHEN revenue > CAST(%(a_threshold)s AS NUMERIC) THEN 'A'
                     WHEN revenue > CAST(%(b_threshold)s AS NUMERIC) THEN 'B' ELSE 'C' END,
                revenue, margin, minutes, service_cost,
                CASE WHEN service_cost > 0
                      AND (margin <= 0 OR service_cost * 100 > CAST(%(time_cost_share_pct)s AS NUMERIC) * margin)
                     THEN TRUE ELSE FALSE END
            FROM (
                SELECT c.id AS id, c.tier AS old_tier,
                    COALESCE(r.revenue, 0) AS revenue,
                    COALESCE(r.margin, 0) AS margin,
                    COALESCE(i.minutes, 0) AS minutes,
                    ROUND(COALESCE(i.minutes, 0) * CAST(%(hourly_service_cost)s AS NUMERIC) / 60.0, 2) AS service_cost
                FROM {customer} c
                LEFT JOIN (
                    SELECT customer_id,
                        ROUND(SUM(revenue), 2) AS revenue, ROUND(SUM(revenue - cost), 2) AS margin
                    FROM {line}
                    WHERE customer_id BETWEEN %(lower)s AND %(upper)s
                      AND date > %(window_start)s AND date <= %(window_end)s
                    GROUP BY customer_id
                ) r ON r.customer_id = c.id
                LEFT JOIN (
                    SELECT customer_id, SUM(duration_minutes) AS minutes
                    FROM {interaction}
                    WHERE customer_id BETWEEN %(lower)s AND %(upper)s
                      AND occurred_at >= %(first_moment)s AND occurred_at < %(end_moment)s
                    GROUP BY customer_id
                ) i ON i.customer_id = c.id
                WHERE c.id BETWEEN %(lower)s AND %(upper)s
            ) figures
            """,
            {
                "a_threshold": ops.adapt_decimalfield_value(policy.a_threshold),
                "b_threshold": ops.adapt_decimalfield_value(policy.b_threshold),
                "time_cost_share_pct": ops.adapt_decimalfield_value(policy.time_cost_share_pct),
                "hourly_service_cost": ops.adapt_decimalfield_value(policy.hourly_service_cost),
                "lower": lower,
                "upper": upper,
                "window_start": ops.adapt_datefield_value(window.start),
                "window_end": ops.adapt_datefield_value(window.end),
                "first_moment": ops.adapt_datetimefield_value(window.first_moment),
                "end_moment": ops.adapt_datetimefield_value(window.end_moment),
            },
        )
        processed = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {change} (customer_id, from_tier, to_tier, revenue_12m, run_id, changed_at)
            SELECT id, old_tier, tier, revenue, %(run)s, %(now)s FROM {_TEMP_TABLE} WHERE tier <> old_tier
            """,
            {"run": run.pk, "now": now},
        )
        changed = cursor.rowcount
        cursor.execute(
            f"""
            UPDATE {customer} AS c SET
                tier = e.tier,
                revenue_12m = e.revenue,
                contribution_margin_12m = e.margin,
                service_minutes_12m = e.minutes,
                service_cost_12m = e.service_cost,
                time_cost_flag = e.time_cost_flag,
                economics_as_of = %(as_of)s,
                updated_at = %(now)s
            FROM {_TEMP_TABLE} e
            WHERE c.id = e.id AND (
                c.economics_as_of IS NULL
                OR c.tier <> e.tier
                OR c.revenue_12m <> e.revenue
                OR c.contribution_margin_12m <> e.margin
                OR c.service_minutes_12m <> e.minutes
                OR c.service_cost_12m <> e.service_cost
                OR c.time_cost_flag <> e.time_cost_flag
            )
            """,
            {"as_of": ops.adapt_datefield_value(window.end), "now": now},
        )
        updated = cursor.rowcount
        cursor.execute(f"DROP TABLE {_TEMP_TABLE}")
    return processed, updated, changed


def _heartbeat(run: RecalculationRun) -> None:
    """Save the run's progress, or abort the chunk if the run was declared dead meanwhile."""
    run.heartbeat_at = timezone.now()
    saved = RecalculationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        heartbeat_at=run.heartbeat_at,
        customers_processed=run.customers_processed,
        customers_updated=run.customers_updated,
        tiers_changed=run.tiers_changed,
        chunks=run.chunks,
        longest_chunk_ms=run.longest_chunk_ms,
    )
    if saved != 1:
        # Another process presumed this run dead and may be running its own: writing on would
        # interleave two runs, so this chunk rolls back.
        raise RecalculationAbandoned(f"Run {run.pk} was marked failed by another process; stopping.")


def _finish_run(run: RecalculationRun) -> None:
    counts = Customer.objects.aggregate(
        a=Count("pk", filter=Q(tier=Tier.A)),
        b=Count("pk", filter=Q(tier=Tier.B)),
        c=Count("pk", filter=Q(tier=Tier.C)),
    )
    run.tier_a_count, run.tier_b_count, run.tier_c_count = counts["a"], counts["b"], counts["c"]
    run.status = RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    RecalculationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=run.status,
        finished_at=run.finished_at,
        tier_a_count=run.tier_a_count,
        tier_b_count=run.tier_b_count,
        tier_c_count=run.tier_c_count,
    )


def _fail_run(run: RecalculationRun, exc: BaseException) -> None:
    run.status = RunStatus.FAILED
    run.finished_at = timezone.now()
    run.error = f"{type(exc).__name__}: {exc}"[:2000]
    RecalculationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=run.status, finished_at=run.finished_at, error=run.error
    )
