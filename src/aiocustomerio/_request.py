"""One call's arguments become the keyword arguments of ``httpx.Client.request``: checked and converted, the body
encoded once (with the size rules of ``_payload``), the generated ``_get_kwargs`` for the rest, the per-call options
applied as headers, query and request extensions. Shared by async and sync."""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import _payload
from ._binding import ApiBinding, OperationInfo, merge_options
from ._encode import dumps, unix_seconds
from ._ids import stamp_dedup
from ._options import NOT_GIVEN, check_options
from ._params import shown as _shown
from .errors import InvalidArgumentError, InvalidArgumentTypeError

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["build_request", "check_body"]


def check_body(op: OperationInfo, body: Any) -> None:
    """A body of the shape the operation takes: a mapping or the generated model (or a list, for an array body)."""
    if op.body == "array":
        if isinstance(body, list) or callable(getattr(body, "to_dict", None)):
            return
        wanted = "a list (a JSON array)"
    elif isinstance(body, Mapping) or callable(getattr(body, "to_dict", None)):
        return
    else:
        wanted = "a mapping (a JSON object) such as {'name': 'value'} or the generated model"
    raise InvalidArgumentTypeError(f"{op.name}: body must be {wanted}, not {type(body).__name__}")


class _RawBody:
    """Lets a plain mapping stand where a generated model is expected; the façade encodes it itself."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def to_dict(self) -> Any:
        return self.value

    def to_multipart(self) -> Any:
        # A multipart body's files need the generated model's File fields: a mapping cannot say which are files.
        raise InvalidArgumentTypeError(
            "a multipart/form-data body must be the generated model (its File fields carry the files), not a mapping"
        )


def _to_enum(op: OperationInfo, param: str, enum_type: type[enum.Enum], value: Any) -> Any:
    """A plain value becomes the generated enum member; anything else is refused naming the allowed values (an int
    is taken for a string value spelt with its digits, as string parameters take one)."""
    if isinstance(value, enum_type):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        by_text = {str(m.value): m for m in enum_type}
        if str(value) in by_text:
            return by_text[str(value)]
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return enum_type(value)
        except ValueError:
            pass
    allowed = ", ".join(repr(m.value) for m in enum_type)
    message = f"{op.label}: {op.describe(param)} must be one of {allowed}, not {_shown(value)}"
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        raise InvalidArgumentError(message)
    raise InvalidArgumentTypeError(message)


def _check_fields(checks: Mapping[str, Any], body: Mapping[str, Any]) -> None:
    """Each top-level body field the index types, walking the smaller of the two (a Track identify's body is often
    one or two attributes against seven typed fields)."""
    if len(body) <= len(checks):
        for key, value in body.items():
            check = checks.get(key)
            if check is not None and value is not None:
                check(value)
    else:
        for key, check in checks.items():
            value = body.get(key)
            if value is not None:
                check(value)


def build_request(api: ApiBinding, info: OperationInfo, module: ModuleType, given: dict[str, Any], options: Any) -> Any:
    """The keyword arguments of ``httpx.Client.request`` for one call (shared by async and sync)."""
    if options:
        check_options(f"{info.api}.{info.tag}.{info.name}", options, info.accepted)
    params = {k: v for k, v in given.items() if v is not NOT_GIVEN}
    for name in info.timestamps:
        value = params.get(name)
        if isinstance(value, (_dt.datetime, _dt.date)):
            params[name] = unix_seconds(value)
    checks = info.checks
    for name, value in params.items():
        check = checks.get(name)
        if check is not None:
            params[name] = check(value)  # the value to send, or a typed error naming the parameter
    raw_body = params.get("body")
    if "body" in params:
        check_body(info, raw_body)
        if info.fields and (type(raw_body) is dict or isinstance(raw_body, Mapping)):  # the ABC test is slow
            _check_fields(info.field_checks, raw_body)
    if info.dedup and raw_body is not None:
        # Stamped here, once, so every retry of this request resends the same ids (Customer.io drops the repeat);
        # a model body is sent as its dict for that.
        to_dict = getattr(raw_body, "to_dict", None)
        raw_body = stamp_dedup(to_dict() if callable(to_dict) else raw_body, info.dedup)
    if isinstance(raw_body, (Mapping, list)):
        params["body"] = _RawBody(raw_body)
    for name in info.object_params:
        value = params.get(name)
        if isinstance(value, Mapping):
            params[name] = _RawBody(dict(value))
        elif name in params and not callable(getattr(value, "to_dict", None)):
            raise InvalidArgumentTypeError(
                f"{info.label}: {info.describe(name)} must be a mapping or the generated model, not {_shown(value)}"
            )
    for name, enum_name in info.enums:
        if name in params:
            value, kind = params[name], getattr(module, enum_name)
            if name in info.enum_lists:  # a list of enum values, already checked to be a list (_params)
                params[name] = [_to_enum(info, name, kind, item) for item in value]
            else:
                params[name] = _to_enum(info, name, kind, value)
    try:
        request: dict[str, Any] = module._get_kwargs(**params)
    except TypeError as exc:
        raise InvalidArgumentTypeError(f"{info.api}.{info.tag}.{info.name}: {exc}") from None
    if isinstance(raw_body, (Mapping, list)) and "json" in request:
        # A JSON body is encoded here (the datetime style, the size check); a form body (`data`) is the generated
        # code's, from the same mapping: encoding it as JSON under the form's content type sent the wrong bytes.
        request.pop("json")
        style = api.datetime_style
        content = dumps(raw_body, style)
        _payload.check(info.api, info.method, info.path, content, raw_body, lambda item: dumps(item, style), params)
        request["content"] = content
    extensions: dict[str, Any] = {"aiocustomerio_unsafe": True} if info.unsafe else {}
    merged = merge_options(api.options, options) if api.options else options
    if merged:
        _apply_options(request, extensions, merged)
    if info.unsafe and _opts_in(options):
        # Issue 10: "the caller can opt in per call (`max_retries=`, or an explicit `retry_unsafe=True`)". A retry
        # count written in this call is that opt-in; a client's RetryPolicy or a with_options() view is a default
        # for every call, sends included, so it never is.
        extensions["aiocustomerio_retry_unsafe"] = True
    if extensions:
        request["extensions"] = extensions
    return request


def _opts_in(options: Mapping[str, Any]) -> bool:
    """Whether this call's own options opt an unsafe operation in to retries: ``retry_unsafe=True``, or
    ``max_retries=N`` (N > 0) unless ``retry_unsafe=False`` says otherwise."""
    if "retry_unsafe" in options:
        return bool(options["retry_unsafe"])
    retries = options.get("max_retries")
    return isinstance(retries, int) and retries > 0


def _apply_options(request: dict[str, Any], extensions: dict[str, Any], options: Mapping[str, Any]) -> None:
    if "timeout" in options:
        request["timeout"] = options["timeout"]
    headers = options.get("extra_headers")
    if headers:
        request["headers"] = {**request.get("headers", {}), **headers}
    query = options.get("extra_query")
    if query:
        request["params"] = {**request.get("params", {}), **query}
    retries = options.get("max_retries")
    if retries is not None:  # checked by check_options
        extensions["aiocustomerio_max_retries"] = retries
        if retries == 0:
            extensions["aiocustomerio_retry"] = False
    if options.get("retry_unsafe"):
        extensions["aiocustomerio_retry_unsafe"] = True
