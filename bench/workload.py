"""The events every ingestion scenario sends, ours and the peers' alike (importable without aiocustomerio)."""

from __future__ import annotations

from typing import Any

SITE_ID, API_KEY = "site", "key"


def attributes(i: int) -> dict[str, Any]:
    """The attributes of a realistic ~340-byte Track event."""
    return {
        "order_id": f"ord_{i:010d}",
        "total": 129.99,
        "currency": "USD",
        "items": 3,
        "coupon": "SPRING24",
        "sku": f"SKU-{i % 100000:06d}",
        "category": "outdoor",
        "email": f"person{i}@example.com",
        "plan": "pro",
    }
