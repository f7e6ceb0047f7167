"""`aiocustomerio <api> <tag> <operation> [PATH_PARAMS...] [--<param> VALUE ...] [--body JSON|@file|-]`.

One command per operation of the generated index, sent through the façade (``cio.<api>.<tag>.<operation>``), so
auth, region, rate limits, retries (unsafe operations are not resent), percent-encoding of path parameters and typed
errors are the library's. ``--dry-run`` sends through the same stack onto a transport that records the request and
never touches the network.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import httpx

from ..errors import APIStatusError, APITransportError, CustomerIOError, ResponseValidationError
from . import _output
from ._catalog import Command, Param, cli_name
from ._common import (
    API_ERROR,
    OK,
    PROG,
    USAGE,
    Parser,
    add_connection_args,
    count_or_zero,
    open_client,
    say,
    seconds,
)

_RESERVED = {"body", "all", "raw", "dry-run", "max-items", "help", "region", "base-url", "site-id", "api-key"}
_RESERVED |= {"app-api-key", "cdp-api-key", "no-strict", "timeout", "max-retries", "retry-unsafe"}


class _Captured(Exception):
    """Raised by the dry-run transport with the request the stack would have sent."""

    def __init__(self, request: httpx.Request) -> None:
        super().__init__("dry run")
        self.request = request


class CaptureTransport(httpx.AsyncBaseTransport):
    """Stands where the network would be: takes the fully built request (auth applied) and stops there."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        raise _Captured(request)


def flag(param: Param) -> str:
    name = cli_name(param.name)
    # A spec parameter named like one of the command's own options keeps a distinct flag.
    return f"--param-{name}" if name in _RESERVED else f"--{name}"


def _kind(param: Param) -> str:
    if param.choices:
        return "one of " + ", ".join(param.choices) + (" (repeatable)" if param.many else "")
    return param.type_name


