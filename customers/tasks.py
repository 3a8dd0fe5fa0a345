"""Celery entry points of the customers app: thin wrappers that call services."""

import logging
from datetime import date

from celery import shared_task

from core.errors import BadInput
from customers.services import RecalculationAlreadyRunning, run_nightly

logger = logging.getLogger(__name__)


# No retries: a run that fails is marked failed with its error, and the next night's run (or the
# admin's "recalculate now") redoes all of it, since every run recomputes every customer.
# acks_late so that a worker killed mid-run leaves the message for another worker; the rerun is
# safe because every step writes only what differs. The hard limit stays under the broker's
# visibility timeout (3 h) so a slow run is never delivered twice.
@shared_task(
    name="customers.recalculate_tiers", acks_late=True, soft_time_limit=110 * 60, time_limit=120 * 60
)
def recalculate_tiers(as_of: str | None = None, trigger: str = "schedule") -> int | None:
    """Run the nightly recalculation (economics, relevance, potential); return the economics run id.

    Return None, doing nothing, when another economics run is in progress. Raise BadInput for an
    `as_of` that is not a YYYY-MM-DD date.
    """
    try:
        run_date = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise BadInput(f"as_of must be a date as YYYY-MM-DD, got {as_of!r}", field="as_of") from None
    try:
        result = run_nightly(as_of=run_date, trigger=trigger)
    except RecalculationAlreadyRunning as exc:
        logger.warning("Skipped: %s", exc)
        return None
    return result.economics.pk
