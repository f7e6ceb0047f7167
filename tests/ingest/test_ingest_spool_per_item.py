"""The spool's per-item bookkeeping. The spooled per-item path (`Engine._offer`) inlines `Writer.journal_one` and
`Journal.append`: both must write the same frames, stage the same rows and ask for the same pauses, or a kill would
replay something else than was put. Settlements are counted by seq range (`Spool.settle`)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from aiocustomerio.ingest import Ingestor, _journal
from aiocustomerio.ingest._engine import PAUSE

# Enough bytes to cross JOURNAL_COMMIT_BYTES (a pause) several times and to make the active file grow past its
# first size (JOURNAL_FILE_BYTES), before any commit takes them.
COUNT = 7000


def _rows() -> list[tuple[int, bytes, int]]:
    return [
        (
            seq,
            b'{"type":"event","name":"e","identifiers":{"id":"u%d"},"pad":"%s"}' % (seq, b"x" * (seq % 500)),
            seq * 7919,
        )
        for seq in range(1, COUNT + 1)
    ]


def _state(ing: Ingestor) -> tuple[list[tuple[int, bytes, int]], int, int, int]:
    """The frames the active journal file holds (checksums verified), its end, and what the writer staged."""
    writer = ing._writer
    assert writer is not None
    journal = writer._journal
    assert journal is not None
    name = _journal.journal_files(journal.path)[journal._active]
    with open(name, "rb") as file:
        data = file.read()
    frames = list(_journal._parse(name, data, journal._gen, owner=True))
    assert writer._inserts == frames  # staged: exactly what is in the journal, in order
    return frames, journal.end, writer._journaled, len(writer._inserts)


@pytest.mark.asyncio
async def test_the_inlined_per_item_path_writes_what_journal_one_writes(tmp_path: Path) -> None:
    rows = _rows()
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200)), base_url="http://x")
    fast = Ingestor(http, spool=str(tmp_path / "fast.db"), max_queue=COUNT + 1)
    slow = Ingestor(http, spool=str(tmp_path / "slow.db"), max_queue=COUNT + 1)
    await fast.start()
    await slow.start()
    try:
        assert fast._writer is not None and slow._writer is not None
        # No await between the calls: the commit loop cannot take the rows before they are compared.
        fast_pauses = [index for index, (_, data, person) in enumerate(rows) if fast._offer(data, person) is PAUSE]
        slow_pauses = [index for index, row in enumerate(rows) if slow._writer.journal_one(row)]
        assert fast_pauses and fast_pauses == slow_pauses
        fast_state, slow_state = _state(fast), _state(slow)
        assert fast_state == slow_state
        frames, end, journaled, staged = fast_state
        assert frames == rows and journaled == staged == COUNT
        assert end > _journal.JOURNAL_FILE_BYTES  # the file grew on both paths
        assert fast._seq == COUNT and fast.report.accepted == COUNT
    finally:
        slow._seq = COUNT  # what journal_one was given, so that closing commits and delivers them alike
        slow._room.used += COUNT
        slow.report.accepted += COUNT
        await fast.close()
        await slow.close()
        await http.aclose()
    assert fast.report.delivered == slow.report.delivered == COUNT


@pytest.mark.asyncio
async def test_settling_counts_each_chunk_s_share_of_a_batch(tmp_path: Path) -> None:
    """Settlements are counted per chunk by seq range (no per-item record): a batch's seqs, in any order and across
    chunks, each settle one item of the chunk it falls in, and a chunk goes (the trim passes it) only once it and every
    older one are settled."""
    from aiocustomerio.ingest._spool import Spool

    spool = Spool(str(tmp_path / "s.db"), "track", lambda rows, journaled: None, lambda rows: None)
    await spool.open()
    try:
        rows = [(seq, b"{}", 0) for seq in (1, 2, 3, 4, 5, 7, 8)]  # 6 was refused: a gap inside the first commit
        spool._committed(rows, {}, 0)
        spool._committed([(seq, b"{}", 0) for seq in range(9, 13)], {}, 0)
        first, second = spool._live
        assert (first.first, first.last, first.left) == (1, 8, 7)
        assert (second.first, second.last, second.left) == (9, 12, 4)
        spool.settle([10, 2, 8, 12])  # unordered, across both chunks
        assert (first.left, second.left) == (5, 2)
        spool.settle([9, 11])  # the newer chunk is settled, the older is not: nothing may go yet
        assert second.left == 0 and len(spool._live) == 2 and spool._writer._trim <= 1
        spool.settle([1, 3, 4, 5, 7])
        assert not spool._live and spool._writer._trim == 13  # both go, in order
    finally:
        await spool.close()
