"""bridge.http: the parser under hypothesis, the client against real loopback servers (plain, TLS,
through an HTTP proxy and a CONNECT tunnel), timeouts, cancellation, the pool, 1,000 streams."""

from __future__ import annotations

import asyncio
import gzip
import importlib.metadata
import socket
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest
import trustme
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.http import (
    ConnectError,
    HTTPClient,
    InvalidRequest,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
)
from bridge.http.parser import END, EndOfMessage, Event, ResponseHead, ResponseParser
from bridge.http.request import VERSION

# -- the parser ------------------------------------------------------------------------------


def _parse(pieces: list[bytes], method: str = "GET", eof: bool = False) -> tuple[ResponseHead | None, bytes, int]:
    """Feed ``pieces`` one by one; the head, the body bytes and how many ENDs came out."""
    parser = ResponseParser(method)
    events: list[Event] = []
    for piece in pieces:
        events += parser.feed(piece)
    if eof:
        events += parser.feed_eof()
    if parser.error is not None:
        raise parser.error
    heads = [e for e in events if isinstance(e, ResponseHead)]
    assert len(heads) <= 1 and (not heads or events[0] is heads[0])
    body = b"".join(e for e in events if isinstance(e, bytes))
    ends = [e for e in events if isinstance(e, EndOfMessage)]
    assert not ends or events[-1] is END
    return (heads[0] if heads else None), body, len(ends)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


_FIELD_VALUE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20)


@st.composite
def responses(draw: st.DrawFn) -> tuple[bytes, bytes, str, bool]:
    """A valid response: its bytes, its body, its framing, and whether it needs the EOF to end."""
    framing = draw(st.sampled_from(["chunked", "length", "close"]))
    pieces = draw(st.lists(st.binary(min_size=1, max_size=40), max_size=6))
    body = b"".join(pieces)
    headers = [(f"X-{i}", draw(_FIELD_VALUE)) for i in range(draw(st.integers(0, 3)))]
    head = b"HTTP/1.1 100 Continue\r\n\r\n" if draw(st.booleans()) else b""
    head += b"HTTP/1.1 200 OK\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers)
    if framing == "chunked":
        ext = b";name=value" if draw(st.booleans()) else b""
        chunks = b"".join(b"%x%s\r\n%s\r\n" % (len(p), ext, p) for p in pieces)
        trailer = b"Trailer-Field: x\r\n" if draw(st.booleans()) else b""
        return (
            head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n" + trailer + b"\r\n",
            body,
            framing,
            False,
        )
    if framing == "length":
        return head + b"Content-Length: %d\r\n\r\n" % len(body) + body, body, framing, False
    return head + b"\r\n" + body, body, framing, True


@settings(max_examples=300, deadline=None)
@given(responses(), st.lists(st.integers(min_value=0), max_size=12))
def test_any_split_of_a_response_gives_the_same_events(
    response: tuple[bytes, bytes, str, bool], cuts: list[int]
) -> None:
    data, body, _, needs_eof = response
    whole = _parse([data], eof=needs_eof)
    split = _parse(_split(data, cuts), eof=needs_eof)
    assert whole[0] is not None and split[0] is not None
    assert (split[0].status, split[0].headers.raw()) == (whole[0].status, whole[0].headers.raw())
    assert split[0].status == 200 and split[1:] == whole[1:] == (body, 1)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.lists(st.integers(min_value=0), max_size=6))
def test_arbitrary_bytes_parse_or_raise_remote_protocol_error(data: bytes, cuts: list[int]) -> None:
    try:
        _parse(_split(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + data, cuts))
        _parse(_split(data, cuts), eof=True)
    except RemoteProtocolError:
        pass


def test_headers_are_case_insensitive_and_repeated_ones_kept() -> None:
    head, _, _ = _parse([b"HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nset-cookie: b\r\nX-Y:  z \r\nContent-Length: 0\r\n\r\n"])
    assert (
        head is not None and head.headers["SET-COOKIE"] == "a, b" and head.headers.get_list("set-cookie") == ["a", "b"]
    )
    assert head.headers["x-y"] == "z" and "X-Y" in head.headers and head.reason == "OK"


