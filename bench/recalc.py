"""Benchmark the nightly customer-economics recalculation on PostgreSQL.

Generates N customers, M revenue lines and 2 interactions per customer straight into PostgreSQL
(INSERT ... SELECT generate_series), then times, side by side:

  (a)  customers.services.recalculate_customer_economics, in-process through Django;
  (a') the same call again right after (a), with nothing changed: it must write 0 rows;
  (a+1) then the next day's run: the window moves one day, only some customers change (the nightly case);
  (b)  one hand-written UPDATE ... FROM (SELECT ... GROUP BY customer_id) over the whole table;
  (c)  a naive per-customer ORM loop (aggregate, compute, save()) on a random sample, extrapolated to N.

Before every (a), (b) and (c) the customers' economics are reset to the same starting state (tier C,
zeros, economics_as_of NULL, no tier changes) and VACUUM ANALYZE + CHECKPOINT run, so each writes every
row from the same table state. Each measured step runs in its own Python subprocess, which reports its
own wall time, CPU time (its own and its PostgreSQL backend's) and peak RSS; the generator's and
orchestrator's memory never counts. The results of
(a), (b) and (c) are cross-checked against each other.

Prints figures and asserts nothing about time. See bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tilfreds_bench"
SERVICE_FILE = ROOT / "customers" / "services" / "economics.py"

CUSTOMER = "customers_customer"
LINE = "customers_revenueline"
INTERACTION = "customers_interaction"
PRODUCT = "customers_product"
TIER_CHANGE = "customers_tierchange"
RUN = "customers_recalculationrun"
GENERATED_TABLES = (CUSTOMER, LINE, INTERACTION)

# Revenue per customer is Pareto-distributed (see _generate): P(scale > x) = (SCALE_MIN / x) ** ALPHA.
# With ~10 lines inside the 12-month window, about 5 % of customers land above the A threshold
# (500 000) and about 15 % between B and A with the default tier policy.
SCALE_MIN = 6900
ALPHA = 1.513


# --------------------------------------------------------------------------------------------------
# Orchestrator side: plain psycopg, no Django.
# --------------------------------------------------------------------------------------------------


def _connect(url: str, *, autocommit: bool = True) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=autocommit)


def _scalar(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
    return conn.execute(sql, params).fetchone()[0]


def _counts(conn: Any) -> tuple[int, int, int]:
    return (
        _scalar(conn, f"SELECT count(*) FROM {CUSTOMER}"),
        _scalar(conn, f"SELECT count(*) FROM {LINE}"),
        _scalar(conn, f"SELECT count(*) FROM {INTERACTION}"),
    )


def _schema_objects(conn: Any, table: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The table's droppable constraints (unique, foreign key) and its other non-PK indexes."""
    constraints = conn.execute(
        """
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC, conname
        """,
        (table,),
    ).fetchall()
    indexes = conn.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = %s::regclass AND NOT EXISTS (
            SELECT 1 FROM pg_constraint c WHERE c.conrelid = x.indrelid AND c.conindid = x.indexrelid
        )
        ORDER BY i.relname
        """,
        (table,),
    ).fetchall()
    return constraints, indexes


def _schema_fingerprint(conn: Any) -> list[str]:
    return sorted(
        f"{table} {name} {definition}"
        for table in GENERATED_TABLES
        for group in _schema_objects(conn, table)
        for name, definition in group
    )


# The generator names the columns the recalculation and the API read. Columns added by later
# migrations that are NOT NULL without a database default get a neutral value of their type.
GENERATED_COLUMNS = {
    CUSTOMER: {
        "id",
        "external_id",
        "name",
        "org_number",
        "industry",
        "employees",
        "business_model",
        "region",
        "tier",
        "revenue_12m",
        "contribution_margin_12m",
        "service_minutes_12m",
        "service_cost_12m",
        "time_cost_flag",
        "economics_as_of",
        "created_at",
        "updated_at",
    },
    LINE: {
        "id",
        "customer_id",
        "product_id",
        "date",
        "quantity",
        "revenue",
        "cost",
        "line_id",
        "data_import_id",
    },
    INTERACTION: {
        "id",
        "customer_id",
        "contact_id",
        "channel",
        "direction",
        "occurred_at",
        "duration_minutes",
        "summary",
        "logged_by_id",
        "data_import_id",
    },
}
NEUTRAL = {
    "jsonb": "'[]'::jsonb",
    "boolean": "false",
    "date": "current_date",
    "timestamp with time zone": "now()",
    "text": "''",
    "character varying": "''",
}


def _filler(conn: Any, table: str) -> tuple[str, str]:
    """(", col, ...", ", value, ...") for the table's other required columns."""
    rows = conn.execute(
        """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = %s AND is_nullable = 'NO'
          AND column_default IS NULL AND is_identity = 'NO'
        ORDER BY ordinal_position
        """,
        (table,),
    ).fetchall()
    missing = [(name, kind) for name, kind in rows if name not in GENERATED_COLUMNS[table]]
    if missing:
        _log(f"  {table}: filling {', '.join(f'{n} ({k})' for n, k in missing)} with neutral values")
    return (
        "".join(f", {name}" for name, _ in missing),
        "".join(f", {NEUTRAL.get(kind, '0')}" for _, kind in missing),
    )


