import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.utils import translation
from redis.exceptions import ConnectionError as RedisConnectionError

from core.catalogues import compile_catalogues

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    # `make test` compiles the catalogues; a bare `pytest` on a fresh checkout must not test the
    # Norwegian pages against missing or stale .mo files (only those older than their .po are rebuilt).
    compile_catalogues(ROOT / "locale")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Production-strength PBKDF2 costs a noticeable fraction of a second per user, and tests create many.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request through the test client activates its language in this thread and leaves it there
    # (LocaleMiddleware never deactivates), so every test starts and ends in the default language.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    # With REDIS_URL the cache outlives a test (and a run): figures cached by one test (the dashboard's,
    # throttle counts) must not answer the next. A test that stopped Redis on purpose restarts it, but
    # if it is still coming back the test that follows starts without clearing rather than failing here.
    with contextlib.suppress(RedisConnectionError):
        cache.clear()


@pytest.fixture
def account_manager(db):
    return get_user_model().objects.create_user(
        username="kari", email="kari@example.no", password="pw", first_name="Kari", last_name="Nordmann"
    )


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(
        username="admin", email="admin@example.no", password="pw"
    )


def _database_url_for_test_database() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


class Worker:
    """A real `celery worker` process (prefork, one child) that tests may kill."""

    def __init__(self, broker_url: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url_for_test_database(),
            "REDIS_URL": broker_url,
            "PYTHONUNBUFFERED": "1",
        }
        # Its own session, so killing the process group takes the pool child with it.
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=test-worker-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )

    def wait_until_ready(self, app, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not app.control.ping(timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"Celery worker did not come up (exit code {self.process.poll()})")

    def pool_child_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return [int(pid) for pid in children.split()]

    def kill(self) -> None:
        """SIGKILL the whole worker, main process and pool child: nothing gets to clean up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def _require_real_services() -> None:
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL (PostgreSQL) and REDIS_URL; CI runs it with both")


def _forget_broker_state(broker_url: str) -> None:
    """Drop queued and unacknowledged messages a killed worker left, so no later test receives them."""
    import redis

    # A broker the test stopped on purpose holds nothing to forget.
    with contextlib.suppress(redis.ConnectionError):
        redis.Redis.from_url(broker_url).delete("celery", "unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def start_worker(transactional_db, django_db_serialized_rollback) -> Iterator[Callable[..., Worker]]:
    """Start real Celery workers on the real broker, sharing the test database; stopped afterwards.

    Needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL, as CI sets them): the zero-config SQLite
    test database lives in this process's memory, where no worker can reach it.
    """
    _require_real_services()
    from config.celery import app

    workers: list[Worker] = []
    _forget_broker_state(app.conf.broker_url)

    def start(broker_url: str | None = None) -> Worker:
        worker = Worker(broker_url or app.conf.broker_url)
        workers.append(worker)
        worker.wait_until_ready(app)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    _forget_broker_state(app.conf.broker_url)


@pytest.fixture
def celery_worker(start_worker) -> Worker:
    """One real Celery worker on the configured broker."""
    return start_worker()


class PrivateRedis:
    """A redis-server of the test's own, on a free port, that the test may stop and start again."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

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
        deadline = time.monotonic() + 10
        while (
            subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).returncode != 0
        ):
            if time.monotonic() > deadline:
                pytest.fail("private redis-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(start_worker) -> Iterator[PrivateRedis]:
    """A private broker, with this process's Celery app pointed at it for the test."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed")
    from config.celery import app

    server = PrivateRedis()
    server.start()
    original = app.conf.broker_url
    _use_broker(app, server.url)
    yield server
    _use_broker(app, original)
    server.kill()


def _use_broker(app, url: str) -> None:
    # Celery caches its connection and producer pools per broker; forget them (as Celery does after
    # a fork) so the next publish or control call dials `url`.
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None
