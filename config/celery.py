"""The Celery app. Configuration lives in Django settings under the CELERY_ prefix."""

import logging
import os
from typing import Any

from celery import Celery, Task
from django.db import transaction

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tilfreds")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send `task` once the current transaction commits; a broker outage is logged, never raised.

    The data is already committed when this runs, so failing the caller (an API request, an admin
    action) would only hide a save that happened. Every caller must have a reconciliation job that
    redoes what a lost message leaves undone.
    """

    def send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception:
            logger.warning(
                "Could not run or enqueue %s%r; reconciliation will pick it up",
                task.name,
                args,
                exc_info=True,
            )

    transaction.on_commit(send)
