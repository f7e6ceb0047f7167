"""An ingestor's options, checked when it is made: each mistake names the option and the fix (a typed error)."""

from __future__ import annotations

import math

from ..errors import InvalidArgumentError, InvalidArgumentTypeError

__all__ = ["check_engine_options", "check_seconds"]


def _count(name: str, value: object, least: int = 1, most: int | None = None) -> None:
    rule = f"{name} must be an integer >= {least}" + (f" and at most {most}" if most is not None else "")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentTypeError(f"{rule}, not {type(value).__name__}")
    if value < least:
        raise InvalidArgumentError(f"{rule}, not {value!r}")
    if most is not None and value > most:
        raise InvalidArgumentError(f"{name} must be at most {most} (the API's limit), not {value!r}")


def check_engine_options(
    *,
    max_batch_items: object,
    max_batch_bytes: object,
    max_item_bytes: object,
    max_wait: object,
    max_queue: object,
    concurrency: object,
    isolation_budget: object,
    batch_limit: int,
    item_limit: int,
) -> None:
    for name, value in (
        ("max_batch_items", max_batch_items),
        ("max_queue", max_queue),
        ("concurrency", concurrency),
        ("isolation_budget", isolation_budget),
    ):
        _count(name, value)
    _count("max_batch_bytes", max_batch_bytes, most=batch_limit)
    _count("max_item_bytes", max_item_bytes, most=item_limit)
    if isinstance(max_wait, bool) or not isinstance(max_wait, (int, float)):
        raise InvalidArgumentTypeError(f"max_wait must be a number of seconds >= 0, not {type(max_wait).__name__}")
    if not (math.isfinite(max_wait) and max_wait >= 0):
        raise InvalidArgumentError(f"max_wait must be a finite number of seconds >= 0, not {max_wait!r}")


def check_seconds(name: str, value: object) -> None:
    """A positive, finite number of seconds, or None (no bound)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentTypeError(
            f"{name} must be a positive number of seconds or None, not {type(value).__name__}"
        )
    if not (math.isfinite(value) and value > 0):
        raise InvalidArgumentError(f"{name} must be a positive number of seconds or None, not {value!r}")
