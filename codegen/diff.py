"""What an upstream update changes, from two API surfaces (codegen/surface.py): readable, one line per change.

Operations are matched by route (method and path), since that is what the wire and the handwritten layer key on: an
operationId or tag that changes on the same route is a rename (the generated Python name moves), and an operationId
that moves to another route is reported as that route's removal and addition, with the rename noted.

For an operation on both sides, a parameter or request-body field is named with what it takes (``+ query dry_run
(boolean)``, ``~ path form_id: required string → required integer``, ``+ data.zip (string)``), so a team that
regenerates reads the change without opening the spec; what types do not show (a bound, a response's shape) is
reported by JSON pointer inside the body. A surface written before the types were recorded still diffs, by
fingerprint and pointer only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .normalize import normalize
from .surface import api_surface


@dataclass
class SurfaceDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    parameters: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    schemas: list[str] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)  # routes on both sides whose parameters, fields or schemas changed

    @property
    def empty(self) -> bool:
        return not any(vars(self).values())

    def summary(self) -> str:
        """``operations: 1 added, 1 removed, 2 changed``."""
        counts = [(len(self.added), "added"), (len(self.removed), "removed"), (len(self.renamed), "renamed")]
        counts.append((len(self.changed), "changed"))
        return "operations: " + ", ".join(f"{n} {what}" for n, what in counts if n)


def _changed_pointers(old: dict[str, str], new: dict[str, str]) -> list[tuple[str, str]]:
    """The most specific pointers that changed, with how: added, removed, or changed with no listed part changed
    under it."""
    notes = [(p, "added") for p in sorted(set(new) - set(old)) if _parent(p) not in set(new) - set(old)]
    notes += [(p, "removed") for p in sorted(set(old) - set(new)) if _parent(p) not in set(old) - set(new)]
    changed = {p for p in set(old) & set(new) if old[p] != new[p]}
    moved = (set(old) ^ set(new)) | changed
    notes += [(p, "changed") for p in sorted(changed) if not any(q != p and q.startswith(p + "/") for q in moved)]
    return notes


def _parent(pointer: str) -> str:
    head = pointer.rsplit("/", 1)[0]
    for part in ("/properties", "/oneOf", "/anyOf", "/allOf"):
        if head.endswith(part):
            head = head[: -len(part)]
    return head


def _dotted(pointer: str) -> str:
    """A body pointer as the field it is in: ``#/properties/device/allOf/1`` → ``device``, ``#/items/properties/a``
    → ``[].a``; ``""`` for the body itself."""
    names: list[str] = []
    parts = pointer.lstrip("#/").split("/") if pointer not in ("#", "") else []
    i = 0
    while i < len(parts):
        if parts[i] == "properties" and i + 1 < len(parts):
            names.append(parts[i + 1].replace("~1", "/").replace("~0", "~"))
            i += 2
        elif parts[i] == "items":
            names.append("[]")
            i += 1
        else:
            i += 2 if parts[i] in ("oneOf", "anyOf", "allOf") else 1
    return ".".join(names).replace(".[]", "[]")


def _covers(field_name: str, reported: set[str]) -> bool:
    """Whether a field change already tells a pointer change at ``field_name`` (the field, or one inside it)."""
    return any(r == field_name or r.startswith(field_name + ".") or r.startswith(field_name + "[]") for r in reported)


def _label(op: dict[str, Any]) -> str:
    return f"{op.get('tag')}.{op.get('operationId')}"


def _typed(name: str, labels: dict[str, str]) -> str:
    return f"{name} ({labels[name]})" if name in labels else name


def _named_changes(
    old: dict[str, str], new: dict[str, str], types_old: dict[str, str], types_new: dict[str, str]
) -> list[str]:
    """``+ name (type)``, ``- name (type)``, ``~ name: type → type`` over two tables keyed by name."""
    lines = [f"+ {_typed(n, types_new)}" for n in sorted(set(new) - set(old))]
    lines += [f"- {_typed(n, types_old)}" for n in sorted(set(old) - set(new))]
    for name in sorted(set(old) & set(new)):
        before, after = types_old.get(name), types_new.get(name)
        if before is not None and after is not None and before != after:
            lines.append(f"~ {name}: {before} → {after}")
        elif old[name] != new[name]:
            lines.append(f"~ {name} changed")
    return lines


def diff(old: dict[str, Any], new: dict[str, Any]) -> SurfaceDiff:
    """The difference between two surfaces of one API (``api_surface`` results)."""
    d = SurfaceDiff()
    new_by_id = {op.get("operationId"): route for route, op in new.items()}
    for route in sorted(set(new) - set(old)):
        d.added.append(f"{route} ({_label(new[route])})")
    for route in sorted(set(old) - set(new)):
        moved = new_by_id.get(old[route].get("operationId"))
        hint = f"; {old[route].get('operationId')} is now {moved}" if moved and moved not in old else ""
        d.removed.append(f"{route} ({_label(old[route])}{hint})")
    for route in sorted(set(old) & set(new)):
        before, after = old[route], new[route]
        if _label(before) != _label(after):
            d.renamed.append(f"{route}: {_label(before)} → {_label(after)}")
        mark = (len(d.parameters), len(d.fields), len(d.schemas))
        params = _named_changes(
            before["parameters"],
            after["parameters"],
            before.get("parameter_types", {}),
            after.get("parameter_types", {}),
        )
        d.parameters += [f"{route}: {line}" for line in params]
        reported: set[str] = set()
        f_old, f_new = before.get("request_fields"), after.get("request_fields")
        if f_old is not None and f_new is not None and f_old != f_new:
            lines = _named_changes(f_old, f_new, f_old, f_new)
            d.fields += [f"{route} request: {line}" for line in lines]
            reported = {line[2:].split(" ", 1)[0].rstrip(":") for line in lines}
        bodies = [("request", before.get("request"), after.get("request"))]
        statuses = sorted(set(before["responses"]) | set(after["responses"]))
        bodies += [(f"response {s}", before["responses"].get(s), after["responses"].get(s)) for s in statuses]
        for where, b_old, b_new in bodies:
            if b_old == b_new:
                continue
            if b_old is None or b_new is None:
                d.schemas.append(f"{route} {where}: {'added' if b_old is None else 'removed'}")
                continue
            for pointer, how in _changed_pointers(b_old, b_new):
                if where == "request" and reported and _dotted(pointer) and _covers(_dotted(pointer), reported):
                    continue  # the field lines above say it, with the types
                d.schemas.append(f"{route} {where}: {pointer} {how}")
        if (len(d.parameters), len(d.fields), len(d.schemas)) != mark:
            d.changed.add(route)
    return d


def render(title: str, d: SurfaceDiff) -> str:
    if d.empty:
        return f"{title}: no changes\n"
    lines = [f"{title}: {d.summary()}"]
    lines += [f"  + operation added: {x}" for x in d.added]
    lines += [f"  - operation removed: {x}" for x in d.removed]
    lines += [f"  ~ operation renamed: {x}" for x in d.renamed]
    lines += [f"  ~ parameter {x}" for x in d.parameters]
    lines += [f"  ~ field {x}" for x in d.fields]
    lines += [f"  ~ schema {x}" for x in d.schemas]
    return "\n".join(lines) + "\n"


def diff_specs(old: dict[str, Any], new: dict[str, Any]) -> SurfaceDiff:
    """The difference between two specs as published: each is normalized first, so only API changes show."""
    normalize(old)
    normalize(new)
    return diff(api_surface(old), api_surface(new))


def diff_files(old_path: str, new_path: str) -> str:
    with open(old_path) as f_old, open(new_path) as f_new:
        return render(f"{old_path} → {new_path}", diff_specs(json.load(f_old), json.load(f_new)))
