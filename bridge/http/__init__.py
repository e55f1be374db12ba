"""A small HTTP/1.1 client for the providers' streamed answers, on asyncio.

The bridge reads thousands of streams at once, each chunk alone in its own network read, so the
cost of one read is what matters: :mod:`.parser` is a sans-I/O response parser, :mod:`.connection`
an ``asyncio.Protocol`` that buffers body bytes and wakes a waiting reader with one future,
:mod:`.client` the keep-alive pool and ``stream()``; :mod:`.connect` opens TCP, TLS and proxy
tunnels. Errors are :mod:`.errors`, one tree.
"""

from __future__ import annotations

from bridge.http.client import Exchange, HTTPClient
from bridge.http.errors import (
    ConnectError,
    ConnectTimeout,
    HTTPError,
    InvalidRequest,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    Timeout,
)
from bridge.http.headers import Headers
from bridge.http.response import Response

__all__ = [
    "ConnectError",
    "ConnectTimeout",
    "Exchange",
    "HTTPClient",
    "HTTPError",
    "Headers",
    "InvalidRequest",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "Response",
    "Timeout",
]
