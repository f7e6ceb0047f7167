"""Path, query and header values are checked against their spec schema before anything is sent.

The generated ``_get_kwargs`` sends what it is given: ``str()`` of a dict percent-encoded into the URL, ``true`` for
an integer, ``2.5`` for a page size. Codegen records each parameter's JSON type in the operation index
(``types``: codegen/param_types.py); ``checker`` turns one record into a function that returns the value to send
or raises a typed error naming the parameter (as the caller spelt it, and as the spec does when that differs), what
it takes and what it got. Built once per operation; a value of the right type costs one ``type()`` test.

What each type takes:
- string: a str; an int too (Customer.io ids are often numeric), sent as its digits. Not a bool or a float.
- integer: an int, not a bool; a float only when whole (``2.0`` is sent as ``2``). Not a str: pass ``int(text)``.
- number: an int or a finite float, not a bool.
- boolean: True or False only.
- date-time / date / uuid: the Python type the generated function takes (a uuid also as its str).
- array: a list or tuple (never a str, whose characters would be the items) of values of the item type.
"""

from __future__ import annotations

import datetime as _dt
import math
import operator
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .errors import InvalidArgumentError, InvalidArgumentTypeError

__all__ = ["Check", "body_field_checker", "checker", "parameter_label", "path_segment", "shown"]

Check = Callable[[Any], Any]

_WANTED = {
    "string": "a str or int (an int is sent as its digits)",
    "integer": "an int",
    "number": "an int or float",
    "boolean": "True or False",
    "date-time": "a datetime.datetime",
    "date": "a datetime.date",
    "uuid": "a uuid.UUID or its str",
}


def parameter_label(keyword: str, record: Mapping[str, Any] | None, location: str = "") -> str:
    """``query parameter 'type_' (the spec's 'type')``: the name the caller typed, and the spec's when different."""
    where = (record or {}).get("in") or location
    spec_name = (record or {}).get("name")
    text = f"{where} parameter {keyword!r}" if where else repr(keyword)
    return text + (f" (the spec's {spec_name!r})" if spec_name and spec_name != keyword else "")


def shown(value: Any) -> str:
    """How a refused value is named: its type, and its repr when short and scalar (a container only by type)."""
    name = type(value).__name__
    if isinstance(value, (str, int, float)):
        text = repr(value)
        return f"{name} {text if len(text) <= 40 else text[:37] + '...'}"
    return name


def _fix(kind: str, value: Any) -> str:
    if kind in ("integer", "number") and isinstance(value, bool):
        return "; a bool is not a number here: pass 1 or 0 if that is meant"
    if kind == "integer" and isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return f"; pass int({value!r})"
    if kind == "integer" and isinstance(value, float):
        return "; pass a whole number (round it first)"
    if kind == "boolean" and isinstance(value, (str, int)):
        return "; pass True or False"
    if isinstance(value, (Mapping, list, tuple, set)):
        return "; pass one value, not a container"
    return ""


def _refuse(what: str, kind: str, value: Any, wanted: str = "") -> InvalidArgumentTypeError:
    wanted = wanted or _WANTED[kind]
    return InvalidArgumentTypeError(f"{what} must be {wanted}, not {shown(value)}{_fix(kind, value)}")


_NOT_SEGMENTS = frozenset({"", ".", ".."})


def path_segment(what: str, value: str) -> str:
    """A path value that cannot be one segment of a URL (the generated code percent-encodes the rest) is refused."""
    if value.strip() in _NOT_SEGMENTS:
        raise InvalidArgumentError(
            f"{what} is {value!r}, which cannot name a resource in a URL path; pass the real identifier"
        )
    return value


def _scalar(kind: str, what: str, wanted: str = "") -> Check:
    """The check of one value of ``kind``: returns what to send (``wanted``: how the message says what it takes)."""
    if kind == "string":

        def check(value: Any) -> Any:
            if type(value) is str:
                return value
            if isinstance(value, str):
                return str.__str__(value)  # a str subclass (a str enum member): its text, not its repr
            if isinstance(value, int) and not isinstance(value, bool):
                return str(int(value))
            raise _refuse(what, kind, value)

    elif kind == "integer":

        def check(value: Any) -> Any:
            if type(value) is int:
                return value
            if isinstance(value, bool):
                raise _refuse(what, kind, value, wanted)
            if isinstance(value, float):
                if value.is_integer():
                    return int(value)
                raise _refuse(what, kind, value, wanted)
            if not isinstance(value, (str, bytes)) and hasattr(type(value), "__index__"):
                return operator.index(value)  # an int subclass, a numpy integer
            raise _refuse(what, kind, value, wanted)

    elif kind == "number":

        def check(value: Any) -> Any:
            if type(value) is int:
                return value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _refuse(what, kind, value)
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidArgumentError(f"{what} must be a finite number, not {value!r}")
            return value

    elif kind == "boolean":

        def check(value: Any) -> Any:
            if value is True or value is False:
                return value
            raise _refuse(what, kind, value)

    else:
        accepted: tuple[type, ...] = {
            "date-time": (_dt.datetime,),
            "date": (_dt.date,),
            "uuid": (uuid.UUID, str),
        }[kind]

        def check(value: Any) -> Any:
            if isinstance(value, accepted):
                return value
            raise _refuse(what, kind, value)

    return check


