"""What the CLI writes to stderr (messages, the progress display's lines, the library's log records routed through
it) leaves the client's credentials out, as its stdout does: a server or a gateway quoting a key back in an error
text or a retry warning must not put it on the operator's terminal or in a CI log."""

from __future__ import annotations

import logging

import pytest

from aiocustomerio.cli import _output
from aiocustomerio.cli._common import say
from aiocustomerio.cli._progress import JsonProgress, Progress, ProgressLogHandler

KEY = "s3cr3t-track-key"
BASIC = "c2l0ZTpzM2NyM3QtdHJhY2sta2V5"  # base64 of site:KEY, as an Authorization header carries it


def test_everything_written_to_stderr_leaves_the_credentials_out(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_output, "_hidden", ())
    _output.hide((KEY, BASIC))
    say(f"aiocustomerio: HTTP 401: the key {KEY} is not valid")
    Progress(enabled=False).write(f"WARNING aiocustomerio.ingest: retried: server said Authorization: Basic {BASIC}")
    JsonProgress().write(f"refused {KEY}")
    logger = logging.getLogger("aiocustomerio.test-stderr")
    handler = ProgressLogHandler(Progress(enabled=False).write)
    logger.addHandler(handler)
    # Not propagated: pytest's own log capture would keep the raw record, and print the key with a failure's report.
    monkeypatch.setattr(logger, "propagate", False)
    try:
        logger.warning("batch will be retried: 503 quoting %s", KEY)
    finally:
        logger.removeHandler(handler)
    err = capsys.readouterr().err
    assert KEY not in err and BASIC not in err
    assert err.count("****") == 4 and "is not valid" in err and "batch will be retried" in err
