"""The README's "Sync code" snippets run as written against SyncCustomerIO (the quickstart, the Django view and the
Celery task; celery and django are stood in for by the few names the snippets import), and send what they say."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import httpx
import pytest

import aiocustomerio
from aiocustomerio import Limits, RetryPolicy

README = Path(__file__).resolve().parents[2] / "README.md"


def _sync_blocks() -> list[str]:
    text = README.read_text()
    section = text.split("## Sync code", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.url.path.endswith("/messages"):
            return httpx.Response(200, json={"messages": [], "next": ""})
        return httpx.Response(200, json={})

    real = aiocustomerio.SyncCustomerIO

    def client(**kwargs: Any) -> aiocustomerio.SyncCustomerIO:
        kwargs = {"region": "us", **kwargs}
        return real(
            site_id="s", track_api_key="k", app_api_key="a", env={}, limits=Limits.disabled(),
            retry=RetryPolicy(max_retries=0), transport=httpx.MockTransport(handler), **kwargs,
        )  # fmt: skip

    monkeypatch.setattr(aiocustomerio, "SyncCustomerIO", client)
    return requests


def _stub(monkeypatch: pytest.MonkeyPatch, name: str, **attrs: Any) -> None:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    monkeypatch.setitem(sys.modules, name, module)


def _body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def test_the_sync_quickstart_runs(sent: list[httpx.Request]) -> None:
    exec(_sync_blocks()[0], {})
    assert (sent[0].method, sent[0].url.path) == ("PUT", "/api/v1/customers/user_1")
    assert _body(sent[0]) == {"plan": "pro", "email": "a@example.com"}
    assert sent[1].url.path == "/api/v1/customers/user_1/events"
    assert _body(sent[1])["data"] == {"amount": 99}


def test_the_django_view_runs(sent: list[httpx.Request], monkeypatch: pytest.MonkeyPatch) -> None:
    settings = types.SimpleNamespace()
    _stub(monkeypatch, "django")
    _stub(monkeypatch, "django.conf", settings=settings)
    _stub(monkeypatch, "django.http", JsonResponse=lambda data: data)
    user = types.SimpleNamespace(email="a@example.com")
    order = types.SimpleNamespace(user_id=7, total=12.5, user=user)
    objects = types.SimpleNamespace(get=lambda pk: order)
    namespace: dict[str, Any] = {"Order": types.SimpleNamespace(objects=objects)}
    exec(_sync_blocks()[1], namespace)
    settings.CUSTOMERIO = namespace["CUSTOMERIO"]
    assert namespace["checkout_done"](None, "o1") == {"ok": True}
    assert sent[0].url.path == "/api/v1/customers/7/events"
    assert _body(sent[0])["data"] == {"total": 12.5}
    assert sent[1].url.path == "/v1/send/email"
    assert _body(sent[1])["identifiers"] == {"id": "7"}


def test_the_celery_task_runs(sent: list[httpx.Request], monkeypatch: pytest.MonkeyPatch) -> None:
    class Celery:
        def __init__(self, name: str) -> None:
            self.name = name

        def task(self, *args: Any, **kwargs: Any) -> Any:
            return args[0] if args and callable(args[0]) else (lambda f: f)

    signal = types.SimpleNamespace(connect=lambda f: f)
    _stub(monkeypatch, "celery", Celery=Celery)
    _stub(monkeypatch, "celery.signals", worker_process_init=signal)
    namespace: dict[str, Any] = {}
    exec(_sync_blocks()[2], namespace)
    namespace["open_customerio"]()
    namespace["sync_plan_change"]("u1", "pro")
    assert (sent[0].method, sent[0].url.path) == ("PUT", "/api/v1/customers/u1")
    assert _body(sent[0]) == {"plan": "pro"}
