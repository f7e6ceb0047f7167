"""Contract tests against Prism serving the normalized specs; skipped (one line) where Node.js is unavailable."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Generator, Iterator

import pytest

from tests.support.prism import PrismUnavailable, check_node, start_all

from .builder import NORMALIZED_DIR

_RESULTS = pytest.StashKey[dict[str, Counter[str]]]()

# Dummy credentials: Prism checks only the scheme and shape, never the values.
SITE_ID, TRACK_KEY, APP_KEY, CDP_KEY = "site123", "track-key", "app-key", "cdp-key"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


AUTH: dict[str, str] = {
    "track": _basic(SITE_ID, TRACK_KEY),
    "app": f"Bearer {APP_KEY}",
    "pipelines": _basic(CDP_KEY, ""),
}
# A well-formed credential of the scheme each API does *not* accept.
WRONG_SCHEME: dict[str, str] = {
    "track": f"Bearer {TRACK_KEY}",
    "app": _basic(APP_KEY, ""),
    "pipelines": f"Bearer {CDP_KEY}",
}


@pytest.fixture(scope="session")
def prism_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """``{api: base_url}`` of Prism serving each normalized spec for the whole session."""
    try:
        check_node()
    except PrismUnavailable as exc:
        pytest.skip(str(exc))
    log_dir = tmp_path_factory.mktemp("prism-logs")
    try:
        with start_all(NORMALIZED_DIR, log_dir=log_dir) as urls:
            yield urls
    except PrismUnavailable as exc:
        pytest.skip(str(exc))


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RESULTS] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    callspec = getattr(item, "callspec", None)
    if callspec is not None and getattr(item, "originalname", "") == "test_operation_accepted":
        api = callspec.params["contract"].api
        counts = item.config.stash[_RESULTS].setdefault(api, Counter())
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            counts["operations"] += 1
            counts[report.outcome] += 1
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    results = config.stash.get(_RESULTS, {})
    if not results:
        return
    terminalreporter.section("contract: operations Prism accepted, per API")
    terminalreporter.write_line(f"{'api':<10} {'operations':>10} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for api in sorted(results):
        c = results[api]
        line = f"{api:<10} {c['operations']:>10} {c['passed']:>7} {c['failed']:>7} {c['skipped']:>8}"
        terminalreporter.write_line(line)
