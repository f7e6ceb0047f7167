"""What every command shares: credential and region flags, building the client, exit codes, messages."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Any, NoReturn

import httpx

from .._config import ENV_VARS, Credentials, credential_forms, resolve_region
from .._limits import Limits
from .._transport._rules import CLI
from ..client import CustomerIO, check_base_url
from ..errors import MissingCredentialsError
from . import _output

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
    print(_output.clean(text), file=sys.stderr, flush=True)


def fail(text: str, code: int = USAGE) -> NoReturn:
    say(f"{PROG}: {text}")
    raise SystemExit(code)


# argparse types: a bad value is refused by argparse, which names the flag ("argument --rate: ..."), before the
# library could name it as its own argument (max_queue, a Rate(...)).


def _number(text: str, zero: bool, unit: str = "seconds") -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of {unit}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        least = "0 or more" if zero else "more than 0"
        raise argparse.ArgumentTypeError(f"{text!r}: give a finite number of {unit}, {least}")
    return value


def seconds(text: str) -> float:
    """argparse type for a duration: a positive, finite number of seconds (argparse names the flag on error)."""
    return _number(text, zero=False)


def seconds_or_zero(text: str) -> float:
    """argparse type for a duration where 0 means "at once" (``--drain-timeout``)."""
    return _number(text, zero=True)


def per_second(text: str) -> float:
    """argparse type for a rate (``--rate``): a positive, finite number of requests per second."""
    return _number(text, zero=False, unit="requests per second")


def _whole(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = least - 1
    if value < least:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number, {least} or more")
    return value


def count(text: str) -> int:
    """argparse type for a size or a number of things (``--workers``, ``--max-queue``): a whole number >= 1."""
    return _whole(text, 1)


def count_or_zero(text: str) -> int:
    """argparse type for a bound where 0 is meaningful (``--max-items 0``: none)."""
    return _whole(text, 0)


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
    # Case-insensitive, as CUSTOMERIO_REGION and CustomerIO(region=...) are: --region EU is eu.
    group.add_argument(
        "--region", type=_region, choices=["us", "eu", "auto"], help="default: $CUSTOMERIO_REGION, else us"
    )
    group.add_argument("--base-url", help="override the API's base URL (a proxy, a mock server)")
    group.add_argument("--site-id", help="Track site id (default: $CUSTOMERIO_SITE_ID)")
    group.add_argument("--api-key", help="Track API key (default: $CUSTOMERIO_TRACK_API_KEY, else $CUSTOMERIO_API_KEY)")
    group.add_argument("--app-api-key", help="App API key (default: $CUSTOMERIO_APP_API_KEY)")
    group.add_argument("--cdp-api-key", help="Pipelines API key (default: $CUSTOMERIO_CDP_API_KEY)")
    group.add_argument(
        "--no-strict",
        action="store_true",
        help="Pipelines only: send without X-Strict-Mode: 1 (CustomerIO(pipelines_strict=False)), the API's permissive "
        "mode, where a message it rejects is answered 200 and dropped, and nothing reports it",
    )


def _region(text: str) -> str:
    return text.strip().lower()


# The CLI's own names for the credentials (Credentials fields), for messages that say how to give one.
CREDENTIAL_FLAGS = {
    "site_id": "--site-id",
    "track_api_key": "--api-key",
    "app_api_key": "--app-api-key",
    "cdp_api_key": "--cdp-api-key",
}
_API_TITLES = {"track": "Track", "app": "App", "pipelines": "Pipelines"}


def _how_to_give(missing: tuple[str, ...]) -> str:
    flags = " and ".join(CREDENTIAL_FLAGS[name] for name in missing)
    variables = " and ".join(ENV_VARS[name][0] for name in missing)
    also = " (CUSTOMERIO_API_KEY is also read for --api-key)" if "track_api_key" in missing else ""
    return f"pass {flags} or set {variables}{also}"


def missing_credentials(api: str, exc: MissingCredentialsError) -> MissingCredentialsError:
    """The library's MissingCredentialsError told in the CLI's words: its flags, not CustomerIO's arguments."""
    needs = " and ".join(CREDENTIAL_FLAGS[name] for name in exc.needs)
    lacking = ", ".join(CREDENTIAL_FLAGS[name] for name in exc.missing)
    if set(exc.missing) != set(exc.needs):
        needs += f" (missing: {lacking})"
    message = f"the {_API_TITLES[api]} API needs {needs}: {_how_to_give(exc.missing)}"
    return MissingCredentialsError(message, needs=exc.needs, missing=exc.missing)


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
    base_url = getattr(args, "base_url", None)
    if base_url is not None:
        check_base_url("--base-url", api, base_url, proxy_fix="")  # named as the flag, not as CustomerIO's argument
    options[f"{api}_base_url"] = base_url
    if limits is not None:
        options["limits"] = limits
    credentials = {
        "site_id": args.site_id,
        "track_api_key": args.api_key,
        "app_api_key": getattr(args, "app_api_key", None),
        "cdp_api_key": args.cdp_api_key,
    }
    if getattr(args, "no_strict", False):
        if api != "pipelines":
            title = _API_TITLES[api]
            raise ValueError(f"--no-strict turns off the Pipelines API's strict mode; the {title} API has none")
        options["pipelines_strict"] = False
    cio = CustomerIO(**credentials, region=region if region is not None else args.region, **options)
    cio._client_name = CLI  # a redirect's fix is named as --region / --base-url, not as CustomerIO's arguments
    _output.hide(credential_forms(Credentials.from_env(**credentials)))
    try:
        cio.require_credentials(api)
    except MissingCredentialsError as exc:
        raise missing_credentials(api, exc) from None
    if base_url is None and api != "track" and resolve_region(region if region is not None else args.region) == "auto":
        # The region lookup asks Track with its credentials: say so now, in flags, rather than at the first call.
        try:
            cio.require_credentials("track")
        except MissingCredentialsError as exc:
            raise MissingCredentialsError(
                "--region auto (or CUSTOMERIO_REGION=auto) asks Customer.io for the workspace's region with the Track "
                f"credentials: {_how_to_give(exc.missing)}, or pass --region us or --region eu",
                needs=exc.needs,
                missing=exc.missing,
            ) from None
    return cio
