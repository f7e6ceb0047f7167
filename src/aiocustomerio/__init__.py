"""aiocustomerio: an async client for Customer.io's Track, App and Pipelines APIs."""

from importlib import import_module
from typing import TYPE_CHECKING

from ._config import Credentials, Secret
from ._limits import Limits, Rate
from ._payload import PayloadTooLargeError
from ._retry import RetryPolicy
from .client import CustomerIO
from .errors import (
    APIStatusError,
    APITransportError,
    AuthenticationError,
    BadRequestError,
    CustomerIOError,
    EventLoopError,
    MissingCredentialsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    ResponseValidationError,
    ServerError,
)

__all__ = [
    "APIStatusError",
    "APITransportError",
    "AuthenticationError",
    "BadRequestError",
    "Credentials",
    "CustomerIO",
    "CustomerIOError",
    "EventLoopError",
    "Limits",
    "MissingCredentialsError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "Rate",
    "RateLimitError",
    "RedirectError",
    "ResponseValidationError",
    "RetryPolicy",
    "Secret",
    "ServerError",
    "SyncCustomerIO",
]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from ._sync.client import SyncCustomerIO
    from ._sync.ingest import IngestorTimeout as IngestorTimeout
    from ._sync.ingest import SyncPipelinesIngestor as SyncPipelinesIngestor
    from ._sync.ingest import SyncTrackIngestor as SyncTrackIngestor

# Loaded on first use, not by `import aiocustomerio`: an asyncio application never pays for the sync client (its
# own transport stack and sync resources, about half of what this package adds to `import asyncio, httpx`) or the
# blocking ingestors (the ingestion engine).
_LAZY = {
    "SyncCustomerIO": "._sync.client",
    "IngestorTimeout": "._sync.ingest",
    "SyncPipelinesIngestor": "._sync.ingest",
    "SyncTrackIngestor": "._sync.ingest",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aiocustomerio' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
