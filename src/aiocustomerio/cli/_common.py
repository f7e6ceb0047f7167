"""What every command shares: credential and region flags, building the client, exit codes, messages."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Any, NoReturn

import httpx

from .._limits import Limits
from ..client import CustomerIO

OK = 0
API_ERROR = 1  # the API refused or could not be reached; also "items were not delivered" for ingest
USAGE = 2  # bad arguments, missing credentials, unreadable input: nothing was sent
SIGNAL_EXIT = {2: 130, 15: 143}  # SIGINT, SIGTERM: 128 + the signal number, as shells report it

PROG = "aiocustomerio"


def version() -> str:
    try:
        return metadata.version("aiocustomerio")
    except metadata.PackageNotFoundError:
        from .. import __version__

        return __version__


def say(text: str) -> None:
    """A message for the operator (stderr), never mixed into the data on stdout."""
    print(text, file=sys.stderr, flush=True)


def fail(text: str, code: int = USAGE) -> NoReturn:
    say(f"{PROG}: {text}")
    raise SystemExit(code)


def _duration(text: str, zero: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        least = "0 or more" if zero else "more than 0"
        raise argparse.ArgumentTypeError(f"{text!r}: give a finite number of seconds, {least}")
    return value


def seconds(text: str) -> float:
    """argparse type for a duration: a positive, finite number of seconds (argparse names the flag on error)."""
    return _duration(text, zero=False)


def seconds_or_zero(text: str) -> float:
    """argparse type for a duration where 0 means "at once" (``--drain-timeout``)."""
    return _duration(text, zero=True)


def shown(word: str) -> str:
    """A command-line word as the CLI may echo it: a flag without its `=value`, which may be a key."""
    if word.startswith("-") and "=" in word:
        return word.split("=", 1)[0] + "=..."
    return word


class Parser(argparse.ArgumentParser):
    """argparse that never echoes the words it did not understand: after a mistyped flag (`--app-apikey KEY`)
    comes a credential. Only the unknown flags' names are shown."""

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            flags = [shown(word) for word in extras if word.startswith("-")]
            hidden = len(extras) - len(flags)
            more = f" (and {hidden} other word{'s' if hidden != 1 else ''}, not shown)" if hidden else ""
            self.error(f"unrecognized arguments: {' '.join(flags) or '-'}{more}")
        return parsed


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    """The flags `ingest` and every operation command read credentials and region from (env vars as the façade)."""
    group = parser.add_argument_group("connection (flags override the environment)")
    group.add_argument("--region", choices=["us", "eu", "auto"], help="default: $CUSTOMERIO_REGION, else us")
    group.add_argument("--base-url", help="override the API's base URL (a proxy, a mock server)")
    group.add_argument("--site-id", help="Track site id (default: $CUSTOMERIO_SITE_ID)")
    group.add_argument("--api-key", help="Track API key (default: $CUSTOMERIO_TRACK_API_KEY)")
    group.add_argument("--app-api-key", help="App API key (default: $CUSTOMERIO_APP_API_KEY)")
    group.add_argument("--cdp-api-key", help="Pipelines API key (default: $CUSTOMERIO_CDP_API_KEY)")


def open_client(
    args: argparse.Namespace,
    api: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    region: str | None = None,
    limits: Limits | None = None,
) -> CustomerIO:
    """The library's own client (auth, region, rate limits, retries); refuses missing credentials before any work."""
    options: dict[str, Any] = {} if transport is None else {"transport": transport}
    if getattr(args, "timeout", None) is not None:
        options["timeout"] = args.timeout
    options[f"{api}_base_url"] = getattr(args, "base_url", None)
    if limits is not None:
        options["limits"] = limits
    cio = CustomerIO(
        site_id=args.site_id,
        track_api_key=args.api_key,
        app_api_key=getattr(args, "app_api_key", None),
        cdp_api_key=args.cdp_api_key,
        region=region if region is not None else args.region,
        **options,
    )
    cio.require_credentials(api)
    return cio
