"""The numbers dashboard ("Numbers and trends"): filters, selectors and their JSON form.

The admin page (followups.views) and /api/metrics/dashboard/ (followups.api.metrics) both call
cached_dashboard() (dashboard(), cached) with filters parsed by DashboardFilterForm, and both show dashboard_data()'s figures.
"""

from .cache import cached_dashboard, warm_dashboards
from .data import dashboard_data
from .filters import DashboardFilterForm, DashboardFilters
from .selectors import Dashboard, dashboard
from .stats import MAX_INTERVAL_WIDTH, MIN_SAMPLE, Proportion, wilson_interval

__all__ = [
    "MAX_INTERVAL_WIDTH",
    "MIN_SAMPLE",
    "Dashboard",
    "DashboardFilterForm",
    "DashboardFilters",
    "Proportion",
    "cached_dashboard",
    "dashboard",
    "dashboard_data",
    "warm_dashboards",
    "wilson_interval",
]
