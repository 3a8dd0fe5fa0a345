"""GET /health/: 200 only when every part answers, 503 naming the part that does not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from core.health import BEAT_MAX_AGE, HEARTBEAT_ENTRY, WORKER_MAX_AGE
from core.models import Heartbeat
from core.tasks import WORKER_HEARTBEAT, record_heartbeat

pytestmark = pytest.mark.django_db


def _beat_sent(ago: timedelta) -> None:
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(
        name=HEARTBEAT_ENTRY,
        defaults={
            "task": "core.record_heartbeat",
            "interval": every_minute,
            "last_run_at": timezone.now() - ago,
        },
    )


def _worker_seen(ago: timedelta) -> None:
    Heartbeat.objects.update_or_create(name=WORKER_HEARTBEAT, defaults={"seen_at": timezone.now() - ago})


def test_health_is_ok_when_every_part_answered_recently(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker to probe in this test; the broker has its own
    _beat_sent(timedelta(seconds=30))
    _worker_seen(timedelta(seconds=30))

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "worker": "ok", "beat": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_a_stale_worker_heartbeat_answers_503_naming_the_worker(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    _beat_sent(timedelta(seconds=30))
    _worker_seen(WORKER_MAX_AGE + timedelta(seconds=5))

    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"].startswith("no worker heartbeat for ")


def test_beat_that_never_sent_the_heartbeat_answers_503_naming_beat_and_worker(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["failing"] == ["worker", "beat"]


def test_a_beat_silent_for_longer_than_its_limit_is_failing(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    _beat_sent(BEAT_MAX_AGE + timedelta(seconds=5))
    _worker_seen(timedelta(seconds=10))

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["failing"] == ["beat"]


def test_an_unreachable_broker_answers_503_naming_the_broker_without_its_address(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config.celery import app

    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        _beat_sent(timedelta(seconds=30))
        _worker_seen(timedelta(seconds=30))

        response = client.get("/health/")
    finally:
        app.conf.broker_url = settings.CELERY_BROKER_URL

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert "127.0.0.1" not in response.content.decode()


def test_the_heartbeat_task_records_the_worker_once_however_often_it_runs():
    record_heartbeat.apply()
    first = Heartbeat.objects.get(name=WORKER_HEARTBEAT).seen_at

    record_heartbeat.apply()

    assert Heartbeat.objects.count() == 1
    assert Heartbeat.objects.get(name=WORKER_HEARTBEAT).seen_at >= first


def test_the_health_page_needs_no_login_and_skips_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/health/")

    assert response.status_code in (200, 503)  # answered, not redirected to https or to the login
