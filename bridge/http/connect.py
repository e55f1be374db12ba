"""Opening a connection: TCP, TLS, and the proxies the environment names.

Proxies are read the way httpx's ``trust_env`` reads them: ``HTTPS_PROXY`` for https targets,
``HTTP_PROXY`` for http ones, ``ALL_PROXY`` for both (lowercase names too, through
``urllib.request.getproxies``), and ``NO_PROXY`` for the hosts that bypass them
(``urllib.request.proxy_bypass``: ``*``, host names and domain suffixes, with or without a port).
An http target goes through an HTTP proxy as an absolute-form request on a connection to the
proxy; an https target through a ``CONNECT`` tunnel, in which TLS is then started with the
target's name (``loop.start_tls``). Credentials in the proxy URL become
``Proxy-Authorization: Basic``. Only ``http://`` proxies are spoken.

The TLS context is ``ssl.create_default_context`` with ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when
set, else certifi's bundle if it is installed, else the system's store: httpx's order.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from bridge.http.connection import Connection
from bridge.http.errors import ConnectError, ConnectTimeout, InvalidRequest, ReadError, RemoteProtocolError
from bridge.http.request import Origin


@dataclass(frozen=True, slots=True)
class Proxy:
    origin: Origin
    authorization: str | None  # the Proxy-Authorization value, from the proxy URL's credentials

    def __repr__(self) -> str:  # credentials stay out of logs
        return f"Proxy({self.origin})"


class ProxySettings:
    """The proxies of one environment, read once; which one (if any) serves an origin."""

    def __init__(self, proxies: Mapping[str, str]) -> None:
        self._proxies = dict(proxies)
        self._chosen: dict[Origin, Proxy | None] = {}

    @classmethod
    def from_environment(cls) -> ProxySettings:
        import urllib.request  # ~10 ms of imports, paid by the first request rather than at start-up

        return cls(urllib.request.getproxies())

    def for_origin(self, origin: Origin) -> Proxy | None:
        if origin not in self._chosen:
            self._chosen[origin] = self._choose(origin)
        return self._chosen[origin]

    def _choose(self, origin: Origin) -> Proxy | None:
        url = self._proxies.get(origin.scheme) or self._proxies.get("all")
        if not url:
            return None
        import urllib.request

        if urllib.request.proxy_bypass(f"{origin.host}:{origin.port}"):
            return None
        return parse_proxy(url if "://" in url else f"http://{url}")


def parse_proxy(url: str) -> Proxy:
    parts = urlsplit(url)
    if parts.scheme.lower() != "http" or not parts.hostname:
        where = f"{parts.scheme}://{parts.hostname}" if parts.hostname else "a proxy URL without a host"
        raise InvalidRequest(f"unsupported proxy {where}: only http:// proxies are supported")
    try:
        port = parts.port or 80
    except ValueError:
        raise InvalidRequest(f"invalid proxy port in http://{parts.hostname}") from None
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        authorization = "Basic " + base64.b64encode(pair).decode("ascii")
    return Proxy(Origin("http", parts.hostname, port), authorization)


def default_ssl_context() -> ssl.SSLContext:
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if cafile or capath:
        context = ssl.create_default_context(cafile=cafile or None, capath=capath or None)
    else:
        try:
            certifi: Any = importlib.import_module("certifi")  # optional: not a dependency of ours
        except ImportError:
            context = ssl.create_default_context()
        else:
            context = ssl.create_default_context(cafile=certifi.where())
    context.set_alpn_protocols(["http/1.1"])
    return context


async def open_connection(
    origin: Origin, proxy: Proxy | None, tls: ssl.SSLContext | None, connect_timeout: float | None
) -> Connection:
    """A connection ready for a request to ``origin``, within ``connect_timeout`` seconds in all."""
    where = str(origin)
    try:
        async with asyncio.timeout(connect_timeout):
            return await _open(origin, proxy, tls)
    except TimeoutError as exc:
        if exc.errno is None and connect_timeout is not None:  # ours (asyncio.timeout), not the kernel's ETIMEDOUT
            raise ConnectTimeout(f"no connection within {connect_timeout:g}s", where) from None
        raise ConnectError(str(exc) or "the connection timed out", where) from exc
    except OSError as exc:  # refused, unreachable, DNS, and ssl.SSLError (a bad certificate)
        raise ConnectError(str(exc) or type(exc).__name__, where) from exc


async def _open(origin: Origin, proxy: Proxy | None, tls: ssl.SSLContext | None) -> Connection:
    loop = asyncio.get_running_loop()
    where = str(origin)
    if proxy is None:
        _, connection = await loop.create_connection(
            lambda: Connection(where), origin.host, origin.port, ssl=tls, server_hostname=origin.host if tls else None
        )
        return connection
    transport, connection = await loop.create_connection(
        lambda: Connection(where), proxy.origin.host, proxy.origin.port
    )
    if tls is None:  # an http target: requests go to the proxy in absolute form
        return connection
    try:
        await _tunnel(connection, origin, proxy)
        secured = await loop.start_tls(transport, connection, tls, server_hostname=origin.host)
    except BaseException:
        transport.abort()
        raise
    if secured is None:  # only when the connection is being closed
        raise ConnectError("the connection closed while starting TLS", where)
    connection.transport = secured
    return connection


async def _tunnel(connection: Connection, origin: Origin, proxy: Proxy) -> None:
    target = f"{origin.host}:{origin.port}" if ":" not in origin.host else f"[{origin.host}]:{origin.port}"
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if proxy.authorization:
        lines.append(f"Proxy-Authorization: {proxy.authorization}")
    connection.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), "CONNECT")
    try:
        head = await connection.read_head(None, None)
    except (ReadError, RemoteProtocolError) as exc:
        raise ConnectError(f"the proxy {proxy.origin} failed to open a tunnel: {exc}", str(origin)) from exc
    connection.finish()
    if not 200 <= head.status < 300:
        raise ConnectError(f"the proxy {proxy.origin} refused the tunnel: {head.status} {head.reason}", str(origin))
