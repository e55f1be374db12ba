"""The endpoint over a real socket pair: ids, both directions, cancellation, the error boundary,
and every JSON-RPC error code against the spec's numbers."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from anyio.abc import SocketStream, UNIXSocketStream

from bridge import errors
from bridge.rpc import Endpoint, MessageStream, MethodTable, RequestContext, RpcError, encode
from bridge.server.transport import StreamProtocol, TransportStream
from protocol import dumps, loads, validate

pytestmark = pytest.mark.anyio

Handler = Callable[[RequestContext, str, Any], Awaitable[Any]]


async def refuse(ctx: RequestContext, method: str, params: Any) -> Any:
    raise RpcError(-32601, f"method not found: {method}")


async def socket_pair() -> tuple[SocketStream, SocketStream]:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    return await UNIXSocketStream.from_socket(a), await UNIXSocketStream.from_socket(b)


@asynccontextmanager
async def connected(
    server: Handler, client: Handler = refuse, **options: Any
) -> AsyncIterator[tuple[Endpoint, Endpoint]]:
    a, b = await socket_pair()
    server_end = Endpoint(MessageStream(a), server, name="client", **options)
    client_end = Endpoint(MessageStream(b, "content-length"), client, name="bridge", **options)
    async with anyio.create_task_group() as tg:
        tg.start_soon(server_end.run)
        tg.start_soon(client_end.run)
        yield server_end, client_end
        tg.cancel_scope.cancel()


class Raw:
    """A peer that writes bytes and reads whole frames: to test what a server answers."""

    def __init__(self, stream: SocketStream) -> None:
        self.stream = stream
        self.reader = MessageStream(stream, "ndjson")

    async def send(self, data: bytes) -> None:
        await self.stream.send(data)

    async def ask(self, message: Any) -> Any:
        await self.send((dumps(message) if not isinstance(message, bytes) else message.decode()).encode() + b"\n")
        return await self.reader.receive()


@asynccontextmanager
async def raw_client(server: Handler, **options: Any) -> AsyncIterator[Raw]:
    a, b = await socket_pair()
    endpoint = Endpoint(MessageStream(a), server, **options)
    async with b, anyio.create_task_group() as tg:
        tg.start_soon(endpoint.run)
        yield Raw(b)
        tg.cancel_scope.cancel()


class BlockingHandler:
    """A handler that never answers: ``started`` when a request reaches it, ``cancelled`` when
    the endpoint cancels it."""

    def __init__(self) -> None:
        self.started, self.cancelled = anyio.Event(), anyio.Event()

    async def __call__(self, ctx: RequestContext, method: str, params: Any) -> Any:
        self.started.set()
        try:
            await anyio.sleep_forever()
        finally:
            self.cancelled.set()


class AskingHandler(BlockingHandler):
    """A handler that first asks the peer (``approve``), then blocks: a peer that has shut down its
    writing side can no longer answer, so the call fails (``refused``)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = anyio.Event()

    async def __call__(self, ctx: RequestContext, method: str, params: Any) -> Any:
        try:
            await ctx.request("approve")
        except errors.NetworkError:
            self.refused.set()
        return await super().__call__(ctx, method, params)


def table(**handlers: Callable[[RequestContext, Any], Awaitable[Any]]) -> MethodTable:
    methods = MethodTable()
    for name, handler in handlers.items():
        methods.add(name.replace("__", "/"), handler)
    return methods


async def list_models(ctx: RequestContext, params: Any) -> Any:
    if params["provider"] == "boom":
        raise RuntimeError("a bug with a secret sk-proj-abcdefghijklmnopqrstuvwxyz in it")
    if params["provider"] == "nokey":
        raise errors.MissingKeyError("no API key for OpenAI: set OPENAI_API_KEY")
    return {"models": [{"id": "m", "provider": params["provider"]}]}


async def test_requests_both_ways_many_in_flight_answered_out_of_order() -> None:
    gates = {i: anyio.Event() for i in range(20)}

    async def server(ctx: RequestContext, method: str, params: Any) -> Any:
        await gates[params["n"]].wait()
        return {"n": params["n"], "peer_says": await ctx.request("whoami", {})}

    async def client(ctx: RequestContext, method: str, params: Any) -> Any:
        return "the client"

    results: dict[int, Any] = {}
    async with connected(server, client) as (_, client_end):

        async def ask(n: int) -> None:
            results[n] = await client_end.request("work", {"n": n})

        async with anyio.create_task_group() as tg:
            for n in range(20):
                tg.start_soon(ask, n)
            for n in reversed(range(20)):
                gates[n].set()
    assert results == {n: {"n": n, "peer_says": "the client"} for n in range(20)}


