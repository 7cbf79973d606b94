"""Per-key throttling with a fixed window in the cache (Redis when several processes serve).

The window's numbers are kept on the request so the middleware can send RateLimit-* headers
on every answer, the 429 included.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset: int  # seconds until the window ends


def parse_rate(rate: str) -> tuple[int, int]:
    """'1200/minute' -> (1200, 60)."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip().lower()]


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        key = request.auth
        if key is None:
            return True
        limit, period = parse_rate(settings.API_THROTTLE_RATE)
        now = time.time()
        window = int(now // period)
        cache_key = f"throttle:{key.pk}:{period}:{window}"
        cache.add(cache_key, 0, timeout=period + 1)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=period + 1)
            count = 1
        self.reset = max(1, int((window + 1) * period - now + 0.999))
        state = RateLimitState(limit=limit, remaining=max(0, limit - count), reset=self.reset)
        request._request.rate_limit = state
        return count <= limit

    def wait(self) -> float:
        return self.reset
