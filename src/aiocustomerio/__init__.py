"""aiocustomerio: an async client for Customer.io's Track, App and Pipelines APIs."""

from ._config import Credentials, Secret
from ._limits import Limits, Rate
from ._payload import PayloadTooLargeError
from ._retry import RetryPolicy
from ._sync.client import SyncCustomerIO
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

# The blocking ingestors import the ingestion engine: loaded on first use, not by `import aiocustomerio`.
_LAZY = {"IngestorTimeout", "SyncPipelinesIngestor", "SyncTrackIngestor"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from ._sync import ingest

        return getattr(ingest, name)
    raise AttributeError(f"module 'aiocustomerio' has no attribute {name!r}")
