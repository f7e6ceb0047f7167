"""Calls that do not bind raise typed errors: a missing or extra positional argument, a misspelt keyword.

Python reports those itself, before any of our code runs, with a plain ``TypeError`` that escapes ``except
CustomerIOError`` and, when a required keyword is missing too, never names the misspelt one. ``typed_calls`` wraps
the public methods of a class once, when the class is made, so generated operations and the sugar are covered with no
per-method code (a regenerated spec's new operation included). The wrapper only looks at the arguments after the call
has already failed; a call that binds pays one frame.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from ._options import OPTION_NAMES  # the per-call options
from .errors import CustomerIOError, InvalidArgumentTypeError, UnknownParameterError

__all__ = ["binding_error", "typed_calls"]

Label = Callable[[Any, str], str]  # (instance, method name) -> how messages name the call, e.g. "app.send_email"
_OPTIONS = "options"  # the name of the ``**options: Unpack[RequestOptions]`` parameter every method takes
_PLAIN = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def typed_calls(cls: type, label: Label, names: Iterable[str] | None = None, *, eager: bool = False) -> None:
    """Wrap ``names`` (default: every public function defined in ``cls`` itself) so that a call that does not bind
    raises ``InvalidArgumentTypeError`` / ``UnknownParameterError`` naming the call and the fix.

    ``eager``: a coroutine method gets a plain wrapper that returns its coroutine (Python refuses the arguments when
    the coroutine is made, before any await), one call frame instead of a second coroutine: for per-item paths
    (the ingestors' ``event``, ``put``)."""
    chosen = [n for n, v in vars(cls).items() if _public(n, v)] if names is None else list(names)
    for name in chosen:
        function = vars(cls).get(name)
        if inspect.isfunction(function) and not getattr(function, "__aiocustomerio_typed__", False):
            setattr(cls, name, _wrap(function, label, eager))


def _public(name: str, value: Any) -> bool:
    return inspect.isfunction(value) and (not name.startswith("_") or name == "__call__")


def _wrap(function: Callable[..., Any], label: Label, eager: bool = False) -> Callable[..., Any]:
    signature = inspect.signature(function)
    name = function.__name__

    def fail(self: Any, args: tuple[Any, ...], kwargs: dict[str, Any], exc: TypeError) -> None:
        if isinstance(exc, CustomerIOError):
            return
        error = binding_error(label(self, name), signature, (self, *args), kwargs)
        if error is not None:
            raise error from None

    if inspect.iscoroutinefunction(function) and not eager:

        @functools.wraps(function)
        async def call_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                coroutine = function(self, *args, **kwargs)
            except TypeError as exc:
                fail(self, args, kwargs, exc)
                raise
            return await coroutine

        wrapper: Callable[..., Any] = call_async
    else:

        @functools.wraps(function)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return function(self, *args, **kwargs)
            except TypeError as exc:
                fail(self, args, kwargs, exc)  # a TypeError from inside a call that did bind is re-raised as it is
                raise

        wrapper = call
    if eager:
        wrapper = _fast_wrapper(function, signature, wrapper) or wrapper
    wrapper.__aiocustomerio_typed__ = True  # type: ignore[attr-defined]
    return wrapper


_MISSING: Any = object()


def _fast_wrapper(
    function: Callable[..., Any], signature: inspect.Signature, generic: Callable[..., Any]
) -> Callable[..., Any] | None:
    """For a per-item method (`eager`): a wrapper written for this signature, so that a call that binds costs a frame
    and a plain call, not the `*args, **kwargs` packing and unpacking of the generic wrapper (measured 3,300 of an
    ingestor `event()`'s 31,500 instructions). Its positional parameters are positional-only, so any keyword lands in
    `**more`; anything unusual (an extra positional, an unknown or positional name given by keyword, a required one
    missing) is handed as it was made to `generic`, which names the mistake. None when the signature has `*args`
    or `**kwargs`."""
    params = list(signature.parameters.values())[1:]
    if any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in params):
        return None
    names = [p.name for p in params]
    if len(set(names)) != len(names) or any(n.startswith("_") or n in ("self", "more", "extra") for n in names):
        return None
    namespace: dict[str, Any] = {"_function": function, "_M": _MISSING}
    positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    keywords = [p for p in params if p.kind is p.KEYWORD_ONLY]

    def default(p: inspect.Parameter) -> str:
        if p.default is p.empty:
            return "_M"
        namespace[f"_d_{p.name}"] = p.default
        return f"_d_{p.name}"

    # Every positional defaults to `_M` here: one given by keyword is then told apart from one left out (the call
    # takes the slow path), and the method's own default is put in for one left out.
    head = ", ".join(f"{p.name}=_M" for p in positional)
    tail = ", ".join(f"{p.name}={default(p)}" for p in keywords)
    required = [p.name for p in params if p.default is p.empty]
    checks = " or ".join(["extra", "more", *(f"{n} is _M" for n in required)])
    given = ", ".join(p.name for p in positional)
    passed = ", ".join(
        p.name if p.default is p.empty else f"{default(p)} if {p.name} is _M else {p.name}" for p in positional
    )
    kwargs = ", ".join(f"{p.name!r}: {p.name}" for p in keywords)
    source = (
        f"def wrapper(self{', ' + head + ', /' if head else ''}, *extra{', ' + tail if tail else ''}, **more):\n"
        f"    if {checks}:\n"
        f"        return _slow(self, ({given}{',' if given else ''}), extra, {{{kwargs}}}, more)\n"
        f"    return _function(self{', ' + passed if passed else ''}"
        f"{''.join(f', {p.name}={p.name}' for p in keywords)})\n"
    )
    namespace["_slow"] = _slow_path(generic)
    exec(source, namespace)  # built from a signature's parameter names only (checked above)
    wrapper: Callable[..., Any] = functools.wraps(function)(namespace["wrapper"])
    return wrapper


