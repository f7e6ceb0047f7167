"""Examples that their own schema rejects."""

from __future__ import annotations

import copy
import datetime as _dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ._rule import Change, Spec, rule
from ._walk import escape, iter_operations, iter_slots, media_schemas

_URI = "urn:aiocustomerio:spec"
_STRUCTURED = ("properties", "items", "allOf", "anyOf", "oneOf")


def _as_json_schema(node: Any) -> Any:
    """A copy in which OpenAPI 3.0's ``nullable: true`` is spelled the JSON Schema way, so null validates."""
    if isinstance(node, list):
        return [_as_json_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _as_json_schema(v) for k, v in node.items()}
    if out.pop("nullable", False) is True:
        t = out.get("type")
        if isinstance(t, str):
            out["type"] = [t, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _format_checker() -> FormatChecker:
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        # RFC 3339 needs a date, a time and an offset; fromisoformat in 3.10 does not read "Z".
        if not isinstance(value, str):
            return True
        parsed = _dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return "T" in value.upper() and parsed.tzinfo is not None

    return checker


class _Checker:
    def __init__(self, spec: Spec) -> None:
        resource = Resource.from_contents(_as_json_schema(spec), default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(_URI, resource)
        self.formats = _format_checker()

    def error(self, pointer: str, value: Any) -> str | None:
        """The first reason ``value`` fails the schema at ``pointer`` (a ``#/...`` JSON pointer), or None."""
        ref = _URI + quote(pointer, safe="/#~")
        validator = Draft202012Validator({"$ref": ref}, registry=self.registry, format_checker=self.formats)
        for err in validator.iter_errors(value):
            where = "/".join(str(p) for p in err.absolute_path) or "(root)"
            return f"{where}: {err.message[:160]}"
        return None


def _media_examples(spec: Spec) -> Iterator[tuple[dict[str, Any], str, str]]:
    """(media type object, schema pointer, example pointer) for request and response bodies."""
    for section in ("paths", "webhooks", "x-webhooks"):
        for path, method, op in iter_operations(spec, section):
            base = f"#/{section}/{escape(path)}/{method}"
            containers = [(op.get("requestBody"), f"{base}/requestBody")]
            containers += [(r, f"{base}/responses/{s}") for s, r in (op.get("responses") or {}).items()]
            for container, pointer in containers:
                for slot in media_schemas(container, pointer):
                    yield slot.parent, slot.pointer, slot.pointer.rsplit("/", 1)[0]


@rule("invalid-examples")
def invalid_examples(spec: Spec) -> list[Change]:
    """Structured examples (objects, arrays, bodies) that fail their own schema are dropped.

    Mock servers answer with examples and contract tests send them. The pinned specs carry bodies whose example
    breaks the schema beside it (App ``send_email`` sends ``headers`` as an object where the schema says string,
    Pipelines ``group`` dates end in a stray comma), which makes a valid operation look broken. Without the example,
    tools build a value from the schema. Scalar examples are left to ``mistyped-examples``, which can repair them.
    """
    checker = _Checker(copy.deepcopy(spec))
    changes: list[Change] = []
    for slot in iter_slots(spec):
        node = slot.get()
        if not isinstance(node, dict) or "example" not in node or not any(k in node for k in _STRUCTURED):
            continue
        reason = checker.error(slot.pointer, node["example"])
        if reason is not None:
            del node["example"]
            changes.append(Change("invalid-examples", f"{slot.pointer}/example", reason))
    for media, schema_pointer, media_pointer in _media_examples(spec):
        if "example" in media:
            reason = checker.error(schema_pointer, media["example"])
            if reason is not None:
                del media["example"]
                changes.append(Change("invalid-examples", f"{media_pointer}/example", reason))
        for name, entry in list((media.get("examples") or {}).items()):
            if isinstance(entry, dict) and "value" in entry:
                reason = checker.error(schema_pointer, entry["value"])
                if reason is not None:
                    del media["examples"][name]
                    changes.append(Change("invalid-examples", f"{media_pointer}/examples/{name}", reason))
    return changes
