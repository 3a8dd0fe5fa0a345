"""Chaos run: stream survey answers through the API while killing workers and stopping Redis.

Starts its own pieces on PostgreSQL (DATABASE_URL, which must be a database of its own: the script
adds customers and answers to it) and a private redis-server on a free port (never the machine's
shared one): gunicorn serving the app, one prefork Celery worker (concurrency 2) and an SMTP sink
that records every notification email. The reconciliation (followups.reconcile_followups' two
services) is run every 60 s by this script, in-process and straight on the database, standing in for
beat; it keeps running while Redis is down, as a broker-independent beat would not.

While N answers go to POST /api/survey-responses/ one at a time, each sent once with no client
retry, the script SIGKILLs K times, alternately a pool child and the whole worker (main process
and children; a new worker is started), and stops Redis for the time of B answers. Then it waits
for the follow-ups and their emails and prints: answers sent / answered 2xx / stored, follow-ups
missing / duplicated, emails missing / duplicated, and the lag from stored answer to follow-up
(p50 / p95 / max), overall and for the answers sent during the outage. It asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tilfreds_chaos DJANGO_SECRET_KEY=... \\
        .venv/bin/python bench/chaos.py --answers 500 --kills 20 --outage 50
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import socketserver
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP to take notification emails and keep the follow-up id of each."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _SmtpHandler)
        self.followup_ids: list[int] = []
        self.lock = threading.Lock()


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: SmtpSink

    def handle(self) -> None:
        self.wfile.write(b"220 sink\r\n")
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                found = re.search(rb"followuptask/(\d+)/change", body.replace(b"=\r\n", b""))
                with self.server.lock:
                    self.server.followup_ids.append(int(found.group(1)) if found else -1)
                self.wfile.write(b"250 ok\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            elif command.startswith((b"EHLO", b"HELO")):
                self.wfile.write(b"250 sink\r\n")
            else:
                self.wfile.write(b"250 ok\r\n")


class Redis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.process = subprocess.Popen(
            [
                *(PYTHON, "-m", "celery", "-A", "config", "worker", "--pool=prefork", "--concurrency=2"),
                *("--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"),
                f"--hostname=chaos-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def children(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except FileNotFoundError:
            return []
        return [int(pid) for pid in text.split()]

    def kill_child(self) -> bool:
        # A worker started moments ago may not have forked its pool yet; give it a few seconds.
        deadline = time.monotonic() + 10
        while not (children := self.children()) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not children:
            return False
        os.kill(random.choice(children), signal.SIGKILL)
        return True

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port} after {timeout} s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def lag_figures(lags: list[float]) -> str:
    if not lags:
        return "none"
    return (
        f"p50 {statistics.median(lags):.1f} s, p95 {percentile(lags, 0.95):.1f} s, max {max(lags):.1f} s"
        f" ({len(lags)} follow-ups)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--answers", type=int, default=500)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--outage", type=int, default=50, help="answers sent while Redis is stopped")
    parser.add_argument("--detractor-share", type=float, default=0.4)
    parser.add_argument("--rate", type=float, default=8.0, help="answers per second")
    parser.add_argument("--reconcile-every", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=240.0, help="seconds to wait for stragglers")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    random.seed(args.seed)
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("set DATABASE_URL to a PostgreSQL database of the benchmark's own")

    redis = Redis(free_port())
    redis_url = f"redis://127.0.0.1:{redis.port}/0"
    smtp_port, web_port = free_port(), free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(smtp_port),
        # Far above the run's own volume: the bench measures faults, not the rate limit.
        "TILFREDS_API_RATE": "1000000/hour",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from followups import services as followup_services
    from followups.models import FollowUpTask
    from surveys.models import SurveyResponse
    from tests.factories import CustomerFactory, UserFactory

    call_command("migrate", verbosity=0)
    run = f"chaos-{int(time.time())}"
    manager = UserFactory.create(username=f"{run}-am", email=f"{run}@example.no")
    customers = [
        CustomerFactory.create(account_manager=manager, external_id=f"{run}-K{n}") for n in range(50)
    ]
    api_user = UserFactory.create(username=f"{run}-api", is_superuser=True, is_staff=True)
    token = Token.objects.create(user=api_user).key

    sink = SmtpSink(smtp_port)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    redis.start()
    logs = Path(os.environ.get("CHAOS_LOG_DIR", "/tmp")) / run
    logs.mkdir(parents=True, exist_ok=True)
    gunicorn = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-w",
            "4",
            "-b",
            f"127.0.0.1:{web_port}",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=(logs / "gunicorn.log").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for_port(web_port)
    worker = Worker(env, logs / "worker.log")

    stop_reconciling = threading.Event()
    reconciled: Counter[str] = Counter()

    def reconcile_loop() -> None:
        from django.db import connection

        while not stop_reconciling.wait(args.reconcile_every):
            reconciled["followups_created"] += followup_services.reconcile_missing_followups()
            reconciled["notifications_sent"] += followup_services.reconcile_unsent_notifications()
            reconciled["runs"] += 1
            connection.close()

    reconciler = threading.Thread(target=reconcile_loop, daemon=True)
    reconciler.start()

    kill_at = {round((i + 1) * args.answers / (args.kills + 1)) for i in range(args.kills)}
    outage_from = args.answers // 2
    outage_answers: set[str] = set()
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    answered: Counter[str] = Counter()
    kills: Counter[str] = Counter()
    request_seconds: list[float] = []
    started = time.monotonic()
    for i in range(args.answers):
        if i in kill_at:
            if sum(kills.values()) % 2 == 0 and worker.kill_child():
                kills["pool child"] += 1
            else:
                worker.kill()
                kills["whole worker"] += 1
                worker = Worker(env, logs / "worker.log")
        if i == outage_from:
            redis.stop()
        if i == outage_from + args.outage:
            redis.start()
        external_id = f"{run}-{i}"
        if outage_from <= i < outage_from + args.outage:
            outage_answers.add(external_id)
        detractor = random.random() < args.detractor_share
        body = {
            "customer": random.choice(customers).external_id,
            "kind": "nps",
            "score": random.randint(0, 6) if detractor else random.randint(7, 10),
            "external_id": external_id,
        }
        sent = time.monotonic()
        try:
            reply = session.post(f"http://127.0.0.1:{web_port}/api/survey-responses/", json=body, timeout=30)
            answered[str(reply.status_code)] += 1
        except requests.RequestException as error:
            answered[type(error).__name__] += 1
        request_seconds.append(time.monotonic() - sent)
        time.sleep(max(0.0, (i + 1) / args.rate - (time.monotonic() - started)))
    sending_took = time.monotonic() - started

    responses = SurveyResponse.objects.filter(external_id__startswith=f"{run}-")
    detractors = responses.detractors()
    deadline = time.monotonic() + args.settle
    while time.monotonic() < deadline:
        have_followups = FollowUpTask.objects.filter(response__in=detractors).count()
        notified = FollowUpTask.objects.filter(response__in=detractors, notified_at__isnull=False).count()
        if have_followups == notified == detractors.count():
            break
        time.sleep(1)
    time.sleep(3)  # let an email being sent reach the sink
    stop_reconciling.set()

    stored = responses.count()
    followups = FollowUpTask.objects.filter(response__in=detractors)
    per_response = followups.values("response_id").annotate(n=Count("id"))
    duplicated_followups = sum(row["n"] - 1 for row in per_response if row["n"] > 1)
    missing_followups = detractors.exclude(followup__isnull=False).count()
    run_followup_ids = set(followups.values_list("pk", flat=True))
    emails = Counter(pk for pk in sink.followup_ids if pk in run_followup_ids)
    lags, outage_lags = [], []
    for created, submitted, external_id in followups.values_list(
        "created_at", "response__created_at", "response__external_id"
    ):
        lag = max(timedelta(0), created - submitted).total_seconds()
        (outage_lags if external_id in outage_answers else lags).append(lag)

    print(f"run {run}: {args.answers} answers at {args.rate}/s over {sending_took:.0f} s")
    print(f"kills: {dict(kills)}; Redis stopped for answers {outage_from}..{outage_from + args.outage - 1}")
    print(f"reconciliation in the bench every {args.reconcile_every:.0f} s: {dict(reconciled)}")
    print(
        f"answers sent {args.answers}; answered {dict(answered)}; stored {stored}; lost {args.answers - stored}"
    )
    print(
        f"request time p50 {statistics.median(request_seconds) * 1000:.0f} ms, max {max(request_seconds):.2f} s"
    )
    print(
        f"detractors {detractors.count()}: follow-ups missing {missing_followups}, duplicated {duplicated_followups}"
    )
    print(
        f"notification emails: {sum(emails.values())} for {len(run_followup_ids)} follow-ups; "
        f"missing {len(run_followup_ids - set(emails))}, duplicated {sum(n - 1 for n in emails.values() if n > 1)}"
    )
    print(f"lag answer -> follow-up, outside the outage: {lag_figures(lags)}")
    print(f"lag answer -> follow-up, answered during the outage: {lag_figures(outage_lags)}")
    print(f"logs in {logs}")

    worker.kill()
    os.killpg(gunicorn.pid, signal.SIGTERM)
    gunicorn.wait(timeout=30)
    redis.stop()
    sink.shutdown()


if __name__ == "__main__":
    main()
