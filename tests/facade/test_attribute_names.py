"""A misspelt attribute anywhere in the client's namespaces (the client, an API, a tag, a raw view; async and sync)
is an AttributeError naming the closest names, and still an AttributeError for hasattr/getattr defaults."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aiocustomerio import CustomerIO, SyncCustomerIO

CREDENTIALS = {"site_id": "site", "track_api_key": "track-secret", "app_api_key": "app-secret", "cdp_api_key": "cdp"}


@pytest.fixture(params=["async", "sync"])
def client(request: pytest.FixtureRequest) -> Iterator[Any]:
    # Nothing here sends a request: the pools are never opened, so nothing needs closing.
    yield (CustomerIO if request.param == "async" else SyncCustomerIO)(**CREDENTIALS)


MISSES: list[tuple[Callable[[Any], Any], Callable[[Any], Any], str, str]] = [
    # (owner, the miss on it, the name missed, the name suggested)
    (lambda c: c, lambda c: c.aap, "aap", "app"),
    (lambda c: c, lambda c: c.pipeline, "pipeline", "pipelines"),
    (lambda c: c.app, lambda c: c.app.custmers, "custmers", "customers"),
    (lambda c: c.track, lambda c: c.track.identfy, "identfy", "identify"),  # a handwritten method, not a tag
    (lambda c: c.pipelines, lambda c: c.pipelines.idnetify, "idnetify", "identify"),
    (lambda c: c.app.customers, lambda c: c.app.customers.serch, "serch", "search"),  # a mixin's method
    (lambda c: c.app.campaigns, lambda c: c.app.campaigns.list_campaing, "list_campaing", "list_campaigns"),
    (lambda c: c.app.with_raw_response, lambda c: c.app.with_raw_response.custmers, "custmers", "customers"),
]


@pytest.mark.parametrize(("owner", "miss", "name", "suggested"), MISSES, ids=[m[2] for m in MISSES])
def test_a_miss_names_the_closest_name(
    client: Any, owner: Callable[[Any], Any], miss: Callable[[Any], Any], name: str, suggested: str
) -> None:
    with pytest.raises(AttributeError) as info:
        miss(client)
    err = info.value
    assert f"did you mean {suggested!r}" in str(err), str(err)  # the closest first
    # What Python's own tooling reads (a raw view is a new object at each access: same type, then).
    assert err.name == name and type(err.obj) is type(owner(client))
    assert "secret" not in str(err)
    assert not hasattr(owner(client), name)
    assert getattr(owner(client), name, "default") == "default"


def test_a_miss_with_nothing_close_lists_what_there_is(client: Any) -> None:
    with pytest.raises(AttributeError) as info:
        client.zzzz  # noqa: B018
    message = str(info.value)
    assert "'zzzz'" in message and "did you mean" not in message
    assert "app" in message and "pipelines" in message and "track" in message


def test_private_and_dunder_misses_stay_plain(client: Any) -> None:
    # copy/pickle and internal getattr(obj, "_x", None) probes must not pay for (or be confused by) suggestions.
    for owner in (client, client.app, client.app.customers):
        for name in ("__deepcopy_x__", "_privat"):
            with pytest.raises(AttributeError) as info:
                getattr(owner, name)
            assert "did you mean" not in str(info.value)


def test_existing_names_never_reach_getattr(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """__getattr__ runs only on a miss: an existing name (a lazily built tag aside, once) is a plain lookup."""
    app = client.app
    customers = app.customers  # built on first access, then an instance attribute
    calls: list[str] = []
    for klass in (type(client), type(app), type(customers)):
        original = klass.__getattr__

        def spy(self: Any, name: str, original: Any = original) -> Any:
            calls.append(name)
            return original(self, name)

        monkeypatch.setattr(klass, "__getattr__", spy)
    assert client.app is app and app.customers is customers and client.track is client.track
    assert callable(customers.search) and callable(app.customers.get_people_by_id)
    assert calls == []
