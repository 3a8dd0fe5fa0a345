"""The app served the production way, and a real Chromium to use it.

The server is what a deployment runs: `collectstatic` into a temporary folder (hashed, compressed
files served by WhiteNoise), then `gunicorn config.wsgi` with two workers and DEBUG off, talking to
the very test database pytest-django created. Tests therefore commit their data
(`django_db(transaction=True, serialized_rollback=True)`): the server's connections see nothing that
sits in an open test transaction. The rollback restores what the data migrations made (auth groups,
default surveys, permissions) before each test, which a flush would otherwise leave gone.

Needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL, as CI sets them), like the real-worker tests;
the zero-config run skips these tests. Chromium is Debian's /usr/bin/chromium, never a download.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize, sync_playwright

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
# The machine has no internet: without the background-networking flags Chromium keeps dialling
# Google's services and fills the log with refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1366, height=900)
PASSWORD = "riktig-hest-batteri-stift"


def _require_real_services() -> None:
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip(
            "browser tests need DATABASE_URL (PostgreSQL) and REDIS_URL: the production-style server "
            "runs in its own processes, which cannot reach the zero-config in-memory SQLite test "
            "database; CI runs them with both"
        )
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); .ci/run installs it")


@pytest.fixture(autouse=True)
def _fast_password_hashing() -> None:
    """Keep the production hashers here (overrides tests/conftest.py's MD5).

    Users log in through the server, whose settings know no MD5 hasher; a password hashed with it
    would never match there.
    """


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _test_database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def _child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **extra}
    # Only this process needs Django's async-safety check off (see `playwright`); the server must not.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


@dataclass
class LiveServer:
    url: str
    port: int
    log: Path


@pytest.fixture(scope="session")
def static_root(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`collectstatic` with the production storage: hashed names and a manifest, as the Dockerfile does."""
    _require_real_services()
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity=0"],
        cwd=ROOT,
        env=_child_env(DJANGO_STATIC_ROOT=str(root), DJANGO_STATIC_MANIFEST="1", DJANGO_DEBUG="0"),
        check=True,
    )
    return root


