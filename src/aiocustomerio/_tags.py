"""The tags of an API (``cio.app.campaigns``): classes of operation slots, built on first access, and generated tags
extended with handwritten methods (``cio.app.customers.search``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

from ._arguments import typed_calls
from ._binding import ApiBinding
from ._missing import no_attribute, public_names

__all__ = ["AsyncTag", "SyncTag", "extend_tag", "operation", "tag"]

T = TypeVar("T")


class _Slot(Generic[T]):
    """A class attribute that builds its resource on first access and caches it on the instance."""

    def __init__(self, factory: type[T]) -> None:
        self.factory = factory
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> _Slot[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T: ...
    def __get__(self, obj: object, owner: type) -> _Slot[T] | T:
        if obj is None:
            return self
        value = self.factory(obj._api)  # type: ignore[attr-defined, call-arg]
        obj.__dict__[self.name] = value
        return value


class _ExtendedTag:
    """A generated tag with handwritten methods mixed in (``cio.app.customers.search``), built on first use."""

    def __init__(self, mixin: type, module: str | None, route: str | None = None) -> None:
        typed_calls(mixin, _tag_label)
        self.mixin = mixin
        self.module = module
        self.route = route
        self.name = ""
        # Per root module: the async API and its sync twin extend their own generated tag with the same mixin.
        self.built: dict[str, type] = {}

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return self
        module = self.module or obj._module
        built = self.built.get(module)
        if built is None:
            # By route when given: the tag keeps its attribute name here when a regenerated spec renames it.
            tag_name = obj._api.by_route()[self.route].tag if self.route else self.name
            base = getattr(obj._api.root_class(module), tag_name).factory
            built = self.built[module] = type(base.__name__, (self.mixin, base), {"__doc__": self.mixin.__doc__})
        value = obj.__dict__[self.name] = built(obj._api)
        return value


def extend_tag(mixin: type, module: str | None = None, *, route: str | None = None) -> Any:
    """``customers = extend_tag(CustomersSearch)``: the generated ``customers`` tag plus the mixin's methods.

    ``module``: the generated module whose tag is extended; by default the owner's (``_resources`` for an async
    API, ``_sync_resources`` for its sync twin). ``route``: extend the tag holding that operation, whatever the spec
    calls it, instead of the one named like the attribute."""
    return _ExtendedTag(mixin, module, route)


def operation(factory: type[T]) -> _Slot[T]:
    return _Slot(factory)


def tag(factory: type[T]) -> _Slot[T]:
    return _Slot(factory)


def _tag_label(tag: _Tag, method: str) -> str:
    return f"{tag._api.name}.{tag._tag}.{method}"


class _Tag:
    """The operations of one tag, as attributes: ``cio.app.campaigns.list_campaigns``."""

    _tag: ClassVar[str]

    def __init__(self, api: ApiBinding) -> None:
        self._api = api

    def _names(self) -> list[str]:
        return sorted({n for klass in type(self).__mro__ for n, v in vars(klass).items() if isinstance(v, _Slot)})

    def __dir__(self) -> list[str]:
        return self._names()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self._names())} operations of {self._api.name}>"

    if not TYPE_CHECKING:  # type checkers must still flag a misspelt operation

        def __getattr__(self, name: str) -> Any:
            # The operations and the methods a mixin adds (``customers.search``): the class's public names.
            label = f"{self._api.name}.{self._tag}"
            raise no_attribute(self, name, label, kind="operation", names=public_names(type(self)))


class AsyncTag(_Tag):
    """A tag of an async API."""


class SyncTag(_Tag):
    """A tag of a sync API."""