def _generate(url: str, *, customers: int, lines: int, interactions: int, as_of: date, seed: float) -> float:
    """Fill the tables in one transaction; return the seconds it took.

    Indexes and constraints of the three big tables are dropped and rebuilt afterwards from their own
    definitions (pg_get_indexdef / pg_get_constraintdef), so the schema ends exactly as the migrations
    made it; the rebuild is verified. Bulk loading with the indexes in place would update seven b-trees
    per line in random customer order.
    """
    started = time.perf_counter()
    with _connect(url, autocommit=False) as conn:
        before = _schema_fingerprint(conn)
        conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
        conn.execute(
            f"TRUNCATE {TIER_CHANGE}, {RUN}, {LINE}, {INTERACTION}, customers_contact, {CUSTOMER}, "
            f"{PRODUCT} RESTART IDENTITY CASCADE"
        )
        saved = {table: _schema_objects(conn, table) for table in GENERATED_TABLES}
        for table, (constraints, indexes) in saved.items():
            for name, _ in constraints:
                conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
        extra = {table: _filler(conn, table) for table in GENERATED_TABLES}
        conn.execute("SELECT setseed(%s)", (seed,))
        conn.execute(
            f"""
            INSERT INTO {PRODUCT} (sku, name, category, created_at)
            SELECT 'SKU-' || lpad(g::text, 5, '0'), 'Product ' || g,
                   (ARRAY['hardware', 'software', 'service', 'consumables'])[1 + mod(g, 4)], now()
            FROM generate_series(1, 1000) g
            """
        )
        _log(f"  customers: {customers:,}")
        conn.execute(
            f"""
            INSERT INTO {CUSTOMER} (external_id, name, org_number, industry, employees, business_model,
                region, tier, revenue_12m, contribution_margin_12m, service_minutes_12m, service_cost_12m,
                time_cost_flag, economics_as_of, created_at, updated_at{extra[CUSTOMER][0]})
            SELECT 'BENCH-' || lpad(g::text, 8, '0'), 'Customer ' || g, '',
                   (ARRAY['retail', 'wholesale', 'manufacturing', 'it', 'construction'])[1 + mod(g, 5)],
                   (1 + floor(random() * 500))::int, '',
                   (ARRAY['Oslo', 'Viken', 'Vestland', 'Trøndelag', 'Nordland'])[1 + mod(g, 5)],
                   'C', 0, 0, 0, 0, false, NULL, now(), now(){extra[CUSTOMER][1]}
            FROM generate_series(1, %s) g
            """,
            (customers,),
        )
        # Lines arrive in date order (as ERP exports do) over the two years up to as_of, so about half
        # fall inside the 12-month window; each goes to a random customer. A customer's line size comes
        # from a Pareto "scale" derived from a hash of its id: a long tail of large customers.
        _log(f"  revenue lines: {lines:,}")
        conn.execute(
            f"""
            INSERT INTO {LINE} (customer_id, product_id, date, quantity, revenue, cost, line_id,
                data_import_id{extra[LINE][0]})
            SELECT cid, pid, day, 1, revenue, round(revenue * (0.5 + 0.55 * random())::numeric, 2),
                   NULL, NULL{extra[LINE][1]}
            FROM (
                SELECT cid, pid, day,
                       round((%s * power(greatest(((hashint8(cid) & 2147483647)::float8 + 1)
                              / 2147483649.0, 0.0001), -1.0 / %s) * (0.2 + 1.6 * random()))::numeric, 2)
                           AS revenue
                FROM (
                    SELECT 1 + floor(random() * %s)::bigint AS cid,
                           1 + floor(random() * 1000)::bigint AS pid,
                           %s::date - 729 + ((g - 1) * 730 / %s)::int AS day
                    FROM generate_series(1::bigint, %s) g
                ) raw
            ) priced
            """,
            (SCALE_MIN, ALPHA, customers, as_of, lines, lines),
        )
        # Interactions: durations mostly short, one in ten long, so some small customers cost more to
        # serve than their margin allows (time thieves).
        _log(f"  interactions: {interactions:,}")
        conn.execute(
            f"""
            INSERT INTO {INTERACTION} (customer_id, contact_id, channel, direction, occurred_at,
                duration_minutes, summary, logged_by_id, data_import_id{extra[INTERACTION][0]})
            SELECT 1 + floor(random() * %s)::bigint, NULL,
                   (ARRAY['phone', 'email', 'chat', 'form', 'meeting'])[1 + floor(random() * 5)::int],
                   CASE WHEN random() < 0.7 THEN 'inbound' ELSE 'outbound' END,
                   (%s::date + 1)::timestamp AT TIME ZONE 'Europe/Oslo' - random() * interval '730 days',
                   floor(-ln(1 - random()) * CASE WHEN random() < 0.1 THEN 300 ELSE 30 END)::int,
                   '', NULL, NULL{extra[INTERACTION][1]}
            FROM generate_series(1::bigint, %s) g
            """,
            (customers, as_of, interactions),
        )
        _log("  rebuilding indexes and constraints")
        for table, (constraints, indexes) in saved.items():
            for _, definition in indexes:
                conn.execute(definition)
            for name, definition in constraints:
                conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        after = _schema_fingerprint(conn)
        if after != before:
            raise RuntimeError(f"Schema differs after the rebuild:\n{before}\n{after}")
        conn.commit()
    with _connect(url) as conn:
        _log("  VACUUM ANALYZE")
        for table in (PRODUCT, *GENERATED_TABLES):
            conn.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def _reset(url: str) -> None:
    """Put every customer back to the never-calculated state, so the next step writes every row."""
    with _connect(url) as conn:
        with conn.transaction():
            conn.execute(f"DELETE FROM {TIER_CHANGE}")
            conn.execute(f"DELETE FROM {RUN}")
            conn.execute(
                f"""
                UPDATE {CUSTOMER} SET tier = 'C', revenue_12m = 0, contribution_margin_12m = 0,
                    service_minutes_12m = 0, service_cost_12m = 0, time_cost_flag = false,
                    economics_as_of = NULL
                """
            )
        for table in (CUSTOMER, TIER_CHANGE, RUN):
            conn.execute(f"VACUUM ANALYZE {table}")
        # Leave no dirty pages for a checkpoint to write in the middle of the measured step.
        conn.execute("CHECKPOINT")


