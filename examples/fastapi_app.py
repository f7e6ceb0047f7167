"""aiocustomerio in a FastAPI backend: one client for the app's lifetime, a transactional send, a webhook receiver.

Run it with ``uvicorn examples.fastapi_app:app`` and credentials in the environment (see the README). The client is
created once in the lifespan handler and shared by every request: one connection pool per Customer.io API, one set of
rate limits, closed on shutdown.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

from aiocustomerio import CustomerIO, CustomerIOError, webhooks

log = logging.getLogger("example")


class OrderConfirmation(BaseModel):
    user_id: str
    email: str
    total: float


def create_app(
    client_factory: Callable[[], CustomerIO] = CustomerIO,
    signing_key: str | None = None,
    receipt_message_id: str = os.environ.get("RECEIPT_MESSAGE_ID", "1"),
) -> FastAPI:
    key = signing_key or os.environ.get("CUSTOMERIO_WEBHOOK_SIGNING_KEY", "")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with client_factory() as cio:
            app.state.cio = cio
            yield

    app = FastAPI(lifespan=lifespan)

    @app.post("/orders/{order_id}/confirmation")
    async def send_confirmation(order_id: str, order: OrderConfirmation, request: Request) -> dict[str, Any]:
        cio: CustomerIO = request.app.state.cio
        try:
            sent = await cio.app.send_email(
                transactional_message_id=receipt_message_id,
                to=order.email,
                identifiers={"id": order.user_id},
                message_data={"order_id": order_id, "total": order.total},
            )
        except CustomerIOError as exc:
            # The error names status, method and URL, never the key: safe to log as it is.
            log.warning("receipt for %s not sent: %s", order_id, exc)
            raise HTTPException(status_code=502, detail="could not send the receipt") from exc
        return {"delivery_id": getattr(sent, "delivery_id", None)}

    @app.post("/webhooks/customerio")
    async def reporting_webhook(request: Request) -> dict[str, Any]:
        if not key:
            # Without the key no request can be verified: say what to set, instead of a 500 per delivery.
            log.error("reporting webhook refused: set CUSTOMERIO_WEBHOOK_SIGNING_KEY (the webhook's signing key)")
            raise HTTPException(status_code=503, detail="webhook signing key not configured")
        try:
            event = webhooks.verify(await request.body(), request.headers, key)
        except webhooks.WebhookVerificationError as exc:
            raise HTTPException(status_code=401, detail=exc.reason) from exc
        # A generated model for known events, webhooks.UntypedEvent for events the spec does not describe yet.
        log.info("webhook %s: %s", event.event_id, type(event).__name__)
        return {"received": event.event_id}

    return app


app = create_app()
