"""manage.py serve: a child that dies is restarted, and SIGTERM stops every process it started."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(path: Path, pattern: str, *, timeout: float, count: int = 1) -> list[re.Match[str]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        matches = list(re.finditer(pattern, path.read_text()))
        if len(matches) >= count:
            return matches
        time.sleep(0.2)
    pytest.fail(f"{pattern!r} did not appear {count} time(s) in {timeout} s:\n{path.read_text()[-3000:]}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_demo_stack_restarts_a_killed_process_and_stops_everything_on_sigterm(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG"}
    }
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", DJANGO_DEBUG="1")
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        supervisor = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "serve",
                "--demo",
                "--host",
                "127.0.0.1",
                "--port",
                str(_free_port()),
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        started = _wait_for(log, r"\[serve\] beat started \(pid (\d+)\)", timeout=90)
        web_pid = int(_wait_for(log, r"\[serve\] web started \(pid (\d+)\)", timeout=5)[0].group(1))
        beat_pid = int(started[0].group(1))

        os.kill(beat_pid, signal.SIGKILL)
        _wait_for(log, r"\[serve\] beat exited with status -9; restarting", timeout=10)
        restarted = _wait_for(log, r"\[serve\] beat started \(pid (\d+)\)", timeout=10, count=2)
        new_beat_pid = int(restarted[1].group(1))
        supervisor.send_signal(signal.SIGTERM)
        code = supervisor.wait(timeout=40)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()

    assert new_beat_pid != beat_pid
    assert code == 0
    assert "[serve] stopped" in log.read_text()
    assert not _alive(web_pid)
    assert not _alive(new_beat_pid)


def test_serve_without_a_broker_refuses_to_start_the_production_stack_and_says_why(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")

    result = subprocess.run(
        [sys.executable, "manage.py", "serve", "--no-migrate"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "REDIS_URL is not set" in result.stderr