def _economics_checksum(url: str, ids: list[int] | None = None) -> dict[str, Any]:
    """Order-independent summary of every customer's economics, to compare (a), (b) and (c)."""
    where, params = ("WHERE id = ANY(%s)", (ids,)) if ids is not None else ("", ())
    with _connect(url) as conn:
        row = conn.execute(
            f"""
            SELECT count(*), count(*) FILTER (WHERE tier = 'A'), count(*) FILTER (WHERE tier = 'B'),
                   count(*) FILTER (WHERE tier = 'C'), count(*) FILTER (WHERE time_cost_flag),
                   count(*) FILTER (WHERE economics_as_of IS NULL),
                   sum(revenue_12m)::text, sum(service_minutes_12m)::text,
                   sum(('x' || substr(md5(concat_ws('|', id, tier, revenue_12m, contribution_margin_12m,
                       service_minutes_12m, service_cost_12m, time_cost_flag, economics_as_of)), 1, 15)
                       )::bit(60)::bigint)::text
            FROM {CUSTOMER} {where}
            """,
            params,
        ).fetchone()
        tier_changes = _scalar(conn, f"SELECT count(*) FROM {TIER_CHANGE}")
    keys = ("customers", "A", "B", "C", "time_thieves", "not_calculated", "revenue", "minutes", "hash")
    return {**dict(zip(keys, row, strict=True)), "tier_changes": tier_changes}


