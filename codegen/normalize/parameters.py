"""Parameters declared once for every operation of a path."""

from __future__ import annotations

from ._rule import Change, Spec, rule
from ._walk import HTTP_METHODS, deepcopy, escape, resolve


def _key(spec: Spec, raw: object) -> tuple[str, str] | None:
    param = resolve(spec, raw)
    if isinstance(param, dict) and isinstance(param.get("name"), str):
        return str(param.get("in")), param["name"]
    return None


@rule("path-item-parameters")
def path_item_parameters(spec: Spec) -> list[Change]:
    """A path item's ``parameters`` are copied into each of its operations (ahead of the operation's own).

    OpenAPI applies them to every operation of the path, and the generator does; but every other reader of the spec
    (pagination, the surface snapshot, the diff, the contract builder) would have to remember to merge them, and
    pagination did not (13 App cursor listings declare ``start`` on the path item). An operation's own parameter
    with the same name and location wins, as OpenAPI says.
    """
    changes: list[Change] = []
    for section in ("paths", "webhooks", "x-webhooks"):
        for path, item in (spec.get(section) or {}).items():
            shared = item.get("parameters") if isinstance(item, dict) else None
            if not isinstance(shared, list):
                continue
            for method in HTTP_METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                own = op.get("parameters") or []
                taken = {_key(spec, p) for p in own}
                inherited = [deepcopy(p) for p in shared if _key(spec, p) not in taken]
                if inherited:
                    op["parameters"] = [*inherited, *own]
            del item["parameters"]
            pointer = f"#/{section}/{escape(path)}/parameters"
            changes.append(Change("path-item-parameters", pointer, f"{len(shared)} moved into each operation"))
    return changes