async def test_notifications_arrive_in_order() -> None:
    seen: list[int] = []
    done = anyio.Event()

    async def server(ctx: RequestContext, method: str, params: Any) -> Any:
        seen.append(params["i"])
        if len(seen) == 200:
            done.set()

    async with connected(server) as (_, client_end):
        for i in range(200):
            await client_end.notify("tick", {"i": i})
        await done.wait()
    assert seen == list(range(200))


@pytest.mark.parametrize("cancel_method", ["$/cancelRequest", "notifications/cancelled"])
async def test_cancelling_a_call_cancels_the_peers_handler(cancel_method: Any) -> None:
    server = BlockingHandler()

    async with connected(server, cancel_method=cancel_method) as (_, client_end):
        async with anyio.create_task_group() as tg:
            tg.start_soon(client_end.request, "wait")
            await server.started.wait()
            tg.cancel_scope.cancel()
        with anyio.fail_after(5):
            await server.cancelled.wait()


@pytest.mark.parametrize(
    ("cancel", "params"), [("$/cancelRequest", {"id": 9}), ("notifications/cancelled", {"requestId": 9, "reason": "x"})]
)
async def test_a_cancelled_request_is_answered_request_cancelled(cancel: str, params: Any) -> None:
    server = BlockingHandler()
    async with raw_client(server) as raw:
        await raw.send(dumps({"jsonrpc": "2.0", "id": 9, "method": "wait"}).encode() + b"\n")
        await server.started.wait()
        reply = await raw.ask({"jsonrpc": "2.0", "method": cancel, "params": params})
    assert reply == {
        "jsonrpc": "2.0", "id": 9,
        "error": {"code": -32800, "message": "the request was cancelled",
                  "data": {"code": "cancelled", "retryable": False, "status": None}},
    }  # fmt: skip


async def test_cancelling_cascades_to_what_the_handler_asked_the_peer() -> None:
    """The bridge asks the client something while it handles the client's request (tool approval);
    cancelling the outer request cancels that inner one at the client too."""
    asked, inner_cancelled = anyio.Event(), anyio.Event()

    async def server(ctx: RequestContext, method: str, params: Any) -> Any:
        return await ctx.request("approve", {"tool": "rm"})

    async def client(ctx: RequestContext, method: str, params: Any) -> Any:
        asked.set()
        try:
            await anyio.sleep_forever()
        finally:
            inner_cancelled.set()

    async with connected(server, client) as (_, client_end):
        async with anyio.create_task_group() as tg:
            tg.start_soon(client_end.request, "chat")
            await asked.wait()
            tg.cancel_scope.cancel()
        with anyio.fail_after(5):
            await inner_cancelled.wait()


async def test_a_timeout_is_an_upstream_timeout_and_cancels_at_the_peer() -> None:
    cancelled = anyio.Event()

    async def server(ctx: RequestContext, method: str, params: Any) -> Any:
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()

    async with connected(server) as (_, client_end):
        with pytest.raises(errors.UpstreamTimeout, match=r"slow got no answer within 0\.05 s"):
            await client_end.request("slow", timeout=0.05)
        with anyio.fail_after(5):
            await cancelled.wait()


async def test_peer_going_away_cancels_handlers_and_fails_calls() -> None:
    server = BlockingHandler()

    a, b = await socket_pair()
    server_end = Endpoint(MessageStream(a), server)
    client_end = Endpoint(MessageStream(b, "ndjson"), refuse, closed_error=errors.HostUnavailableError)
    async with anyio.create_task_group() as tg:
        tg.start_soon(server_end.run)
        tg.start_soon(client_end.run)

        async def call() -> None:
            with pytest.raises(errors.HostUnavailableError, match="closed"):
                await client_end.request("wait")

        tg.start_soon(call)
        await server.started.wait()
        await a.aclose()  # the server side drops the connection
        with anyio.fail_after(5):
            await server.cancelled.wait()
    with pytest.raises(errors.HostUnavailableError):
        await client_end.notify("late")