def _run_step(step: str, params: dict[str, Any], *, url: str, chunk_size: int | None) -> dict[str, Any]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    env.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
    if chunk_size:
        env["TILFREDS_RECALCULATION_CHUNK_SIZE"] = str(chunk_size)
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--step", step],
        input=json.dumps(params),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"step {step} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------------
# Measured steps: each runs in a fresh subprocess (python bench/recalc.py --step NAME < params.json).
# --------------------------------------------------------------------------------------------------


def _setup_django() -> float:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return _peak_rss_mb()


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM).

    Not getrusage(RUSAGE_SELF).ru_maxrss: Linux carries the parent's peak over fork/vfork + exec into
    the child's ru_maxrss, so every step would report at least the orchestrator's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a local process (the PostgreSQL backend), None if not readable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Meter:
    """Wall time, this process's CPU time and its PostgreSQL backend's CPU time over a block.

    CPU times are far less sensitive than wall time to other work on a shared machine. The backend's
    is read from /proc, so only when PostgreSQL runs on this host; parallel workers are not counted.
    """

    def __enter__(self) -> _Meter:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backend = cursor.fetchone()[0]
        self.load = os.getloadavg()[0]
        self.db_cpu = _process_cpu_s(self.backend)
        self.py_cpu = self._own_cpu()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        from django.db import connection

        self.wall = time.perf_counter() - self.started
        self.py_cpu = self._own_cpu() - self.py_cpu
        after = _process_cpu_s(self.backend)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            same_backend = cursor.fetchone()[0] == self.backend
        self.db_cpu = (
            after - self.db_cpu if after is not None and self.db_cpu is not None and same_backend else None
        )

    @staticmethod
    def _own_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def result(self, baseline_rss: float, **figures: Any) -> dict[str, Any]:
        return {
            "wall_s": self.wall,
            "py_cpu_s": self.py_cpu,
            "db_cpu_s": self.db_cpu,
            "load_1m": self.load,
            "rss_mb": _peak_rss_mb(),
            "rss_after_setup_mb": baseline_rss,
            **figures,
        }


def _step_service(params: dict[str, Any]) -> dict[str, Any]:
    """(a) and (a'): the project's recalculation."""
    import importlib

    baseline = _setup_django()
    from django.db import connection

    module = importlib.import_module(params.get("module") or "customers.services")
    as_of = date.fromisoformat(params["as_of"])

    # Each chunk transaction, BEGIN to COMMIT: it begins with the chunk's first statement (psycopg
    # sends BEGIN with it) and has committed when progress() is called. The first chunk's first
    # statement is told by its text; later chunks begin with the first statement after progress().
    # (The service's own longest_chunk_ms stops before COMMIT.)
    transactions: list[float] = []
    state: dict[str, Any] = {"began": None, "armed": False}

    def mark_begin(execute: Any, sql: str, *args: Any) -> Any:
        if state["began"] is None and (state["armed"] or sql.lstrip().startswith("DROP TABLE IF EXISTS")):
            state["began"] = time.perf_counter()
        return execute(sql, *args)

    def progress(run: Any, total: int) -> None:
        if state["began"] is not None:
            transactions.append(time.perf_counter() - state["began"])
        state.update(began=None, armed=True)

    with _Meter() as meter, connection.execute_wrapper(mark_begin):
        run = module.recalculate_customer_economics(as_of=as_of, trigger="bench", progress=progress)
    return meter.result(
        baseline,
        longest_tx_s=max(transactions, default=None),
        longest_chunk_ms_s=run.longest_chunk_ms / 1000,
        chunks=run.chunks,
        processed=run.customers_processed,
        written=run.customers_updated,
        tier_changes=run.tiers_changed,
    )