@pytest.mark.parametrize(("status", "method"), [(204, "GET"), (304, "GET"), (200, "HEAD"), (200, "CONNECT")])
def test_answers_without_a_body_end_at_the_head(status: int, method: str) -> None:
    head, body, ends = _parse([b"HTTP/1.1 %d X\r\nContent-Length: 5\r\n\r\n" % status], method)
    assert head is not None and head.status == status and (body, ends) == (b"", 1)


def test_a_close_delimited_body_ends_at_eof_and_is_not_kept_alive() -> None:
    parser = ResponseParser()
    assert parser.feed(b"HTTP/1.1 200 OK\r\n\r\nabc")[1:] == [b"abc"]
    assert parser.feed_eof() == [END] and parser.complete and not parser.keep_alive


def test_a_body_framed_both_chunked_and_by_length_is_read_chunked_and_the_connection_not_reused() -> None:
    parser = ResponseParser()
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert parser.feed(head + b"5\r\nhello\r\n0\r\n\r\n")[1:] == [b"hello", END]
    assert parser.complete and not parser.keep_alive


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\n  folded\r\nX: a\r\n\r\n",  # a continuation of no header
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        b"HTTP/2 200 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
    ],
)
def test_malformed_heads_are_rejected(head: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        _parse([head])


def test_an_obs_folded_header_is_read_with_a_space_for_the_fold() -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nX: a\r\n  folded\r\n\tmore\r\n"
        b"Content-Type:\r\n text/event-stream\r\nContent-Length: 2\r\n\r\nok"
    )
    head, body, _ = _parse([data])
    assert head is not None and head.headers.get("x") == "a folded more" and body == b"ok"
    assert head.headers.get("content-type") == "text/event-stream"  # a fold of an empty value adds no space


@pytest.mark.parametrize("cut", range(1, 40))
def test_a_head_with_bare_lf_line_breaks_is_read_not_waited_on(cut: int) -> None:
    data = b"HTTP/1.1 200 OK\nContent-Length: 2\nX: y\n\nok"
    head, body, ends = _parse([data[:cut], data[cut:]])
    assert head is not None and (head.status, head.headers.get("x"), body, ends) == (200, "y", b"ok", 1)


def test_an_http_1_0_answer_framed_chunked_is_read_and_the_connection_not_reused() -> None:
    parser = ResponseParser()
    head = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert parser.feed(head + b"2\r\nok\r\n0\r\n\r\n")[1:] == [b"ok", END]
    assert parser.complete and not parser.keep_alive  # RFC 9112 §6.1: the framing is faulty


@pytest.mark.anyio
@pytest.mark.parametrize("host", ["api..example.com", "a" * 64 + ".example.com", "ä..example.com", ".example.com"])
async def test_a_host_that_is_no_dns_name_is_an_invalid_request(host: str) -> None:
    async with HTTPClient(trust_env=False) as client:
        with pytest.raises(InvalidRequest, match=r"invalid host name .*an empty label, or one over 63 characters"):
            async with client.stream("GET", f"http://{host}/v1"):
                pass


@pytest.mark.anyio
async def test_the_kernels_connect_timeout_is_a_connect_error_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """ETIMEDOUT (no answer to the SYNs) cannot be provoked on loopback: the loop is made to raise it."""
    import errno

    async def unanswered(*args: object, **kwargs: object) -> None:
        raise TimeoutError(errno.ETIMEDOUT, "Connection timed out")

    monkeypatch.setattr(asyncio.get_running_loop(), "create_connection", unanswered)
    for connect_timeout in (None, 300):
        async with HTTPClient(trust_env=False) as client:
            with pytest.raises(ConnectError, match="Connection timed out") as caught:
                async with client.stream("GET", "http://192.0.2.1/", connect_timeout=connect_timeout):
                    pass
        assert "within" not in str(caught.value)


