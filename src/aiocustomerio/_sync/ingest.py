"""Blocking ingestors for sync code: the async ingestion engine, run on a private thread with its own event loop.

    with cio.track.ingestor(spool="events.db") as ing:      # cio = SyncCustomerIO(...)
        ing.event("u1", "purchase", {"total": 12.5})
    print(ing.report.summary())

Nothing about batching, spooling, retries or reports is re-implemented here: every method runs the async ingestor's
method of the same name on the private loop and waits for it, so the guarantees are the async ones. ``event`` returns
once the async ``event`` would have (the item is queued, or with a spool durable on disk), and blocks while the queue
is full. Exceptions arrive as raised by the engine (``ItemTooLarge``, ``IngestorHalted``, ...). Threads may share one
ingestor. The HTTP client is built on the private loop, because an ``httpx.AsyncClient``'s pool belongs to one loop.

Waits are bounded: a call that waits longer than ``put_timeout`` for room is cancelled (the item is not accepted
unless it was already committed) and raises ``IngestorTimeout``; ``put_many`` is fed to the loop in parts of up to
1,000 items, so the bound applies to each part's wait, not to a whole backfill; ``close`` waits at most
``drain_timeout`` for delivery, then returns the report with the rest in ``pending`` (still in the spool, if one is
used). A ``with`` block left by Ctrl-C (``KeyboardInterrupt``, or ``SystemExit``) drains for at most
``interrupt_drain_timeout`` (10 s, as the CLI after a signal) and the interruption goes on: the user asked to stop,
and a second Ctrl-C cannot be relied on to end an unbounded drain (two SIGINTs that arrive before Python handles the
first are one KeyboardInterrupt).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

import httpx

from aiocustomerio._builders import IsoTimestamp
from aiocustomerio.errors import CustomerIOError
from aiocustomerio.ingest import Engine, IngestorClosed, IngestReport, InvalidItem, PipelinesIngestor, TrackIngestor
from aiocustomerio.ingest._checks import check_items, check_seconds
from aiocustomerio.ingest._engine import PART, Checkpoint
from aiocustomerio.ingest._types import IngestorNotStarted

from ._loop import LoopThread, LoopTimeout

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["IngestorTimeout", "SyncIngestor", "SyncPipelinesIngestor", "SyncTrackIngestor"]

P = ParamSpec("P")
R = TypeVar("R")
E = TypeVar("E", bound="Engine")
JSONDict = dict[str, Any]
HttpFactory = Callable[[], httpx.AsyncClient | Awaitable[httpx.AsyncClient]]
_END = object()
# The longest drain of a `with` block left by Ctrl-C (the CLI's SIGNAL_DRAIN after a signal).
INTERRUPT_DRAIN = 10.0


class IngestorTimeout(CustomerIOError, LoopTimeout):
    """A blocking ingestor call waited longer than its bound (``put_timeout``, or the drain's) and was cancelled.

    A ``CustomerIOError`` like every other ingestion error (``except CustomerIOError`` catches it) and still a
    ``TimeoutError``."""


class _Forward(Generic[P, R]):
    """A method of the async ingestor, run on the private loop; the caller waits for its result.

    The sync method's signature is the async method's, taken by the type checker from the method itself, so the two
    cannot drift apart.
    """

    def __init__(self, method: Callable[Concatenate[Any, P], Any]) -> None:
        self._name = method.__name__
        self.__doc__ = method.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, obj: SyncIngestor[Any], owner: type | None = None) -> Callable[P, R]: ...
    def __get__(self, obj: SyncIngestor[Any] | None, owner: type | None = None) -> Self | Callable[P, R]:
        if obj is None:
            return self
        name = self._name

        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            result: R = obj._call(name, functools.partial(getattr(obj._async, name), *args, **kwargs))
            return result

        call.__name__, call.__qualname__, call.__doc__ = name, f"{type(obj).__name__}.{name}", self.__doc__
        # Cached on the instance: later lookups skip the descriptor.
        obj.__dict__[name] = call
        return call


def blocking(method: Callable[Concatenate[Any, P], Awaitable[R]]) -> _Forward[P, R]:
    """The blocking twin of an async method: same parameters, the awaited result."""
    return _Forward(method)


def on_loop(method: Callable[Concatenate[Any, P], R]) -> _Forward[P, R]:
    """A sync method of the async ingestor, run on its loop (its state is not thread-safe)."""
    return _Forward(method)


class SyncIngestor(Generic[E]):
    """The blocking twin of an async ingestor ``E``; see the module docstring."""

    _thread_name = "aiocustomerio-ingest-track"

    def __init__(
        self,
        engine: type[E],
        http: HttpFactory,
        *,
        put_timeout: float | None = 300.0,
        drain_timeout: float | None = None,
        interrupt_drain_timeout: float | None = INTERRUPT_DRAIN,
        **options: Any,
    ) -> None:
        for name, value in (
            ("put_timeout", put_timeout),
            ("drain_timeout", drain_timeout),
            ("interrupt_drain_timeout", interrupt_drain_timeout),
        ):
            check_seconds(name, value)
        self._http_factory = http
        self._http: httpx.AsyncClient | None = None
        # Built here so that bad options fail in the caller's thread; its loop-bound parts bind on first use.
        self._async: E = engine(self._open_http, **options)
        self._put_timeout = put_timeout
        self._drain_timeout = drain_timeout
        self._interrupt_drain = interrupt_drain_timeout
        self._loop = LoopThread(self._thread_name)
        self._lock = threading.Lock()
        self._state = "new"  # new -> running -> closed
        self._final: IngestReport | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._state}>"

    async def _open_http(self) -> httpx.AsyncClient:
        made = self._http_factory()
        self._http = made if isinstance(made, httpx.AsyncClient) else await made
        return self._http

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Start the private loop and the engine (recovering a spool's leftovers); returns the ingestor."""
        with self._lock:
            if self._state == "closed":
                raise _closed()
            if self._state == "running":
                return self
            self._loop.start()
            try:
                self._loop.call(self._async.start, timeout=self._put_timeout, what="starting the ingestor")
            except BaseException as exc:
                self._shutdown()
                self._state = "closed"
                if isinstance(exc, LoopTimeout):
                    raise IngestorTimeout(
                        f"starting the ingestor took more than put_timeout={self._put_timeout} s and was cancelled "
                        "(opening the HTTP client, or recovering a large spool's leftovers); nothing was accepted. "
                        "Raise put_timeout"
                    ) from exc
                raise
            self._state = "running"
        return self

    def close(self, timeout: float | None = None) -> IngestReport:
        """Flush and drain, then stop the private loop. After ``timeout`` seconds (default: the ingestor's
        ``drain_timeout``; neither set: no limit) undelivered items are returned in ``report.pending`` (and stay in
        the spool, if one is used). Exiting the ``with`` block calls this."""
        drain = self._drain_timeout if timeout is None else timeout
        with self._lock:
            if self._state != "running":
                self._state = "closed"
                if self._final is None:
                    self._final = self._async.report
                return self._final
            try:
                # The engine stops waiting at `drain`; cancelling its tasks and closing the spool needs a little more.
                bound = None if drain is None else drain + 30.0
                try:
                    self._final = self._loop.call(self._async.close, drain, timeout=bound, what="closing the ingestor")
                except LoopTimeout as exc:
                    raise IngestorTimeout(
                        f"closing the ingestor took more than {bound} s (the drain's {drain} s and 30 s to stop) and "
                        "was cancelled; undelivered items are in the spool, if one is used"
                    ) from exc
            finally:
                self._shutdown()
                self._state = "closed"
                if self._final is None:
                    # The drain was interrupted (Ctrl-C): the counts so far, read now that the loop has stopped.
                    self._final = self._async.report
            return self._final

    def _shutdown(self) -> None:
        http, self._http = self._http, None
        if http is not None and self._loop.running:
            # A failure here loses nothing: the connections go with the loop.
            with contextlib.suppress(Exception):
                self._loop.call(http.aclose, timeout=10.0, what="closing the ingestor's HTTP client")
        self._loop.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None and not issubclass(exc_type, Exception):
            # Interrupted (Ctrl-C, sys.exit from a signal handler): drain for a bounded time, keep the rest.
            limits = [t for t in (self._drain_timeout, self._interrupt_drain) if t is not None]
            self.close(min(limits) if limits else None)
        else:
            self.close()

    @property
    def report(self) -> IngestReport:
        """Running counts; after ``close``, the final report."""
        if self._final is not None:
            return self._final
        return self._async.report if self._state == "new" else self._call("report", lambda: self._async.report)

    def _call(self, name: str, work: Callable[[], Any]) -> Any:
        if self._state != "running":
            if self._state == "closed":
                raise _closed()
            raise IngestorNotStarted(
                f"start the ingestor first: `with ingestor:` or `ingestor.start()` (before {name})"
            )
        try:
            return self._loop.call(work, timeout=self._put_timeout, what=f"ingestor.{name}()")
        except RuntimeError as exc:
            if self._state == "closed" and not isinstance(exc, IngestorClosed):
                # Another thread closed the ingestor while this call waited: say so, as the engine would.
                raise IngestorClosed(f"the ingestor closed while ingestor.{name}() waited") from exc
            raise
        except LoopTimeout as exc:
            raise IngestorTimeout(
                f"ingestor.{name}() waited more than put_timeout={self._put_timeout} s and was cancelled (a full "
                "queue waits for delivery, which is slower than production or stalled: see report and logs); an item "
                "it offered was not accepted unless report.accepted counts it. Raise put_timeout, or fix delivery"
            ) from exc

    # -- the async ingestor's methods, blocking --------------------------------------------------------------------

    flush = blocking(Engine.flush)
    put = blocking(Engine.put)
    put_nowait = on_loop(Engine.put_nowait)

    def put_many(self, items: Iterable[JSONDict], *, checkpoint: Checkpoint | None = None) -> None:
        """The async `put_many`, fed from this thread in parts of up to 1,000 items, each its own call on the loop:
        ``put_timeout`` bounds each wait for room, not the whole iterable (a long backfill takes as long as delivery
        does), and the iterable is consumed here, never on the private loop. Same outcome as one async call: every
        part is accepted with its checkpoint, ``InvalidItem`` counts from the start of this call."""
        check_items(items)
        iterator = iter(items)
        head: object = next(iterator, _END)
        done = 0
        while True:
            part: list[JSONDict] = []
            while head is not _END and len(part) < PART:
                part.append(head)  # type: ignore[arg-type]
                head = next(iterator, _END)
            last = head is _END
            mark: Checkpoint | None = None
            if checkpoint is not None:
                key, value = checkpoint
                if callable(value):
                    mark = (key, functools.partial(_after, value, done))  # each part: the whole call's mark
                elif last:
                    mark = checkpoint  # a plain value goes with the last part, as in one async call
            try:
                self._call("put_many", functools.partial(self._async.put_many, part, checkpoint=mark))
            except InvalidItem as exc:
                raise InvalidItem(done + exc.index, exc.cause, done + exc.accepted) from exc.cause
            done += len(part)
            if last:
                return

    qsize = on_loop(Engine.qsize)
    checkpoint = on_loop(Engine.checkpoint)


class SyncTrackIngestor(SyncIngestor[TrackIngestor]):
    """Blocking Track v2 ``/api/v2/batch`` ingestor: ``cio.track.ingestor(...)`` on a ``SyncCustomerIO``."""

    def __init__(self, http: HttpFactory, **options: Any) -> None:
        super().__init__(TrackIngestor, http, **options)

    def identify(self, identifier: str | JSONDict, attributes: JSONDict | None = None, **more: Any) -> None:
        # Written out (not `blocking(...)`): free-form `**more` attributes keep the type checker from taking the
        # signature from the async method. mypy checks this call against it; a test checks the names match.
        self._call("identify", functools.partial(self._async.identify, identifier, attributes, **more))

    event = blocking(TrackIngestor.event)
    page = blocking(TrackIngestor.page)
    screen = blocking(TrackIngestor.screen)


class SyncPipelinesIngestor(SyncIngestor[PipelinesIngestor]):
    """Blocking Pipelines ``/batch`` ingestor: ``cio.pipelines.ingestor(...)`` on a ``SyncCustomerIO``."""

    _thread_name = "aiocustomerio-ingest-pipelines"

    def __init__(self, http: HttpFactory, **options: Any) -> None:
        super().__init__(PipelinesIngestor, http, **options)

    def identify(
        self,
        user_id: str | None,
        traits: JSONDict | None = None,
        *,
        anonymous_id: str | None = None,
        timestamp: IsoTimestamp | None = None,
        message_id: str | None = None,
        context: JSONDict | None = None,
        integrations: JSONDict | None = None,
        **more_traits: Any,
    ) -> None:
        # Written out for the same reason as SyncTrackIngestor.identify.
        work = functools.partial(
            self._async.identify,
            user_id,
            traits,
            anonymous_id=anonymous_id,
            timestamp=timestamp,
            message_id=message_id,
            context=context,
            integrations=integrations,
            **more_traits,
        )
        self._call("identify", work)

    track = blocking(PipelinesIngestor.track)
    page = blocking(PipelinesIngestor.page)
    screen = blocking(PipelinesIngestor.screen)
    group = blocking(PipelinesIngestor.group)
    alias = blocking(PipelinesIngestor.alias)


def _after(value: Callable[[int], str], done: int, n: int) -> str:
    """A checkpoint function of the whole call, given ``n`` items of one of its parts after ``done`` before it."""
    return value(done + n)


def _closed() -> IngestorClosed:
    return IngestorClosed("the ingestor is closed")
