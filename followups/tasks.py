"""Celery entry points of the followups app: thin, idempotent wrappers around one service each.

Retry delays (at most 10 minutes) and hard time limits (minutes) stay far below the broker's 3-hour
visibility timeout, so a message is never handed to a second worker while the first still runs it.
acks_late and reject-on-worker-lost (settings) put a killed worker's task back on the queue; the
services make the second run a no-op.
"""

from typing import Any

from celery import shared_task
from django.db import OperationalError

from followups import services
from followups.dashboard import cache as dashboard_cache

# Any: the values are of several types, each the one its shared_task keyword takes.
_RETRY: dict[str, Any] = {
    "autoretry_for": (OperationalError, ConnectionError, TimeoutError),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(
    name="followups.create_followup_for_response", acks_late=True, soft_time_limit=60, time_limit=90, **_RETRY
)
def create_followup_for_response(response_id: int) -> int | None:
    """Create the follow-up of an unhappy response; return its id (idempotent)."""
    task = services.create_followup_for_response(response_id=response_id)
    return task.pk if task else None


@shared_task(
    name="followups.notify_followup_created", acks_late=True, soft_time_limit=60, time_limit=90, **_RETRY
)
def notify_followup_created(task_id: int) -> bool:
    """Email the account manager about a new follow-up, once."""
    return services.notify_followup_created(task_id=task_id)


@shared_task(name="followups.reconcile_followups", acks_late=True, soft_time_limit=240, time_limit=280)
def reconcile_followups() -> dict[str, int]:
    """Repair what lost messages left undone: missing follow-ups and unsent notifications."""
    return {
        "followups_created": services.reconcile_missing_followups(),
        "notifications_sent": services.reconcile_unsent_notifications(),
    }


@shared_task(name="followups.escalate_overdue_followups", acks_late=True, soft_time_limit=300, time_limit=360)
def escalate_overdue_followups() -> int:
    """Escalate overdue follow-ups to the leads, once per task."""
    return services.escalate_overdue_followups()


# Minutes at a million customers (about 20 views of seconds each); far below the visibility timeout.
@shared_task(name="followups.warm_dashboards", acks_late=True, soft_time_limit=1500, time_limit=1800)
def warm_dashboards() -> int:
    """Cache the dashboard's default view for the leads and each account manager, after the night's runs."""
    return dashboard_cache.warm_dashboards()
