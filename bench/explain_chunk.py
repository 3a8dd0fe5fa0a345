"""Show EXPLAIN (ANALYZE, BUFFERS) of the recalculation's chunk statements, as the service sends them.

Runs the recalculation with a statement wrapper: every INSERT, UPDATE and SELECT of the first
--chunks chunks is executed as EXPLAIN (ANALYZE, BUFFERS) <statement> instead, which still executes
it, and the plan is printed. Nothing in the service is copied, so the plans are of the real SQL.
The run is stopped after those chunks; the database is left part-way, so run bench/recalc.py (which
resets before every step) afterwards, or pass --reset to reset first.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tilfreds_bench DJANGO_SECRET_KEY=bench \\
        .venv/bin/python bench/explain_chunk.py --reset --chunks 2
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


# How the service's chunk statements begin (table names quoted by connection.ops.quote_name).
CHUNK_STATEMENTS = (
    "INSERT INTO tilfreds_economics_chunk",
    'INSERT INTO "customers_tierchange"',
    'UPDATE "customers_customer" AS c',
)


class _Enough(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 6, 30))
    parser.add_argument("--chunks", type=int, default=1, help="chunks to explain before stopping")
    parser.add_argument("--module", default="customers.services", help="module to explain")
    parser.add_argument("--reset", action="store_true", help="reset every customer's economics first")
    parser.add_argument("--unchanged", action="store_true", help="explain an unchanged rerun: run once first")
    parser.add_argument("--setting", action="append", default=[], help="SET name=value for the session")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="explain recalc.py's one-statement UPDATE (b) instead, rolled back",
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tilfreds_bench")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
    sys.path.insert(0, str(ROOT))
    import importlib

    import django

    django.setup()
    from django.db import connection

    module = importlib.import_module(args.module)
    if args.reset:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM customers_tierchange")
            cursor.execute("DELETE FROM customers_recalculationrun")
            cursor.execute(
                "UPDATE customers_customer SET tier = 'C', revenue_12m = 0, contribution_margin_12m = 0,"
                " service_minutes_12m = 0, service_cost_12m = 0, time_cost_flag = false,"
                " economics_as_of = NULL"
            )
            cursor.execute("VACUUM ANALYZE customers_customer")
    if args.unchanged:
        module.recalculate_customer_economics(as_of=args.as_of, trigger="bench explain (first)")
    with connection.cursor() as cursor:
        for setting in args.setting:
            name, value = setting.split("=", 1)
            cursor.execute(f"SET {name} = %s", [value])

    if args.baseline:
        _explain_baseline(args.as_of)
        return

    seen = {"chunks": 0}

    def explain(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        text = " ".join(sql.split())
        if not text.startswith(CHUNK_STATEMENTS):
            if text.startswith('UPDATE "customers_recalculationrun" SET "heartbeat_at"'):
                seen["chunks"] += 1
                if seen["chunks"] >= args.chunks:
                    execute(sql, params, many, context)
                    raise _Enough
            return execute(sql, params, many, context)
        started = time.perf_counter()
        result = execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params, many, context)
        elapsed = (time.perf_counter() - started) * 1000
        cursor = context["cursor"]
        plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"=== chunk {seen['chunks'] + 1}: {text[:90]}... ({elapsed:,.0f} ms)\n{plan}\n")
        return result

    with connection.execute_wrapper(explain), contextlib.suppress(_Enough):
        module.recalculate_customer_economics(as_of=args.as_of, trigger="bench explain")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_recalculationrun SET status = 'failed', error = 'bench explain' "
            "WHERE status = 'running'"
        )


def _explain_baseline(as_of: date) -> None:
    from django.db import connection, transaction

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from recalc import BASELINE_SQL, _baseline_params

    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + BASELINE_SQL, _baseline_params(as_of))
        elapsed = time.perf_counter() - started
        print("\n".join(row[0] for row in cursor.fetchall()))
        print(f"({elapsed:,.1f} s, rolled back)")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
