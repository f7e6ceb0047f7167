"""Tags and operations whose Python names the façade already uses where they land."""

from __future__ import annotations

from typing import Any

from openapi_python_client.parser.openapi import generate_operation_id
from openapi_python_client.schema.untrusted_string import UntrustedString
from openapi_python_client.strings import PythonIdentifier

from ..names import escaped, reserved_operation_names, reserved_tag_names
from ._rule import Change, Spec, rule
from ._walk import escape, iter_operations

# Where the rule records the escaped names (drop-vendor-annotations keeps them; codegen/index.py reads them). Not the
# operationId or tag itself: the generator strips a trailing `_` from those (`with_options_` → `with_options`), and
# the spec's own spelling stays what the CLI shows and the tag summaries are found by.
NAME_KEY = "x-aiocustomerio-name"
TAG_KEY = "x-aiocustomerio-tag"
FIELD_PREFIX = "field_"  # codegen/config/*.yaml: field_prefix


def operation_name(path: str, method: str, op: dict[str, Any]) -> str:
    """The Python name openapi-python-client gives an operation (its module, and the façade's attribute)."""
    operation_id = op.get("operationId")
    if isinstance(operation_id, str):
        name = PythonIdentifier(operation_id, prefix=FIELD_PREFIX)
    else:
        name = generate_operation_id(path=UntrustedString(path), method=method, prefix=FIELD_PREFIX)
    return str(PythonIdentifier(name, prefix=FIELD_PREFIX))  # as the generator names the module


def tag_name(op: dict[str, Any]) -> str:
    """The Python name of the tag an operation is generated under (its first; ``default`` when it has none)."""
    tags = op.get("tags") or ["default"]
    return str(PythonIdentifier(str(tags[0]), prefix="tag"))


@rule("reserved-names")
def reserved_names(spec: Spec) -> list[Change]:
    """Give a tag or operation named like an attribute the façade already has there a trailing ``_`` (recorded as
    ``x-aiocustomerio-tag`` / ``x-aiocustomerio-name``).

    An operationId ``with_options`` or ``operation``, or a tag ``Index``, became an attribute beside the resource
    classes' own (``cio.app.with_options``, the ``operation()`` helper the emitted class bodies call) or the
    handwritten sugar (``cio.pipelines.track``): generation stopped, or the attribute hid the tag. The escape is the
    generator's for a taken name (``type`` → ``type_``), deterministic and free of the spec's other names; the CLI
    still shows the spec's name (``with-options``). The reserved sets are read from the façade (codegen/names.py).
    """
    changes: list[Change] = []
    for path, method, op in iter_operations(spec):
        pointer = f"#/paths/{escape(path)}/{method}"
        name = operation_name(path, method, op)
        wanted = escaped(name, reserved_operation_names())
        if wanted != name and op.get(NAME_KEY) != wanted:
            op[NAME_KEY] = wanted
            changes.append(Change("reserved-names", pointer, f"operation {name!r} is the attribute {wanted!r}"))
        tag = tag_name(op)
        wanted = escaped(tag, reserved_tag_names())
        if wanted != tag and op.get(TAG_KEY) != wanted:
            op[TAG_KEY] = wanted
            changes.append(Change("reserved-names", pointer, f"tag {tag!r} is the attribute {wanted!r}"))
    return changes
