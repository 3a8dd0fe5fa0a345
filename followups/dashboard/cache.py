"""The dashboard's figures kept in Django's cache (Redis in production) for a quarter of an hour.

At a million customers the figures take seconds to compute (docs/benchmarks.md), while they move
slowly: a trend over months. So the page and /api/metrics/dashboard/ share one cached copy per set
of normalised filters and viewer scope (a lead sees every account manager's row, anyone else their
own), and say when it was computed. What is cached is the figures, never a rendered label: the one
translated name among them ("No account manager") is set on the way out, in the reader's language.

A cache that cannot be reached is skipped with a warning: the figures are computed as if nothing
was cached (the same fail-open rule as core.throttling), so a Redis outage slows the page, never
breaks it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext

from core.throttling import CACHE_UNREACHABLE
from core.types import AnyUser
from customers.models import Customer
from followups.policy import is_lead

from .filters import DashboardFilters
from .selectors import Breakdown, Dashboard, company_dashboard, own_rows

logger = logging.getLogger(__name__)

# How stale a figure computed on request may be: a quarter of an hour, shown on the page.
CACHE_SECONDS = 15 * 60
# The nightly warm-up's copies last into the working day (03:00 to 11:00), each with the time it
# was computed on the page; after that the first reader of a view computes it afresh.
WARM_SECONDS = 8 * 60 * 60
# Bumped when the cached shape (the dataclasses of selectors) changes, so an old copy is never read.
VERSION = 1
LEAD_SCOPE = "lead"


def scope_of(viewer: AnyUser) -> str:
    """Whose rows the viewer sees: every account manager's (a lead) or only their own."""
    return LEAD_SCOPE if is_lead(viewer) else f"own:{viewer.pk}"


def cache_key(filters: DashboardFilters, scope: str) -> str:
    """The key of one view: every filter, normalised by DashboardFilters, and the scope."""
    return ":".join(
        [
            f"dashboard:v{VERSION}",
            f"{filters.first_month:%Y-%m}",
            f"{filters.last_month:%Y-%m}",
            filters.tier or "-",
            str(filters.account_manager_id or "-"),
            # Quoted: an industry is free text ("Bygg og anlegg"); a key holds no spaces.
            quote(filters.industry, safe="") if filters.industry else "-",
            str(filters.churn_months),
            scope,
        ]
    )


def _read(key: str) -> Dashboard | None:
    try:
        board = cache.get(key)
    except CACHE_UNREACHABLE as error:
        logger.warning("Dashboard cache not read: unreachable (%s: %s)", type(error).__name__, error)
        return None
    return board if isinstance(board, Dashboard) else None


def _write(entries: dict[str, Dashboard], seconds: int) -> None:
    try:
        cache.set_many(entries, timeout=seconds)
    except CACHE_UNREACHABLE as error:
        logger.warning("Dashboard cache not written: unreachable (%s: %s)", type(error).__name__, error)


def _scoped(board: Dashboard, scope: str) -> Dashboard:
    if scope == LEAD_SCOPE:
        return board
    viewer_id = scope.removeprefix("own:")
    # "own:None" (a viewer without an id) keeps no manager's row.
    return own_rows(board, int(viewer_id) if viewer_id.isdigit() else None)


def _labelled(breakdown: Breakdown) -> Breakdown:
    managers = [
        (key, gettext("No account manager") if key is None else name, value)
        for key, name, value in breakdown.managers
    ]
    return replace(breakdown, managers=managers)


def _for_reader(board: Dashboard) -> Dashboard:
    # The customers without an account manager are named in the reader's language, not the
    # language of whoever computed the cached copy.
    return replace(board, timeliness=_labelled(board.timeliness), recovery=_labelled(board.recovery))


def cached_dashboard(filters: DashboardFilters, *, viewer: AnyUser) -> Dashboard:
    """The dashboard for the filters as the viewer may see it, from the cache when computed lately."""
    scope = scope_of(viewer)
    key = cache_key(filters, scope)
    board = _read(key)
    if board is None:
        board = _scoped(company_dashboard(filters), scope)
        _write({key: board}, CACHE_SECONDS)
    return _for_reader(board)


def account_manager_ids() -> list[int]:
    """The users who are some customer's account manager (one query)."""
    rows = (
        Customer.objects.filter(account_manager__isnull=False)
        .order_by()
        .values_list("account_manager_id", flat=True)
        .distinct()
    )
    return sorted(pk for pk in rows if pk is not None)


def warm_dashboards(*, now: datetime | None = None) -> int:
    """Compute and cache the default view for the leads and each account manager; give the views cached.

    Set-based per view: the company's default view is computed once and each account manager's
    copy of it (their own row) is cut from it without a query; then each account manager's own
    filtered view ("account manager: me") once, for the leads' scope and theirs.
    """
    now = now or timezone.now()
    default = DashboardFilters.default(now)
    managers = account_manager_ids()
    views = [default, *(replace(default, account_manager_id=pk) for pk in managers)]
    entries: dict[str, Dashboard] = {}
    for filters in views:
        board = company_dashboard(filters, now=now)
        entries[cache_key(filters, LEAD_SCOPE)] = board
        for pk in managers if filters.account_manager_id is None else [filters.account_manager_id]:
            entries[cache_key(filters, f"own:{pk}")] = own_rows(board, pk)
    _write(entries, WARM_SECONDS)
    return len(entries)
