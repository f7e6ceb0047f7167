"""Calls that do not bind (a missing or extra positional, a misspelt keyword beside a missing one) raise typed errors.

Python's own TypeError escaped ``except CustomerIOError`` and, for ``get_people_email(emial=...)``, named only the
missing ``email``, never the misspelling. Nothing is sent for any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aiocustomerio import CustomerIO, CustomerIOError
from aiocustomerio.errors import InvalidArgumentTypeError, UnknownParameterError

from .conftest import Wire

CASES: list[tuple[str, Callable[[Any], Any], str]] = [
    (
        "extra positional",
        lambda c: c.app.customers.get_person_attributes("u1", "u2"),
        r"app\.customers\.get_person_attributes\(\) takes 1 positional argument \(customer_id\) but 2 were given; "
        r"pass the others by keyword \(id_type\)",
    ),
    (
        "missing path parameter",
        lambda c: c.app.customers.get_person_attributes(),
        r"app\.customers\.get_person_attributes\(\) is missing the required argument customer_id \(positional\)",
    ),
    (
        "missing keyword",
        lambda c: c.app.customers.get_people_email(),
        r"app\.customers\.get_people_email\(\) is missing the required argument email=\.\.\.",
    ),
    (
        "twice",
        lambda c: c.app.customers.get_person_attributes("u1", customer_id="u2"),
        r"get_person_attributes\(\) got 'customer_id' twice",
    ),
    (
        "paginate extra positional",
        lambda c: c.app.activities.list_activities.paginate(1),
        r"app\.activities\.list_activities\.paginate\(\) takes 0 positional arguments but 1 were given",
    ),
    (
        "raw extra positional",
        lambda c: c.app.activities.list_activities.with_raw_response(1),
        r"app\.activities\.list_activities\.with_raw_response\(\) takes 0 positional arguments",
    ),
    (
        "sugar extra positional",
        lambda c: c.track.identify("u1", {}, {}),
        r"track\.identify\(\) takes 2 positional arguments \(identifier, attributes\) but 3 were given",
    ),
    (
        "sugar missing keyword",
        lambda c: c.app.send_email(transactional_message_id="1", identifiers={"id": "u1"}),
        r"app\.send_email\(\) is missing the required argument to=\.\.\.",
    ),
    (
        "mixin missing",
        lambda c: c.app.customers.search(),
        r"app\.customers\.search\(\) is missing the required argument filter \(positional\)",
    ),
]


@pytest.mark.generated_names
@pytest.mark.parametrize(("label", "call", "message"), CASES, ids=[c[0] for c in CASES])
async def test_a_call_that_does_not_bind_is_a_typed_error(
    cio: CustomerIO, wire: Wire, label: str, call: Callable[[Any], Any], message: str
) -> None:
    with pytest.raises(InvalidArgumentTypeError, match=message) as info:
        result = call(cio)
        if hasattr(result, "__await__"):
            await result
    assert isinstance(info.value, CustomerIOError) and isinstance(info.value, TypeError)
    assert wire.requests == []


@pytest.mark.generated_names
async def test_a_misspelt_keyword_is_named_even_when_a_required_one_is_missing(cio: CustomerIO, wire: Wire) -> None:
    with pytest.raises(UnknownParameterError, match=r"unexpected keyword argument 'emial'; did you mean 'email'\?"):
        await cio.app.customers.get_people_email(emial="a@example.com")
    assert wire.requests == []


def test_a_type_error_from_inside_a_call_that_binds_is_not_rewritten() -> None:
    from aiocustomerio._arguments import typed_calls

    class Thing:
        def run(self, x: int) -> int:
            return x + "1"  # type: ignore[operator, no-any-return]

    typed_calls(Thing, lambda obj, name: f"thing.{name}")
    with pytest.raises(TypeError, match="unsupported operand") as info:
        Thing().run(1)
    assert not isinstance(info.value, CustomerIOError)
    with pytest.raises(InvalidArgumentTypeError, match=r"thing\.run\(\) is missing the required argument x"):
        Thing().run()  # type: ignore[call-arg]