BASELINE_SQL = f"""
UPDATE {CUSTOMER} AS c SET
    tier = CASE WHEN f.revenue > %(a)s THEN 'A' WHEN f.revenue > %(b)s THEN 'B' ELSE 'C' END,
    revenue_12m = f.revenue,
    contribution_margin_12m = f.margin,
    service_minutes_12m = f.minutes,
    service_cost_12m = f.service_cost,
    time_cost_flag = f.service_cost > 0 AND (f.margin <= 0 OR f.service_cost * 100 > %(pct)s * f.margin),
    economics_as_of = %(end)s,
    updated_at = now()
FROM (
    SELECT c2.id,
        COALESCE(r.revenue, 0) AS revenue,
        COALESCE(r.margin, 0) AS margin,
        COALESCE(i.minutes, 0) AS minutes,
        ROUND(COALESCE(i.minutes, 0) * %(hourly)s / 60.0, 2) AS service_cost
    FROM {CUSTOMER} c2
    LEFT JOIN (
        SELECT customer_id, ROUND(SUM(revenue), 2) AS revenue, ROUND(SUM(revenue - cost), 2) AS margin
        FROM {LINE} WHERE date > %(start)s AND date <= %(end)s
        GROUP BY customer_id
    ) r ON r.customer_id = c2.id
    LEFT JOIN (
        SELECT customer_id, SUM(duration_minutes) AS minutes
        FROM {INTERACTION} WHERE occurred_at >= %(first)s AND occurred_at < %(last)s
        GROUP BY customer_id
    ) i ON i.customer_id = c2.id
) f
WHERE c.id = f.id
"""


def _baseline_params(as_of: date) -> dict[str, Any]:
    from customers.models import TierPolicy
    from customers.windows import Window

    policy = TierPolicy.current()
    window = Window.ending(as_of, policy.window_months)
    return {
        "a": policy.a_threshold,
        "b": policy.b_threshold,
        "pct": policy.time_cost_share_pct,
        "hourly": policy.hourly_service_cost,
        "start": window.start,
        "end": window.end,
        "first": window.first_moment,
        "last": window.end_moment,
    }


def _step_baseline(params: dict[str, Any]) -> dict[str, Any]:
    """(b): one statement, one transaction (autocommit)."""
    baseline = _setup_django()
    from django.db import connection

    values = _baseline_params(date.fromisoformat(params["as_of"]))
    with _Meter() as meter, connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, values)
        written = cursor.rowcount
    return meter.result(
        baseline,
        longest_tx_s=meter.wall,
        chunks=1,
        processed=written,
        written=written,
        tier_changes=None,
    )


def _step_naive(params: dict[str, Any]) -> dict[str, Any]:
    """(c): what the style guide forbids, for scale: one customer at a time through the ORM."""
    baseline = _setup_django()
    from decimal import ROUND_HALF_UP, Decimal

    from django.db.models import F, Sum

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

    cent = Decimal("0.01")
    as_of = date.fromisoformat(params["as_of"])
    with _Meter() as meter:
        policy = TierPolicy.current()
        window = Window.ending(as_of, policy.window_months)
        run = RecalculationRun.objects.create(as_of=as_of, trigger="bench naive", status=RunStatus.SUCCEEDED)
        written = changed = 0
        for customer in Customer.objects.filter(pk__in=params["ids"]):
            sums = RevenueLine.objects.filter(
                customer=customer, date__gt=window.start, date__lte=window.end
            ).aggregate(total=Sum("revenue"), margin=Sum(F("revenue") - F("cost")))
            minutes = (
                Interaction.objects.filter(
                    customer=customer, occurred_at__gte=window.first_moment, occurred_at__lt=window.end_moment
                ).aggregate(minutes=Sum("duration_minutes"))["minutes"]
                or 0
            )
            revenue = (sums["total"] or Decimal(0)).quantize(cent, ROUND_HALF_UP)
            margin = (sums["margin"] or Decimal(0)).quantize(cent, ROUND_HALF_UP)
            service_cost = (minutes * policy.hourly_service_cost / 60).quantize(cent, ROUND_HALF_UP)
            if revenue > policy.a_threshold:
                tier = Tier.A
            elif revenue > policy.b_threshold:
                tier = Tier.B
            else:
                tier = Tier.C
            if tier != customer.tier:
                TierChange.objects.create(
                    customer=customer, from_tier=customer.tier, to_tier=tier, revenue_12m=revenue, run=run
                )
                changed += 1
            customer.tier = tier
            customer.revenue_12m = revenue
            customer.contribution_margin_12m = margin
            customer.service_minutes_12m = minutes
            customer.service_cost_12m = service_cost
            customer.time_cost_flag = service_cost > 0 and (
                margin <= 0 or service_cost * 100 > policy.time_cost_share_pct * margin
            )
            customer.economics_as_of = window.end
            customer.save()
            written += 1
    return meter.result(
        baseline, longest_tx_s=None, chunks=written, processed=written, written=written, tier_changes=changed
    )


