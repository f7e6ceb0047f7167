"""The ingestor's report: exact counts, and a bounded sample of what failed.

Counts are exact whatever the volume; the items themselves are kept only as a sample (the first `SAMPLE_LIMIT`
failures), since a backfill with a bad field can fail millions of items. With a spool, every failed item is kept in
its dead-letter table instead (see `inspect_spool`, `requeue_dead_letters`); without one, `on_error` sees each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._types import JSONDict

SAMPLE_LIMIT = 1000


@dataclass
class IngestReport:
    """Outcome of an ingestor's life; `accepted == delivered + failed_count + len(pending)` once it is closed.

    - `failed`: a sample (the first 1,000) of `(item, reason)` for items the API refused for good;
      `failed_count` counts them all. With a spool they are all in its dead-letter table.
    - `pending`: items accepted and not settled when `close()` returned (deadline, or delivery halted). With a spool
      they are also in the spool, and the next run delivers them.
    - `retried` counts item re-sends (one item sent three times adds two), so it is not part of that sum.
    - `recovered` counts items taken over from a spool left by an earlier run; they are included in `accepted`.
    - `halted`: why delivery stopped early (see `IngestorHalted`); its items are in `pending`.
    - `errors`: problems with the spool (a commit that failed after retries, recovery that failed); any makes the
      report not ok.
    - `spooled` / `dead_letters`: rows in the spool's item and dead-letter tables when it was closed (None without
      a spool, or when the spool could not be read).
    """

    accepted: int = 0
    delivered: int = 0
    failed_count: int = 0
    retried: int = 0
    recovered: int = 0
    failed: list[tuple[JSONDict, str]] = field(default_factory=list)
    pending: list[JSONDict] = field(default_factory=list)
    halted: str | None = None
    errors: list[str] = field(default_factory=list)
    spooled: int | None = None
    dead_letters: int | None = None

    @property
    def ok(self) -> bool:
        return not self.failed_count and not self.pending and self.halted is None and not self.errors

    def add_failure(self, item: JSONDict, reason: str) -> None:
        self.failed_count += 1
        if len(self.failed) < SAMPLE_LIMIT:
            self.failed.append((item, reason))

    def summary(self) -> str:
        text = (
            f"accepted={self.accepted} delivered={self.delivered} failed={self.failed_count} "
            f"pending={len(self.pending)} retried={self.retried}"
        )
        if self.spooled is not None:
            text += f" spooled={self.spooled} dead_letters={self.dead_letters}"
        if self.halted:
            text += f" halted: {self.halted}"
        for error in self.errors:
            text += f" error: {error}"
        return text
