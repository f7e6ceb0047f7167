"""specs/lock.json: the source URL and sha256 of each pinned spec."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .apis import APIS, LOCK_PATH, Api


class SpecChanged(Exception):
    """A pulled spec differs from the one pinned in the lock."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(path: Path = LOCK_PATH) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def expected_hash(api: Api, path: Path = LOCK_PATH) -> str:
    return str(read(path)["specs"][api.name]["sha256"])


def write(hashes: dict[str, str], path: Path = LOCK_PATH) -> None:
    """Rewrite the lock with new hashes (keyed by API name)."""
    doc = {
        "comment": "Pinned Customer.io OpenAPI specs. Adopt an upstream change with `make update-specs`.",
        "specs": {api.name: {"file": api.file, "url": api.url, "sha256": hashes[api.name]} for api in APIS},
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")


def verify(api: Api, data: bytes, path: Path = LOCK_PATH) -> None:
    want = expected_hash(api, path)
    got = sha256(data)
    if got != want:
        raise SpecChanged(
            f"The upstream spec {api.file} changed: sha256 {got} does not match the lock ({want}).\n"
            "Generation stops so that nothing changes unseen. To adopt the new spec, run `make update-specs`: "
            "it prints what changed, rewrites specs/lock.json, regenerates and runs the tests."
        )
