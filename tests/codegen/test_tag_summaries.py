"""The index's TAGS: each tag's one-line summary, taken from the spec's tag description (the CLI's tag help)."""

from __future__ import annotations

from pathlib import Path

from codegen.index import Entry, one_line, tag_summaries
from codegen.signatures import OperationSource


def test_one_line_is_the_first_sentence_of_prose() -> None:
    text = "## Heading\n\n```js\ncode();\n```\n\n| a | b |\n\nSend **bold** [things](https://x.example). More text.\n"
    assert one_line(text) == "Send bold things"
    assert one_line("Talks about v1.2 and more: details") == "Talks about v1.2 and more"
    assert one_line("- a list\n* another\n") == ""
    long = "word " * 40
    assert len(one_line(long)) <= 80 and one_line(long).endswith("…")


def _entry(tag: str, method: str, path: str) -> Entry:
    source = OperationSource(params=[], returns=[], imports={}, docstring="", enum_values={}, models={})
    return Entry(tag, "op", f"pkg.api.{tag}.op", method, path, "s", source, None, False)


def test_tags_are_summarised_from_their_operations_spec_tag(tmp_path: Path) -> None:
    spec = {
        "tags": [{"name": "Send Messages", "description": "These endpoints send messages. Details follow."}],
        "paths": {
            "/v1/send": {"post": {"tags": ["Send Messages"], "responses": {}}},
            "/v1/other": {"get": {"tags": ["Undescribed"], "responses": {}}},
        },
    }
    found = [_entry("send_messages", "POST", "/v1/send"), _entry("undescribed", "GET", "/v1/other")]
    expected = {"send_messages": "These endpoints send messages", "undescribed": "Undescribed"}
    assert tag_summaries(spec, found) == expected
