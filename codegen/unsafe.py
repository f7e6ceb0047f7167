"""Which operations must not be repeated blindly: the index's ``unsafe`` flag, read from the spec's shape.

A retried request that the server had already processed runs twice. For most writes that is harmless (an update, an
upsert) or deduplicated (Track events carry an ``id``, Pipelines messages a ``messageId``). It is not for a
transactional send, a broadcast trigger or an export: a second email goes out, a second job starts.

The shape: a POST (PUT, PATCH and DELETE are idempotent in HTTP) that sends a request body, whose body declares no
dedup id anywhere (an ``id``/``messageId`` in the body, its unions or the items of its arrays, that the spec says
deduplicates or makes the call unique: a webhook's or a recipient's ``id`` is not one), and that is not a read (a
search answers with a list of objects). The transport then retries it only when the request was certainly not
processed (the ``aiocustomerio_unsafe`` request extension).
"""

from __future__ import annotations

import re
from typing import Any

from .normalize._walk import resolve

DEDUP_IDS = frozenset({"id", "messageId", "message_id"})
_DEDUP_WORDS = re.compile(r"dedup|duplicat|unique", re.IGNORECASE)
_DEPTH = 8


def _body_schema(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    body = resolve(spec, op.get("requestBody"))
    content = (body or {}).get("content") or {} if isinstance(body, dict) else {}
    for media in sorted(content):
        schema = resolve(spec, (content[media] or {}).get("schema"))
        if isinstance(schema, dict):
            return schema
    return None


def _declares_dedup_id(spec: dict[str, Any], schema: Any, depth: int = 0) -> bool:
    schema = resolve(spec, schema)
    if not isinstance(schema, dict) or depth > _DEPTH:
        return False
    for name, prop in (schema.get("properties") or {}).items():
        prop = resolve(spec, prop) or {}
        if name in DEDUP_IDS and not prop.get("readOnly") and _DEDUP_WORDS.search(str(prop.get("description", ""))):
            return True
    branches = [*schema.get("oneOf", []), *schema.get("anyOf", []), *schema.get("allOf", [])]
    if "items" in schema:
        branches.append(schema["items"])
    # Arrays of messages (a batch) count when their items carry ids; one level of properties reaches them.
    branches += [p for p in (schema.get("properties") or {}).values() if resolve(spec, p).get("type") == "array"]
    return any(_declares_dedup_id(spec, b, depth + 1) for b in branches)


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
    if method.upper() != "POST":
        return False
    body = _body_schema(spec, op)
    if body is None:
        return False
    return not _declares_dedup_id(spec, body) and not _is_read(spec, op)
