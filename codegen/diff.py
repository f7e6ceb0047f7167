"""What an upstream update changes, from two API surfaces (codegen/surface.py): readable, one line per change.

Operations are matched by route (method and path), since that is what the wire and the handwritten layer key on: an
operationId or tag that changes on the same route is a rename (the generated Python name moves), and an operationId
that moves to another route is reported as that route's removal and addition, with the rename noted.
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
    schemas: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(vars(self).values())


def _changed_pointers(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """The most specific pointers that changed: added, removed, or changed with no listed part changed under it."""
    notes = [f"{p} added" for p in sorted(set(new) - set(old)) if _parent(p) not in set(new) - set(old)]
    notes += [f"{p} removed" for p in sorted(set(old) - set(new)) if _parent(p) not in set(old) - set(new)]
    changed = {p for p in set(old) & set(new) if old[p] != new[p]}
    moved = (set(old) ^ set(new)) | changed
    notes += [f"{p} changed" for p in sorted(changed) if not any(q != p and q.startswith(p + "/") for q in moved)]
    return notes


def _parent(pointer: str) -> str:
    head = pointer.rsplit("/", 1)[0]
    for part in ("/properties", "/oneOf", "/anyOf", "/allOf"):
        if head.endswith(part):
            head = head[: -len(part)]
    return head


def _label(op: dict[str, Any]) -> str:
    return f"{op.get('tag')}.{op.get('operationId')}"


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
        p_old, p_new = before["parameters"], after["parameters"]
        d.parameters += [f"{route}: + {p}" for p in sorted(set(p_new) - set(p_old))]
        d.parameters += [f"{route}: - {p}" for p in sorted(set(p_old) - set(p_new))]
        d.parameters += [f"{route}: ~ {p} changed" for p in sorted(set(p_old) & set(p_new)) if p_old[p] != p_new[p]]
        bodies = [("request", before.get("request"), after.get("request"))]
        statuses = sorted(set(before["responses"]) | set(after["responses"]))
        bodies += [(f"response {s}", before["responses"].get(s), after["responses"].get(s)) for s in statuses]
        for where, b_old, b_new in bodies:
            if b_old == b_new:
                continue
            if b_old is None or b_new is None:
                d.schemas.append(f"{route} {where}: {'added' if b_old is None else 'removed'}")
                continue
            d.schemas += [f"{route} {where}: {note}" for note in _changed_pointers(b_old, b_new)]
    return d


def render(title: str, d: SurfaceDiff) -> str:
    if d.empty:
        return f"{title}: no changes\n"
    lines = [f"{title}:"]
    lines += [f"  + operation added: {x}" for x in d.added]
    lines += [f"  - operation removed: {x}" for x in d.removed]
    lines += [f"  ~ operation renamed: {x}" for x in d.renamed]
    lines += [f"  ~ parameter {x}" for x in d.parameters]
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
