"""Run the whole stack in the foreground: web server, Celery worker and beat, restarted when they die.

    manage.py serve            production style: migrate, collectstatic, gunicorn, a worker, beat
    manage.py serve --demo     the zero-config demo: the development server and beat, whose tasks run
                               in-process (no broker), so escalation, reconciliation, the outbox and
                               the nightly recalculation happen in the demo too

Both first compile the translation catalogues whose .mo is missing or older than its .po (pure
Python, core.catalogues), so a checkout without GNU gettext serves every language.

Ctrl-C or SIGTERM stops every process. A process that exits on its own is logged and started again
after a pause that doubles up to 30 s (reset once it has stayed up for a minute), so a worker that
died during start-up (its broker not yet up, say) does not stay dead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.catalogues import compile_catalogues

MAX_BACKOFF = 30.0
STABLE_AFTER = 60.0
STOP_GRACE = 20.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = 1.0
    restart_at: float = 0.0
    restarts: int = field(default=0)


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and beat in the foreground, restarting any that dies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))  # noqa: S104
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Development server and in-process scheduled tasks (SQLite, no broker).",
        )
        parser.add_argument(
            "--web-workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "2")),
            help="gunicorn worker processes (default: WEB_CONCURRENCY or 2).",
        )
        parser.add_argument("--no-migrate", action="store_true", help="Skip migrate and collectstatic.")

    def handle(self, *args: Any, host: str, port: int, demo: bool, **options: Any) -> None:
        if not demo and not settings.REDIS_URL:
            raise CommandError(
                "REDIS_URL is not set: the worker and beat need a broker. Set REDIS_URL (and DATABASE_URL), "
                "or run the demo with `make run`."
            )
        # Before any child starts: each loads the catalogues once, at its first translated string.
        for mo_path in compile_catalogues(Path(settings.LOCALE_PATHS[0])):
            self._log(f"compiled {mo_path.name} for {mo_path.parent.parent.name}")
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=1)
            if not demo:
                call_command("collectstatic", interactive=False, verbosity=0)
        children = self._children(host=host, port=port, demo=demo, web_workers=options["web_workers"])
        self._supervise(children)

    def _children(self, *, host: str, port: int, demo: bool, web_workers: int) -> list[Child]:
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "config"]
        # Beat keeps its schedule in the database (django-celery-beat); no state file to lose.
        beat = Child("beat", [*celery, "beat", "--loglevel=INFO"])
        if demo:
            return [Child("web", [python, "manage.py", "runserver", f"{host}:{port}"]), beat]
        web = Child(
            "web",
            [
                python,
                "-m",
                "gunicorn",
                "config.wsgi",
                f"--bind={host}:{port}",
                f"--workers={web_workers}",
                # Threads let one worker wait on the database for one request while serving another.
                "--threads=4",
                "--keep-alive=5",
                "--timeout=60",
                "--graceful-timeout=20",
                "--access-logfile=-",
            ],
        )
        worker = Child("worker", [*celery, "worker", "--loglevel=INFO"])
        return [web, worker, beat]

    def _log(self, message: str) -> None:
        self.stdout.write(f"[serve] {message}")
        self.stdout.flush()

    def _start(self, child: Child) -> None:
        # Own session: a signal to the group reaches the runserver autoreloader's child and gunicorn's
        # workers too, and Ctrl-C in the terminal reaches only us, so we stop them in order.
        child.process = subprocess.Popen(child.argv, start_new_session=True)  # noqa: S603
        child.started_at = time.monotonic()
        self._log(f"{child.name} started (pid {child.process.pid})")

    def _supervise(self, children: list[Child]) -> None:
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for child in children:
            self._start(child)
        try:
            while not stopping:
                now = time.monotonic()
                for child in children:
                    if child.process is None:
                        if now >= child.restart_at:
                            child.restarts += 1
                            self._start(child)
                        continue
                    code = child.process.poll()
                    if code is None:
                        if now - child.started_at > STABLE_AFTER:
                            child.backoff = 1.0
                        continue
                    self._log(f"{child.name} exited with status {code}; restarting in {child.backoff:.0f} s")
                    child.process = None
                    child.restart_at = now + child.backoff
                    child.backoff = min(child.backoff * 2, MAX_BACKOFF)
                time.sleep(0.5)
        finally:
            self._stop_all(children)

    def _stop_all(self, children: list[Child]) -> None:
        self._log("stopping")
        running = [
            (c.name, c.process) for c in children if c.process is not None and c.process.poll() is None
        ]
        for _, process in running:
            # Celery's warm shutdown finishes the task at hand; unacked ones go back to the queue.
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for name, process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._log(f"{name} did not stop in {STOP_GRACE:.0f} s; killing it")
                _signal_group(process, signal.SIGKILL)
                process.wait()
        self._log("stopped")


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signum)