STEPS = {"service": _step_service, "baseline": _step_baseline, "naive": _step_naive}


# --------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------


EXTRAPOLATED = {"wall_s", "py_cpu_s", "db_cpu_s"}


@dataclass
class Series:
    label: str
    scale: float = 1.0  # (c) runs on a sample and is extrapolated to N
    samples: list[dict[str, Any]] = field(default_factory=list)

    def values(self, key: str) -> list[float]:
        scale = self.scale if key in EXTRAPOLATED else 1.0
        return [s[key] * scale for s in self.samples if s.get(key) is not None]

    def median(self, key: str) -> float | None:
        values = self.values(key)
        return statistics.median(values) if values else None

    def worst(self, key: str) -> Any:
        values = [s[key] for s in self.samples if s.get(key) is not None]
        return max(values) if values else None

    def cpu(self) -> list[float]:
        return [
            (s["py_cpu_s"] + s["db_cpu_s"]) * self.scale
            for s in self.samples
            if s.get("db_cpu_s") is not None
        ]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fmt(value: Any, spec: str = ",.2f") -> str:
    return "-" if value is None else format(value, spec)


def _spread(walls: list[float]) -> str:
    ordered = sorted(walls)
    text = f"{ordered[0]:,.2f}-{ordered[-1]:,.2f}"
    if len(ordered) >= 5:
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        text += f" (p95 {p95:,.2f})"
    return text


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}" if value is not None and base else "-"


