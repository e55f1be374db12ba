"""The client: a keep-alive pool per origin and one way to make a request, as a stream.

::

    async with client.stream("POST", url, headers=h, body=b, connect_timeout=10,
                             first_byte_timeout=120, read_timeout=60) as response:
        response.status, response.headers
        while part := await response.read_some():
            ...

The block is entered once the response head is in. Leaving it before the body has ended (an
error, a ``break``, the task being cancelled) aborts the connection, so the server sees the close
at once; a connection whose answer was read to its end goes back to the pool, unless either side
said ``Connection: close``. The pool keeps up to ``max_idle_per_origin`` idle connections per
origin (and proxy), and one idle for over ``keepalive_expiry`` seconds (5, as httpx: servers close
idle connections too) is not used again but closed when the pool is next used or closed; no
timer runs for it (what a soak test counts is at most that many fds per origin). It puts no cap on
connections in use: each streamed chat holds one for its whole answer, and a thousand at once
must not wait for each other.

A pooled connection may have been closed by the server while it was idle. If the event loop has
seen that, the connection is dropped when taken; if it has not, the request fails before any byte
of the answer, and is sent once more on a new connection. From the client's side that cannot be
told apart from a server that read the request and then died without a word, which so gets it
twice, a POST included: as with the official SDKs, which retry a request that got no answer.

Timeouts, in seconds, ``None`` for none: ``connect_timeout`` bounds opening the connection (proxy
tunnel and TLS included); ``first_byte_timeout`` bounds the time from sending the request until
the head and the first body bytes are in; ``read_timeout`` bounds each silence after that (and,
without a ``first_byte_timeout``, before it). Failures raise :mod:`bridge.http.errors`.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType

from bridge.http.connect import Proxy, ProxySettings, default_ssl_context, open_connection
from bridge.http.connection import Connection, StaleConnection
from bridge.http.request import Origin, encode_request, split_url
from bridge.http.response import Response

_PoolKey = tuple[Origin, Proxy | None]
# How a connection is opened: (origin, proxy, TLS context or None, connect timeout) -> Connection.
# The default is the network (bridge.http.connect); bench/normalize.py replays bytes in memory.
Connector = Callable[[Origin, Proxy | None, ssl.SSLContext | None, float | None], Awaitable[Connection]]


class HTTPClient:
    def __init__(
        self,
        *,
        max_idle_per_origin: int = 20,
        keepalive_expiry: float = 5.0,
        ssl_context: ssl.SSLContext | None = None,
        trust_env: bool = True,
        connector: Connector = open_connection,
    ) -> None:
        """``trust_env``: use the proxies the environment names; ``ssl_context``: instead of
        :func:`bridge.http.connect.default_ssl_context`."""
        self.max_idle_per_origin = max_idle_per_origin
        self.keepalive_expiry = keepalive_expiry
        self._connector = connector
        self._ssl_context = ssl_context
        self._trust_env = trust_env
        self._proxies: ProxySettings | None = None
        self._idle: dict[_PoolKey, list[tuple[Connection, float]]] = {}  # newest last, with when it went idle
        self._in_use: set[Connection] = set()

    def stream(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        connect_timeout: float | None = None,
        first_byte_timeout: float | None = None,
        read_timeout: float | None = None,
    ) -> Exchange:
        return Exchange(self, method, url, headers or {}, body, connect_timeout, first_byte_timeout, read_timeout)

    async def aclose(self) -> None:
        """Close the idle connections and abort those still in use."""
        for idle in self._idle.values():
            for connection, _ in idle:
                connection.close()
        self._idle.clear()
        for connection in self._in_use:
            connection.abort()
        self._in_use.clear()

    async def __aenter__(self) -> HTTPClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the pool -----------------------------------------------------------------------------

    def _proxy_for(self, origin: Origin) -> Proxy | None:
        if not self._trust_env:
            return None
        if self._proxies is None:
            self._proxies = ProxySettings.from_environment()
        return self._proxies.for_origin(origin)

    def _tls_for(self, origin: Origin) -> ssl.SSLContext | None:
        if origin.scheme != "https":
            return None
        if self._ssl_context is None:
            self._ssl_context = default_ssl_context()
        return self._ssl_context

    def _take_idle(self, key: _PoolKey) -> Connection | None:
        """The newest idle connection to ``key`` that is still open; expired ones (any origin's)
        are closed on the way."""
        oldest = asyncio.get_running_loop().time() - self.keepalive_expiry
        for pooled in self._idle.values():
            while pooled and pooled[0][1] <= oldest:
                pooled.pop(0)[0].close()
        idle = self._idle.get(key)
        while idle:
            connection, _ = idle.pop()
            if connection.usable:
                connection.reused = True
                self._in_use.add(connection)
                return connection
            connection.abort()
        return None

    async def _open(self, key: _PoolKey, connect_timeout: float | None) -> Connection:
        origin, proxy = key
        connection = await self._connector(origin, proxy, self._tls_for(origin), connect_timeout)
        self._in_use.add(connection)
        return connection

    def _release(self, key: _PoolKey, connection: Connection) -> None:
        self._in_use.discard(connection)
        if connection.finish() and connection.usable:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self.max_idle_per_origin:
                idle.append((connection, asyncio.get_running_loop().time()))
                return
        connection.abort()


class Exchange:
    """One request and its response: ``async with`` it (see the module's docstring)."""

    def __init__(
        self,
        client: HTTPClient,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        connect_timeout: float | None,
        first_byte_timeout: float | None,
        read_timeout: float | None,
    ) -> None:
        self._client, self._method, self._url, self._headers, self._body = client, method.upper(), url, headers, body
        self._connect_timeout, self._first_byte, self._read = connect_timeout, first_byte_timeout, read_timeout
        self._key: _PoolKey | None = None
        self._connection: Connection | None = None

    async def __aenter__(self) -> Response:
        client = self._client
        origin, target = split_url(self._url)
        proxy = client._proxy_for(origin)
        key = self._key = (origin, proxy)
        if proxy is not None and origin.scheme == "http":  # through the proxy: absolute-form target
            target = f"{origin}{target}"
            extra = {"Proxy-Authorization": proxy.authorization} if proxy.authorization else None
        else:
            extra = None
        request = encode_request(self._method, origin, target, self._headers, self._body, extra)
        loop = asyncio.get_running_loop()
        connection = client._take_idle(key)
        while True:
            if connection is None:
                connection = await client._open(key, self._connect_timeout)
            self._connection = connection
            try:
                connection.send(request, self._method)
                deadline = None if self._first_byte is None else loop.time() + self._first_byte
                head = await connection.read_head(deadline, self._read)
            except StaleConnection:
                self._drop()
                connection = None  # a new connection is never stale, so this retries once
            except BaseException:
                self._drop()
                raise
            else:
                return Response(connection, head, deadline, self._read)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and self._key is not None:
            self._client._release(self._key, connection)

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._client._in_use.discard(connection)
            connection.abort()
