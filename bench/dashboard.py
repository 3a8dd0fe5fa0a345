"""Benchmark the dashboard ("Numbers and trends") on PostgreSQL at a million customers.

Generates customers, revenue lines and interactions with bench/recalc.py's generator (imported, not
copied), sets their 12-month revenue and tier with its one-statement baseline UPDATE, then adds straight
into PostgreSQL (INSERT ... SELECT generate_series): one contact per customer, 20 account managers,
~1 000 000 survey answers over two years (70 % NPS, 15 % CSAT, 15 % CES), an invitation per answer plus
half as many unanswered, the customers' stored satisfaction, and a follow-up per NPS detractor of the
last 12 months (most done, some late, some open).

Then it times each dashboard selector and the whole admin page (django.test.Client, signed in as a
follow-up lead), `--repeat` runs each after one warm-up: median and p95 wall time, and the number of
queries. Prints figures and asserts nothing about time. See bench/README.md.

    .venv/bin/python bench/dashboard.py --customers 1000000 --answers 1000000
    .venv/bin/python bench/dashboard.py --reuse       # keep the data if its row counts match
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.recalc import (  # noqa: E402
    BASELINE_SQL,
    CUSTOMER,
    NEUTRAL,
    _baseline_params,
    _connect,
    _generate,
    _log,
    _scalar,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tilfreds_bench_d"
CONTACT = "customers_contact"
RESPONSE = "surveys_surveyresponse"
INVITATION = "surveys_surveyinvitation"
SATISFACTION = "surveys_customersatisfaction"
TASK = "followups_followuptask"
MANAGERS = 20


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _required(conn: Any, table: str, given: set[str]) -> tuple[str, str]:
    """(", col, ...", ", value, ...") for the table's other NOT NULL columns without a default."""
    rows = conn.execute(
        """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = %s AND is_nullable = 'NO'
          AND column_default IS NULL AND is_identity = 'NO'
        """,
        (table,),
    ).fetchall()
    missing = [(name, kind) for name, kind in rows if name not in given and name != "id"]
    return (
        "".join(f", {name}" for name, _ in missing),
        "".join(f", {NEUTRAL.get(kind, '0')}" for _, kind in missing),
    )