_BOUNDS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "minimum": (operator.ge, "at least"),
    "maximum": (operator.le, "at most"),
    "exclusiveMinimum": (operator.gt, "more than"),
    "exclusiveMaximum": (operator.lt, "less than"),
}


def _bounded(check: Check, what: str, record: Mapping[str, Any]) -> Check:
    lo, hi = record.get("minimum"), record.get("maximum")
    above, below = record.get("exclusiveMinimum"), record.get("exclusiveMaximum")
    if lo is None and hi is None and above is None and below is None:
        return check

    def bounded(value: Any) -> Any:
        value = check(value)
        if (
            (hi is not None and value > hi)
            or (lo is not None and value < lo)
            or (above is not None and value <= above)
            or (below is not None and value >= below)
        ):
            broken = [
                f"{words} {record[bound]}"
                for bound, (holds, words) in _BOUNDS.items()
                if bound in record and not holds(value, record[bound])
            ]
            raise InvalidArgumentError(f"{what} must be {' and '.join(broken)}, not {value!r}")
        return value

    return bounded


def _array(item: Check, what: str, item_kind: str) -> Check:
    def check(value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            extra = f"; for one: [{value!r}]" if isinstance(value, (str, int, float)) else ""
            wanted = "enum" if item_kind == "enum" else _WANTED[item_kind].split(" (")[0]
            raise InvalidArgumentTypeError(f"{what} must be a list of {wanted} values, not {shown(value)}{extra}")
        return [item(v) for v in value]

    return check


def checker(operation: str, keyword: str, record: Mapping[str, Any], timestamp: bool = False) -> Check | None:
    """The check of one index ``types`` record (None: a type this module does not check, such as an enum).

    ``timestamp``: an integer that also takes a datetime (converted to unix seconds before this check)."""
    kind = record.get("type")
    what = f"{operation}: {parameter_label(keyword, record)}"
    if kind == "array":
        item_kind = record.get("items")
        if item_kind == "enum":  # each value is converted to the generated enum after this check (_request._to_enum)
            return _array(lambda value: value, what, "enum")
        if item_kind not in _WANTED:
            return None
        return _array(_scalar(str(item_kind), f"{what} items"), what, str(item_kind))
    if kind not in _WANTED:
        return None
    if kind == "string" and record.get("in") == "path":
        return _path_string(what)
    wanted = "an int (unix seconds) or a datetime" if timestamp and kind == "integer" else ""
    check = _bounded(_scalar(str(kind), what, wanted), what, record)
    if kind == "uuid" and record.get("in") == "path":
        inner = check

        def check(value: Any) -> Any:
            value = inner(value)
            return path_segment(what, value) if type(value) is str else value

    return check


def _path_string(what: str) -> Check:
    """A string path parameter, in one call: the per-call path of every Track identify."""
    string = _scalar("string", what)

    def check(value: Any) -> Any:
        if type(value) is str:
            if value.strip() in _NOT_SEGMENTS:
                path_segment(what, value)
            return value
        return string(value)  # a numeric id as its digits, or the typed error

    return check


# A body field is the caller's JSON, sent as given (never converted here): what the façade's encoder turns into the
# field's type counts as that type (a datetime is unix seconds or ISO 8601, by the API's datetime style).
_FIELD_WANTED = {
    "string": "a str or int",
    "date-time-text": "an ISO 8601 str or a datetime",
    "integer": "an int (a datetime for a timestamp)",
    "number": "an int or float",
    "boolean": "True or False",
}


def body_field_checker(operation: str, field: str, record: Mapping[str, Any]) -> Check | None:
    """The check of one top-level body field (the index's ``fields``): returns nothing, raises a typed error."""
    kind = record.get("type")
    if kind not in _FIELD_WANTED:
        return None
    what = f"{operation}: body field {field!r}"
    if kind in ("string", "date-time-text"):
        # An int for a string: numeric ids are sent as JSON numbers today, and Customer.io takes them.
        accepted: tuple[type, ...] = (str, int, _dt.date) if kind == "date-time-text" else (str, int)
    elif kind == "integer":
        accepted = (int, _dt.date)
    elif kind == "number":
        accepted = (int, float, _dt.date)
    else:
        accepted = (bool,)

    def check(value: Any) -> Any:
        if isinstance(value, accepted) and (kind == "boolean" or not isinstance(value, bool)):
            return None
        if kind == "integer" and isinstance(value, float) and value.is_integer():
            return None
        hint = _fix("integer" if kind == "integer" else kind, value)
        raise InvalidArgumentTypeError(f"{what} must be {_FIELD_WANTED[str(kind)]}, not {shown(value)}{hint}")

    return check
