"""The nightly job: economics, then product relevance, then potential, as of one date.

The one place that composes the three steps, for the Celery task, the `recalculate_tiers` command and
the demo seed alike. Relevance sums over the window of the economics run just finished and potential
compares with the tiers it wrote, so the order is fixed. Each step owns its short transactions: if a
later step fails, the earlier ones stay committed, and the next run (which recomputes everything)
completes the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from customers.models import RecalculationRun

from .economics import recalculate_customer_economics
from .potential import PotentialResult, recalculate_potential
from .relevance import RelevanceResult, recalculate_product_relevance


@dataclass(frozen=True)
class NightlyResult:
    """What each step of one nightly run did."""

    economics: RecalculationRun
    relevance: RelevanceResult
    potential: PotentialResult

    @property
    def as_of(self) -> date:
        return self.economics.as_of


def run_nightly(
    *,
    as_of: date | None = None,
    trigger: str,
    chunk_size: int | None = None,
    progress: Callable[[RecalculationRun, int], None] | None = None,
) -> NightlyResult:
    """Recalculate economics, then product relevance, then potential, as of a date (default today).

    Raises RecalculationAlreadyRunning, having written nothing, when another economics run is in
    progress. `trigger` is recorded on the economics run (schedule, command, admin (user), seed_demo);
    `progress(run, total)` is called after each economics chunk; `chunk_size` applies to every step.
    """
    run = recalculate_customer_economics(
        as_of=as_of, trigger=trigger, chunk_size=chunk_size, progress=progress
    )
    relevance = recalculate_product_relevance(as_of=run.as_of, chunk_size=chunk_size)
    potential = recalculate_potential(as_of=run.as_of, chunk_size=chunk_size)
    return NightlyResult(economics=run, relevance=relevance, potential=potential)
