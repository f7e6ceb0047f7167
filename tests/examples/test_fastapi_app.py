"""examples/fastapi_app.py driven through httpx's ASGI transport, its Customer.io calls through a MockTransport."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from aiocustomerio import CustomerIO, Limits, RetryPolicy, webhooks
from examples.fastapi_app import create_app

KEY = "whsec-test-key"


async def test_lifespan_send_and_webhook() -> None:
    sent: list[httpx.Request] = []

    def customerio(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"delivery_id": "dlv_1", "queued_at": 1700000000})

    clients: list[CustomerIO] = []

    def factory() -> CustomerIO:
        clients.append(
            CustomerIO(
                app_api_key="app-key",
                limits=Limits.disabled(),
                retry=RetryPolicy.disabled(),
                transport=httpx.MockTransport(customerio),
                env={},
            )
        )
        return clients[-1]

    app = create_app(factory, signing_key=KEY, receipt_message_id="7")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://backend") as http:
            response = await http.post(
                "/orders/ORD-1/confirmation", json={"user_id": "u1", "email": "a@example.com", "total": 9.5}
            )
            assert response.status_code == 200, response.text
            assert response.json() == {"delivery_id": "dlv_1"}
            assert (sent[0].method, str(sent[0].url)) == ("POST", "https://api.customer.io/v1/send/email")
            assert sent[0].headers["authorization"] == "Bearer app-key"
            assert json.loads(sent[0].content) == {
                "transactional_message_id": "7",
                "to": "a@example.com",
                "identifiers": {"id": "u1"},
                "message_data": {"order_id": "ORD-1", "total": 9.5},
            }

            body = json.dumps(
                {
                    "event_id": "01E4C4CT6YDC7Y5M7FE1GWWPQJ",
                    "object_type": "email",
                    "metric": "sent",
                    "timestamp": int(time.time()),
                    "data": {},
                }
            ).encode()
            headers = webhooks.sign(body, KEY, int(time.time()))
            ok = await http.post("/webhooks/customerio", content=body, headers=headers)
            assert ok.status_code == 200 and ok.json() == {"received": "01E4C4CT6YDC7Y5M7FE1GWWPQJ"}
            forged = await http.post("/webhooks/customerio", content=body.replace(b"sent", b"opened"), headers=headers)
            assert forged.status_code == 401 and forged.json() == {"detail": "bad_signature"}
    assert clients[0].app.http is None  # closed by the lifespan handler on shutdown


async def test_a_webhook_without_a_configured_signing_key_is_refused_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: webhooks.verify(..., "") raised InvalidArgumentError inside the handler, a 500 for every delivery.
    monkeypatch.delenv("CUSTOMERIO_WEBHOOK_SIGNING_KEY", raising=False)
    app = create_app(lambda: CustomerIO(app_api_key="app-key", env={}), signing_key=None)
    transport = httpx.ASGITransport(app=app)
    body = b'{"event_id": "e1", "object_type": "email", "metric": "sent"}'
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://b") as http:
        response = await http.post("/webhooks/customerio", content=body, headers=webhooks.sign(body, KEY, 1))
    assert response.status_code == 503
    assert response.json() == {"detail": "webhook signing key not configured"}
