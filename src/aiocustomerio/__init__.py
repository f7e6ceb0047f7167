"""aiocustomerio: an async client for Customer.io's Track, App and Pipelines APIs."""

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
    MissingCredentialsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
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
    "Limits",
    "MissingCredentialsError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "Rate",
    "RateLimitError",
    "ResponseValidationError",
    "RetryPolicy",
    "Secret",
    "ServerError",
]
__version__ = "0.1.0"
