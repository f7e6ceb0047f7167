"""Encoding of single items: each item becomes compact JSON bytes exactly once, at `put` time (on the orjson path
followed by one space, JSON whitespace: see `encode_fast`).

The stdlib C encoder is used through one pre-built `JSONEncoder` per API: `json.dumps(obj, **kwargs)` builds a new
encoder on every call when given non-default options, which costs more than the encoding of a small event.

`orjson` (a dependency) encodes when importable, about 6x faster on a typical event; the stdlib path is the
fallback and stays the reference: whatever orjson refuses (integers over 64 bits, non-string keys, ...) is handed
to it, and so is any output holding `null`, since orjson writes NaN and infinities as null where the stdlib path
refuses them. orjson also accepts a few types the stdlib path refuses (UUID, Enum), as strings or values.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from itertools import repeat
from operator import add
from typing import Any

from .._encode import find_bad, json_default
from .._payload import BATCH_LIMIT, ITEM_LIMIT
from ..errors import InvalidArgumentError, InvalidArgumentTypeError

# AIOCUSTOMERIO_STDLIB_JSON=1 forces the stdlib path (the tests run both paths this way).
_orjson: Any = None
if not os.environ.get("AIOCUSTOMERIO_STDLIB_JSON"):
    try:
        _orjson = importlib.import_module("orjson")
    except ImportError:  # the stdlib encoder below is the always-available path
        _orjson = None
# Dates go through `default` like on the stdlib path (orjson would write RFC 3339 strings for Track).
_OPTIONS = 0 if _orjson is None else _orjson.OPT_PASSTHROUGH_DATETIME | _orjson.OPT_PASSTHROUGH_DATACLASS

# Per the Track v2 and Pipelines docs: a batch body must stay under 500 KB and each entry under 32 KB.
MAX_ITEM_BYTES = ITEM_LIMIT
MAX_BATCH_BYTES = BATCH_LIMIT

# The façade's conversions (dates, enums, UUIDs, models), so an event encodes the same whichever way it is sent.
_track_default = json_default("unix")
_pipelines_default = json_default("iso")


def _make(default: Callable[[object], object]) -> Callable[[Any], bytes]:
    encoder = json.JSONEncoder(
        separators=(",", ":"), ensure_ascii=False, check_circular=False, allow_nan=False, default=default
    )
    encode: Callable[[Any], str] = encoder.encode
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is not None:
        # `JSONEncoder.encode` builds a fresh C encoder on every call; building it once saves about a third of the
        # encoding time of a small event. Same options, same output (json's own one-shot path).
        c_encode = c_make_encoder(None, default, json.encoder.encode_basestring, None, ":", ",", False, False, False)
        join = "".join

        def encode(item: Any) -> str:
            return join(c_encode(item, 0))

    def encode_item(item: Any) -> bytes:
        try:
            return encode(item).encode()
        except (TypeError, ValueError) as exc:
            raise _locate(item, default, exc) from None
        except RecursionError:
            raise InvalidArgumentError(
                "cannot encode item: it is nested too deeply (or contains itself) to encode as JSON; flatten it or "
                "remove the cycle"
            ) from None

    if _orjson is None:
        return encode_item
    dumps, options = _orjson.dumps, _OPTIONS

    def encode_fast(item: Any) -> bytes:
        try:
            # Positional: orjson parses keyword arguments per call (measured 0.4 µs of a 1.7 µs call).
            data: bytes = dumps(item, default, options)
        except TypeError:  # orjson.JSONEncodeError: the stdlib either manages or explains where the problem is
            return encode_item(item)
        # `rpartition`, not `in` or `find`: bytes.__contains__ first tries the needle as an int and pays for the
        # failed conversion, `find` parses its arguments into a tuple, and the reverse search skips faster here
        # (0.82, 0.47 and 0.27 µs on a 340-byte event). Not found: `(b"", b"", data)`.
        if data.rpartition(b"null")[1]:
            return encode_item(item)
        # orjson hands back its whole working buffer (4 KB for a small event: 79 MB for a queue of 20,000); items wait
        # in the queue, so they keep a right-sized copy. Concatenating one byte of JSON whitespace is the cheapest
        # copy CPython has (0.2 µs against 0.75 for memoryview(...).tobytes()); a trailing space is valid JSON
        # wherever the item goes (a batch body, the spool, json.loads).
        return data + b" "

    return encode_fast


def _make_many(default: Callable[[object], object]) -> Callable[[list[Any]], list[bytes] | None]:
    """Many items' bytes at once, each as the one-item encoder makes them, by C loops (a bulk put); None when any needs
    the one-item path: a type orjson refuses, or a `null` that may be a NaN (and always without orjson)."""
    if _orjson is None:
        return lambda items: None
    dumps, options = _orjson.dumps, _OPTIONS
    space = repeat(b" ")

    def encode_many(items: list[Any]) -> list[bytes] | None:
        try:
            # Each copied to its right size (see `encode_fast`) as it comes: orjson's 4 KB buffer is then the same
            # block each time, still in the CPU's cache, instead of 500 of them (measured: 1.2 against 2.4 us per item).
            encoded = list(map(add, map(dumps, items, repeat(default), repeat(options)), space))
        except TypeError:  # orjson.JSONEncodeError
            return None
        # One scan of them all; `\n` cannot occur in compact JSON, so no match spans two items. Reverse, as in
        # `encode_fast` (measured 195 against 311 ns per item for `find`).
        if b"\n".join(encoded).rfind(b"null") >= 0:
            return None
        return encoded

    return encode_many


def _make_track_action(
    default: Callable[[object], object], encode_entity: Callable[[Any], bytes]
) -> Callable[..., bytes]:
    """The encoder of the ingestor's own Track actions (event/page/screen), the per-event hot path.

    On the stdlib path the fixed parts of the entity are a pre-built template, so only the caller's values go through
    the encoder: about 40% less time per event than encoding the whole dict. orjson encodes the dict faster still.
    """

    def encode_dict(identifiers: Any, action: str, name: Any, id: Any, timestamp: int, attributes: Any) -> bytes:
        entity = {"type": "person", "identifiers": identifiers, "action": action, "name": name, "id": id}
        entity["timestamp"] = timestamp
        if attributes:
            entity["attributes"] = attributes
        return encode_entity(entity)

    if _orjson is not None:
        return encode_dict

    quote = json.encoder.encode_basestring  # escapes like the encoder with ensure_ascii=False
    template = '{"type":"person","identifiers":%s,"action":"%s","name":%s,"id":%s,"timestamp":%d%s}'
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:
        return encode_dict
    c_encode = c_make_encoder(None, default, quote, None, ":", ",", False, False, False)
    join = "".join

    def encode_template(identifiers: Any, action: str, name: Any, id: Any, timestamp: int, attributes: Any) -> bytes:
        # `action` is one of the ingestor's own constants; everything else is quoted or encoded.
        try:
            if type(identifiers) is dict and len(identifiers) == 1 and type(identifiers.get("id")) is str:
                people = '{"id":' + quote(identifiers["id"]) + "}"
            else:
                people = join(c_encode(identifiers, 0))
            more = ',"attributes":' + join(c_encode(attributes, 0)) if attributes else ""
            return (template % (people, action, quote(name), quote(id), timestamp, more)).encode()
        except (TypeError, ValueError, RecursionError):
            # Anything unusual (a non-string name, NaN, an unknown type): the whole-dict path handles or explains it.
            return encode_dict(identifiers, action, name, id, timestamp, attributes)

    return encode_template


def _locate(item: object, default: Callable[[object], object], exc: Exception) -> Exception:
    """The encoder's error as the façade's typed one, naming the path of the offending value and the fix (slow path,
    only on failure). Still a TypeError / ValueError, which `put_many` turns into `InvalidItem`."""
    path = find_bad(item, default, "")
    where = f" at {path}" if path else ""
    if isinstance(exc, TypeError):
        return InvalidArgumentTypeError(f"cannot encode item{where}: {exc}")
    if "Out of range float" in str(exc):  # the encoder's words name neither the value nor the fix
        return InvalidArgumentError(
            f"cannot encode item{where}: NaN and infinity are not JSON; send null or a finite number"
        )
    return InvalidArgumentError(f"cannot encode item{where}: {exc}")


encode_track = _make(_track_default)
encode_pipelines = _make(_pipelines_default)
encode_track_action = _make_track_action(_track_default, encode_track)
encode_track_many = _make_many(_track_default)
