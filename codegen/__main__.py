"""``python -m codegen <step>``: pull, normalize, generate, check, coverage, diff, update."""

from __future__ import annotations

import argparse
import sys

from . import steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    sub = parser.add_subparsers(dest="step", required=True)
    sub.add_parser("pull", help="fetch the specs into specs/raw/ and check them against specs/lock.json")
    norm = sub.add_parser("normalize", help="apply the normalization rules: specs/raw/ → specs/normalized/")
    norm.add_argument("--quiet", action="store_true", help="print only the rule totals")
    sub.add_parser("generate", help="pull, normalize and run openapi-python-client into generated/")
    sub.add_parser("unasync", help="rewrite the sync twins of the async sugar (also part of generate)")
    check = sub.add_parser("check", help="regenerate into a temporary directory and fail on any difference")
    check.add_argument(
        "--skip-if-unavailable", action="store_true", help="skip with a notice when the pinned specs cannot be had"
    )
    sub.add_parser("coverage", help="print the coverage table of generated/ against the specs")
    diff = sub.add_parser("diff", help="print what changed between two versions of a spec")
    diff.add_argument("old")
    diff.add_argument("new")
    sub.add_parser("update", help="adopt upstream spec changes: pull, diff, rewrite the lock, regenerate")
    args = parser.parse_args(argv)
    return steps.run(args)


if __name__ == "__main__":
    sys.exit(main())
