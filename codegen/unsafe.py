"""Which operations must not be repeated blindly: the index's ``unsafe`` flag, read from the spec's shape.

A retried request that the server had already processed runs twice. For most writes that is harmless (an update, an
upsert) or deduplicated (Track events carry an ``id``, Pipelines messages a ``messageId``, which the façade stamps
before the first attempt: see dedup.py). It is not for a transactional send, a broadcast trigger or an export: a
second email goes out, a second job starts.

The shape: a POST (PUT, PATCH and DELETE are idempotent in HTTP) that sends a request body, for which dedup.py finds
no place a dedup id goes (so nothing makes a repeat recognisable), and that is not a read (a search answers with a
list of objects). The transport then retries it only when the request was certainly not processed (the
``aiocustomerio_unsafe`` request extension).
"""

from __future__ import annotations

from typing import Any

from .dedup import body_schema, operation_dedup
from .normalize._walk import resolve


def _is_read(spec: dict[str, Any], op: dict[str, Any]) -> bool:
    """A POST that answers with a list of objects is a search (``POST /v1/customers``), not a job."""
    for status, response in sorted((op.get("responses") or {}).items()):
        if not str(status).startswith("2"):
            continue
        content = (resolve(spec, response) or {}).get("content") or {}
        schema = resolve(spec, (content.get("application/json") or {}).get("schema"))
        for prop in ((schema or {}).get("properties") or {}).values():
            prop = resolve(spec, prop)
            if prop.get("type") == "array" and resolve(spec, prop.get("items") or {}).get("type") == "object":
                return True
    return False


def is_unsafe(spec: dict[str, Any], method: str, op: dict[str, Any]) -> bool:
    """True when repeating the operation could send a message or start a job twice."""
    if method.upper() != "POST" or body_schema(spec, op) is None:
        return False
    return not operation_dedup(spec, op) and not _is_read(spec, op)