async def test_after_the_end_of_input_running_requests_finish_and_answer() -> None:
    """A peer that shuts down its writing side (``nc -N``) still reads: what runs finishes, its
    notifications and answer go out, then the connection closes. A call to that peer can get no
    answer any more, so it fails at once."""

    async def server(ctx: RequestContext, method: str, params: Any) -> Any:
        try:
            await ctx.request("approve")
        except errors.NetworkError as exc:
            for i in range(3):
                await ctx.notify("progress", {"i": i})
            return exc.message
        return "approved"

    async with raw_client(server) as raw:
        await raw.send(b'{"jsonrpc": "2.0", "id": 1, "method": "go"}\n')
        assert (await raw.reader.receive())["method"] == "approve"
        await raw.stream.send_eof()
        *notes, reply = [await raw.reader.receive() for _ in range(4)]
        with pytest.raises(anyio.EndOfStream):
            await raw.reader.receive()
    assert [n["params"]["i"] for n in notes] == [0, 1, 2]
    assert reply["id"] == 1 and "closed" in reply["result"]


async def test_a_peer_that_half_closes_then_hangs_up_cancels_what_runs() -> None:
    """Gone without a write to notice it: the hang-up itself cancels the request (a chat stream
    waiting on its provider closes the upstream connection)."""
    server = AskingHandler()
    async with raw_client(server) as raw:
        await raw.send(b'{"jsonrpc": "2.0", "id": 1, "method": "wait"}\n')
        assert (await raw.reader.receive())["method"] == "approve"
        await raw.stream.send_eof()
        with anyio.fail_after(5):
            await server.refused.wait()
            assert not server.cancelled.is_set()
            await raw.stream.aclose()
            await server.cancelled.wait()


async def test_a_half_closed_peer_that_never_reads_does_not_hold_up_a_shutdown() -> None:
    server = AskingHandler()
    a, b = await socket_pair()
    endpoint = Endpoint(MessageStream(a), server)
    async with b:
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(endpoint.run)
                await b.send(b'{"jsonrpc": "2.0", "id": 1, "method": "wait"}\n')
                await b.send_eof()
                await server.refused.wait()
                tg.cancel_scope.cancel()  # the server shuts down
    assert server.cancelled.is_set() and endpoint.closed


BACKENDS = pytest.mark.parametrize(
    "anyio_backend", [("asyncio", {}), ("asyncio", {"use_uvloop": True})], ids=["asyncio", "uvloop"]
)


async def served_socket() -> tuple[TransportStream, socket.socket]:
    """A connection as ``serve`` has it (an asyncio transport under :class:`TransportStream`), and
    the peer's end as a plain blocking socket."""
    ours, theirs = socket.socketpair()
    accepted: list[TransportStream] = []
    await asyncio.get_running_loop().connect_accepted_socket(lambda: StreamProtocol(accepted.append), ours)
    return accepted[0], theirs


def read_to_the_end(sock: socket.socket, pace: float = 0.0) -> bytes:
    received = bytearray()
    while True:
        try:
            data = sock.recv(64 * 1024)
        except ConnectionResetError:
            return bytes(received)
        if not data:
            return bytes(received)
        received += data
        time.sleep(pace)  # pacing a slow reader, not synchronisation


@BACKENDS
@pytest.mark.parametrize("half_closed", [False, True], ids=["reading-side-open", "half-closed"])
async def test_a_peer_that_reads_nothing_is_dropped_once_a_write_has_waited_on_it(half_closed: bool) -> None:
    """A hung client, or one that half-closed and never reads, must not hold a streaming request
    (and the provider stream behind it) until the bridge stops: once a write has waited on it for
    the stall timeout, the connection is shut down and what it asked for is cancelled."""
    sent, cancelled = 0, anyio.Event()

    async def stream_forever(ctx: RequestContext, method: str, params: Any) -> Any:
        nonlocal sent
        try:
            while True:
                await ctx.notify("chunk", {"text": "x" * 1024})
                sent += 1
        finally:
            cancelled.set()

    stream, peer = await served_socket()
    endpoint = Endpoint(MessageStream(stream, stall_timeout=0.2), stream_forever)
    with peer:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(endpoint.run)
                peer.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "stream"}\n')
                if half_closed:
                    peer.shutdown(socket.SHUT_WR)
                await cancelled.wait()
        assert endpoint.closed and sent > 64  # the buffers filled first: a slow reader is not a stalled one
        received = await anyio.to_thread.run_sync(read_to_the_end, peer)
    assert len(received) < sent * 1100  # what was queued for it was given up


