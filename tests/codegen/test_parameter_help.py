"""The index's HELP: each parameter's first sentence from the spec, which `aiocustomerio <api> <tag> <op> --help`
shows beside its flag (the generator's docstrings keep only a parameter's default, so the help said `integer`)."""

from __future__ import annotations

import ast
from typing import Any

from codegen.index import HELP_LIMIT, one_line, parameter_help
from codegen.signatures import OperationSource, Param


def _source(*names: str) -> OperationSource:
    params = [Param(name=n, annotation=ast.Name("str"), required=False, positional=False) for n in names]
    return OperationSource(params=params, returns=[], imports={}, docstring="", enum_values={}, models={})


SPEC: dict[str, Any] = {
    "components": {
        "parameters": {
            "Limit": {"name": "limit", "in": "query", "description": "The **maximum** number per page. Up to 1000."}
        },
        "schemas": {"Kind": {"type": "string", "description": "What to list, see [kinds](https://x.example)."}},
    },
    "paths": {
        "/v1/things/{thing_id}": {
            "parameters": [{"name": "thing_id", "in": "path", "description": "The `thing_id` of the thing.\nMore."}],
            "get": {
                "parameters": [
                    {"$ref": "#/components/parameters/Limit"},
                    {"name": "type", "in": "query", "schema": {"$ref": "#/components/schemas/Kind"}},
                    {"name": "start_ts", "in": "query", "description": "Use `start_ts` and _end_ts_, e.g. a day.\n"},
                    {"name": "plain", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "X-Strict-Mode",
                        "in": "header",
                        "description": "```\ncode\n```\nWhen set to `1`,\nstrict.",
                    },
                ],
                "responses": {},
            },
        }
    },
}


def test_each_parameter_gets_the_first_sentence_of_its_description_markdown_stripped() -> None:
    op = SPEC["paths"]["/v1/things/{thing_id}"]["get"]
    shared = SPEC["paths"]["/v1/things/{thing_id}"]["parameters"]
    found = parameter_help(
        SPEC, op, _source("thing_id", "limit", "type_", "start_ts", "plain", "x_strict_mode"), shared
    )
    assert found == {
        "limit": "The maximum number per page",  # a $ref'd parameter, emphasis dropped, cut at the sentence
        "start_ts": "Use start_ts and end_ts, e.g. a day",  # code marks dropped, snake_case kept, "e.g." not an end
        "thing_id": "The thing_id of the thing",  # a path item's parameter
        "type_": "What to list, see kinds",  # the schema's description when the parameter has none; a link's text
        "x_strict_mode": "When set to 1, strict",  # a code block skipped, the paragraph's lines joined
    }  # `plain` has no description: no entry


def test_long_sentences_are_cut_at_a_word_with_an_ellipsis() -> None:
    text = "word " * 60
    assert len(one_line(text, HELP_LIMIT)) <= HELP_LIMIT and one_line(text, HELP_LIMIT).endswith("…")
    assert one_line("A `snake_case_name` stays whole.") == "A snake_case_name stays whole"
