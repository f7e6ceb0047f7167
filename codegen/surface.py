"""The surface of each API: every operation's route, names, parameters and body fingerprints (``specs/surface.json``).

Committed beside the lock, so that a fresh clone, which has no copy of the old spec, can still say what an upstream
update changes (``make update-specs`` diffs the new spec's surface against it; codegen/diff.py renders that). It is
computed from the normalized spec with every ``$ref`` followed and documentation ignored, so the same API written
another way (OpenAPI 3.1 idioms, inlined or hoisted components, other tools' annotations) has the same surface.

A schema fingerprint is a hash of its content; bodies also list the fingerprints of their parts (properties, items,
union members) a few levels down, by JSON pointer inside the body, so a change is reported where it happened.
Parameters and request-body fields (by dotted name) also carry what they take in words (``required integer``,
``enum (email, push)``), so the diff can say a field was retyped rather than that a hash changed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .apis import APIS, NORMALIZED_DIR, SPECS_DIR, Api
from .normalize._walk import escape, iter_operations, resolve

SURFACE_PATH = SPECS_DIR / "surface.json"
JSON_MEDIA = "application/json"
DEPTH = 2  # levels of properties/items/members listed inside a body
# Words for people, not the wire: a changed description is not a changed API.
_DOCS = frozenset({"description", "summary", "title", "example", "examples", "externalDocs", "$comment"})
_PARTS = ("properties", "items", "additionalProperties", "oneOf", "anyOf", "allOf")

Surface = dict[str, Any]


def _digest(value: Any) -> str:
    blob = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


class _Fingerprints:
    """Content hashes of schemas with ``$ref``s followed (each target hashed once) and documentation left out."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.by_ref: dict[str, Any] = {}
        self.active: list[str] = []
        self.cycles = 0

    def of(self, node: Any) -> str:
        return _digest(self._value(node))

    def _value(self, node: Any) -> Any:
        """A scalar as it is; a container as the digest of its parts' values (a Merkle hash), so a ``$ref`` and an
        inline copy of its target have the same value."""
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                rest = {k: v for k, v in node.items() if k != "$ref" and k not in _DOCS}
                target = self._ref(ref)
                return target if not rest else _digest({"allOf": [target, self._value(rest)]})
            return _digest({k: self._value(v) for k, v in node.items() if k not in _DOCS})
        if isinstance(node, list):
            return _digest([self._value(v) for v in node])
        return node

    def _ref(self, ref: str) -> Any:
        if ref in self.by_ref:
            return self.by_ref[ref]
        if ref in self.active:
            self.cycles += 1
            return "recursive"  # not the ref's name, nor how far: both change when a spec is reshaped
        self.active.append(ref)
        before = self.cycles
        try:
            found = self._value(resolve(self.spec, {"$ref": ref}))
        finally:
            self.active.pop()
        if self.cycles == before:
            self.by_ref[ref] = found  # a result that met a cycle depends on where the cycle was entered
        return found

    def parts(self, schema: Any) -> dict[str, str]:
        """JSON pointer inside ``schema`` → fingerprint, for it and its parts down to ``DEPTH`` levels."""
        table: dict[str, str] = {}

        def walk(node: Any, pointer: str, depth: int, seen: tuple[str, ...]) -> None:
            ref = node.get("$ref") if isinstance(node, dict) else None
            if isinstance(ref, str):
                if ref in seen:
                    return
                seen = (*seen, ref)
            node = resolve(self.spec, node)
            if not isinstance(node, dict):
                return
            table[pointer] = self.of(node)
            if depth >= DEPTH:
                return
            for key in _PARTS:
                value = node.get(key)
                if key == "properties" and isinstance(value, dict):
                    for name, sub in sorted(value.items()):
                        walk(sub, f"{pointer}/properties/{escape(name)}", depth + 1, seen)
                elif isinstance(value, list):
                    for i, sub in enumerate(value):
                        walk(sub, f"{pointer}/{key}/{i}", depth + 1, seen)
                elif isinstance(value, dict):
                    walk(value, f"{pointer}/{key}", depth + 1, seen)

        walk(schema, "#", 0, ())
        return table


ENUM_SHOWN = 8  # enum values a type label lists before "…"
FIELD_DEPTH = 3  # levels of nested object fields a body's field table names (``device.platform``)


