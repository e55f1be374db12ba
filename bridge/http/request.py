"""Where a request goes (:class:`Origin`, the pool's key) and the bytes that ask it.

The request head carries ``Host``, ``Content-Length`` (for a body, and 0 for a bodiless POST, PUT
or PATCH), ``Accept-Encoding: identity`` and ``User-Agent: openllm-bridge/<version>`` unless the
caller gave its own. Names and values are checked before anything is written: a line break in a
value would let one header smuggle others, so it is refused, and the error names the header,
never its value (it may be a key).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from bridge.http.errors import InvalidRequest

# The distribution's version (pyproject.toml), kept here so that no request reads package metadata
# (importlib.metadata costs tens of ms); tests/test_http_client.py checks that the two agree.
VERSION = "0.1.0"
USER_AGENT = f"openllm-bridge/{VERSION}"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_OURS = frozenset({"host", "content-length", "transfer-encoding"})  # framing is the client's to say
_NEEDS_LENGTH = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        """``scheme://host[:port]``, the port only when it is not the scheme's default."""
        return f"{self.scheme}://{self.authority}"

    @property
    def authority(self) -> str:
        """What goes in ``Host``: the host (IPv6 in brackets), and the port unless it is the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if _DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"


def on_this_machine(url: str) -> bool:
    """Whether ``url`` points at this machine (``localhost``, ``127.0.0.1``, ``::1``): a local server
    such as Ollama, which the user may simply not have started."""
    try:
        return urlsplit(url).hostname in ("localhost", "127.0.0.1", "::1")
    except ValueError:
        return False


def split_url(url: str) -> tuple[Origin, str]:
    """The origin and the request target (path and query, percent-encoded where they must be)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidRequest(f"invalid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidRequest(f"unsupported URL scheme {scheme!r}: use http or https")
    host = parts.hostname
    if not host:
        raise InvalidRequest("a URL without a host")
    if ":" not in host:  # a name or an IPv4 address (an IPv6 literal has colons)
        host = _dns_name(host)
    origin = Origin(scheme, host, port or _DEFAULT_PORTS[scheme])
    if parts.username is not None or parts.password is not None:
        raise InvalidRequest("credentials in the URL are not supported: pass them as headers", str(origin))
    target = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~")
    if parts.query:
        target += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=~?")
    return origin, target


def _dns_name(host: str) -> str:
    """``host`` as DNS carries it (IDNA for a name that is not ASCII); an empty label (``a..b``)
    or one over 63 characters is an error here, not a UnicodeError from the resolver."""
    try:
        name = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        name = ""
    labels = name.removesuffix(".").split(".")
    if any(not 0 < len(label) <= 63 for label in labels):  # "" (not IDNA) is one empty label
        raise InvalidRequest(f"invalid host name {host[:80]!r}: an empty label, or one over 63 characters")
    return name


def encode_request(
    method: str,
    origin: Origin,
    target: str,
    headers: Mapping[str, str],
    body: bytes | None,
    extra: Mapping[str, str] | None = None,
) -> bytes:
    """The request's bytes. ``target`` is origin-form, or absolute-form through an HTTP proxy;
    ``extra`` headers are the client's own (``Proxy-Authorization``)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {origin.authority}"]
    given = set()
    for name, value in (*headers.items(), *(extra or {}).items()):
        lower = name.lower()
        if lower in _OURS:
            continue
        if not _TOKEN.fullmatch(name):
            raise InvalidRequest(f"invalid header name {name[:40]!r}", str(origin))
        if "\r" in value or "\n" in value or "\0" in value:
            raise InvalidRequest(f"header {name!r} holds a line break or NUL", str(origin))
        lines.append(f"{name}: {value}")
        given.add(lower)
    if "user-agent" not in given:
        lines.append(f"User-Agent: {USER_AGENT}")
    if "accept-encoding" not in given:
        lines.append("Accept-Encoding: identity")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    elif method in _NEEDS_LENGTH:
        lines.append("Content-Length: 0")
    lines += ["", ""]
    try:
        head = "\r\n".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        bad = next(line.split(":", 1)[0] for line in lines if not _latin1(line))
        raise InvalidRequest(f"{bad!r} holds characters an HTTP header cannot carry", str(origin)) from None
    return head + body if body else head


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True
