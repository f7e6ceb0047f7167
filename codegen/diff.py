"""A readable difference between two versions of a spec: operations and schemas added, removed and changed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .normalize._walk import iter_operations, schema_hash

_OP_PARTS = (
    "operationId",
    "parameters",
    "requestBody",
    "responses",
    "tags",
    "summary",
    "deprecated",
    "security",
    "servers",
)


@dataclass
class SpecDiff:
    added_operations: list[str] = field(default_factory=list)
    removed_operations: list[str] = field(default_factory=list)
    changed_operations: dict[str, list[str]] = field(default_factory=dict)
    added_schemas: list[str] = field(default_factory=list)
    removed_schemas: list[str] = field(default_factory=list)
    changed_schemas: dict[str, list[str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(vars(self).values())


def _operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    ops: dict[str, dict[str, Any]] = {}
    for path, method, op in iter_operations(spec):
        # Parameters declared on the path item belong to each of its operations.
        shared = spec["paths"][path].get("parameters") or []
        ops[f"{method.upper()} {path}"] = {**op, "parameters": [*shared, *(op.get("parameters") or [])]}
    return ops


def _changed_parts(old: dict[str, Any], new: dict[str, Any], keys: tuple[str, ...] | None = None) -> list[str]:
    names = keys if keys is not None else tuple(sorted(set(old) | set(new)))
    return [k for k in names if schema_hash(old.get(k)) != schema_hash(new.get(k))]


def _schema_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    notes: list[str] = []
    old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
    notes += [f"property {p} added" for p in sorted(set(new_props) - set(old_props))]
    notes += [f"property {p} removed" for p in sorted(set(old_props) - set(new_props))]
    notes += [
        f"property {p} changed"
        for p in sorted(set(old_props) & set(new_props))
        if schema_hash(old_props[p]) != schema_hash(new_props[p])
    ]
    if set(old.get("required") or []) != set(new.get("required") or []):
        notes.append(f"required: {sorted(old.get('required') or [])} → {sorted(new.get('required') or [])}")
    rest = [k for k in _changed_parts(old, new) if k not in {"properties", "required"}]
    notes += [f"{k} changed" for k in rest]
    return notes or ["changed"]


def diff(old: dict[str, Any], new: dict[str, Any]) -> SpecDiff:
    result = SpecDiff()
    old_ops, new_ops = _operations(old), _operations(new)
    result.added_operations = sorted(set(new_ops) - set(old_ops))
    result.removed_operations = sorted(set(old_ops) - set(new_ops))
    for key in sorted(set(old_ops) & set(new_ops)):
        parts = _changed_parts(old_ops[key], new_ops[key], _OP_PARTS)
        if parts:
            result.changed_operations[key] = parts
    old_schemas = (old.get("components") or {}).get("schemas") or {}
    new_schemas = (new.get("components") or {}).get("schemas") or {}
    result.added_schemas = sorted(set(new_schemas) - set(old_schemas))
    result.removed_schemas = sorted(set(old_schemas) - set(new_schemas))
    for name in sorted(set(old_schemas) & set(new_schemas)):
        if schema_hash(old_schemas[name]) != schema_hash(new_schemas[name]):
            result.changed_schemas[name] = _schema_changes(old_schemas[name], new_schemas[name])
    return result


def render(title: str, d: SpecDiff) -> str:
    if d.empty:
        return f"{title}: no changes\n"
    lines = [f"{title}:"]
    for label, items in (("operation added", d.added_operations), ("operation removed", d.removed_operations)):
        lines += [f"  + {label}: {i}" if "added" in label else f"  - {label}: {i}" for i in items]
    lines += [f"  ~ operation changed: {k} ({', '.join(v)})" for k, v in d.changed_operations.items()]
    lines += [f"  + schema added: {s}" for s in d.added_schemas]
    lines += [f"  - schema removed: {s}" for s in d.removed_schemas]
    lines += [f"  ~ schema changed: {k} ({'; '.join(v)})" for k, v in d.changed_schemas.items()]
    return "\n".join(lines) + "\n"


def diff_files(old_path: str, new_path: str) -> str:
    with open(old_path) as f_old, open(new_path) as f_new:
        return render(f"{old_path} → {new_path}", diff(json.load(f_old), json.load(f_new)))
