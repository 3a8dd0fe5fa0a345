"""API rate limits that count in the shared cache and let requests through when it is unreachable.

The cache is Redis, the same server as the Celery broker. DRF's throttles read and write their counts
there on every API request, so a Redis outage would turn every call into a 500, including
POST /api/survey-responses/, which needs only the database. A rate limit protects the service; it
must not be the reason the service is down, so while the cache cannot be reached the limit is not
enforced and a warning is logged (once per request, so an outage is loud in the logs).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

# What Django's RedisCache raises when Redis is down or slow: redis-py's own errors, and OSError from
# the socket layer underneath (refused, reset, unreachable). Nothing broader: a bug in a throttle
# must still fail loudly.
CACHE_UNREACHABLE = (RedisError, OSError)


class FailOpenRateThrottle(SimpleRateThrottle):
    """A rate throttle that allows the request, with a logged warning, when the cache is unreachable."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_UNREACHABLE as error:
            logger.warning(
                "Rate limit %r not enforced: the cache is unreachable (%s: %s)",
                self.scope,
                type(error).__name__,
                error,
            )
            return True


class FailOpenUserRateThrottle(FailOpenRateThrottle, UserRateThrottle):
    """The per-user rate (scope "user") of every API view, failing open when the cache is down.

    DRF's UserRateThrottle reads the rates once, when rest_framework.throttling is imported; this one
    reads them per request, so a changed setting (a test, a reload) takes effect.
    """

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        # str(): the stubs type the rates as numbers; the settings hold strings such as "100/min".
        return None if rate is None else str(rate)
