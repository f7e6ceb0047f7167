"""Normalization: named rules that turn a published spec into one the generator and a validating server accept.

Every rule matches a shape of schema, never a path, so it keeps working on updated and live specs. The order matters
and is fixed here: annotations go before hashing, references are reused before titles are judged, and unions are
simplified before overlap is tested.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from . import cursors, enums, examples, openapi31, parameters, refs, reserved, titles, unions, values, vendor
from ._rule import Change, Rule, Spec

__all__ = ["FINDINGS", "RULES", "Change", "NotConverging", "Rule", "normalize", "normalize_file", "summarize"]

RULES: list[Rule] = [
    vendor.drop_vendor_annotations,
    openapi31.type_arrays,
    openapi31.schema_examples,
    openapi31.ref_siblings,
    openapi31.nested_unions,
    openapi31.nested_allof,
    openapi31.described_additional_properties,
    openapi31.openapi_version,
    parameters.path_item_parameters,
    refs.reuse_component_schemas,
    refs.hoist_repeated_schemas,
    enums.dedupe_enum_values,
    values.mistyped_defaults,
    values.mistyped_examples,
    values.keyword_as_property,
    enums.examples_outside_enum,
    unions.same_primitive_union,
    unions.overlapping_oneof,
    unions.hoist_union_members,
    unions.union_body_required,
    examples.invalid_examples,
    enums.open_response_enums,
    cursors.missing_next_cursor,
    titles.colliding_titles,
    reserved.reserved_names,
]

# Rules that read the normalized spec and change nothing: run once, after RULES, and logged like them.
FINDINGS: list[Rule] = [cursors.position_pages]

MAX_PASSES = 5


class NotConverging(RuntimeError):
    """The rules kept changing the spec pass after pass (a rule undoes another)."""


def normalize(spec: Spec, rules: list[Rule] | None = None) -> list[Change]:
    """Apply the rules to ``spec`` in place, pass after pass until one changes nothing; return every change.

    Rules feed each other (a hoisted union member becomes a component that an inline copy can then refer to; a
    dropped title makes two copies equal), so one pass is not a fixed point. Running to one makes normalization
    idempotent: a normalized spec passes through unchanged.
    """
    changes: list[Change] = []
    for _ in range(MAX_PASSES):
        made = [c for r in (RULES if rules is None else rules) for c in r(spec)]
        if not made:
            return changes
        changes.extend(made)
    raise NotConverging(f"normalization still changed the spec after {MAX_PASSES} passes: {made[:5]}")


def summarize(changes: list[Change]) -> Counter[str]:
    counts: Counter[str] = Counter({r.name: 0 for r in [*RULES, *FINDINGS]})
    counts.update(c.rule for c in changes)
    return counts


def normalize_file(source: Path, dest: Path) -> list[Change]:
    spec = json.loads(source.read_text())
    changes = normalize(spec)
    changes += [c for finding in FINDINGS for c in finding(spec)]
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(spec, indent=1, ensure_ascii=False) + "\n")
    return changes
