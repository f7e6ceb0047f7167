"""The derived operations: every one reachable, path parameters as one segment, friendly argument conversion."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from pathlib import Path

import httpx
import pytest

from aiocustomerio import CustomerIO

from .conftest import Wire

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"track": "aiocustomerio_track", "app": "aiocustomerio_app", "pipelines": "aiocustomerio_pipelines"}


def _spec_routes(api: str) -> set[tuple[str, str]]:
    files = {"track": "journeys-track.json", "app": "journeys-app.json", "pipelines": "pipelines.json"}
    path = ROOT / "specs" / "normalized" / files[api]
    if not path.exists():
        pytest.skip("normalized specs unavailable: run `make normalize` (set CIO_SPEC_MIRROR to the pinned specs)")
    spec = json.loads(path.read_text())
    methods = {"get", "put", "post", "delete", "patch"}
    return {(m.upper(), p) for p, item in spec["paths"].items() for m in item if m in methods}


@pytest.mark.parametrize("api", sorted(PACKAGES))
async def test_every_spec_operation_is_reachable_by_tag(cio: CustomerIO, api: str) -> None:
    namespace = getattr(cio, api)
    reached = set()
    for tag in dir(namespace):
        if tag in namespace.index:
            for name in dir(getattr(namespace, tag)):
                op = getattr(getattr(namespace, tag), name)
                assert callable(op.module._get_kwargs)
                reached.add((op.info.method, op.info.path))
    assert reached == _spec_routes(api)


@pytest.mark.parametrize(
    "identifier",
    # "x" * 150: the longest id Customer.io takes (tests/facade/test_track_limits.py); a long email goes as it is.
    ["a+b@example.com", "a/b", "../../v1/campaigns", "a?b", "a#b", "%2F", "ünï cødé ✓", "x" * 150, "cio_0123",
     "x" * 5000 + "@example.com"],
)  # fmt: skip
async def test_path_parameters_are_one_segment(cio: CustomerIO, wire: Wire, identifier: str) -> None:
    await cio.track.identify(identifier, {"plan": "pro"})
    segments = wire.last.url.raw_path.split(b"?")[0].split(b"/")
    assert segments[:4] == [b"", b"api", b"v1", b"customers"]
    assert len(segments) == 5, segments
    assert wire.last.url.query == b""
    assert httpx.URL(wire.last.url).path.split("/api/v1/customers/")[1] == identifier


@pytest.mark.parametrize("bad", ["", ".", "..", " "])
async def test_path_parameters_that_cannot_be_a_segment_are_refused(cio: CustomerIO, wire: Wire, bad: str) -> None:
    with pytest.raises(ValueError, match="path parameter 'identifier'"):
        await cio.track.delete(bad)
    with pytest.raises(TypeError, match="must be a str or int"):
        await cio.track.delete(None)  # type: ignore[arg-type]
    assert wire.requests == []


async def test_datetimes_become_unix_seconds_for_timestamp_parameters(cio: CustomerIO, wire: Wire) -> None:
    wire.responder = lambda r: httpx.Response(200, json={"messages": [], "next": ""})
    start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    await cio.app.messages.list_messages(start_ts=start, end_ts=start + dt.timedelta(days=1))
    params = wire.last.url.params
    assert params["start_ts"] == "1704067200" and params["end_ts"] == "1704153600"


async def test_enum_parameters_take_plain_strings_and_name_the_allowed_values(cio: CustomerIO, wire: Wire) -> None:
    await cio.track.add_to_segment(1, ["a"], id_type="cio_id")
    assert wire.last.url.params["id_type"] == "cio_id"
    message = "add_to_segment: query parameter 'id_type' must be one of 'cio_id', 'email', 'id', not str 'phone'"
    with pytest.raises(ValueError, match=message):
        await cio.track.add_to_segment(1, ["a"], id_type="phone")


async def test_unserializable_values_name_the_field(cio: CustomerIO, wire: Wire) -> None:
    with pytest.raises(TypeError, match=r"body\.blob: a value of type object cannot be sent as JSON"):
        await cio.track.identify("u", attributes={"blob": object()})
    with pytest.raises(TypeError, match=r"body: .*finite"):
        await cio.track.identify("u", {"score": float("nan")})
    assert wire.requests == []


async def test_unknown_names_are_clear(cio: CustomerIO) -> None:
    with pytest.raises(
        AttributeError, match=r"app has no tag or method 'campaing'; did you mean 'campaigns'.*\? it has: activities"
    ):
        cio.app.campaing  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError, match="no operation 'lst'; it has: campaign_action_links"):
        cio.app.campaigns.lst  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError, match="no operation 'list_campaings'; did you mean 'list_campaigns'"):
        cio.app.campaigns.list_campaings  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(TypeError, match=r"get_person_attributes\(\) takes 1 positional argument \(customer_id\) but 2"):
        await cio.app.customers.get_person_attributes("a", "b")  # type: ignore[misc]


def test_importing_the_facade_does_not_import_models() -> None:
    import subprocess
    import sys

    code = "import aiocustomerio, sys; print(sorted(m for m in sys.modules if '.models' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert importlib.import_module("aiocustomerio")


def test_importing_the_package_loads_the_sync_client_only_on_first_use() -> None:
    import subprocess
    import sys

    code = (
        "import aiocustomerio, sys\n"
        "print(sorted(m for m in sys.modules if m.startswith('aiocustomerio._sync') or 'sync_resources' in m))\n"
        "from aiocustomerio import SyncCustomerIO, SyncTrackIngestor\n"
        "print(SyncCustomerIO.__module__, SyncTrackIngestor.__module__, 'SyncCustomerIO' in dir(aiocustomerio))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "aiocustomerio._sync.client aiocustomerio._sync.ingest True"]
    with pytest.raises(AttributeError, match="no attribute 'SyncCustomerIo'"):
        _ = importlib.import_module("aiocustomerio").SyncCustomerIo