def _table(results: dict[str, Series]) -> str:
    base = results.get("b", Series(""))
    base_wall = base.median("wall_s")
    base_cpu = statistics.median(base.cpu()) if base.cpu() else None
    rows = [
        (
            "step",
            "wall s (median)",
            "wall min-max",
            "n",
            "x (b)",
            "py CPU s",
            "db CPU s",
            "CPU x (b)",
            "peak RSS MB",
            "longest tx s (med/max)",
            "rows written",
            "tier chg",
            "load",
        ),
    ]
    for series in results.values():
        cpu = statistics.median(series.cpu()) if series.cpu() else None
        longest = series.median("longest_tx_s")
        rows.append(
            (
                series.label,
                _fmt(series.median("wall_s")),
                _spread(series.values("wall_s")),
                str(len(series.samples)),
                _ratio(series.median("wall_s"), base_wall),
                _fmt(series.median("py_cpu_s")),
                _fmt(series.median("db_cpu_s")),
                _ratio(cpu, base_cpu),
                _fmt(series.worst("rss_mb"), ".0f"),
                "-" if longest is None else f"{longest:,.2f} / {series.worst('longest_tx_s'):,.2f}",
                _fmt(series.worst("written"), ","),
                _fmt(series.worst("tier_changes"), ","),
                _fmt(series.median("load_1m"), ".1f"),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--interactions-per-customer", type=int, default=2)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 6, 30))
    parser.add_argument("--repeat", type=int, default=3, help="samples of (a), (a'), (b) and (c)")
    parser.add_argument("--sample", type=int, default=2000, help="customers in the naive loop (c)")
    parser.add_argument("--seed", type=float, default=0.42, help="setseed() for the generator")
    parser.add_argument("--reuse", action="store_true", help="keep the data if its row counts match")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument(
        "--chunk-size", type=int, help="TILFREDS_RECALCULATION_CHUNK_SIZE for (a) (default: settings)"
    )
    parser.add_argument(
        "--module",
        default="customers.services",
        help="module providing recalculate_customer_economics for (a), e.g. a scratch copy in bench/",
    )
    parser.add_argument("--skip", default="", help="comma-separated steps to skip: a1, b, c")
    parser.add_argument("--json", type=Path, help="also write the raw samples to this file")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.step:
        result = STEPS[args.step](json.loads(sys.stdin.read()))
        print(json.dumps(result, default=str))
        return

    url = args.database_url
    interactions = args.customers * args.interactions_per_customer
    wanted = (args.customers, args.lines, interactions)
    with _connect(url) as conn:
        have = _counts(conn)
    generation_s = None
    if args.reuse and have == wanted:
        _log(f"Reusing {have[0]:,} customers, {have[1]:,} lines, {have[2]:,} interactions")
    else:
        _log("Generating data")
        generation_s = _generate(
            url,
            customers=args.customers,
            lines=args.lines,
            interactions=interactions,
            as_of=args.as_of,
            seed=args.seed,
        )
        _log(f"  generated in {generation_s:,.1f} s")

    with _connect(url) as conn:
        low, high = conn.execute(f"SELECT min(id), max(id) FROM {CUSTOMER}").fetchone()
        # Ids are dense after generation; the sample is drawn from the range, then kept if it exists.
        drawn = random.Random(int(args.seed * 1000)).sample(
            range(low, high + 1), min(args.sample, high - low + 1)
        )
        sample = [
            row[0]
            for row in conn.execute(f"SELECT id FROM {CUSTOMER} WHERE id = ANY(%s) ORDER BY id", (drawn,))
        ]
        lines_in_window = _scalar(
            conn,
            f"SELECT count(*) FROM {LINE} WHERE date > %s::date - interval '12 months' AND date <= %s",
            (args.as_of, args.as_of),
        )
        sizes = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database())), "
            f"pg_size_pretty(pg_total_relation_size('{LINE}'))"
        ).fetchone()
        server = _scalar(conn, "SHOW server_version")
        settings = dict(
            conn.execute(
                "SELECT name, setting || COALESCE(unit, '') FROM pg_settings "
                "WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'max_wal_size')"
            ).fetchall()
        )

    params = {"as_of": args.as_of.isoformat(), "module": args.module}
    next_day = {**params, "as_of": (args.as_of + timedelta(days=1)).isoformat()}
    skip = set(filter(None, args.skip.split(",")))
    results = {
        "a": Series("(a) service"),
        "a2": Series("(a') unchanged rerun"),
        "a1": Series("(a+1) next day"),
        "b": Series("(b) one UPDATE"),
        "c": Series(f"(c) naive ORM, {len(sample):,} -> N", scale=args.customers / len(sample)),
    }
    results = {key: series for key, series in results.items() if key not in skip}
    checks: dict[str, Any] = {}
    for rep in range(args.repeat):
        # Alternate the order so neither side always runs on the warmer cache.
        order = [key for key in (("a", "b") if rep % 2 == 0 else ("b", "a")) if key in results]
        for key in order:
            _reset(url)
            if key == "a":
                results["a"].samples.append(_run_step("service", params, url=url, chunk_size=args.chunk_size))
                checks["a"] = _economics_checksum(url)
                results["a2"].samples.append(
                    _run_step("service", params, url=url, chunk_size=args.chunk_size)
                )
                checks["a'"] = _economics_checksum(url)
                checks["a sample"] = _economics_checksum(url, sample)
                if "a1" in results:
                    # The real nightly case: the window moves one day, so only some customers change.
                    results["a1"].samples.append(
                        _run_step("service", next_day, url=url, chunk_size=args.chunk_size)
                    )
            else:
                results["b"].samples.append(_run_step("baseline", params, url=url, chunk_size=None))
                checks["b"] = _economics_checksum(url)
            _log(f"  rep {rep + 1}: {key} {results[key].samples[-1]['wall_s']:,.2f} s")
        if "c" in results:
            _reset(url)
            results["c"].samples.append(
                _run_step("naive", {**params, "ids": sample}, url=url, chunk_size=None)
            )
            checks["c sample"] = _economics_checksum(url, sample)
            _log(f"  rep {rep + 1}: c {results['c'].samples[-1]['wall_s']:,.2f} s for {len(sample)}")

    digest = hashlib.sha256(SERVICE_FILE.read_bytes()).hexdigest()[:12]
    print()
    print(
        f"Data: {args.customers:,} customers, {args.lines:,} revenue lines ({lines_in_window:,} in the window), "
        f"{interactions:,} interactions; as of {args.as_of}; database {sizes[0]} (lines {sizes[1]})"
    )
    if generation_s is not None:
        print(f"Generation: {generation_s:,.1f} s (insert, index and constraint rebuild, VACUUM ANALYZE)")
    print(
        f"PostgreSQL {server} ({', '.join(f'{k} {v}' for k, v in sorted(settings.items()))}); "
        f"{os.cpu_count()} CPUs; service {args.module} (economics.py sha256 {digest}); "
        f"chunk size {args.chunk_size or 'default'}"
    )
    a = checks["a"]
    print(
        f"Tiers after (a): A {a['A']:,}, B {a['B']:,}, C {a['C']:,}; time thieves {a['time_thieves']:,}; "
        f"tier changes recorded {a['tier_changes']:,}"
    )
    print()
    print(_table(results))
    print()
    print("Cross-checks (identical results expected):")
    same = {k: v for k, v in checks["a"].items() if k != "tier_changes"}
    for name, other in (("(b) vs (a)", checks.get("b")), ("(a') vs (a)", checks["a'"])):
        if other is None:
            continue
        other_same = {k: v for k, v in other.items() if k != "tier_changes"}
        print(f"  {name}: {'same' if other_same == same else f'DIFFERENT: {other} vs {same}'}")
    if "c sample" in checks:
        c, a_sample = (
            {k: v for k, v in checks[key].items() if k != "tier_changes"} for key in ("c sample", "a sample")
        )
        print(f"  (c) vs (a) on the sample: {'same' if c == a_sample else f'DIFFERENT: {c} vs {a_sample}'}")
    print(
        "\nWall: (a) around recalculate_customer_economics(), (b) around its one statement, (c) the sample's"
        " time x N / sample. CPU: the Python process and its PostgreSQL backend (parallel workers not"
        " counted), less sensitive to other load than wall time. Peak RSS: VmHWM of the step's own"
        f" subprocess; Django alone is {_fmt(results['a'].worst('rss_after_setup_mb'), '.0f')} MB."
        " Load: 1-minute load average when the step started."
    )
    recorded = results["a"].values("longest_chunk_ms_s")
    if recorded:
        print(
            "(a) longest chunk as the service records it (RecalculationRun.longest_chunk_ms, which stops "
            f"before COMMIT): median {statistics.median(recorded):.2f} s, max {max(recorded):.2f} s"
        )
    print("\nTargets (figures only; nothing is asserted):")
    if "b" in results:
        a_wall, b_wall = results["a"].median("wall_s"), results["b"].median("wall_s")
        a_cpu, b_cpu = results["a"].cpu(), results["b"].cpu()
        cpu_ratio = (
            f", CPU {statistics.median(a_cpu) / statistics.median(b_cpu):.2f}x" if a_cpu and b_cpu else ""
        )
        print(f"  (a) within 1.3x of (b):          wall {a_wall / b_wall:.2f}x{cpu_ratio}")
    print(f"  (a) peak Python RSS < 300 MB:    {results['a'].worst('rss_mb'):.0f} MB")
    print(
        f"  unchanged rerun writes 0 rows:   {results['a2'].worst('written')} rows, "
        f"{results['a2'].worst('tier_changes')} tier changes"
    )
    print(
        f"  no transaction longer than 5 s:  longest chunk transaction {results['a'].worst('longest_tx_s'):.2f} s"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "generation_s": generation_s,
                    "lines_in_window": lines_in_window,
                    "checks": checks,
                    "samples": {k: s.samples for k, s in results.items()},
                },
                indent=2,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