@BACKENDS
async def test_a_slow_reader_of_a_large_answer_is_not_taken_for_stalled() -> None:
    """Progress is counted per 64 KiB slice: a peer that keeps reading, however slowly, gets all of
    an answer that takes it many stall timeouts to read."""
    answer = "y" * (2 * 1024 * 1024)

    async def large(ctx: RequestContext, method: str, params: Any) -> Any:
        return answer

    stream, peer = await served_socket()
    endpoint = Endpoint(MessageStream(stream, stall_timeout=0.2), large)
    with peer, anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            tg.start_soon(endpoint.run)
            peer.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "large"}\n')
            peer.shutdown(socket.SHUT_WR)  # the endpoint ends once it has answered
            received = await anyio.to_thread.run_sync(read_to_the_end, peer, 0.05)  # about 1 MB/s: 1.5 s
    assert loads(received)["result"] == answer


async def test_bridge_errors_cross_as_their_class_with_data() -> None:
    async with connected(table(models__list=list_models)) as (_, client_end):
        with pytest.raises(errors.MissingKeyError, match="set OPENAI_API_KEY") as caught:
            await client_end.request("models/list", {"provider": "nokey"})
        assert caught.value.retryable is False


ERRORS: list[tuple[bytes | Any, int, Any]] = [
    (b"{oops", -32700, None),
    (b'{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":Infinity}}', -32700, None),
    # more digits than Python turns into an int: a ValueError of its own, which closed the connection
    (b'{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":' + b"9" * 5000 + b"}}", -32700, None),
    (5, -32600, None),
    ({"jsonrpc": "1.0", "id": 1, "method": "models/list"}, -32600, 1),
    ({"jsonrpc": "2.0", "id": 1.5, "method": "models/list"}, -32600, None),
    ({"jsonrpc": "2.0", "id": 2, "method": 7}, -32600, 2),
    ({"jsonrpc": "2.0", "id": 3, "method": "models/list", "params": "x"}, -32600, 3),
    ({"jsonrpc": "2.0", "id": 4, "method": "models/list", "extra": 1}, -32600, 4),
    ([], -32600, None),
    ({"jsonrpc": "2.0", "id": 5, "method": "no/such"}, -32601, 5),
    ({"jsonrpc": "2.0", "id": 6, "method": "models/list", "params": {}}, -32602, 6),
    ({"jsonrpc": "2.0", "id": 7, "method": "models/list", "params": {"provider": 3}}, -32602, 7),
    ({"jsonrpc": "2.0", "id": 8, "method": "models/list", "params": {"provider": "boom"}}, -32603, 8),
    ({"jsonrpc": "2.0", "id": 9, "method": "models/list", "params": {"provider": "nokey"}}, -32001, 9),
]


@pytest.mark.parametrize(
    ("message", "code", "request_id"), ERRORS, ids=[str(c) + f"-{i}" for i, (_, c, _) in enumerate(ERRORS)]
)
async def test_each_error_code_is_the_specs_number(message: Any, code: int, request_id: Any) -> None:
    well_formed = {"jsonrpc": "2.0", "id": "ok", "method": "models/list", "params": {"provider": "p"}}
    async with raw_client(table(models__list=list_models)) as raw:
        assert "result" in await raw.ask(well_formed)  # the framing (NDJSON) is fixed by the first byte
        reply = await raw.ask(message)
        validate("ErrorResponse", reply)
        assert (reply["error"]["code"], reply["id"]) == (code, request_id)
        text = dumps(reply)
        assert "Traceback" not in text and "sk-proj-abcdefghijklmnop" not in text and "RuntimeError" not in text
        if code == -32602:
            assert reply["error"]["message"].startswith("invalid params at /")
        if -32099 <= code <= -32000 or code == -32603:
            validate("BridgeErrorData", reply["error"]["data"])
        # the connection still works
        assert (await raw.ask(well_formed))["result"] == {"models": [{"id": "m", "provider": "p"}]}


@pytest.mark.parametrize(
    "answer",
    [{"error": "denied"}, {"error": {"code": 1}}, {"result": True, "extra": 1}],
    ids=["error-a-string", "error-without-message", "extra-member"],
)
async def test_a_malformed_answer_to_the_bridges_request_fails_that_request(answer: dict[str, Any]) -> None:
    """Else the handler waits for ever: for an answer that has come, only malformed."""

    async def ask(ctx: RequestContext, params: Any) -> Any:
        try:
            return await ctx.request("approve")
        except errors.BridgeError as exc:
            return {"failed": exc.message}

    async with raw_client(table(models__list=ask)) as raw:
        asked = await raw.ask({"jsonrpc": "2.0", "id": "c1", "method": "models/list", "params": {"provider": "p"}})
        assert asked["method"] == "approve"
        await raw.send(dumps({"jsonrpc": "2.0", "id": asked["id"], **answer}).encode() + b"\n")
        with anyio.fail_after(5):
            replies = [await raw.reader.receive(), await raw.reader.receive()]
        refused = next(r for r in replies if r["id"] is None)
        assert refused["error"]["code"] == -32600  # what the peer sent is not a response
        answered = next(r for r in replies if r["id"] == "c1")
        assert "malformed" in answered["result"]["failed"]