# Module-scoped: the server is gone before the rest of the suite (the real-worker tests) runs.
@pytest.fixture(scope="module")
def production_server(
    django_db_setup: None,
    django_db_blocker: Any,
    static_root: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """gunicorn on a free port against the test database; stopped before the database is dropped."""
    _require_real_services()
    port = _free_port()
    origin = f"http://localhost:{port}"
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = _child_env(
        DATABASE_URL=_test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        DJANGO_DEBUG="0",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_STATIC_MANIFEST="1",
        # Plain HTTP on localhost: no redirect to HTTPS, cookies without Secure (the rest stays production).
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SESSION_COOKIE_SECURE="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_CSRF_TRUSTED_ORIGINS=origin,
        TILFREDS_BASE_URL=origin,
        # No SMTP server here; mail that a request sends goes nowhere instead of failing the request.
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    with log.open("wb") as out:
        # Its own session, so stopping the process group takes gunicorn's workers with it.
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                f"--bind=127.0.0.1:{port}",
                "--workers=2",
                "--threads=4",
                "--timeout=60",
                "--graceful-timeout=5",
                "--access-logfile=-",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_serving(process, f"http://127.0.0.1:{port}/admin/login/", log)
        yield LiveServer(url=origin, port=port, log=log)
    finally:
        _stop(process)


def _wait_until_serving(process: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own http URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            pytest.fail(f"gunicorn did not come up (exit code {process.poll()}):\n{log.read_text()[-4000:]}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def migration_data(django_db_setup: None) -> str | None:
    """What the data migrations created (groups, default surveys, permissions), as serialized at setup.

    None when no test of the run asked for serialized_rollback. Read once, before any Playwright loop
    runs (session fixtures are set up first): see `_restore_migration_data`.
    """
    contents = getattr(connection, "_test_serialized_contents", None)
    return None if contents is None else str(contents)


@pytest.fixture(autouse=True)
def _restore_migration_data(request: pytest.FixtureRequest, migration_data: str | None) -> None:
    """Give a transactional test the data migrations' rows back, also while Playwright runs.

    serialized_rollback restores them from the connection object that created the test database. But
    Playwright's sync API keeps an asyncio loop running in this thread, and then Django's connections
    (asgiref Locals) live per context: the test sees a fresh connection object without the serialized
    copy, and Django silently skips the restore. The flush after the previous test left no groups and
    no surveys, so restore them here, once, the way Django would have.
    """
    marker = request.node.get_closest_marker("django_db")
    if migration_data is None or marker is None or not marker.kwargs.get("serialized_rollback"):
        return
    request.getfixturevalue("transactional_db")
    if not hasattr(connection, "_test_serialized_contents"):
        connection._test_serialized_contents = migration_data  # type: ignore[attr-defined]
        connection.creation.deserialize_db_from_string(migration_data)


@pytest.fixture(autouse=True)
def _empty_cache(request: pytest.FixtureRequest) -> None:
    """Start every journey with an empty cache, as it starts with an empty database.

    The server caches what outlives a request in Redis (the dashboard's figures for a quarter of an
    hour, the throttles' counters), and Redis is not rolled back between tests: a dashboard read in
    one test would show the figures of an earlier test's data. This process's cache is the same
    Redis database (settings.REDIS_URL, the one the server is given), so clearing it here clears the
    server's. Only with the real services: the zero-config run skips these tests anyway.
    """
    if settings.REDIS_URL and "production_server" in request.fixturenames:
        cache.clear()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright's sync API, for one test module.

    It runs an asyncio loop in this thread, so Django's ORM calls in the test would raise
    SynchronousOnlyOperation although nothing here is async; the check is off for exactly as long as
    Playwright runs, so tests in other modules keep it.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as instance:
            yield instance
            # The connections opened while the loop ran are reachable only now; an open one would
            # keep the test database from being dropped at the end.
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); .ci/run installs it")
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@dataclass
class OpenedPage:
    name: str
    page: Page
    console: list[str] = field(default_factory=list)
    # Every response of 400 or more, and every request that failed outright (a missing asset).
    failed_requests: list[str] = field(default_factory=list)


class Pages:
    """Opens pages in fresh browser contexts: a phone (390x844, touch) or a desktop, in a locale."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.opened: list[OpenedPage] = []

    def open(self, *, device: str, locale: str) -> Page:
        if device not in ("phone", "desktop"):
            raise AssertionError(f"unknown device {device!r}")
        phone = device == "phone"
        context = self.browser.new_context(
            base_url=self.base_url,
            locale=locale,
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=2 if phone else 1,
            accept_downloads=True,
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        opened = OpenedPage(name=f"{device}-{locale}-{len(self.opened) + 1}", page=page)
        # With the address the message is about, when it has one (a resource that failed to load).
        page.on(
            "console",
            lambda message: opened.console.append(
                f"{message.type}: {message.text}"
                + (f" [{message.location['url']}]" if message.location.get("url") else "")
            ),
        )
        page.on("pageerror", lambda error: opened.console.append(f"pageerror: {error}"))
        page.on(
            "response",
            lambda response: (
                opened.failed_requests.append(f"{response.status} {response.url}")
                if response.status >= 400
                else None
            ),
        )
        page.on(
            "requestfailed",
            lambda request: opened.failed_requests.append(f"failed {request.url}: {request.failure}"),
        )
        self.opened.append(opened)
        return page

    def record(self, page: Page) -> OpenedPage:
        return next(opened for opened in self.opened if opened.page is page)

    def save_artifacts(self, test_name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        for opened in self.opened:
            stem = ARTIFACTS / f"{test_name}-{opened.name}"
            try:
                opened.page.screenshot(path=f"{stem}.png", full_page=True)
            except Exception as exc:  # the test has failed already; say why its picture is missing
                opened.console.append(f"(no screenshot: {exc})")
            lines = [
                f"url: {opened.page.url}",
                *opened.console,
                "",
                "failed requests:",
                *opened.failed_requests,
            ]
            Path(f"{stem}.console.log").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Kept on the test item, so the `pages` fixture knows at teardown whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def pages(request: pytest.FixtureRequest, browser: Browser, production_server: LiveServer) -> Iterator[Pages]:
    """Pages on the live server; on failure a screenshot and the console log of each go to artifacts/."""
    opened = Pages(browser, production_server.url)
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        opened.save_artifacts(request.node.name)
        shutil.copyfile(production_server.log, ARTIFACTS / f"{request.node.name}-gunicorn.log")
    opened.close()


@pytest.fixture
def screenshot() -> Callable[[Page, str], None]:
    """Save a named full-page screenshot for the docs when TILFREDS_SCREENSHOTS names a folder."""
    folder = os.environ.get("TILFREDS_SCREENSHOTS")

    def save(page: Page, name: str) -> None:
        if not folder:
            return
        target = Path(folder)
        if not target.is_absolute():
            target = ROOT / target
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=target / f"{name}.png", full_page=True)

    return save