def _people() -> tuple[list[int], Any]:
    """Twenty account managers and a lead (password "bench"), made through the ORM."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from followups.roles import ACCOUNT_MANAGERS_GROUP, LEADS_GROUP

    users = get_user_model()
    managers = []
    for n in range(1, MANAGERS + 1):
        user, _ = users.objects.get_or_create(
            username=f"am{n:02d}",
            defaults={"first_name": "Account", "last_name": f"Manager {n:02d}", "is_staff": True},
        )
        user.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
        managers.append(user.pk)
    lead, _ = users.objects.get_or_create(username="bench-lead", defaults={"is_staff": True})
    lead.groups.add(Group.objects.get(name=LEADS_GROUP))
    return managers, lead


def _surveys() -> dict[str, int]:
    from surveys.models import Survey, SurveyKind

    ids = {}
    for kind in SurveyKind.values:
        survey = Survey.objects.filter(kind=kind, is_active=True).first()
        if survey is None:
            survey = Survey.objects.create(
                kind=kind, name=f"Bench {kind}", question_nb="?", question_en="?", is_active=True
            )
        ids[kind] = survey.pk
    return ids


def _generate_satisfaction(
    url: str, *, customers: int, answers: int, managers: list[int], surveys: dict[str, int]
) -> None:
    """Contacts, answers, invitations, stored satisfaction and follow-ups, in one transaction."""
    with _connect(url, autocommit=False) as conn:
        conn.execute(
            f"TRUNCATE {TASK}, {SATISFACTION}, {RESPONSE}, {INVITATION}, {CONTACT} RESTART IDENTITY CASCADE"
        )
        conn.execute("SELECT setseed(0.17)")
        conn.execute(
            f"UPDATE {CUSTOMER} SET account_manager_id = (%s::int[])[1 + mod(id, %s)]",
            (managers, len(managers)),
        )
        extra = _required(conn, CONTACT, {"customer_id", "name", "email", "phone"})
        _log(f"  contacts: {customers:,}")
        conn.execute(
            f"INSERT INTO {CONTACT} (customer_id, name, email, phone{extra[0]}) "
            f"SELECT id, 'Contact ' || id, 'c' || id || '@example.no', ''{extra[1]} FROM {CUSTOMER} ORDER BY id"
        )
        given = {
            "survey_id",
            "kind",
            "customer_id",
            "contact_id",
            "score",
            "comment",
            "category",
            "source",
            "submitted_at",
            "created_at",
        }
        extra = _required(conn, RESPONSE, given)
        _log(f"  answers: {answers:,}")
        # Contact id = customer id (one contact each, inserted in id order after RESTART IDENTITY).
        conn.execute(
            f"""
            INSERT INTO {RESPONSE} (survey_id, kind, customer_id, contact_id, score, comment, category,
                source, submitted_at, created_at{extra[0]})
            SELECT CASE kind WHEN 'nps' THEN %(nps)s WHEN 'csat' THEN %(csat)s ELSE %(ces)s END, kind, cid, cid,
                   score,
                   '',
                   CASE WHEN kind = 'nps' AND score >= 9 THEN 'promoter' WHEN kind = 'nps' AND score >= 7 THEN 'passive'
                        WHEN kind = 'nps' THEN 'detractor' WHEN score >= 4 THEN 'promoter' WHEN score = 3 THEN 'passive'
                        ELSE 'detractor' END,
                   'email', at, at{extra[1]}
            FROM (
                SELECT cid, kind, at,
                       CASE kind WHEN 'nps' THEN floor(random() * 11)::int WHEN 'csat' THEN 1 + floor(random() * 5)::int
                            ELSE 1 + floor(random() * 7)::int END AS score
                FROM (
                    SELECT 1 + floor(random() * %(customers)s)::bigint AS cid,
                           CASE WHEN r < 0.7 THEN 'nps' WHEN r < 0.85 THEN 'csat' ELSE 'ces' END AS kind,
                           now() - random() * interval '730 days' AS at
                    FROM (SELECT random() AS r FROM generate_series(1, %(answers)s)) g
                ) raw
            ) scored
            """,
            {**surveys, "customers": customers, "answers": answers},
        )
        given = {
            "survey_id",
            "customer_id",
            "contact_id",
            "trigger",
            "trigger_key",
            "created_at",
            "sent_at",
            "send_attempts",
            "last_error",
            "expires_at",
            "responded_at",
        }
        extra = _required(conn, INVITATION, given)
        _log("  invitations")
        conn.execute(
            f"""
            INSERT INTO {INVITATION} (survey_id, customer_id, contact_id, trigger, trigger_key, created_at,
                sent_at, send_attempts, last_error, expires_at, responded_at{extra[0]})
            SELECT survey_id, customer_id, contact_id, 'manual', 'bench:' || id, submitted_at - interval '1 day',
                   submitted_at - interval '1 day', 1, '', submitted_at + interval '29 days', submitted_at{extra[1]}
            FROM {RESPONSE}
            UNION ALL
            SELECT %(nps)s, cid, cid, 'manual', 'bench-unanswered:' || g, at, at, 1, '', at + interval '30 days', NULL{extra[1]}
            FROM (SELECT g, 1 + floor(random() * %(customers)s)::bigint AS cid, now() - random() * interval '730 days' AS at
                  FROM generate_series(1, %(unanswered)s) g) u
            """,
            {**surveys, "customers": customers, "unanswered": answers // 2},
        )
        _log("  stored satisfaction")
        conn.execute(
            f"""
            INSERT INTO {SATISFACTION} (customer_id, latest_nps, latest_nps_at, account_nps, nps_contacts, updated_at)
            SELECT DISTINCT ON (customer_id) customer_id, score, submitted_at,
                   CASE WHEN score >= 9 THEN 100 WHEN score <= 6 THEN -100 ELSE 0 END, 1, now()
            FROM {RESPONSE} WHERE kind = 'nps' ORDER BY customer_id, submitted_at DESC, id DESC
            """
        )
        given = {
            "customer_id",
            "response_id",
            "contact_id",
            "assigned_to_id",
            "status",
            "tier",
            "priority",
            "due_at",
            "created_at",
            "first_contact_at",
            "completed_at",
            "outcome",
        }
        extra = _required(conn, TASK, given)
        _log("  follow-ups")
        conn.execute(
            f"""
            INSERT INTO {TASK} (customer_id, response_id, contact_id, assigned_to_id, status, tier, priority,
                due_at, created_at, first_contact_at, completed_at, outcome{extra[0]})
            SELECT r.customer_id, r.id, r.contact_id, c.account_manager_id,
                   CASE WHEN x < 0.8 THEN 'done' ELSE 'open' END, c.tier,
                   CASE c.tier WHEN 'A' THEN 1 WHEN 'B' THEN 2 ELSE 3 END,
                   r.submitted_at + interval '2 days', r.submitted_at,
                   CASE WHEN x < 0.8 THEN r.submitted_at + (x * 4) * interval '1 day' END,
                   CASE WHEN x < 0.8 THEN r.submitted_at + interval '5 days' END,
                   CASE WHEN x < 0.8 THEN 'contacted' ELSE '' END{extra[1]}
            FROM (SELECT *, random() AS x FROM {RESPONSE}
                  WHERE kind = 'nps' AND score <= 6 AND submitted_at >= now() - interval '365 days') r
            JOIN {CUSTOMER} c ON c.id = r.customer_id
            """
        )
        conn.commit()
    with _connect(url) as conn:
        for table in (CONTACT, RESPONSE, INVITATION, SATISFACTION, TASK, CUSTOMER):
            conn.execute(f"VACUUM ANALYZE {table}")


def _measure(call: Callable[[], Any], repeat: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm-up: plans, caches
    walls, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call()
            walls.append(time.perf_counter() - started)
        queries = len(captured)
    ordered = sorted(walls)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(walls), p95, queries


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=4_000_000, help="revenue lines over two years")
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the data if its row counts match")
    parser.add_argument(
        "--only",
        default="",
        help="time only the steps whose name contains one of these comma-separated words (e.g. churn,page)",
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    args = parser.parse_args()

    url = args.database_url
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    # The page is timed, not its static files: no collectstatic manifest needed.
    os.environ.setdefault("DJANGO_STATIC_MANIFEST", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    _ensure_database(url)
    _log("migrate")
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, check=True)

    import django

    django.setup()
    managers, lead = _people()
    surveys = _surveys()
    as_of = date.today()
    with _connect(url) as conn:
        counts = (
            _scalar(conn, f"SELECT count(*) FROM {CUSTOMER}"),
            _scalar(conn, f"SELECT count(*) FROM {RESPONSE}"),
        )
    if not (args.reuse and counts == (args.customers, args.answers)):
        _log(f"generating {args.customers:,} customers")
        generated = _generate(
            url,
            customers=args.customers,
            lines=args.lines,
            interactions=args.customers,
            as_of=as_of,
            seed=0.42,
        )
        _log(f"  {generated:.0f} s; revenue and tiers (recalc's baseline UPDATE)")
        with _connect(url) as conn:
            conn.execute(BASELINE_SQL, _baseline_params(as_of))
        started = time.perf_counter()
        _generate_satisfaction(
            url, customers=args.customers, answers=args.answers, managers=managers, surveys=surveys
        )
        _log(f"  satisfaction data: {time.perf_counter() - started:.0f} s")

    from django.core.cache import cache
    from django.test import Client

    from followups.dashboard import DashboardFilters, dashboard
    from followups.dashboard import selectors as s
    from followups.dashboard.cache import LEAD_SCOPE, cache_key
    from followups.dashboard.filters import industries

    filters = DashboardFilters.default()
    now = None
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("nps_trend", lambda: s.nps_trend(filters)),
        ("score_trends", lambda: s.score_trends(filters)),
        ("response_rate_trend", lambda: s.response_rate_trend(filters)),
        ("followup_timeliness", lambda: s.followup_timeliness(filters, now=now)),
        ("median_first_contact", lambda: s.median_first_contact(filters)),
        ("recovery", lambda: s.recovery(filters)),
        ("revenue_weighted_nps", lambda: s.revenue_weighted_nps(filters)),
        ("revenue_coverage", lambda: s.revenue_coverage(filters, now=now)),
        ("churn", lambda: s.churn(filters, now=now)),
        ("industries (filter choices)", industries),
        ("dashboard() for a lead", lambda: dashboard(filters, viewer=lead, now=now)),
        (
            "dashboard(), tier=A",
            lambda: dashboard(
                DashboardFilters(filters.first_month, filters.last_month, tier="A"), viewer=lead
            ),
        ),
    ]
    client = Client()
    client.force_login(lead)
    lead_view = cache_key(filters, LEAD_SCOPE)

    def cold(path: str) -> Callable[[], Any]:
        # Only the lead's default view is dropped: the session and the throttles keep their keys.
        return lambda: (cache.delete(lead_view), client.get(path, secure=True))

    def warm(path: str) -> Callable[[], Any]:
        return lambda: client.get(path, secure=True)

    steps += [
        ("page /admin/numbers/, cold cache", cold("/admin/numbers/")),
        ("page /admin/numbers/, warm cache", warm("/admin/numbers/")),
        ("API /api/metrics/dashboard/, cold cache", cold("/api/metrics/dashboard/")),
        ("API /api/metrics/dashboard/, warm cache", warm("/api/metrics/dashboard/")),
    ]
    if args.only:
        words = [word.strip() for word in args.only.split(",") if word.strip()]
        steps = [(name, call) for name, call in steps if any(word in name for word in words)]
    with _connect(url) as conn:
        sizes = {
            table: _scalar(conn, f"SELECT count(*) FROM {table}")
            for table in (CUSTOMER, "customers_revenueline", RESPONSE, INVITATION, SATISFACTION, TASK)
        }
    print("rows: " + ", ".join(f"{table} {count:,}" for table, count in sizes.items()))
    print(f"| step | median ms | p95 ms | queries |  ({args.repeat} runs after a warm-up)")
    print("| --- | ---: | ---: | ---: |")
    for name, call in steps:
        median, p95, queries = _measure(call, args.repeat)
        print(f"| {name} | {median * 1000:,.0f} | {p95 * 1000:,.0f} | {queries} |", flush=True)


if __name__ == "__main__":
    main()