async def test_a_batch_is_answered_as_an_array() -> None:
    async with raw_client(table(models__list=list_models)) as raw:
        reply = await raw.ask([
            {"jsonrpc": "2.0", "id": 1, "method": "models/list", "params": {"provider": "a"}},
            {"jsonrpc": "2.0", "method": "models/list", "params": {"provider": "a"}},
            {"jsonrpc": "2.0", "id": 2, "method": "no/such"},
            3,
        ])  # fmt: skip
    by_id = {r["id"]: r for r in reply}
    assert len(reply) == 3
    assert by_id[1]["result"]["models"][0]["provider"] == "a"
    assert by_id[2]["error"]["code"] == -32601 and by_id[None]["error"]["code"] == -32600


async def test_a_cancel_right_behind_a_batch_cancels_its_request() -> None:
    async def server(ctx: RequestContext, method: str, params: Any) -> Any:
        await anyio.sleep_forever()  # answered only by the cancel

    async with raw_client(server) as raw:
        batch = dumps([{"jsonrpc": "2.0", "id": 1, "method": "wait"}]).encode() + b"\n"
        cancel = dumps({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 1}}).encode() + b"\n"
        await raw.send(batch + cancel)  # one write: the cancel is read before the batch's task runs
        with anyio.fail_after(5):
            reply = await raw.reader.receive()
    assert [(r["id"], r["error"]["code"]) for r in reply] == [(1, -32800)]


async def test_a_huge_batch_starts_no_more_tasks_than_the_limit() -> None:
    running = 0
    most = 0

    async def server(ctx: RequestContext, method: str, params: Any) -> Any:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await anyio.lowlevel.checkpoint()
        running -= 1
        return "ok"

    async with raw_client(server, max_in_flight=4) as raw:
        reply = await raw.ask([{"jsonrpc": "2.0", "id": i, "method": "x"} for i in range(1000)])
    assert len(reply) == 1000 and most <= 3  # the batch itself holds one of the four slots
    assert sum("result" in r for r in reply) == 3
    assert {r["error"]["data"]["code"] for r in reply if "error" in r} == {"rate_limited"}


async def test_too_many_requests_in_flight_are_refused_not_queued() -> None:
    release = anyio.Event()

    async def server(ctx: RequestContext, method: str, params: Any) -> Any:
        await release.wait()
        return "done"

    async with raw_client(server, max_in_flight=3) as raw:
        for i in range(3):
            await raw.send(dumps({"jsonrpc": "2.0", "id": i, "method": "wait"}).encode() + b"\n")
        busy = await raw.ask({"jsonrpc": "2.0", "id": 99, "method": "wait"})
        assert busy["id"] == 99 and busy["error"]["data"] == {"code": "rate_limited", "retryable": True, "status": None}
        # a batch while busy: an array, one refusal per request; its cancel still applies
        await raw.send(
            dumps(
                [
                    {"jsonrpc": "2.0", "id": 98, "method": "wait"},
                    {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 0}},
                ]
            ).encode()
            + b"\n"
        )
        answers = {}
        with anyio.fail_after(5):
            for _ in range(2):
                reply = await raw.reader.receive()
                answers.update({r["id"]: r for r in reply} if isinstance(reply, list) else {reply["id"]: reply})
        assert answers[98]["error"]["data"]["code"] == "rate_limited" and answers[0]["error"]["code"] == -32800
        release.set()
        answers = {(await raw.reader.receive())["id"] for _ in range(2)}
    assert answers == {1, 2}


async def test_an_oversized_frame_gets_an_error_then_the_connection_closes() -> None:
    async with raw_client(refuse) as raw:
        await raw.send(b"Content-Length: 1073741824\r\n\r\n")
        reader = MessageStream(raw.stream, "content-length")
        error = await reader.receive()
        assert error["error"]["code"] == -32600 and "over the limit" in error["error"]["message"]
        with pytest.raises(anyio.EndOfStream):
            await reader.receive()


