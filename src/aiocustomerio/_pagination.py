"""Paginators: ``async for`` (or ``for``) over every item of a listing, ``.pages()`` over its typed pages.

A cursor listing follows the ``next`` token the index names; a listing paged by position (``offset``/``limit``,
``page``/``per_page``) asks page after page until a short one; any other listing yields its one page. The rules (when
to stop, ``max_items``, a repeated cursor or page) live in ``Walk``, shared by the async and sync paginators.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

from ._binding import OperationInfo, Pagination
from .errors import InvalidArgumentError, PaginationError

ItemT = TypeVar("ItemT")
PageT = TypeVar("PageT")


class Walk:
    """Where a listing is: the arguments of the next page, how many items are left, the cursors seen."""

    def __init__(self, info: OperationInfo, given: dict[str, Any], max_items: int | None) -> None:
        if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0):
            raise InvalidArgumentError(f"{info.name}: max_items must be an integer >= 0 (or None), not {max_items!r}")
        self.info = info
        self.given = given
        self.left = max_items
        self.seen: set[str] = set()
        page = info.pagination
        if page is not None:
            first = given.get(page.cursor)
            if isinstance(first, str) and first:
                self.seen.add(first)
        self.done = max_items == 0
        self.repeated: str | None = None
        self.previous: list[Any] | None = None  # the last page's items, for a listing paged by position
        self.ignored: Any = None  # the position the API answered with the page before's items again
        self._start = (given, max_items)

    def fresh(self) -> Walk:
        """A walk from the first page with the same arguments (a paginator iterated again starts over)."""
        return Walk(self.info, *self._start)

    def more(self) -> bool:
        """Whether to fetch another page; a cursor the API gave before raises (after its page was handed out)."""
        if self.repeated is not None:
            raise PaginationError(
                f"{self.info.name}: the API returned the page cursor {self.repeated!r} a second time; stopping rather "
                "than looping (the items so far were yielded). Report it to Customer.io with the request ids."
            )
        if self.ignored is not None:
            page = self.info.pagination
            raise PaginationError(
                f"{self.info.name}: the API answered {page.cursor if page else 'position'}={self.ignored!r} with the "
                "same items as the page before; stopping rather than looping (the items so far were yielded). "
                "Report it to Customer.io with the request ids."
            )
        return not self.done

    def items(self, page: Any) -> list[Any]:
        """The items of ``page`` to hand out (cut at ``max_items``); sets up the next page or ends the walk."""
        attribute = self.info.pagination.items if self.info.pagination else self.info.items
        found = getattr(page, attribute, None) if attribute else None
        received = list(found) if isinstance(found, list) else []
        items = received
        if self.left is not None:
            items = items[: self.left]
            self.left -= len(items)
        self._advance(page, received)
        return items

    def _advance(self, page: Any, received: list[Any]) -> None:
        pagination = self.info.pagination
        if pagination is None or self.left == 0:
            self.done = True
            return
        if pagination.style != "cursor":
            self._advance_position(pagination, page, received)
            return
        assert pagination.next is not None
        cursor = getattr(page, pagination.next, None)
        if not isinstance(cursor, str) or not cursor:
            self.done = True  # no next token: the last page
            return
        if cursor in self.seen:
            self.repeated = cursor
            return
        self.seen.add(cursor)
        self.given = {**self.given, pagination.cursor: cursor}

    def _advance_position(self, pagination: Pagination, page: Any, received: list[Any]) -> None:
        """Paged by position: the next page starts after this one, unless this one was the last.

        The last page is a short or empty one (fewer items than the page size asked for, or the spec's default),
        or the one that reaches the documented total. A page equal to the one before means the API ignored the
        position: raised by ``more`` rather than asked for again and again.
        """
        count = len(received)
        size = _integer(self.given.get(pagination.limit)) if pagination.limit else None
        size = pagination.size if size is None else size
        start = _integer(self.given.get(pagination.cursor))
        if pagination.style == "page":
            start = (1 if pagination.first is None else pagination.first) if start is None else start
            after = start + 1
        else:
            start = (pagination.first or 0) if start is None else start
            after = start + count
        total = _integer(getattr(page, pagination.total, None)) if pagination.total else None
        if count == 0 or (size is not None and count < size):
            self.done = True
            return
        if total is not None and pagination.style == "offset" and after >= total:
            self.done = True
            return
        if (
            total is not None
            and pagination.style == "page"
            and size
            and (after - (pagination.first or 1)) * size >= total
        ):
            self.done = True
            return
        if self.previous is not None and received == self.previous:
            self.ignored = start
            return
        self.previous = received
        self.given = {**self.given, pagination.cursor: after}


def _integer(value: Any) -> int | None:
    """``value`` when it is an integer (not a bool, not NOT_GIVEN or UNSET), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class AsyncPaginator(Generic[ItemT, PageT]):
    """``async for item in op.paginate(...)``; ``async for page in op.paginate(...).pages()``. Nothing is sent
    before iteration starts."""

    def __init__(self, fetch: Callable[[dict[str, Any], Any], Awaitable[PageT]], walk: Walk, options: Any) -> None:
        self._fetch = fetch
        self._walk = walk
        self._options = options

    async def _walk_pages(self) -> AsyncIterator[tuple[PageT, list[Any]]]:
        walk = self._walk.fresh()  # each iteration walks the listing from its first page
        while walk.more():
            page = await self._fetch(walk.given, self._options)
            yield page, walk.items(page)

    async def pages(self) -> AsyncIterator[PageT]:
        async for page, _items in self._walk_pages():
            yield page

    def __aiter__(self) -> AsyncIterator[ItemT]:
        return self._each()

    async def _each(self) -> AsyncIterator[ItemT]:
        async for _page, items in self._walk_pages():
            for item in items:
                yield item


class SyncPaginator(Generic[ItemT, PageT]):
    """``for item in op.paginate(...)``; ``for page in op.paginate(...).pages()``."""

    def __init__(self, fetch: Callable[[dict[str, Any], Any], PageT], walk: Walk, options: Any) -> None:
        self._fetch = fetch
        self._walk = walk
        self._options = options

    def _walk_pages(self) -> Iterator[tuple[PageT, list[Any]]]:
        walk = self._walk.fresh()  # each iteration walks the listing from its first page
        while walk.more():
            page = self._fetch(walk.given, self._options)
            yield page, walk.items(page)

    def pages(self) -> Iterator[PageT]:
        for page, _items in self._walk_pages():
            yield page

    def __iter__(self) -> Iterator[ItemT]:
        for _page, items in self._walk_pages():
            yield from items
