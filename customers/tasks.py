"""Celery entry points of the customers app: thin wrappers that call services."""

import logging
from datetime import date

from celery import shared_task

from customers.services import (
    RecalculationAlreadyRunning,
    recalculate_customer_economics,
    recalculate_potential,
    recalculate_product_relevance,
)

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
    """Recalculate economics, then product relevance, then potential; return the economics run id.

    Return None, doing nothing, when another economics run is in progress. Relevance and potential
    read the tiers and window of the run just finished, so they come after it, each in its own short
    transactions.
    """
    try:
        run = recalculate_customer_economics(
            as_of=date.fromisoformat(as_of) if as_of else None, trigger=trigger
        )
    except RecalculationAlreadyRunning as exc:
        logger.warning("Skipped: %s", exc)
        return None
    recalculate_product_relevance(as_of=run.as_of)
    recalculate_potential(as_of=run.as_of)
    return run.pk
