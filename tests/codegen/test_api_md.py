"""generated/API.md lists every generated operation with its Python call, HTTP route and return type."""

from __future__ import annotations

import re

from codegen.apis import APIS, GENERATED_DIR
from codegen.index import generated_routes


def test_every_operation_is_listed_once_with_its_route() -> None:
    text = (GENERATED_DIR / "API.md").read_text()
    rows = re.findall(r"^\| `await cio\.(\w+)\.(\w+)\.(\w+)\(.*?\)` \| `(\w+) ([^`]+)`", text, flags=re.M)
    listed = {(api, method, path) for api, _tag, _name, method, path in rows}
    expected = {
        (api.name, method, path) for api in APIS for _m, method, path in generated_routes(GENERATED_DIR / api.package)
    }
    assert len(rows) == len(expected) and listed == expected
    assert "| `await cio.app.send_messages.send_email(*, body)` | `POST /v1/send/email` **unsafe** |" in text
    assert "`.paginate(…)` yields `Activities` across pages" in text
