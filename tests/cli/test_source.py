"""The backfill input: byte ranges aligned to lines, checkpoints that detect a changed file, derived dedup ids."""

from __future__ import annotations

import hashlib
import itertools
import os
import random
from pathlib import Path

import pytest

from aiocustomerio._ids import derived_ulid, ulid_timestamp_ms
from aiocustomerio.cli._source import InputChanged, Reader, split


@pytest.mark.parametrize("parts", [1, 2, 3, 7, 50])
def test_ranges_start_at_line_starts_and_cover_the_file_exactly(tmp_path: Path, parts: int) -> None:
    rng = random.Random(parts)
    data = b"".join(b"x" * rng.randrange(0, 300) + b"\n" for _ in range(20)) + b"tail without newline"
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    ranges = split(str(path), parts)
    assert len(ranges) == parts and ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    lines: list[bytes] = []
    for start, end in ranges:
        assert start == 0 or start == len(data) or data[start - 1 : start] == b"\n"
        reader = Reader(str(path), "track", start, end)
        lines += [raw for _, _, raw in reader.lines()]
    assert b"".join(lines) == data and len(lines) == data.count(b"\n") + 1


def test_a_checkpoint_refuses_a_file_whose_read_bytes_changed(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": 3}\n')
    reader = Reader(str(path), "track")
    chunk = reader.chunk()
    chunk.raws = [raw for _, _, raw in reader.lines()]
    mark = reader.mark(chunk, 2)
    assert (mark.offset, mark.line) == (18, 2)
    Reader(str(path), "track").resume(mark)  # unchanged: fine
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": 3}\n{"a": 4}\n')  # appended after the checkpoint: fine
    Reader(str(path), "track").resume(mark)
    path.write_bytes(b'{"a": 9}\n{"a": 2}\n{"a": 3}\n')  # same size, a byte before the checkpoint differs
    with pytest.raises(InputChanged, match="not the same any more"):
        Reader(str(path), "track").resume(mark)
    path.write_bytes(b'{"a": 1}\n')
    with pytest.raises(InputChanged, match="9 bytes, but 18 had been read"):
        Reader(str(path), "track").resume(mark)


def test_derived_ids_are_ulids_fixed_by_their_inputs() -> None:
    one = derived_ulid(1_700_000_000_000, b"job:0:line")
    assert one == derived_ulid(1_700_000_000_000, b"job:0:line") and len(one) == 26
    assert ulid_timestamp_ms(one) == 1_700_000_000_000
    assert one != derived_ulid(1_700_000_000_000, b"job:0:linf") != derived_ulid(1_700_000_000_001, b"job:0:line")
    with pytest.raises(ValueError):
        derived_ulid(-1, b"x")


def test_stamping_follows_the_dedup_rule_of_each_api(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"")
    track, pipelines = Reader(str(path), "track"), Reader(str(path), "pipelines")
    through = hashlib.sha256(b"raw")
    event = track.stamp({"action": "event", "name": "e"}, 0, through)
    assert len(event["id"]) == 26
    assert "id" not in track.stamp({"action": "identify"}, 0, through)  # not an event: nothing to dedupe
    assert track.stamp({"action": "event", "id": "mine"}, 0, through)["id"] == "mine"
    assert len(pipelines.stamp({"type": "identify"}, 5, through)["messageId"]) == 26
    assert pipelines.stamp({"type": "track"}, 5, through) == pipelines.stamp({"type": "track"}, 5, through)
    assert pipelines.stamp({"type": "track"}, 5, through) != pipelines.stamp({"type": "track"}, 6, through)
    other = hashlib.sha256(b"other")  # the same offset after other bytes: another file, another id
    assert pipelines.stamp({"type": "track"}, 5, through) != pipelines.stamp({"type": "track"}, 5, other)


def test_the_time_part_of_derived_ids_is_the_files_mtime_clamped_into_ulid_range(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"")
    for mtime_ns, expected in [(1_700_000_000_123_456_789, 1_700_000_000_123), (-5_000_000_000, 0)]:
        os.utime(path, ns=(mtime_ns, mtime_ns))
        stamped = Reader(str(path), "pipelines").stamp({"type": "track"}, 0, hashlib.sha256())
        assert ulid_timestamp_ms(stamped["messageId"]) == expected


def test_a_checkpoint_of_another_format_is_refused_with_the_fix() -> None:
    from aiocustomerio.cli._source import Mark

    for text in ["1100:52", "{}", '{"v": 99}', "null"]:
        with pytest.raises(InputChanged, match="another version"):
            Mark.loads(text)