@pytest.mark.parametrize(
    "chunks", [b"zz\r\nab\r\n", b"0x2\r\nab\r\n", b"-2\r\nab\r\n", b"+2\r\nab\r\n", b"2\r\nabX\r\n"]
)
def test_malformed_chunks_are_rejected(chunks: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        _parse([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", chunks])


def test_a_head_over_64_kib_is_rejected_even_when_it_trickles_in() -> None:
    filler = [b"X-Filler: " + b"a" * 1000 + b"\r\n"] * 100
    with pytest.raises(RemoteProtocolError, match="larger than 65536"):
        _parse([b"HTTP/1.1 200 OK\r\n", *filler])


def test_the_chunks_before_a_malformed_one_in_the_same_read_are_kept() -> None:
    parser = ResponseParser()
    events = parser.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\nzz\r\n")
    assert events[1:] == [b"ab", b"cd"] and isinstance(parser.error, RemoteProtocolError)
    assert parser.feed(b"2\r\nef\r\n") == [] and not parser.keep_alive


def test_the_user_agent_version_is_the_distributions() -> None:
    assert importlib.metadata.version("openllm-bridge") == VERSION


# -- loopback servers ------------------------------------------------------------------------


@dataclass
class Request:
    line: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Peer:
    """One connection a server accepted; ``closed`` is set when the client closed it."""

    requests: list[Request] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)


Handler = Callable[[Peer, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    line, *rest = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in rest if h)}
    return Request(line, headers, await reader.readexactly(int(headers.get("content-length", "0"))))


@asynccontextmanager
async def serve(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[tuple[int, list[Peer]]]:
    """A server in the test's own loop; each connection runs ``handler``, then waits for the
    client's close (EOF) and notes it."""
    peers: list[Peer] = []

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = Peer()
        peers.append(peer)
        try:
            await handler(peer, reader, writer)
            while await reader.read(65536):
                pass
        except ConnectionError:
            pass
        finally:
            peer.closed.set()
            writer.close()

    server = await asyncio.start_server(run, "127.0.0.1", 0, ssl=tls, backlog=2048)
    try:
        yield server.sockets[0].getsockname()[1], peers
    finally:
        server.close()


def answering(*replies: bytes) -> Handler:
    """Answer each request on a connection with the next reply (then wait for the close)."""

    async def handle(peer: Peer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for reply in replies:
            request = await read_request(reader)
            if request is None:
                return
            peer.requests.append(request)
            writer.write(reply)

    return handle


def in_turn(*handlers: Handler) -> Handler:
    """The first connection runs the first handler, the second the second, and so on."""
    remaining = iter(handlers)

    async def handle(peer: Peer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await next(remaining)(peer, reader, writer)

    return handle


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def get(client: HTTPClient, url: str, **options: float) -> tuple[int, bytes]:
    async with client.stream("GET", url, **options) as response:  # type: ignore[arg-type]
        return response.status, await response.read()


@pytest.fixture(autouse=True)
def no_proxy_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    yield


# -- the client: requests, the pool ----------------------------------------------------------


@pytest.mark.anyio
async def test_two_sequential_requests_share_one_connection() -> None:
    async with serve(answering(OK, OK)) as (port, peers), HTTPClient() as client:
        assert await get(client, f"http://127.0.0.1:{port}/a") == (200, b"ok")
        assert await get(client, f"http://127.0.0.1:{port}/b?q=1 2") == (200, b"ok")
    assert len(peers) == 1 and [r.line for r in peers[0].requests] == ["GET /a HTTP/1.1", "GET /b?q=1%202 HTTP/1.1"]
    sent = peers[0].requests[0].headers
    assert sent["host"] == f"127.0.0.1:{port}" and sent["accept-encoding"] == "identity"
    assert sent["user-agent"] == f"openllm-bridge/{VERSION}" and "content-length" not in sent


@pytest.mark.anyio
async def test_an_idle_connection_past_the_keepalive_expiry_is_closed_not_reused() -> None:
    async with serve(answering(OK, OK)) as (port, peers), HTTPClient(keepalive_expiry=0) as client:
        await get(client, f"http://127.0.0.1:{port}/")
        await get(client, f"http://127.0.0.1:{port}/")
        with anyio.fail_after(1):
            await peers[0].closed.wait()
    assert len(peers) == 2


@pytest.mark.anyio
async def test_a_body_is_sent_with_its_length_and_the_callers_headers_win() -> None:
    async with serve(answering(OK)) as (port, peers), HTTPClient() as client:
        headers = {"User-Agent": "mine", "Content-Type": "application/json", "Content-Length": "999"}
        async with client.stream("POST", f"http://127.0.0.1:{port}/", headers=headers, body=b'{"a":1}') as response:
            assert await response.read() == b"ok"
    request = peers[0].requests[0]
    assert (request.body, request.headers["content-length"], request.headers["user-agent"]) == (b'{"a":1}', "7", "mine")


@pytest.mark.anyio
@pytest.mark.parametrize(
    "first",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ],
)
async def test_no_reuse_after_connection_close(first: bytes) -> None:
    async with serve(in_turn(answering(first), answering(OK))) as (port, peers), HTTPClient() as client:
        await get(client, f"http://127.0.0.1:{port}/")
        await get(client, f"http://127.0.0.1:{port}/")
        await peers[0].closed.wait()
    assert len(peers) == 2


@pytest.mark.anyio
async def test_no_reuse_after_an_unfinished_body_which_closes_the_connection() -> None:
    long = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"
    async with serve(in_turn(answering(long), answering(OK))) as (port, peers), HTTPClient() as client:
        async with client.stream("GET", f"http://127.0.0.1:{port}/") as response:
            assert await response.read_some() == b"hello"
        with anyio.fail_after(1):
            await peers[0].closed.wait()
        assert await get(client, f"http://127.0.0.1:{port}/") == (200, b"ok")
    assert len(peers) == 2


@pytest.mark.anyio
async def test_a_connection_the_server_closed_on_reuse_is_retried_once_on_a_new_one() -> None:
    async def first(peer: Peer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer.requests.append(await read_request(reader))  # type: ignore[arg-type]
        writer.write(OK)
        await read_request(reader)  # the second request: closed without an answer, as a server
        writer.close()  # closing an idle connection loses the race with the client's reuse

    async with serve(in_turn(first, answering(OK))) as (port, peers), HTTPClient() as client:
        await get(client, f"http://127.0.0.1:{port}/")
        assert await get(client, f"http://127.0.0.1:{port}/") == (200, b"ok")
    assert len(peers) == 2 and len(peers[1].requests) == 1


@pytest.mark.anyio
async def test_a_fresh_connection_that_closes_before_answering_is_a_read_error() -> None:
    async def hang_up(peer: Peer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.close()

    async with serve(hang_up) as (port, peers), HTTPClient() as client:
        with pytest.raises(ReadError) as caught:
            await get(client, f"http://127.0.0.1:{port}/")
    assert len(peers) == 1 and caught.value.origin == f"http://127.0.0.1:{port}"


@pytest.mark.anyio
async def test_connection_refused_is_a_connect_error_naming_the_origin_only() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))  # bound, never listening: connecting is refused
        port = unused.getsockname()[1]
        async with HTTPClient() as client:
            with pytest.raises(ConnectError) as caught:
                async with client.stream("GET", f"http://127.0.0.1:{port}/v1?key=secret", headers={"A": "sk-x"}):
                    pass
    assert caught.value.origin == f"http://127.0.0.1:{port}"
    assert "secret" not in str(caught.value) and "sk-x" not in str(caught.value)


@pytest.mark.anyio
async def test_a_header_value_with_a_line_break_is_refused_without_echoing_it() -> None:
    async with HTTPClient() as client:
        with pytest.raises(InvalidRequest) as caught:
            async with client.stream("GET", "http://127.0.0.1:1/", headers={"Authorization": "sk-1\r\nX: y"}):
                pass
    assert "Authorization" in str(caught.value) and "sk-1" not in str(caught.value)


# -- timeouts and cancellation ---------------------------------------------------------------


def stalling(head: bytes = b"", *body: bytes) -> Handler:
    """Read the request, send ``head`` and ``body``, then send nothing more."""

    async def handle(peer: Peer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer.requests.append(await read_request(reader))  # type: ignore[arg-type]
        writer.write(head + b"".join(body))

    return handle


CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.anyio
async def test_no_head_within_the_first_byte_timeout() -> None:
    async with serve(stalling()) as (port, _), HTTPClient() as client:
        with pytest.raises(ReadTimeout, match="no answer in time"):
            await get(client, f"http://127.0.0.1:{port}/", first_byte_timeout=0.2, read_timeout=30)


@pytest.mark.anyio
async def test_a_head_without_body_bytes_within_the_first_byte_timeout() -> None:
    async with (
        serve(stalling(CHUNKED)) as (port, _),
        HTTPClient() as client,
        client.stream("GET", f"http://127.0.0.1:{port}/", first_byte_timeout=0.2, read_timeout=30) as response,
    ):
        with pytest.raises(ReadTimeout, match="no answer in time"):
            await response.read_some()


@pytest.mark.anyio
async def test_silence_longer_than_the_read_timeout_between_body_reads() -> None:
    async with serve(stalling(CHUNKED, b"5\r\nhello\r\n")) as (port, peers), HTTPClient() as client:
        async with client.stream("GET", f"http://127.0.0.1:{port}/", first_byte_timeout=30, read_timeout=0.2) as r:
            assert await r.read_some() == b"hello"
            with pytest.raises(ReadTimeout, match=r"no data for 0\.2s"):
                await r.read_some()
        with anyio.fail_after(1):
            await peers[0].closed.wait()  # leaving the block after the timeout closed the connection


@pytest.mark.anyio
async def test_cancelling_a_waiting_read_closes_the_connection() -> None:
    async with serve(stalling(CHUNKED, b"1\r\na\r\n")) as (port, peers), HTTPClient() as client:
        async with client.stream("GET", f"http://127.0.0.1:{port}/") as response:
            assert await response.read_some() == b"a"
            with anyio.move_on_after(0.1) as scope:
                await response.read_some()
            assert scope.cancelled_caught
        with anyio.fail_after(1):
            await peers[0].closed.wait()


@pytest.mark.anyio
async def test_a_thousand_concurrent_streams_from_one_client() -> None:
    streams, everyone_asked = 1000, asyncio.Event()

    async def handle(peer: Peer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await read_request(reader)
        assert request is not None
        peer.requests.append(request)
        writer.write(CHUNKED + b"6\r\nfirst \r\n")
        if sum(len(p.requests) for p in peers) == streams:
            everyone_asked.set()
        await everyone_asked.wait()  # every stream is open at once before any of them ends
        name = request.line.split()[1].encode()
        writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(name), name))

    async def one(i: int) -> None:
        async with client.stream("GET", f"http://127.0.0.1:{port}/{i}", read_timeout=30) as response:
            bodies[i] = await response.read()

    bodies: dict[int, bytes] = {}
    async with serve(handle) as (port, peers), HTTPClient() as client:
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for i in range(streams):
                    tg.start_soon(one, i)
    assert len(peers) == streams and bodies == {i: b"first /%d" % i for i in range(streams)}


# -- encodings, TLS, proxies -----------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("coding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", lambda b: zlib.compress(b, wbits=-15))],
)
async def test_a_compressed_body_is_decoded(coding: str, compress: Callable[[bytes], bytes]) -> None:
    body = b"".join(b"line %d\n" % i for i in range(2000))
    packed = compress(body)
    reply = b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n\r\n%s" % (
        coding.encode(),
        len(packed),
        packed,
    )
    async with serve(answering(reply)) as (port, _), HTTPClient() as client:
        assert await get(client, f"http://127.0.0.1:{port}/") == (200, body)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def trusted(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's default TLS context trusts the test CA, through SSL_CERT_FILE as a user would."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


@pytest.mark.anyio
@pytest.mark.usefixtures("trusted")
async def test_https_with_a_certificate_the_default_context_trusts(ca: trustme.CA) -> None:
    async with serve(answering(OK, OK), tls=server_tls(ca)) as (port, peers), HTTPClient() as client:
        assert await get(client, f"https://127.0.0.1:{port}/") == (200, b"ok")
        assert await get(client, f"https://localhost:{port}/") == (200, b"ok")
    assert len(peers) == 2  # two origins, two connections


@pytest.mark.anyio
async def test_https_with_an_untrusted_certificate_is_a_connect_error(ca: trustme.CA) -> None:
    async with serve(answering(OK), tls=server_tls(ca)) as (port, _), HTTPClient() as client:
        with pytest.raises(ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await get(client, f"https://127.0.0.1:{port}/")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


def tunnelling(seen: list[Request]) -> Handler:
    """A CONNECT proxy: note the request, open the tunnel, pipe both ways."""

    async def handle(peer: Peer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await read_request(reader)
        assert request is not None
        seen.append(request)
        host, _, port = request.line.split()[1].rpartition(":")
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    return handle


@pytest.mark.anyio
async def test_an_http_target_goes_through_the_http_proxy_in_absolute_form(monkeypatch: pytest.MonkeyPatch) -> None:
    async with serve(answering(OK)) as (proxy, peers):
        monkeypatch.setenv("HTTP_PROXY", f"http://user:p%40ss@127.0.0.1:{proxy}")
        async with HTTPClient() as client:
            assert await get(client, "http://provider.invalid:8080/v1/models?x=1") == (200, b"ok")
    request = peers[0].requests[0]
    assert request.line == "GET http://provider.invalid:8080/v1/models?x=1 HTTP/1.1"
    assert request.headers["host"] == "provider.invalid:8080"
    assert request.headers["proxy-authorization"] == "Basic dXNlcjpwQHNz"  # user:p@ss


@pytest.mark.anyio
@pytest.mark.usefixtures("trusted")
async def test_an_https_target_goes_through_a_connect_tunnel(ca: trustme.CA, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Request] = []
    async with serve(answering(OK, OK), tls=server_tls(ca)) as (port, _), serve(tunnelling(seen)) as (proxy, tunnels):
        monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy}")
        async with HTTPClient() as client:
            assert await get(client, f"https://localhost:{port}/") == (200, b"ok")
            assert await get(client, f"https://localhost:{port}/") == (200, b"ok")
    assert [r.line for r in seen] == [f"CONNECT localhost:{port} HTTP/1.1"] and len(tunnels) == 1


@pytest.mark.anyio
async def test_no_proxy_bypasses_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    async with serve(answering(OK)) as (proxy, proxied), serve(answering(OK)) as (port, direct):
        monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{proxy}")
        monkeypatch.setenv("NO_PROXY", "example.com,127.0.0.1")
        async with HTTPClient() as client:
            assert await get(client, f"http://127.0.0.1:{port}/") == (200, b"ok")
    assert not proxied and len(direct) == 1


@pytest.mark.anyio
async def test_a_proxy_that_refuses_the_tunnel_is_a_connect_error(monkeypatch: pytest.MonkeyPatch) -> None:
    refusal = b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"
    async with serve(answering(refusal)) as (proxy, _):
        monkeypatch.setenv("HTTPS_PROXY", f"127.0.0.1:{proxy}")
        async with HTTPClient() as client:
            with pytest.raises(ConnectError, match="refused the tunnel: 407"):
                await get(client, "https://provider.invalid/")
