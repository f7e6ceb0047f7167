from __future__ import annotations

import itertools
import os
import re
import time

import pytest

from aiocustomerio import _ids
from aiocustomerio._ids import new_ulid, ulid_timestamp_ms

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")


@pytest.fixture(autouse=True)
def _restore_generator_state(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests below move the clock around; the monotonic state must not leak into later IDs of the session.
    for name in ("_counter", "_state", "_pool", "_pool_at"):
        monkeypatch.setattr(_ids, name, getattr(_ids, name))


def decode(ulid: str) -> int:
    value = 0
    for char in ulid:
        value = value * 32 + CROCKFORD.index(char)
    return value


def test_shape_and_timestamp() -> None:
    before = time.time_ns() // 1_000_000
    ulid = new_ulid()
    after = time.time_ns() // 1_000_000
    assert ULID.match(ulid), ulid
    assert before <= ulid_timestamp_ms(ulid) <= after
    assert decode(ulid) >> 80 == ulid_timestamp_ms(ulid)
    assert decode(ulid) < 1 << 128


def test_unique_and_sorted_within_a_process() -> None:
    ids = [new_ulid() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_same_millisecond_counts_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ids, "_state", (-1, "", 0, 0, 0))
    monkeypatch.setattr(_ids, "_time_ns", lambda: 1_700_000_000_123_000_000)
    first, second, third = new_ulid(), new_ulid(), new_ulid()
    assert first[:10] == second[:10] == third[:10]
    assert ulid_timestamp_ms(first) == 1_700_000_000_123
    assert decode(second) == decode(first) + 1 and decode(third) == decode(first) + 2


def test_random_overflow_moves_to_next_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ids, "_time_ns", lambda: 1_700_000_000_123_000_000)
    # The last number of the last 1,024 of millisecond ...123: the random part is all ones.
    head = _ids._encode_time(1_700_000_000_123) + "Z" * 14
    monkeypatch.setattr(_ids, "_counter", itertools.count(1024))
    monkeypatch.setattr(_ids, "_state", (1_700_000_000_123, head, 0, 1024, (1 << 70) - 1))
    ulid = new_ulid()
    assert ulid_timestamp_ms(ulid) == 1_700_000_000_124


def test_clock_stepping_back_keeps_order(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([1_700_000_000_500_000_000, 1_700_000_000_100_000_000])
    monkeypatch.setattr(_ids, "_time_ns", lambda: next(clock))
    monkeypatch.setattr(_ids, "_state", (-1, "", 0, 0, 0))
    first, second = new_ulid(), new_ulid()
    assert second > first


def test_known_encoding() -> None:
    # Timestamp 1469918176385 ms encodes to "01ARYZ6S41" (the ULID spec's example).
    assert _ids._encode_time(1469918176385) == "01ARYZ6S41"
    assert _ids._encode_random(0) == "0" * 16
    assert _ids._encode_random((1 << 80) - 1) == "Z" * 16


def test_timestamp_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="26"):
        ulid_timestamp_ms("short")
    with pytest.raises(ValueError, match="invalid ULID character"):
        ulid_timestamp_ms("U" * 26)


def test_ids_within_one_millisecond_count_up_across_the_cached_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ids, "_state", (-1, "", 0, 0, 0))  # earlier IDs in this process carry a later, real clock
    monkeypatch.setattr(_ids, "_time_ns", lambda: 1_700_000_000_123_000_000)
    # 3000 IDs cross several 1024-ID boundaries, where the cached 24-character head changes.
    values = [decode(_ids.new_ulid()) for _ in range(3000)]
    assert all(b - a == 1 for a, b in itertools.pairwise(values))
    assert {v >> 80 for v in values} == {1_700_000_000_123}


@pytest.mark.parametrize("gil", [True, False], ids=["lock-free path", "locked path (free-threaded builds)"])
def test_ids_from_many_threads_are_unique_and_each_thread_sorted(monkeypatch: pytest.MonkeyPatch, gil: bool) -> None:
    import sys
    import threading

    monkeypatch.setattr(_ids, "_GIL", gil)
    # Switch threads as often as possible, so a thread is often interrupted between drawing its number and reading
    # the state (the race the lock-free path must survive).
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    results: list[list[str]] = [[] for _ in range(8)]
    try:

        def make(out: list[str]) -> None:
            for _ in range(5000):
                out.append(new_ulid())

        threads = [threading.Thread(target=make, args=(out,)) for out in results]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    every = [ulid for out in results for ulid in out]
    assert len(set(every)) == len(every) == 40_000
    assert all(out == sorted(out) for out in results)
    assert all(ULID.match(ulid) for ulid in every)


def test_stamp_dedup_copies_what_it_changes_and_keeps_given_ids() -> None:
    from aiocustomerio._ids import DedupRule, stamp_dedup

    rule = DedupRule(("batch", "*"), "id", "action", frozenset({"identify"}))
    body = {"batch": [{"action": "event"}, {"action": "identify"}, {"action": "event", "id": "mine"}], "x": 1}
    before = {"batch": [dict(e) for e in body["batch"]], "x": 1}
    stamped = stamp_dedup(body, (rule,))
    assert body == before, "the caller's body is not changed"
    assert len(stamped["batch"][0]["id"]) == 26 and "id" not in stamped["batch"][1]
    assert stamped["batch"][2] is body["batch"][2] and stamped["x"] == 1
    untouched = {"batch": [{"action": "identify"}]}
    assert stamp_dedup(untouched, (rule,)) is untouched
    # Shapes the rule does not describe (a list where an object was expected, an unhashable kind) pass through.
    assert stamp_dedup({"batch": {"action": "event"}}, (rule,)) == {"batch": {"action": "event"}}
    assert "id" in stamp_dedup({"batch": [{"action": ["x"]}]}, (rule,))["batch"][0]


def test_each_millisecond_draws_fresh_randomness_from_a_pool_the_os_fills(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ids, "_pool", b"")  # nor draws left from earlier tests
    draws: list[int] = []
    real = os.urandom
    monkeypatch.setattr(_ids.os, "urandom", lambda n: draws.append(n) or real(n))
    clock = itertools.count(1_700_000_000_000)
    monkeypatch.setattr(_ids, "_time_ns", lambda: next(clock) * 1_000_000)
    # No id made yet: after an earlier test's (at the real time, later than this clock) the ids would keep that
    # millisecond (monotonic) and draw nothing.
    monkeypatch.setattr(_ids, "_state", (-1, "", 0, 0, 0))
    ids = [new_ulid() for _ in range(3 * _ids._POOL_DRAWS)]  # one millisecond each
    assert len({ulid[10:] for ulid in ids}) == len(ids)  # no random part twice
    assert draws == [10 * _ids._POOL_DRAWS] * 3  # one system call per 256 milliseconds, not one per millisecond


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_does_not_draw_the_parents_random_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    new_ulid()  # the pool is filled before the fork
    monkeypatch.setattr(_ids, "_time_ns", lambda: 1_800_000_000_000_000_000)  # both draw for the same millisecond
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report one id and leave without running pytest's teardown
        os.write(write, new_ulid().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    parent = new_ulid()
    assert len(child) == 26 and child[:10] == parent[:10]  # the same millisecond...
    assert child[10:] != parent[10:]  # ...but not the same random part, so never the same id
