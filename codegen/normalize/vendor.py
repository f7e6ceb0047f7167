"""Vendor annotations (``x-*`` keys) of documentation tools: inert, unless listed as meaningful."""

from __future__ import annotations

from typing import Any

from ._rule import Change, Spec, rule
from ._walk import escape

# The extensions that change what is generated or what the project reads; every other x-* key is a documentation
# tool's (x-codeSamples, x-displayName, x-scalar-ignore, x-additionalPropertiesName, x-tagGroups, x-moar-*, ...).
MEANINGFUL = frozenset(
    {
        "x-enum-varnames",  # openapi-python-client names enum members from it
        "x-webhooks",  # the 3.0 spelling of `webhooks`: the reporting-webhook payloads aiocustomerio.webhooks parses
        "x-aiocustomerio-name",  # an operation's escaped Python name (rule reserved-names)
        "x-aiocustomerio-tag",  # an operation's escaped tag name (rule reserved-names)
    }
)

# Keywords whose value maps names to objects: a key there is a name chosen by the spec's author (a property called
# ``x-id``, a response header ``x-request-id``), never an extension.
_NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "$defs",
        "definitions",
        "dependentSchemas",
        "headers",
        "content",
        "encoding",
        "links",
        "callbacks",
        "variables",
        "schemas",
        "parameters",
        "requestBodies",
        "responses",
        "securitySchemes",
        "pathItems",
        "examples",
    }
)
# Keywords whose value is data (an instance, not a description of one): nothing inside is an annotation.
_LITERALS = frozenset({"example", "default", "enum", "const", "value", "mapping", "scopes", "security", "required"})


def _is_vendor(key: Any) -> bool:
    return isinstance(key, str) and key.startswith("x-") and key not in MEANINGFUL


@rule("drop-vendor-annotations")
def drop_vendor_annotations(spec: Spec) -> list[Change]:
    """Remove every ``x-*`` key except the meaningful ones: vendor annotations must never change what is generated.

    Documentation tools annotate the specs they publish (``x-moar-*`` from a re-packager, ``x-codeSamples``,
    ``x-scalar-ignore``, ``x-additionalPropertiesName``, ...): they make equal schemas hash differently, and a
    republished spec would regenerate differently for no API reason. Keys of name maps (properties, headers) and
    values that are data (examples, defaults, enums) are names and instances, not annotations, and stay.
    """
    changes: list[Change] = []

    def visit(node: Any, pointer: str, names: bool = False, extensible: bool = False) -> None:
        if isinstance(node, dict):
            if not names or extensible:
                for key in [k for k in node if _is_vendor(k)]:
                    del node[key]
                    changes.append(Change("drop-vendor-annotations", f"{pointer}/{escape(key)}", "removed"))
            for key, value in node.items():
                if names:
                    visit(value, f"{pointer}/{escape(key)}")
                elif key in _LITERALS or (key == "examples" and isinstance(value, list)):
                    continue
                else:
                    # An operation's `responses` (status codes, `default`) may carry extensions as well; the
                    # generator took `x-docs-note` there for a status code and warned. `components/responses` is
                    # a map of names.
                    mapping = key in _NAME_MAPS and isinstance(value, dict)
                    coded = key == "responses" and pointer != "#/components"
                    visit(value, f"{pointer}/{escape(key)}", names=mapping, extensible=mapping and coded)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                visit(value, f"{pointer}/{i}")

    visit(spec, "#")
    return changes