async def test_a_result_that_is_not_json_is_an_internal_error() -> None:
    async def server(ctx: RequestContext, method: str, params: Any) -> Any:
        return {"x": {"value": object()}, "y": {"value": float("nan")}, "z": {"big": -(2**70)}}[method]

    async with raw_client(server) as raw:
        reply = await raw.ask(encode(dumps({"jsonrpc": "2.0", "id": 1, "method": "x"}), "ndjson").strip())
        assert reply["error"]["code"] == -32603 and loads(dumps(reply))["id"] == 1
        # NaN is written as null, as JSON.stringify does (never as the non-JSON NaN); big integers exactly
        reply = await raw.ask(encode(dumps({"jsonrpc": "2.0", "id": 2, "method": "y"}), "ndjson").strip())
        assert reply["result"] == {"value": None}
        reply = await raw.ask(encode(dumps({"jsonrpc": "2.0", "id": 3, "method": "z"}), "ndjson").strip())
        assert reply["result"] == {"big": -(2**70)}


class _CountingStream(anyio.abc.ByteStream):
    """A byte stream that counts the writes made to it (to see frames leave in batches)."""

    def __init__(self, inner: SocketStream) -> None:
        self.inner = inner
        self.writes = 0

    async def receive(self, max_bytes: int = 65536) -> bytes:
        return await self.inner.receive(max_bytes)

    async def send(self, item: bytes) -> None:
        self.writes += 1
        await self.inner.send(item)

    async def send_eof(self) -> None:
        await self.inner.send_eof()

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_notifications_sent_together_leave_in_order_in_few_writes() -> None:
    async def burst(ctx: RequestContext, method: str, params: Any) -> Any:
        for i in range(200):
            await ctx.notify("tick", {"i": i})
        return "done"

    a, b = await socket_pair()
    counted = _CountingStream(a)
    endpoint = Endpoint(MessageStream(counted), burst)
    async with b, anyio.create_task_group() as tg:
        tg.start_soon(endpoint.run)
        raw = Raw(b)
        await raw.send(b'{"jsonrpc": "2.0", "id": 1, "method": "go"}\n')
        ticks = [(await raw.reader.receive())["params"]["i"] for _ in range(200)]
        assert (await raw.reader.receive())["result"] == "done"
        tg.cancel_scope.cancel()
    assert ticks == list(range(200))
    assert counted.writes < 20  # one write per batch the handler queued, not one per frame


async def test_a_peer_that_does_not_read_stops_the_writer_at_the_high_water_mark() -> None:
    sent = 0

    async def flood(ctx: RequestContext, method: str, params: Any) -> Any:
        nonlocal sent
        while True:
            await ctx.notify("tick", {"pad": "x" * 1000})
            sent += 1

    a, b = await socket_pair()
    b.extra(anyio.abc.SocketAttribute.raw_socket).setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stream = MessageStream(a)
    endpoint = Endpoint(stream, flood)
    async with b, anyio.create_task_group() as tg:
        tg.start_soon(endpoint.run)
        await b.send(b'{"jsonrpc": "2.0", "id": 1, "method": "go"}\n')
        for _ in range(200):  # let the handler run until it has to wait
            await anyio.lowlevel.checkpoint()
        stalled_at = sent
        for _ in range(200):
            await anyio.lowlevel.checkpoint()
        assert sent == stalled_at  # waiting for the peer, not queueing without end
        assert stream.queued <= 64 * 1024 + 1100  # the high-water mark plus one frame
        tg.cancel_scope.cancel()


async def test_a_failed_write_after_the_end_of_input_cancels_what_runs() -> None:
    """Over a stream with no socket to watch for a hang-up, the first write that fails tells the
    peer is gone: every request still running is cancelled."""
    blocked = AskingHandler()
    go = anyio.Event()

    async def server(ctx: RequestContext, method: str, params: Any) -> Any:
        if method == "wait":
            return await blocked(ctx, method, params)
        await go.wait()
        while True:
            await ctx.notify("tick")

    a, b = await socket_pair()
    endpoint = Endpoint(MessageStream(_CountingStream(a)), server)  # hides the socket
    async with anyio.create_task_group() as tg:
        tg.start_soon(endpoint.run)
        await b.send(b'{"jsonrpc": "2.0", "id": 1, "method": "tick"}\n{"jsonrpc": "2.0", "id": 2, "method": "wait"}\n')
        await b.send_eof()
        with anyio.fail_after(5):
            await blocked.refused.wait()
            await b.aclose()
            go.set()
            await blocked.cancelled.wait()
