"""Per-user rate limiting of the sales API."""

from __future__ import annotations

from core.throttling import FailOpenUserRateThrottle


class SalesUserRateThrottle(FailOpenUserRateThrottle):
    """The settings' per-user rate (scope "user", the same count as every other API view).

    Reads the rate per request and lets requests through when the cache is down (core.throttling).
    """
