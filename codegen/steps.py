"""The command-line steps behind ``python -m codegen``; the Makefile targets call these."""

from __future__ import annotations

import argparse
import difflib
import filecmp
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import coverage, lock, pull, sugar, surface, unasync
from .apis import APIS, GENERATED_DIR, NORMALIZED_DIR, RAW_DIR, SPECS_DIR
from .diff import diff, render
from .normalize import FINDINGS, RULES, normalize_file, summarize

# Generated documents whose change an update shows (API.md is written by the resources emitter when it exists).
SHOWN_DOCUMENTS = ("API.md", "COVERAGE.md")

LOG_PATH = SPECS_DIR / "normalize.log"


def do_pull() -> None:
    paths = pull.pull(mirror=pull.mirror_from_env())
    for name, path in paths.items():
        print(f"pulled {name}: {path.relative_to(SPECS_DIR.parent)} (sha256 matches specs/lock.json)")


def do_normalize(quiet: bool = False, raw: Path = RAW_DIR, dest: Path = NORMALIZED_DIR) -> None:
    pull.ensure()
    log_lines: list[str] = []
    for api in APIS:
        changes = normalize_file(api.raw(raw), api.normalized(dest))
        counts = summarize(changes)
        log_lines.append(f"== {api.file}")
        log_lines += [f"{c.rule}\t{c.pointer}\t{c.detail}" for c in changes]
        if not quiet:
            print(f"normalize {api.file}: {len(changes)} change(s)")
            for r in [*RULES, *FINDINGS]:
                print(f"  {r.name:<28} {counts[r.name]:>6}  {r.why}")
        else:
            print(f"normalize {api.file}: " + ", ".join(f"{k}={v}" for k, v in counts.items() if v))
    LOG_PATH.write_text("\n".join(log_lines) + "\n")
    if not quiet:
        print(f"every change, with its JSON pointer: {LOG_PATH.relative_to(SPECS_DIR.parent)}")


def do_generate(dest: Path = GENERATED_DIR, quiet: bool = False, surface_path: Path = surface.SURFACE_PATH) -> int:
    """Normalize, generate into ``dest`` and write the surface snapshot to ``surface_path``."""
    from .generate import generate_all

    started = time.monotonic()
    do_normalize(quiet=True)
    surface.write(surface.build(), surface_path)
    results, rows = generate_all(dest)
    if dest == GENERATED_DIR:  # not for check's scratch generation: the twins are compared in place
        do_unasync(quiet)
    if not quiet:
        print((dest / "COVERAGE.md").read_text())
        for r in results:
            for w in r.warnings:
                print(f"  {r.api.name}: {w}")
        print(f"generated {len(results)} packages in {time.monotonic() - started:.1f}s")
    return 0 if all(r.complete for r in rows) else 1


def tree_differences(committed: Path, fresh: Path) -> list[str]:
    """How ``committed`` differs from a fresh generation, by content. Top-level files beside the packages are not
    codegen's business; anything extra inside a package (a hand-added module) is."""
    filecmp.clear_cache()  # dircmp compares size and mtime first; content is what counts here
    return [
        d
        for d in _tree_differences(committed, fresh)
        if not d.startswith("only in generated/") or d.split(": ", 1)[1].split("/")[0] in _tracked()
    ]


def _tree_differences(a: Path, b: Path) -> list[str]:
    diffs: list[str] = []

    def walk(cmp: filecmp.dircmp[str], rel: str) -> None:
        diffs.extend(f"only in generated/: {rel}{n}" for n in cmp.left_only)
        diffs.extend(f"missing from generated/: {rel}{n}" for n in cmp.right_only)
        diffs.extend(f"differs: {rel}{n}" for n in cmp.diff_files)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{rel}{name}/")

    walk(filecmp.dircmp(a, b, ignore=["__pycache__"]), "")
    return diffs


def do_unasync(quiet: bool = False) -> None:
    """Rewrite the sync twins of the async sugar (they need no spec, so this also runs on its own)."""
    for path in unasync.write_all():
        if not quiet:
            print(f"unasync: wrote {path.relative_to(SPECS_DIR.parent)}")


