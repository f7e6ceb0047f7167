"""Where an operation's body carries a dedup id, read from the spec's shape: the index's ``dedup`` description.

Customer.io drops a repeat of an event whose id (``id`` in Track, ``messageId`` in Pipelines) it has already seen,
so a write that carries one may be retried safely, but only if the id is there before the first attempt: the
façade stamps a ULID into each place this module finds (``aiocustomerio._ids.stamp_dedup``), once, so every retry
resends the same id.

The shape: a property named like a dedup id (``DEDUP_IDS``), not read-only, whose description says it deduplicates
or makes the call unique (a recipient's or a webhook's ``id`` is not one), in the body or its unions, or in the items
of an array the body holds (a batch). A location is the list of keys from the body to the object that carries the
id, ``"*"`` for each item of an array: ``[]`` (the body), ``["batch", "*"]`` (each entry of ``batch``).

Where only some kinds of entry declare the id (Track v2: events do, ``identify`` or ``delete`` do not), the kinds
are told apart by a discriminator: a string-enum property every kind without the id declares (``action``). The
values declared only by kinds without the id are exempt; every other entry gets an id, including a kind the spec
does not list (stamping an id on an event the spec forgot is the safe side of the error). Where kinds without the
id cannot be told apart, there is no location: the operation is then not dedup-safe, and ``unsafe.py`` says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .normalize._walk import resolve

DEDUP_IDS = ("id", "messageId", "message_id")
_DEDUP_WORDS = re.compile(r"dedup|duplicat|unique", re.IGNORECASE)
_DEPTH = 8


@dataclass
class _Kind:
    """One alternative of an entry's schema: its parts (an ``allOf`` is several) flattened."""

    parts: list[dict[str, Any]] = field(default_factory=list)

    def enums(self, spec: dict[str, Any]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for part in self.parts:
            for name, prop in (part.get("properties") or {}).items():
                values = (resolve(spec, prop) or {}).get("enum")
                if values and all(isinstance(v, str) for v in values):
                    found.setdefault(name, set()).update(values)
        return found


def dedup_property(spec: dict[str, Any], part: dict[str, Any]) -> str | None:
    """The dedup-id property ``part`` (one object schema) declares, if any."""
    for name, prop in (part.get("properties") or {}).items():
        prop = resolve(spec, prop) or {}
        if name in DEDUP_IDS and not prop.get("readOnly") and _DEDUP_WORDS.search(str(prop.get("description", ""))):
            return str(name)
    return None


def _kinds(spec: dict[str, Any], schema: Any, depth: int = 0) -> list[_Kind]:
    """The alternatives of ``schema`` (``oneOf``/``anyOf`` branch out, ``allOf`` joins parts)."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict) or depth > _DEPTH:
        return [_Kind()]
    kinds = [_Kind([schema])]
    for part in schema.get("allOf", []):
        kinds = [_Kind(k.parts + p.parts) for k in kinds for p in _kinds(spec, part, depth + 1)]
    alternatives = [*schema.get("oneOf", []), *schema.get("anyOf", [])]
    if alternatives:
        kinds = [_Kind(k.parts + a.parts) for k in kinds for alt in alternatives for a in _kinds(spec, alt, depth + 1)]
    return kinds


def _entry_rule(spec: dict[str, Any], schema: Any, at: list[str]) -> list[dict[str, Any]]:
    """The dedup rule for the objects at ``at`` described by ``schema``, or none."""
    kinds = _kinds(spec, schema)
    with_id: list[tuple[_Kind, str]] = []
    without: list[_Kind] = []
    for kind in kinds:
        names = [n for n in (dedup_property(spec, p) for p in kind.parts) if n]
        if names:
            with_id.append((kind, names[0]))
        else:
            without.append(kind)
    if not with_id:
        return []
    fields = {name for _, name in with_id}
    if len(fields) != 1:
        return []  # two names for the id in one place: which one the server reads is not knowable from the shape
    rule: dict[str, Any] = {"at": at, "field": fields.pop(), "unless": None}
    if not without:
        return [rule]
    # The values the kinds with the id declare (Pipelines' common fields list every call type, so they cover them
    # all), against those of the kinds without one; the discriminator is the property telling most of those apart.
    covered: dict[str, set[str]] = {}
    for kind, _ in with_id:
        for name, values in kind.enums(spec).items():
            covered.setdefault(name, set()).update(values)
    plain = [k.enums(spec) for k in without]
    shared = set.intersection(*(set(e) for e in plain))
    if not shared:
        return []  # entries without an id cannot be told from those with one: not dedup-safe
    best = max(sorted(shared), key=lambda n: sum(bool(e[n] - covered.get(n, set())) for e in plain))
    exempt = set().union(*(e[best] for e in plain)) - covered.get(best, set())
    if exempt:
        rule["unless"] = {"property": best, "values": sorted(exempt)}
    return [rule]


def dedup_rules(spec: dict[str, Any], schema: Any, at: list[str] | None = None, depth: int = 0) -> list[dict[str, Any]]:
    """Every place under ``schema`` (a request body) where a dedup id goes, as index rules."""
    at = at or []
    schema = resolve(spec, schema)
    if not isinstance(schema, dict) or depth > _DEPTH:
        return []
    if schema.get("type") == "array" or "items" in schema:
        return dedup_rules(spec, schema.get("items"), [*at, "*"], depth + 1)
    rules = _entry_rule(spec, schema, at)
    # Arrays of entries (a batch) held by the body, in any of its alternatives.
    seen = {rule_key(r) for r in rules}
    for kind in _kinds(spec, schema):
        for part in kind.parts:
            for name, prop in sorted((part.get("properties") or {}).items()):
                prop = resolve(spec, prop) or {}
                if prop.get("type") == "array" or "items" in prop:
                    for rule in dedup_rules(spec, prop, [*at, str(name)], depth + 1):
                        if rule_key(rule) not in seen:
                            seen.add(rule_key(rule))
                            rules.append(rule)
    return rules


def rule_key(rule: dict[str, Any]) -> str:
    return f"{'/'.join(rule['at'])}:{rule['field']}"


def body_schema(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    body = resolve(spec, op.get("requestBody"))
    content = (body or {}).get("content") or {} if isinstance(body, dict) else {}
    for media in sorted(content):
        schema = resolve(spec, (content[media] or {}).get("schema"))
        if isinstance(schema, dict):
            return schema
    return None


def operation_dedup(spec: dict[str, Any], op: dict[str, Any]) -> list[dict[str, Any]]:
    """The index's ``dedup`` for one operation: where the façade stamps ids before the first attempt."""
    body = body_schema(spec, op)
    return [] if body is None else dedup_rules(spec, body)
