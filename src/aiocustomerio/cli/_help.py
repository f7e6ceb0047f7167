"""The help pages above one operation: the APIs, an API's tags, a tag's operations (from the generated index)."""

from __future__ import annotations

import difflib

from ._catalog import APIS, cli_name, index, summary, tag_summaries
from ._common import PROG, shown

COMMANDS = {
    "ingest": "backfill a JSON Lines file through the batch APIs (spooled and resumable)",
    "spool": "inspect a backfill's spool (pending, dead letters, checkpoints), dump or requeue its dead letters",
}


def _table(rows: list[tuple[str, str]], indent: str = "  ") -> list[str]:
    width = max((len(name) for name, _ in rows), default=0)
    return [f"{indent}{name:<{width}}  {text}".rstrip() for name, text in rows]


def root() -> str:
    lines = [
        f"usage: {PROG} [--version] COMMAND ...",
        f"       {PROG} API TAG OPERATION [PATH_PARAMS...] [--PARAM VALUE ...] [--body JSON|@FILE|-]",
        "",
        "Customer.io from the shell: every operation of the Track, App and Pipelines APIs, and bulk ingestion.",
        "",
        "commands:",
        *_table(list(COMMANDS.items())),
        "",
        "APIs (one command per operation of their specs):",
    ]
    rows = []
    for api, text in APIS.items():
        ops = sum(len(tag) for tag in index(api).values())
        rows.append((api, f"{text}; {ops} operations"))
    lines += _table(rows)
    lines += [
        "",
        f"`{PROG} API --help` lists an API's tags, `{PROG} API TAG --help` their operations, and",
        f"`{PROG} API TAG OPERATION --help` an operation's parameters. Names take snake_case or kebab-case.",
        "Credentials come from flags or CUSTOMERIO_SITE_ID, CUSTOMERIO_TRACK_API_KEY (or CUSTOMERIO_API_KEY),",
        "CUSTOMERIO_APP_API_KEY, CUSTOMERIO_CDP_API_KEY; the region from --region or CUSTOMERIO_REGION.",
        "Exit status: 0 success, 1 API error, 2 usage error (nothing sent), 130/143 interrupted.",
    ]
    return "\n".join(lines)


def api_page(api: str) -> str:
    tags = index(api)
    summaries = tag_summaries(api)
    rows = []
    for tag, ops in sorted(tags.items()):
        count = f"{len(ops)} operation{'s' if len(ops) != 1 else ''}"
        rows.append((cli_name(tag), f"{summaries[tag]} ({count})" if summaries.get(tag) else count))
    return "\n".join(
        [
            f"usage: {PROG} {api} TAG OPERATION [ARGS...]",
            "",
            APIS[api],
            "",
            "tags:",
            *_table(rows),
            "",
            f"`{PROG} {api} TAG --help` lists a tag's operations with their summaries.",
        ]
    )


def tag_page(api: str, tag: str) -> str:
    ops = index(api)[tag]
    rows = [(cli_name(name), f"{summary(info)}  [{info.method} {info.path}]") for name, info in sorted(ops.items())]
    return "\n".join(
        [
            f"usage: {PROG} {api} {cli_name(tag)} OPERATION [PATH_PARAMS...] [--PARAM VALUE ...]",
            "",
            "operations:",
            *_table(rows),
            "",
            f"`{PROG} {api} {cli_name(tag)} OPERATION --help` shows an operation's parameters.",
        ]
    )


def unknown(kind: str, given: str, known: list[str], where: str) -> str:
    if given.startswith("-"):
        # A flag where a name belongs (it may carry a key: never echo its value).
        article = "an" if kind[0] in "aeiou" else "a"
        return f"{where}: expected {article} {kind} name, not the flag {shown(given)!r} (flags go after the operation)"
    names = [cli_name(name) for name in known]
    close = difflib.get_close_matches(given, names, n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else f"; {kind}s: {', '.join(sorted(names))}"
    return f"{where} has no {kind} {given!r}{hint}"
