"""Per-user rate limiting of the sales API."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle


class SalesUserRateThrottle(UserRateThrottle):
    """The settings' per-user rate (scope "user", the same count as every other API view).

    DRF's UserRateThrottle reads the rates once, when rest_framework.throttling is imported; this one
    reads them per request, so a changed setting (a test, a reload) takes effect.
    """

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        # str(): the stubs type the rates as numbers; the settings hold strings such as "100/min".
        return None if rate is None else str(rate)
