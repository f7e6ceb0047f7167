"""Writing results to stdout: JSON pretty on a terminal and compact otherwise, NDJSON for listings."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

import httpx

from ..errors import scrub

# Header values that authenticate: shown as their scheme only ("Basic ****"), whatever the command.
_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}


# The client's credentials in every form (_config.credential_forms), set by open_client: what the CLI prints of an
# answer is the server's, and a gateway or a mock may quote the Authorization header back (--raw shows headers too).
_hidden: tuple[str, ...] = ()


def hide(secrets: tuple[str, ...]) -> None:
    global _hidden
    _hidden = secrets


def _stdout() -> IO[str]:
    return sys.stdout


def clean(text: str) -> str:
    """`text` without the client's credentials: everything the CLI writes, to stdout and to stderr, goes through
    this (a message is scrubbed where it is made too; this is the last line)."""
    return scrub(text, _hidden) if _hidden else text


def _write(text: str, stream: IO[str] | None = None) -> None:
    (stream if stream is not None else _stdout()).write(clean(text))


def dump(value: Any, stream: IO[str] | None = None) -> None:
    out = stream if stream is not None else _stdout()
    if out.isatty():
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    else:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    _write(text + "\n", out)


def dump_line(value: Any) -> None:
    """One NDJSON line: compact whatever the output is, so `| jq` and `wc -l` see one item per line."""
    _write(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str) + "\n")


def plain(item: Any) -> Any:
    """A parsed model as the JSON it came from (generated models have ``to_dict``), anything else as is."""
    to_dict = getattr(item, "to_dict", None)
    return to_dict() if callable(to_dict) else item


def mask(name: str, value: str) -> str:
    if name.lower() not in _SECRET_HEADERS:
        return value
    scheme, _, rest = value.partition(" ")
    return f"{scheme} ****" if rest else "****"


def body_value(content: bytes) -> Any:
    """A body as JSON when it is JSON, else as text (or None when empty)."""
    if not content:
        return None
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the stack: shown as the text it is
        return content.decode("utf-8", "replace")


def response_body(response: httpx.Response) -> None:
    value = body_value(response.content)
    if value is None:
        return
    if isinstance(value, str):
        _write(value if value.endswith("\n") else value + "\n")
    else:
        dump(value)


def response_head(response: httpx.Response) -> None:
    """``--raw``: the status line and headers before the body, as ``curl -i`` shows them."""
    lines = [f"{response.http_version} {response.status_code} {response.reason_phrase}"]
    lines += [f"{name}: {mask(name, value)}" for name, value in response.headers.multi_items()]
    _write("\n".join(lines) + "\n\n")


def shown_url(url: httpx.URL) -> str:
    """A URL as the CLI prints it: any ``user:password@`` masked (a proxy's credentials, a key as user name)."""
    return str(url.copy_with(username="****", password=None)) if url.userinfo else str(url)


def request_preview(request: httpx.Request) -> dict[str, Any]:
    """``--dry-run``: what would be sent, credentials masked."""
    return {
        "method": request.method,
        "url": shown_url(request.url),
        "headers": {name: mask(name, value) for name, value in request.headers.multi_items()},
        "body": body_value(request.content),
    }
