"""Client-side rate limits, so bursts wait locally instead of collecting 429s, optionally shared by a fleet.

- ``_classes``: the limit classes of each API, their default rates and :class:`Limits` (the configuration);
- ``_gcra``: the bucket rule, for the sync path and the store's fallback;
- ``_store``: the Redis store (one Lua admission per request, fleet-wide pause, outage policy);
- ``_limiter``: :class:`RateLimiter`, what the transport calls.
"""

from ._classes import LIMIT_CLASSES, LimitClass, Limits, Rate, StoreConfig, check_store_url, rates
from ._limiter import RateLimiter

__all__ = ["LIMIT_CLASSES", "LimitClass", "Limits", "Rate", "RateLimiter", "StoreConfig", "check_store_url", "rates"]
