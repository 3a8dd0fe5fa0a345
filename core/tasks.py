"""Enqueueing Celery tasks after the caller's transaction commits, and the liveness heartbeat."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

WORKER_HEARTBEAT = "worker"


def enqueue_on_commit(
    task: Task[Any, Any], *args: Any, run_here_if_unsent: bool = False, **kwargs: Any
) -> None:
    """Send `task` once the current transaction commits; a broker outage is logged, never raised.

    The data is already committed when this runs, so failing the caller (an API request, an admin
    action) would only hide a save that happened. Every caller must have a reconciliation job that
    redoes what a lost message leaves undone.

    `run_here_if_unsent=True` runs an idempotent task in this process when it cannot be sent, for
    work that must not wait for the broker to come back (beat cannot send the reconciliation through
    a dead broker either); a failure of that run is logged by Celery and left to the reconciliation.
    """

    def send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception:
            # Deliberately broad: the broker, the result backend's subscribe (RuntimeError) and
            # serialisation each fail differently, and the change is committed already, so none of
            # them may surface as an error for it; reconciliation redoes what is left undone.
            logger.warning(
                "Could not enqueue %s%r; %s",
                task.name,
                args,
                "running it in this process" if run_here_if_unsent else "reconciliation will pick it up",
                exc_info=True,
            )
            if run_here_if_unsent:
                task.apply(args=args, kwargs=kwargs, throw=False)

    transaction.on_commit(send)


@shared_task(name="core.record_heartbeat", ignore_result=True, acks_late=False)
def record_heartbeat() -> None:
    """Record that a worker ran a task beat sent; idempotent (one row, overwritten).

    Not acks_late: a heartbeat redelivered hours later would claim a liveness that is long gone.
    """
    from core.models import Heartbeat  # the app registry is ready when a task runs

    Heartbeat.objects.update_or_create(name=WORKER_HEARTBEAT, defaults={"seen_at": timezone.now()})