def build_parser(api: str, tag: str, cmd: Command) -> argparse.ArgumentParser:
    info = cmd.info
    text = [cmd.summary or info.name, "", cmd.title]
    if cmd.description:
        text += ["", cmd.description]
    prog = f"{PROG} {api} {cli_name(tag)} {cli_name(info.name)}"
    positional = " ".join(p.name.upper() for p in cmd.path)
    body = "" if cmd.body is None else " --body JSON" if cmd.body == "required" else " [--body JSON]"
    parser = Parser(
        prog=prog,
        usage=f"{prog} {positional}{body} [options]".replace("  ", " "),
        description="\n".join(text),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for param in cmd.path:
        parser.add_argument(
            param.name,
            metavar=param.name.upper(),
            type=param.convert,
            help=f"{_kind(param)} path parameter" + (f": {param.help}" if param.help else ""),
        )
    if cmd.options:
        group = parser.add_argument_group("parameters (from the spec)")
        for param in cmd.options:
            names = [flag(param)]
            if "_" in param.name.rstrip("_") and not names[0].startswith("--param-"):
                names.append("--" + param.name.rstrip("_"))  # snake_case spelling too
            group.add_argument(
                *names,
                dest=f"p_{param.name}",
                type=param.convert,
                required=param.required,
                action="append" if param.many else "store",
                metavar=param.name.rstrip("_").upper(),
                help=_kind(param) + (f": {param.help}" if param.help else ""),
            )
    out = parser.add_argument_group("request and output")
    if cmd.body is not None:
        out.add_argument(
            "--body",
            required=cmd.body == "required",
            metavar="JSON|@FILE|-",
            help=f"the request body ({cmd.body}): inline JSON, @file.json, or - for stdin",
        )
    if cmd.info.items is not None:  # a listing: its operation has paginate()
        out.add_argument("--all", action="store_true", help="follow pagination; print every item as one NDJSON line")
        out.add_argument("--max-items", type=count_or_zero, help="with --all: stop after this many items")
    else:
        parser.set_defaults(all=False, max_items=None)
    out.add_argument("--raw", action="store_true", help="print the status line and headers before the body")
    out.add_argument("--dry-run", action="store_true", help="print the request (credentials masked); send nothing")
    out.add_argument("--timeout", type=seconds, help="seconds per request (default 30)")
    # The library's per-call options max_retries= and retry_unsafe=: the operator's opt-in, per command.
    retries = "retries after a failure (default 3; 0: send once)"
    if info.unsafe:
        retries += "; N > 0 also opts this operation in to them, as --retry-unsafe does"
    out.add_argument("--max-retries", type=count_or_zero, metavar="N", help=retries)
    if info.unsafe:
        out.add_argument(
            "--retry-unsafe",
            action="store_true",
            help="this operation could send a message or start a job twice, so it is resent only when the request "
            "certainly did not arrive (no connection, 429, 503 with Retry-After); this resends it after any "
            "retryable failure (a timeout, a reset, a 5xx) too",
        )
    else:
        parser.set_defaults(retry_unsafe=False)
    add_connection_args(parser)
    return parser


def read_body(value: str) -> Any:
    """``--body``: inline JSON, ``@path`` for a file, ``-`` for stdin. A usage error names what was wrong."""
    if value == "-":
        text, source = sys.stdin.read(), "stdin"
    elif value.startswith("@"):
        try:
            with open(value[1:], encoding="utf-8") as file:
                text, source = file.read(), value[1:]
        except OSError as exc:
            raise ValueError(f"--body {value}: cannot read the file: {exc.strerror or exc}") from None
    else:
        text, source = value, "--body"
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{source} is not valid JSON: {exc}") from None
    except RecursionError:
        raise ValueError(f"{source} is nested too deeply to read as JSON") from None


def run(api: str, tag: str, cmd: Command, argv: list[str]) -> int:
    args = build_parser(api, tag, cmd).parse_args(argv)
    try:
        return asyncio.run(_call(api, tag, cmd, args))
    except KeyboardInterrupt:
        say(f"{PROG}: interrupted")
        return 130


async def _call(api: str, tag: str, cmd: Command, args: argparse.Namespace) -> int:
    info = cmd.info
    try:
        kwargs: dict[str, Any] = {}
        for param in cmd.options:
            value = getattr(args, f"p_{param.name}")
            if value is not None:
                kwargs[info.keyword(param.name)] = value
        if getattr(args, "body", None) is not None:
            kwargs["body"] = read_body(args.body)
        if args.max_retries is not None:
            kwargs["max_retries"] = args.max_retries
        if args.retry_unsafe:
            kwargs["retry_unsafe"] = True
        if args.max_items is not None and not args.all:
            raise ValueError("--max-items needs --all")
        if args.all and args.raw:  # --raw was ignored: the NDJSON items came without any status or headers
            raise ValueError("--raw shows one answer's status and headers, --all every page's items: use one of them")
        region = None
        if args.dry_run and (args.region or "").lower() == "auto":
            say(f"{PROG}: --dry-run does not ask Customer.io for the region; showing the us host")
            region = "us"
        transport = CaptureTransport() if args.dry_run else None
        cio = open_client(args, api, transport=transport, region=region)
    except (ValueError, TypeError) as exc:
        say(f"{PROG}: {exc}")
        return USAGE
    path_values = [getattr(args, p.name) for p in cmd.path]
    try:
        async with cio:
            op = getattr(cio.apis()[api].tag(tag), info.name)
            if args.all:
                named = {info.keyword(n): v for n, v in zip(info.path_params, path_values, strict=True)}
                async for item in op.paginate(max_items=args.max_items, **named, **kwargs):
                    _output.dump_line(_output.plain(item))
                return OK
            response = await op.with_raw_response(*path_values, **kwargs)
    except _Captured as captured:
        _output.dump(_output.request_preview(captured.request))
        return OK
    except (APIStatusError, APITransportError, ResponseValidationError) as exc:
        say(f"{PROG}: {exc}")
        return API_ERROR
    except (ValueError, TypeError) as exc:  # bad input the façade refused before sending (CustomerIOError too)
        say(f"{PROG}: {exc}")
        return USAGE
    except CustomerIOError as exc:
        say(f"{PROG}: {exc}")
        return API_ERROR
    if args.raw:
        _output.response_head(response)
    _output.response_body(response)
    return OK
