"""The transport stack under every request: auth is httpx's, then limits, retries, redirects, typed errors, logs.

It sits between ``httpx.AsyncClient`` (``CustomerIOTransport``; ``SyncCustomerIOTransport`` under ``httpx.Client``)
and the real transport, so generated operations, sugar,
the ingestor and the CLI all get it without knowing about it. Per-request switches travel as ``request.extensions``:

- ``aiocustomerio_raise: False``: return error (and 3xx) responses instead of raising;
- ``aiocustomerio_retry: False``: send once;
- ``aiocustomerio_max_retries: int``: this call's number of retries (0: none);
- ``aiocustomerio_unsafe: True``: repeating the operation could send a message or start a job twice, so it is
  resent only when it certainly was not processed (no connection made, 429, 503 with Retry-After);
- ``aiocustomerio_retry_unsafe: True``: the caller opts such an operation back in to every retry.

Modules: ``_rules`` (every decision, shared), ``_async`` (the loop) and ``_sync`` (its twin, derived by
``codegen/unasync.py``), ``_limiting`` and ``_loop`` (the async/sync pairs: limiter calls, loop guard, sleeps),
``_aiohttp`` (the default network transport), ``_log``.
"""

from ._async import CustomerIOTransport, Sleep
from ._log import logger
from ._sync import SyncCustomerIOTransport

__all__ = ["CustomerIOTransport", "Sleep", "SyncCustomerIOTransport", "logger"]
