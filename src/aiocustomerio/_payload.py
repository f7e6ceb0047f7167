"""Size limits Customer.io enforces on request bodies, checked before sending so a too-large call fails clearly."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .errors import InvalidArgumentError

KB = 1024
ITEM_LIMIT = 32 * KB  # one Track v2 entity, one Pipelines message
BATCH_LIMIT = 500 * KB  # one Track v2 or Pipelines batch request

# (api, method, path pattern, limit, what, each item of its `batch`): the first match applies. Sources: Customer.io's
# Track v2 and Pipelines API references ("each request ... 32kb", "batch requests ... 500kb").
_LIMITS: tuple[tuple[str, str, re.Pattern[str], int, str, str | None], ...] = (
    ("track", "POST", re.compile(r"^/api/v2/batch$"), BATCH_LIMIT, "a Track v2 batch", "a Track v2 entity"),
    ("track", "POST", re.compile(r"^/api/v2/entity$"), ITEM_LIMIT, "a Track v2 entity", None),
    ("pipelines", "POST", re.compile(r"^/batch$"), BATCH_LIMIT, "a Pipelines batch", "a Pipelines message"),
    ("pipelines", "POST", re.compile(r"^/"), ITEM_LIMIT, "a Pipelines message", None),
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


def check(
    api: str, method: str, path: str, body: bytes, raw: object = None, encode: Callable[[Any], bytes] | None = None
) -> None:
    """The size rule of every request body (sugar and generated operations, async and sync): the body's limit, and
    for a batch, each item's (``raw`` is the body before encoding, ``encode`` how its items are encoded)."""
    for limit_api, limit_method, pattern, limit, what, item in _LIMITS:
        if api == limit_api and method == limit_method and pattern.match(path):
            if len(body) > limit:
                raise PayloadTooLargeError(what, len(body), limit)
            # Only a body over the item limit can hold an item over it: the common batch is not encoded twice.
            if item is not None and len(body) > ITEM_LIMIT and encode is not None and isinstance(raw, Mapping):
                items = raw.get("batch")
                if isinstance(items, (list, tuple)):
                    for index, each in enumerate(items):
                        check_item(f"batch[{index}] ({item})", encode(each))
            return


def check_item(what: str, body: bytes, limit: int = ITEM_LIMIT) -> bytes:
    """The one size check of a single entity or message (façade batches and ingestors alike)."""
    if len(body) > limit:
        raise PayloadTooLargeError(what, len(body), limit)
    return body
