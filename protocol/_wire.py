"""The one JSON serializer and parser every surface uses for wire messages.

orjson does the common case of both: every chunk of every chat is written once (the
``chat/chunk`` notification), and orjson takes about a tenth of the standard library's time to
write such a message and a quarter to parse one (bench/relay.py). (A provider's events are read
by :func:`bridge.providers._jsonstream.parse_json`, orjson without the exact path below.) What
it writes is compact UTF-8 JSON with keys in insertion order, as before. Where orjson would
differ from JSON's meaning, the standard library takes over, so no value changes on the way
through: an integer beyond 64 bits (orjson refuses to write one and reads it as a float, losing
digits) is read and written exactly. Only strict JSON is read: ``NaN``, ``Infinity`` and numbers
that overflow a double are refused, so no such value enters a message from outside; a NaN that
the bridge itself made would be written as ``null``, as ``JSON.stringify`` writes it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

JSONDecodeError = json.JSONDecodeError  # a ValueError; orjson's is a subclass of it

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
# 19 digits in a row may be an integer beyond 64 bits (-2**63 - 1 has 19); a message holding such a
# run (in a number or a string) takes the slower exact path. Found by mapping every digit to "0" and
# everything else to a space, then searching: a regular expression took 5 us per message here.
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_RUN = b"0" * 19


def dumpb(message: Any) -> bytes:
    """Compact UTF-8 JSON bytes (what goes on a socket); TypeError or ValueError for what JSON
    cannot hold (an object that is not JSON, NaN, a lone surrogate)."""
    try:
        return orjson.dumps(message)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, or what JSON cannot hold: say which
        return _encoder.encode(message).encode("utf-8")


def dumps(message: Any) -> str:
    """:func:`dumpb` as text."""
    return dumpb(message).decode("utf-8")


def loads(data: str | bytes) -> Any:
    """Strict JSON; :data:`JSONDecodeError` (a ValueError) for anything else."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    if _LONG_RUN not in raw.translate(_DIGITS_AS_ZERO):
        return orjson.loads(raw)
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, parse_constant=_not_json, parse_float=_finite)
    except UnicodeDecodeError as exc:
        raise JSONDecodeError("not valid UTF-8", "", exc.start) from exc
    except RecursionError as exc:
        raise JSONDecodeError("nested too deeply", "", 0) from exc
    except JSONDecodeError:
        raise
    except ValueError as exc:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise JSONDecodeError(str(exc), "", 0) from exc


def _not_json(name: str) -> Any:
    raise JSONDecodeError(f"{name} is not JSON", name, 0)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONDecodeError("a number beyond the range of a double", text, 0)
    return value
