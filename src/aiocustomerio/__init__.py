"""aiocustomerio: an async client for Customer.io's Track, App and Pipelines APIs."""

from importlib import import_module

TYPE_CHECKING = False  # not `from typing import TYPE_CHECKING`: typing alone costs the command ~20 ms of start-up

__all__ = [
    "APIStatusError",
    "APITransportError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "Credentials",
    "CustomerIO",
    "CustomerIOError",
    "EventLoopError",
    "IngestorClosed",
    "IngestorHalted",
    "IngestorNotStarted",
    "IngestorTimeout",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "InvalidItem",
    "ItemTooLarge",
    "Limits",
    "MissingCredentialsError",
    "NotFoundError",
    "PaginationError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "QueueFull",
    "Rate",
    "RateLimitError",
    "RateLimitStoreError",
    "RecoveryInProgress",
    "RedirectError",
    "RegionLookupError",
    "ResponseValidationError",
    "RetryPolicy",
    "Secret",
    "ServerError",
    "SpoolLocked",
    "SpoolReadError",
    "SpoolWriteError",
    "SyncCustomerIO",
    "SyncPipelinesIngestor",
    "SyncTrackIngestor",
    "UnknownParameterError",
    "WebhookVerificationError",
]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from ._config import Credentials as Credentials
    from ._config import Secret as Secret
    from ._limits import Limits as Limits
    from ._limits import Rate as Rate
    from ._payload import PayloadTooLargeError as PayloadTooLargeError
    from ._retry import RetryPolicy as RetryPolicy
    from ._sync.client import SyncCustomerIO as SyncCustomerIO
    from ._sync.ingest import IngestorTimeout as IngestorTimeout
    from ._sync.ingest import SyncPipelinesIngestor as SyncPipelinesIngestor
    from ._sync.ingest import SyncTrackIngestor as SyncTrackIngestor
    from .client import CustomerIO as CustomerIO
    from .errors import APIStatusError as APIStatusError
    from .errors import APITransportError as APITransportError
    from .errors import AuthenticationError as AuthenticationError
    from .errors import BadRequestError as BadRequestError
    from .errors import ClientClosedError as ClientClosedError
    from .errors import CustomerIOError as CustomerIOError
    from .errors import EventLoopError as EventLoopError
    from .errors import InvalidArgumentError as InvalidArgumentError
    from .errors import InvalidArgumentTypeError as InvalidArgumentTypeError
    from .errors import MissingCredentialsError as MissingCredentialsError
    from .errors import NotFoundError as NotFoundError
    from .errors import PaginationError as PaginationError
    from .errors import PermissionDeniedError as PermissionDeniedError
    from .errors import RateLimitError as RateLimitError
    from .errors import RateLimitStoreError as RateLimitStoreError
    from .errors import RedirectError as RedirectError
    from .errors import RegionLookupError as RegionLookupError
    from .errors import ResponseValidationError as ResponseValidationError
    from .errors import ServerError as ServerError
    from .errors import UnknownParameterError as UnknownParameterError
    from .ingest._spool import SpoolReadError as SpoolReadError
    from .ingest._types import IngestorClosed as IngestorClosed
    from .ingest._types import IngestorHalted as IngestorHalted
    from .ingest._types import IngestorNotStarted as IngestorNotStarted
    from .ingest._types import InvalidItem as InvalidItem
    from .ingest._types import ItemTooLarge as ItemTooLarge
    from .ingest._types import QueueFull as QueueFull
    from .ingest._types import RecoveryInProgress as RecoveryInProgress
    from .ingest._types import SpoolLocked as SpoolLocked
    from .ingest._types import SpoolWriteError as SpoolWriteError
    from .webhooks import WebhookVerificationError as WebhookVerificationError

# Every name loads on first use, not by `import aiocustomerio`: an asyncio application never pays for the sync
# client (its own transport stack and sync resources) or the blocking ingestors, and the `aiocustomerio` command
# puts its signal handlers in place before the client stack (httpx and the rest: about half a second) is imported
# (`python -m aiocustomerio` imports this package first).
_ERRORS = (
    "APIStatusError",
    "APITransportError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "CustomerIOError",
    "EventLoopError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "MissingCredentialsError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimitStoreError",
    "RedirectError",
    "RegionLookupError",
    "ResponseValidationError",
    "ServerError",
    "UnknownParameterError",
)
_LAZY = {
    **dict.fromkeys(_ERRORS, ".errors"),
    "Credentials": "._config",
    "Secret": "._config",
    "Limits": "._limits",
    "Rate": "._limits",
    "PayloadTooLargeError": "._payload",
    "RetryPolicy": "._retry",
    "CustomerIO": ".client",
    "SyncCustomerIO": "._sync.client",
    "IngestorTimeout": "._sync.ingest",
    "SyncPipelinesIngestor": "._sync.ingest",
    "SyncTrackIngestor": "._sync.ingest",
    # The ingestion and webhook errors the README tells users to catch (`put_nowait()` raises QueueFull, ...).
    **dict.fromkeys(
        (
            "IngestorClosed",
            "IngestorHalted",
            "IngestorNotStarted",
            "InvalidItem",
            "ItemTooLarge",
            "QueueFull",
            "RecoveryInProgress",
            "SpoolLocked",
            "SpoolWriteError",
        ),
        ".ingest._types",
    ),
    "SpoolReadError": ".ingest._spool",
    "WebhookVerificationError": ".webhooks",
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