def do_check(skip_if_unavailable: bool) -> int:
    # The sync twins depend on the async sources only: checked even when the specs cannot be had.
    stale = unasync.differences()
    if stale:
        print("sync twins differ from their async sources (never edit them by hand; run `make generate`):")
        print("\n".join(f"  {d}" for d in stale))
        return 1
    try:
        pull.ensure()
    except (pull.SpecUnavailable, lock.SpecChanged) as exc:
        if skip_if_unavailable:
            reason = str(exc).splitlines()[0]
            print(
                f"SKIPPED check-generated: pinned specs unavailable; set CIO_SPEC_MIRROR to their directory ({reason})"
            )
            return 0
        raise
    with tempfile.TemporaryDirectory(prefix="aiocustomerio-check-") as tmp:
        fresh = Path(tmp) / "generated"
        status = do_generate(fresh, quiet=True, surface_path=Path(tmp) / "surface.json")
        differences = tree_differences(GENERATED_DIR, fresh)
        committed = surface.SURFACE_PATH.read_text() if surface.SURFACE_PATH.is_file() else ""
        if (Path(tmp) / "surface.json").read_text() != committed:
            differences.append(f"differs: {surface.SURFACE_PATH.relative_to(SPECS_DIR.parent)} (the surface snapshot)")
    if differences:
        print("generated/ differs from what codegen produces (never edit generated/ by hand; run `make generate`):")
        print("\n".join(f"  {d}" for d in differences[:50]))
        return 1
    print("check-generated: generated/ is exactly what codegen produces")
    return status


def _tracked() -> set[str]:
    return {api.package for api in APIS} | {"COVERAGE.md", "API.md"}


def do_update() -> int:
    """Adopt upstream specs: show what changes against the committed surface, refuse a change that breaks the sugar,
    then rewrite the lock, regenerate, and show the generated documents' differences. Works on a fresh clone."""
    mirror = pull.mirror_from_env()
    with tempfile.TemporaryDirectory(prefix="aiocustomerio-update-") as tmp:
        new_raw, new_normalized = Path(tmp) / "raw", Path(tmp) / "normalized"
        pull.pull(mirror=mirror, dest=new_raw, verify=False)
        for api in APIS:
            normalize_file(api.raw(new_raw), api.normalized(new_normalized))
        new_surface = surface.build(new_normalized)
        old_surface = surface.read()
        for api in APIS:
            if old_surface is None or api.name not in old_surface["apis"]:
                print(f"{api.file}: no {surface.SURFACE_PATH.name} entry to compare with (first adoption)")
                continue
            print(render(api.file, diff(old_surface["apis"][api.name], new_surface["apis"][api.name])), end="")
        broken = sugar.missing_routes(new_surface)
        if broken:
            print("error: the new specs drop routes the handwritten sugar calls; nothing was adopted:", file=sys.stderr)
            for line in broken:
                print(f"  {line}", file=sys.stderr)
            return 1
        RAW_DIR.mkdir(parents=True, exist_ok=True)
        hashes = {}
        for api in APIS:
            hashes[api.name] = lock.sha256(api.raw(new_raw).read_bytes())
            shutil.copyfile(api.raw(new_raw), api.raw())
        lock.write(hashes)
        print("specs/lock.json rewritten")
    before = {name: _read(GENERATED_DIR / name) for name in SHOWN_DOCUMENTS}
    status = do_generate(quiet=True)
    for name, old_text in before.items():
        new_text = _read(GENERATED_DIR / name)
        if old_text or new_text:
            print(_unified(f"generated/{name}", old_text, new_text), end="")
    if status:
        print("error: generation is incomplete (see generated/COVERAGE.md)", file=sys.stderr)
    return status


def _read(path: Path) -> str:
    return path.read_text() if path.is_file() else ""


def _unified(name: str, old: str, new: str) -> str:
    if old == new:
        return f"{name}: unchanged\n"
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), f"a/{name}", f"b/{name}", lineterm="")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    try:
        if args.step == "pull":
            do_pull()
        elif args.step == "normalize":
            do_normalize(quiet=args.quiet)
        elif args.step == "generate":
            return do_generate()
        elif args.step == "unasync":
            do_unasync()
        elif args.step == "check":
            return do_check(args.skip_if_unavailable)
        elif args.step == "coverage":
            print(coverage.to_markdown(coverage.report()))
        elif args.step == "diff":
            from .diff import diff_files

            print(diff_files(args.old, args.new))
        elif args.step == "update":
            return do_update()
    except (pull.SpecUnavailable, lock.SpecChanged) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
