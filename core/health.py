"""GET /health/: whether every part the product needs answers, for load balancers, compose and people.

200 {"status": "ok", "checks": {...}} when the database, the cache and the broker answer and a
worker and beat have shown a heartbeat recently; 503 with "failing" naming the parts otherwise. No
versions, hosts or secrets: the page needs no login, so it says only which part is wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_celery_beat.models import PeriodicTask

from core.models import Heartbeat
from core.tasks import WORKER_HEARTBEAT

logger = logging.getLogger(__name__)

# Beat sends the heartbeat every minute and writes last_run_at back at once (CELERY_BEAT_SYNC_EVERY);
# past these ages something is down, with room for a late tick or a slow worker.
WORKER_MAX_AGE = timedelta(minutes=3)
BEAT_MAX_AGE = timedelta(minutes=5)
HEARTBEAT_ENTRY = "heartbeat"  # the CELERY_BEAT_SCHEDULE key

Check = Callable[[], str | None]  # None when healthy, else a short reason


def _database() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return None


def _cache() -> str | None:
    cache.set("tilfreds:health", "1", timeout=30)
    return None if cache.get("tilfreds:health") == "1" else "the cache did not keep a value"


def _broker() -> str | None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None  # the demo runs tasks in-process: there is no broker to be down
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return None


def _worker() -> str | None:
    seen = Heartbeat.objects.filter(name=WORKER_HEARTBEAT).values_list("seen_at", flat=True).first()
    if seen is None:
        return "no worker has run the heartbeat task yet"
    age = timezone.now() - seen
    return None if age <= WORKER_MAX_AGE else f"no worker heartbeat for {int(age.total_seconds())} s"


def _beat() -> str | None:
    last = PeriodicTask.objects.filter(name=HEARTBEAT_ENTRY).values_list("last_run_at", flat=True).first()
    if last is None:
        return "beat has not sent the heartbeat yet"
    age = timezone.now() - last
    return None if age <= BEAT_MAX_AGE else f"beat last sent the heartbeat {int(age.total_seconds())} s ago"


CHECKS: dict[str, Check] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "worker": _worker,
    "beat": _beat,
}


def run_checks() -> dict[str, str]:
    """Run every check; each answers "ok" or why not. A check that raises is that part failing."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            reason = check()
        except Exception as error:
            # Any exception here is the part being down (connection refused, timeout, missing
            # table): the point of the page is to say so rather than answer 500.
            logger.warning("health check %s failed", name, exc_info=True)
            reason = f"unavailable ({type(error).__name__})"
        results[name] = reason or "ok"
    return results


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    failing = [name for name, result in checks.items() if result != "ok"]
    if failing:
        return JsonResponse({"status": "failing", "failing": failing, "checks": checks}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
