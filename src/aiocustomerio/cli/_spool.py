"""`aiocustomerio spool inspect|dead-letters|requeue|repair SPOOL...`: what a backfill's spool holds, and mending it.

- ``inspect``: counts (pending items, dead letters by reason), a sample of dead letters, the checkpoints (where a
  backfill of which file stopped) and who holds the spool now. Read-only and lock-free: safe during a run.
- ``dead-letters``: every dead letter as one NDJSON line ``{"reason": ..., "item": ...}`` on stdout (for ``jq``).
- ``requeue``: move the dead letters back among the pending items, so the next run sends them again (the same as
  ``aiocustomerio ingest ... --retry-failed``, without running).
- ``repair``: take out the chunks a run reported damaged (they block everything after them): each one's raw body is
  kept in a file beside the spool, its readable items become dead letters (look, then ``requeue``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sqlite3
import sys
from typing import Any

from ..ingest import SpoolLocked, inspect_spool, iter_dead_letters, repair_spool, requeue_dead_letters
from . import _output
from ._common import OK, PROG, USAGE, Parser, count_or_zero, say
from ._source import Mark


def _checkpoint(key: str, value: str) -> str:
    source = key.removeprefix("cli.input:")
    try:
        mark = Mark.loads(value)
    except (ValueError, TypeError):
        return f"{key}: {value[:120]}"
    span = f"bytes {mark.start}..{'end' if mark.end is None else mark.end}"
    return f"{source} ({span}): read up to line {mark.line} (byte {mark.offset})"


def inspect(paths: list[str], sample: int, as_json: bool) -> int:
    for path in paths:
        state = inspect_spool(path, sample=sample)
        if as_json:
            _output.dump_line(
                {
                    "path": state.path,
                    "api": state.api,
                    "pending": state.pending,
                    "dead_letters": state.dead_letters,
                    "reasons": state.reasons,
                    "sample": [{"reason": reason, "item": item} for item, reason in state.sample],
                    "checkpoints": state.checkpoints,
                    "holder": state.holder,
                }
            )
            continue
        out = sys.stdout
        out.write(f"spool {state.path} ({state.api or 'api unknown'})\n")
        out.write(f"  pending: {state.pending:,} items (the next run sends them)\n")
        out.write(f"  dead letters: {state.dead_letters:,}")
        out.write(
            " (`aiocustomerio ingest ... --retry-failed` or `spool requeue` sends them again)\n"
            if state.dead_letters
            else "\n"
        )
        for reason, count in state.reasons.items():
            out.write(f"    {count:,} × {reason}\n")
        if state.sample:
            out.write(f"  sample of dead letters ({len(state.sample)}):\n")
            for item, reason in state.sample:
                out.write(f"    {reason}: {json.dumps(item)[:160]}\n")
        for key, value in state.checkpoints.items():
            out.write(f"  checkpoint: {_checkpoint(key, value)}\n")
        out.write(f"  in use by: {state.holder}\n" if state.holder else "  not in use\n")
    return OK


def dead_letters(paths: list[str]) -> int:
    for path in paths:
        for item, reason in iter_dead_letters(path):
            _output.dump_line({"reason": reason, "item": item})
    return OK


def requeue(paths: list[str]) -> int:
    for path in paths:
        moved = requeue_dead_letters(path)
        say(f"{path}: {moved:,} dead letters moved back to pending; the next run of the backfill sends them")
    return OK


def repair(paths: list[str]) -> int:
    for path in paths:
        report = repair_spool(path)
        if not report.damaged:
            say(f"{path}: {report.chunks_checked:,} chunks read whole, none damaged; nothing to repair")
            continue
        for chunk in report.damaged:
            unparsable = ""
            if chunk.unparsable:
                unparsable = f"; {chunk.unparsable:,} lines that are not JSON objects are only in that file"
            say(
                f"{path}: chunk {chunk.first} ({chunk.announced:,} items announced) taken out, its raw body kept in"
                f" {chunk.kept_in}; {chunk.salvaged:,} readable items are now dead letters{unparsable}"
            )
        say(
            f"{path}: check them with `{PROG} spool dead-letters {shlex.quote(path)}`, then `{PROG} spool requeue"
            f" {shlex.quote(path)}` sends them with the next run; the rest of the spool is delivered by the next run"
        )
    return OK


def parser() -> argparse.ArgumentParser:
    root = Parser(prog=f"{PROG} spool", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = root.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = commands.add_parser("inspect", help="counts, dead-letter reasons and a sample, checkpoints, holder")
    show.add_argument("spools", nargs="+", metavar="SPOOL")
    # >= 0: SQLite would read -1 as "no limit" and print every dead letter.
    show.add_argument("--sample", type=count_or_zero, default=5, help="dead letters to show (default 5)")
    show.add_argument("--json", action="store_true", help="one JSON object per spool")
    dump = commands.add_parser("dead-letters", help="every dead letter as NDJSON on stdout")
    dump.add_argument("spools", nargs="+", metavar="SPOOL")
    again = commands.add_parser("requeue", help="move dead letters back to pending for the next run")
    again.add_argument("spools", nargs="+", metavar="SPOOL")
    fix = commands.add_parser(
        "repair", help="take damaged chunks out: raw body to a file, readable items to dead letters"
    )
    fix.add_argument("spools", nargs="+", metavar="SPOOL")
    return root


def main(argv: list[str]) -> int:
    args: Any = parser().parse_args(argv)
    try:
        if args.action == "inspect":
            return inspect(args.spools, args.sample, args.json)
        if args.action == "dead-letters":
            return dead_letters(args.spools)
        if args.action == "repair":
            return repair(args.spools)
        return requeue(args.spools)
    except (FileNotFoundError, SpoolLocked) as exc:
        say(f"{PROG}: {exc}")
        return USAGE
    except (OSError, sqlite3.Error) as exc:  # a file that is not a spool, unreadable, ...
        say(f"{PROG}: cannot read {', '.join(args.spools)} as a spool: {exc}")
        return USAGE