def type_label(spec: dict[str, Any], schema: Any, depth: int = 0) -> str:
    """What a schema takes, in words a changelog reads: ``string (date-time)``, ``array of integer``,
    ``enum (email, push)``, ``object``, ``oneOf (string | integer)``, ``... or null``; ``any`` when it says nothing."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict) or depth > 4:
        return "any"
    label = _bare_label(spec, schema, depth)
    return f"{label} or null" if schema.get("nullable") is True and label != "any" else label


def _bare_label(spec: dict[str, Any], schema: dict[str, Any], depth: int) -> str:
    values = schema.get("enum")
    if isinstance(values, list):
        shown = ", ".join(json.dumps(v, ensure_ascii=False).strip('"') for v in values[:ENUM_SHOWN])
        return f"enum ({shown}{', …' if len(values) > ENUM_SHOWN else ''})"
    for key in ("oneOf", "anyOf"):
        members = schema.get(key)
        if isinstance(members, list) and members:
            return f"{key} (" + " | ".join(type_label(spec, m, depth + 1) for m in members) + ")"
    kind = schema.get("type")
    if kind == "array":
        return f"array of {type_label(spec, schema.get('items'), depth + 1)}"
    if isinstance(kind, str):
        fmt = schema.get("format")
        return f"{kind} ({fmt})" if isinstance(fmt, str) and kind in ("string", "integer", "number") else kind
    if isinstance(schema.get("allOf"), list) or isinstance(schema.get("properties"), dict):
        return "object"
    return "any"


def body_fields(spec: dict[str, Any], schema: Any) -> dict[str, str]:
    """A body's fields by dotted name (``data.zip``) → ``[required ]<type label>``, nested objects down to
    ``FIELD_DEPTH`` levels, the properties of every ``allOf`` part and union member included (a name two
    alternatives type differently lists both: ``string | integer``)."""
    found: dict[str, set[str]] = {}

    def walk(node: Any, prefix: str, depth: int, seen: tuple[str, ...]) -> None:
        ref = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(ref, str):
            if ref in seen:
                return
            seen = (*seen, ref)
        node = resolve(spec, node)
        if not isinstance(node, dict) or depth >= FIELD_DEPTH:
            return
        if node.get("type") == "array":  # a list of objects: its items' fields are `name[].field`
            walk(node.get("items"), f"{prefix[:-1]}[]." if prefix else "[].", depth, seen)
            return
        for key in ("allOf", "oneOf", "anyOf"):
            for member in node.get(key) or []:
                walk(member, prefix, depth, seen)
        required = set(node.get("required") or [])
        for name, sub in sorted((node.get("properties") or {}).items()):
            dotted = f"{prefix}{name}"
            label = type_label(spec, sub)
            found.setdefault(dotted, set()).add(f"required {label}" if name in required else label)
            walk(sub, f"{dotted}.", depth + 1, seen)

    walk(schema, "", 0, ())
    return {name: " | ".join(sorted(labels)) for name, labels in sorted(found.items())}


def _media_schema(spec: dict[str, Any], container: Any) -> Any:
    """The schema of a request body or response: its JSON one, else its first media type's."""
    resolved = resolve(spec, container)
    content = resolved.get("content") if isinstance(resolved, dict) else None
    if not isinstance(content, dict) or not content:
        return None
    media = content.get(JSON_MEDIA) or content[sorted(content)[0]]
    return (media or {}).get("schema") if isinstance(media, dict) else None


def api_surface(spec: dict[str, Any]) -> dict[str, Any]:
    """``{"METHOD /path": {operationId, tag, parameters, parameter_types, request, request_fields, responses}}`` of
    one (normalized) spec."""
    prints = _Fingerprints(spec)
    operations: dict[str, Any] = {}
    for path, method, op in iter_operations(spec):
        shared = spec["paths"][path].get("parameters") or []
        params: dict[str, str] = {}
        types: dict[str, str] = {}  # the same keys → what each takes, for the diff's words (type_label)
        for raw in [*shared, *(op.get("parameters") or [])]:
            param = resolve(spec, raw)
            if isinstance(param, dict) and isinstance(param.get("name"), str):
                wire = {k: param.get(k) for k in ("required", "style", "explode", "schema", "content") if k in param}
                key = f"{param.get('in')} {param['name']}"
                params[key] = prints.of(wire)
                label = type_label(spec, param.get("schema"))
                types[key] = f"required {label}" if param.get("required") is True else label
        body = _media_schema(spec, op.get("requestBody"))
        responses = {}
        for status, response in sorted((op.get("responses") or {}).items()):
            schema = _media_schema(spec, response)
            responses[str(status)] = prints.parts(schema) if schema is not None else {}
        operations[f"{method.upper()} {path}"] = {
            "operationId": op.get("operationId"),
            "tag": (op.get("tags") or ["default"])[0],
            "parameters": dict(sorted(params.items())),
            "parameter_types": dict(sorted(types.items())),
            "request": prints.parts(body) if body is not None else None,
            "request_fields": body_fields(spec, body) if body is not None else None,
            "responses": responses,
        }
    return dict(sorted(operations.items()))


def build(specs: Path = NORMALIZED_DIR, apis: tuple[Api, ...] = APIS) -> Surface:
    return {
        "comment": "The API surface of the normalized specs, written by `make generate` (codegen/surface.py); "
        "`make update-specs` diffs a new spec against it.",
        "apis": {api.name: api_surface(json.loads(api.normalized(specs).read_text())) for api in apis},
    }


def dumps(surface: Surface) -> str:
    # One operation per block and one fingerprint per line: a changed API is a readable git diff.
    return json.dumps(surface, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write(surface: Surface, path: Path = SURFACE_PATH) -> None:
    path.write_text(dumps(surface))


def read(path: Path = SURFACE_PATH) -> Surface | None:
    if not path.is_file():
        return None
    data: Surface = json.loads(path.read_text())
    return data
