"""Cursor listings whose answer forgets to declare the cursor it returns; listings paged by position instead."""

from __future__ import annotations

from .. import pagination as _pagination  # the module, not its names: codegen.pagination imports this package
from ._rule import Change, Spec, rule
from ._walk import escape

_NEXT_SCHEMA = {
    "type": "string",
    "description": "The token for the next page of results: pass it as `start` to get that page. Empty or absent "
    "on the last page.",
}


@rule("missing-next-cursor")
def missing_next_cursor(spec: Spec) -> list[Change]:
    """A cursor listing's answer that omits ``next`` gets it, as an optional string.

    The page-token parameter promises it ("``start``: Responses contain a ``next`` property") and the API sends it,
    but 9 App answers (``list_messages``, ``get_person_activities``, ...) forget to declare it, so the generated model
    drops the cursor and pagination would stop after the first page without a word. Read from the shape: a string
    ``start`` query parameter whose description names ``next``, and a 2xx JSON object (or union of objects) without
    a ``next`` property.
    """
    changes: list[Change] = []
    for path, method, op in _pagination.cursor_operations(spec):
        for schema in _pagination.success_schemas(spec, op):
            for shape in _pagination.page_shapes(spec, schema) or []:
                properties = shape["properties"]
                if _pagination.NEXT_FIELD in properties:
                    continue
                properties[_pagination.NEXT_FIELD] = dict(_NEXT_SCHEMA)
                pointer = f"#/paths/{escape(path)}/{method}"
                changes.append(Change("missing-next-cursor", pointer, f"answer gains `{_pagination.NEXT_FIELD}`"))
    return changes


@rule("position-pages")
def position_pages(spec: Spec) -> list[Change]:
    """Listings paged by `offset`/`limit` (or `page`/`per_page`), not a cursor: paginate() asks page after page.

    A finding, not a rewrite: it changes nothing in the spec, and runs once after the rules (``FINDINGS``), so that
    the log names each listing the index walks by position (``codegen.pagination.position_paging`` reads the shape:
    an integer ``offset``, ``skip`` or ``page`` query parameter beside an integer page size, no page token, and one
    array of items in the answer). Without it ``GET /v1/esp/suppression/{type}`` stopped after its first page.
    """
    return [
        Change(
            "position-pages",
            f"#/paths/{escape(path)}/{method}",
            f"paged by `{page.cursor}` + `{page.limit}` ({page.style}), items `{page.items}`",
        )
        for path, method, _op, page in _pagination.position_operations(spec)
    ]
