"""Fetch the three specs into specs/raw/, from docs.customer.io or a mirror directory, and check them against the lock.

Set CIO_SPEC_MIRROR to a directory holding the spec files to copy from it instead of downloading (this is how
machines without internet, CI included, get them).
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

from . import lock
from .apis import APIS, LOCK_PATH, RAW_DIR, Api

MIRROR_ENV = "CIO_SPEC_MIRROR"


class SpecUnavailable(Exception):
    """The spec could not be had at all (no mirror, no network)."""


def fetch(api: Api, mirror: Path | None = None, timeout: float = 30.0) -> bytes:
    if mirror is not None:
        source = mirror / api.file
        if not source.is_file():
            raise SpecUnavailable(f"{source} does not exist (the mirror set by {MIRROR_ENV} lacks {api.file})")
        return source.read_bytes()
    try:
        with urllib.request.urlopen(api.url, timeout=timeout) as resp:
            body: bytes = resp.read()
            return body
    except OSError as exc:
        raise SpecUnavailable(
            f"cannot download {api.url} ({exc.__class__.__name__}: {exc}); set {MIRROR_ENV} to a directory "
            f"holding the pinned spec files"
        ) from exc


def mirror_from_env() -> Path | None:
    value = os.environ.get(MIRROR_ENV, "").strip()
    return Path(value) if value else None


def pull(
    *,
    mirror: Path | None = None,
    dest: Path = RAW_DIR,
    lock_path: Path = LOCK_PATH,
    verify: bool = True,
    apis: tuple[Api, ...] = APIS,
) -> dict[str, Path]:
    """Fetch every spec; with verify, refuse any whose hash differs from the lock (nothing is written then)."""
    dest.mkdir(parents=True, exist_ok=True)
    fetched = {api.name: fetch(api, mirror) for api in apis}
    if verify:
        for api in apis:
            lock.verify(api, fetched[api.name], lock_path)
    out: dict[str, Path] = {}
    for api in apis:
        path = api.raw(dest)
        if not path.exists() or path.read_bytes() != fetched[api.name]:
            path.write_bytes(fetched[api.name])
        out[api.name] = path
    return out


def have_pinned(dest: Path = RAW_DIR, lock_path: Path = LOCK_PATH) -> bool:
    """True when every raw spec is present and matches the lock (so pulling again is unnecessary)."""
    for api in APIS:
        path = api.raw(dest)
        if not path.is_file() or lock.sha256(path.read_bytes()) != lock.expected_hash(api, lock_path):
            return False
    return True


def ensure(mirror: Path | None = None) -> None:
    """Pull unless the pinned specs are already in specs/raw/."""
    if not have_pinned():
        pull(mirror=mirror if mirror is not None else mirror_from_env())