def _slow_path(generic: Callable[..., Any]) -> Callable[..., Any]:
    def slow(
        self: Any, given: tuple[Any, ...], extra: tuple[Any, ...], keywords: dict[str, Any], more: dict[str, Any]
    ) -> Any:
        # The call as it was made: the positionals up to the first one not given, the extra ones, the keywords.
        args = list(given)
        for index, value in enumerate(args):
            if value is _MISSING:
                del args[index:]
                break
        kwargs = {**{key: value for key, value in keywords.items() if value is not _MISSING}, **more}
        return generic(self, *args, *extra, **kwargs)

    return slow


def binding_error(
    what: str, signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> InvalidArgumentTypeError | None:
    """The typed error for a call of ``what`` that does not bind to ``signature`` (``args`` include ``self``), or
    None when it binds (the ``TypeError`` came from inside the call)."""
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        pass
    else:
        return None
    params = list(signature.parameters.values())[1:]  # without self
    args = args[1:]
    named = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    options = any(p.kind is p.VAR_KEYWORD and p.name == _OPTIONS for p in params)
    if not any(p.kind is p.VAR_KEYWORD for p in params):  # no **kwargs at all: a keyword not named is a typo
        for key in kwargs:
            if key not in named:
                return UnknownParameterError(what, key, sorted(named))
    if options:
        valid = sorted({*named, *OPTION_NAMES})
        for key in kwargs:
            if key not in valid:
                return UnknownParameterError(what, key, valid)
    positional = [p.name for p in params if p.kind in _PLAIN]
    if len(args) > len(positional) and not any(p.kind is p.VAR_POSITIONAL for p in params):
        taken = f"{len(positional)} positional argument{'' if len(positional) == 1 else 's'}"
        taken += f" ({', '.join(positional)})" if positional else ""
        keywords = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
        fix = f"; pass the others by keyword ({', '.join(keywords)})" if keywords else ""
        return InvalidArgumentTypeError(f"{what}() takes {taken} but {len(args)} were given{fix}")
    for index, param in enumerate(p for p in params if p.kind in _PLAIN):
        if index < len(args) and param.name in kwargs:
            return InvalidArgumentTypeError(
                f"{what}() got {param.name!r} twice, by position and by keyword; pass it once"
            )
    given = set(positional[: len(args)]) | set(kwargs)
    missing = [p for p in params if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    missing = [p for p in missing if p.name not in given]
    if missing:
        parts = [f"{p.name} (positional)" if p.kind in _PLAIN else f"{p.name}=..." for p in missing]
        return InvalidArgumentTypeError(
            f"{what}() is missing the required argument{'' if len(parts) == 1 else 's'} {', '.join(parts)}"
        )
    return InvalidArgumentTypeError(f"{what}(): the arguments do not fit {signature}")
