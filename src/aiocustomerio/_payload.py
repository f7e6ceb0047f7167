"""Size limits Customer.io enforces on request bodies, checked before sending so a too-large call fails clearly."""

from __future__ import annotations

import re

from .errors import InvalidArgumentError

KB = 1024
ITEM_LIMIT = 32 * KB  # one Track v2 entity, one Pipelines message
BATCH_LIMIT = 500 * KB  # one Track v2 or Pipelines batch request

# (api, method, path pattern, limit): the first match applies. Sources: Customer.io's Track v2 and Pipelines API
# references ("each request ... 32kb", "batch requests ... 500kb").
_LIMITS: tuple[tuple[str, str, re.Pattern[str], int, str], ...] = (
    ("track", "POST", re.compile(r"^/api/v2/batch$"), BATCH_LIMIT, "a Track v2 batch"),
    ("track", "POST", re.compile(r"^/api/v2/entity$"), ITEM_LIMIT, "a Track v2 entity"),
    ("pipelines", "POST", re.compile(r"^/batch$"), BATCH_LIMIT, "a Pipelines batch"),
    ("pipelines", "POST", re.compile(r"^/"), ITEM_LIMIT, "a Pipelines message"),
)


class PayloadTooLargeError(InvalidArgumentError):
    """A request body or item over Customer.io's size limit; raised before anything is sent (façade and ingestors)."""

    def __init__(self, what: str, size: int, limit: int, message: str | None = None) -> None:
        super().__init__(
            message
            or f"{what} is {size:,} bytes encoded, over the {limit:,}-byte ({limit // KB} KB) limit; "
            "split it or remove large attributes"
        )
        self.size = size
        self.limit = limit


def check(api: str, method: str, path: str, body: bytes) -> None:
    for limit_api, limit_method, pattern, limit, what in _LIMITS:
        if api == limit_api and method == limit_method and pattern.match(path):
            if len(body) > limit:
                raise PayloadTooLargeError(what, len(body), limit)
            return


def check_item(what: str, body: bytes, limit: int = ITEM_LIMIT) -> bytes:
    """The one size check of a single entity or message (façade batches and ingestors alike)."""
    if len(body) > limit:
        raise PayloadTooLargeError(what, len(body), limit)
    return body
