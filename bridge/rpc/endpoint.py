"""One JSON-RPC 2.0 connection, in both directions, knowing none of our method names.

:class:`Endpoint` reads messages from a :class:`MessageStream` and:

- runs each incoming request in its own task through one ``handler(ctx, method, params)``,
  at most ``max_in_flight`` at a time (more are answered at once with a retryable
  ``rate_limited`` error, so memory per connection stays bounded and cancels are still read);
- hands incoming notifications to the same handler inline, in order (a slow handler slows the
  reader, which is how backpressure reaches the peer);
- cancels a running request when the peer sends LSP's ``$/cancelRequest {id}`` (what
  vscode-jsonrpc sends) or MCP's ``notifications/cancelled {requestId}``, and answers it with
  -32800 RequestCancelled (as pygls and vscode-jsonrpc servers do, so a vscode-jsonrpc client's
  promise settles; an MCP peer ignores the reply);
- correlates responses with its own outgoing requests (many in flight, optional timeout);
  leaving a call unanswered (cancelled, timed out) sends the peer ``cancel_method``;
- turns whatever a handler raised into the wire error in one place (:mod:`bridge.rpc.errors`).

At the end of the input (the peer shut down its writing side, as ``nc -N`` or ``socat`` do
after a request, or closed the connection) nothing more is read and every outgoing call fails with
``closed_error`` (no answer can come), but the requests still running finish and are answered,
streams included. When the peer is gone (a write failed, it hung up; see
:meth:`MessageStream.wait_gone`) or framing is lost, every running handler is cancelled (so a chat
stream closes its upstream connection).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import anyio
from anyio.abc import TaskGroup

from bridge import errors
from bridge.rpc import errors as rpc_errors
from bridge.rpc.calls import Call
from bridge.rpc.framing import FramingError, MalformedMessage
from bridge.rpc.messages import Invalid, Notification, Request, Response, classify, is_request_id
from bridge.rpc.stream import MessageStream
from protocol import ErrorObject, RequestId

log = logging.getLogger("openllm.rpc")

CancelMethod = Literal["$/cancelRequest", "notifications/cancelled"]
CANCEL_METHODS = ("$/cancelRequest", "notifications/cancelled")
_SEND_FAILURES = (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError)


@dataclass(frozen=True)
class RequestContext:
    """What a handler gets besides its params: the method, the request id (None for a
    notification) and the endpoint, to notify or ask the peer while it works."""

    endpoint: Endpoint
    method: str
    request_id: RequestId | None

    def notify(self, method: str, params: Any = None) -> Awaitable[None]:
        return self.endpoint.notify(method, params)  # not a coroutine of its own: one per chunk less

    async def request(self, method: str, params: Any = None, *, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        return await self.endpoint.request(method, params, timeout=timeout)


Handler = Callable[[RequestContext, str, Any], Awaitable[Any]]


class _Running:
    __slots__ = ("cancelled_by_peer", "scope")

    def __init__(self) -> None:
        self.scope = anyio.CancelScope()
        self.cancelled_by_peer = False


class Endpoint:
    def __init__(
        self,
        stream: MessageStream,
        handler: Handler,
        *,
        name: str = "peer",
        own_name: str = "bridge",
        max_in_flight: int = 64,
        cancel_method: CancelMethod = "$/cancelRequest",
        closed_error: Callable[[str], errors.BridgeError] = errors.NetworkError,
    ) -> None:
        self.stream = stream
        self.name = name
        self._own_name = own_name  # this side, as its errors name it ("see the bridge's log")
        self._handler = handler
        self._max_in_flight = max_in_flight
        self._cancel_method = cancel_method
        self._closed_error = closed_error
        self._running: dict[RequestId, _Running] = {}
        self._calls: dict[RequestId, Call] = {}
        self._batches = 0  # batches being answered; they count against max_in_flight too
        self._next_id = 0
        self._closed: str | None = None  # why the connection closed: nothing more is sent
        self._calls_ended: str | None = None  # why no answer can come: the input ended (or closed)
        self._complaint: str | None = None  # the last error the peer sent for no request (id null)

    @property
    def closed(self) -> bool:
        return self._closed is not None

    # -- the receive side --------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the connection until its input ends and what runs has been answered (or the peer
        is gone, or framing is lost), then close it."""
        try:
            async with anyio.create_task_group() as writing:
                writing.start_soon(self.stream.run_writer)
                try:
                    await self._serve_requests()
                finally:  # what is queued still goes out (a last answer or error reply): for as long
                    self.stream.stop_writer()  # as the peer reads it when stalls are watched, else 1 s
                    if self.stream.stall_timeout is None:
                        writing.cancel_scope.deadline = anyio.current_time() + 1
        finally:
            self._close(self._gone())
            with anyio.CancelScope(shield=True):
                await self.stream.aclose()

    async def _serve_requests(self) -> None:
        """Read and run requests; at the end of the input wait for those running, unless the peer
        turns out to be gone."""
        async with anyio.create_task_group() as watching:
            async with anyio.create_task_group() as requests:
                if await self._read_loop(requests):
                    self._end_calls(self._gone())  # its input, at least
                    watching.start_soon(self._cancel_when_gone, requests.cancel_scope)
                else:
                    requests.cancel_scope.cancel()
            watching.cancel_scope.cancel()

    async def _cancel_when_gone(self, requests: anyio.CancelScope) -> None:
        await self.stream.wait_gone()
        log.debug("the %s is gone: cancelling what it asked for", self.name)
        requests.cancel()

    async def _read_loop(self, tg: TaskGroup) -> bool:
        """Read and dispatch messages until the input ends (True) or the connection fails (False)."""
        while True:
            try:
                message = await self.stream.receive()
            except anyio.EndOfStream:
                return True
            except _SEND_FAILURES:
                return False
            except FramingError as exc:
                log.error("dropping the connection to the %s: %s", self.name, exc)
                with anyio.move_on_after(1, shield=True):
                    await self._reply(None, error={"code": rpc_errors.INVALID_REQUEST, "message": str(exc)})
                return False
            if isinstance(message, list):
                if not message:
                    await self._reply(None, error=_invalid("an empty batch"))
                else:  # even when busy: its requests are refused one by one, its cancels still applied
                    self._batches += 1  # admitted here, before the next message (a cancel of one) is read
                    tg.start_soon(self._batch, [self._admitted(classify(m)) for m in message])
                continue
            if isinstance(message, MalformedMessage):
                await self._reply(None, error={"code": rpc_errors.PARSE_ERROR, "message": message.reason})
                continue
            incoming = classify(message)
            if isinstance(incoming, Request):
                running = self._admit(incoming)
                if isinstance(running, _Running):
                    tg.start_soon(self._serve_and_reply, incoming, running)
                else:
                    await self._reply(incoming.id, error=running)
            elif isinstance(incoming, Notification):
                await self._notification(incoming)
            elif isinstance(incoming, Response):
                self._settle(incoming)
            else:
                await self._reply(incoming.id, error=self._refuse(incoming))

    def _admit(self, request: Request) -> _Running | ErrorObject:
        if request.id in self._running:
            return _invalid(f"request id {request.id!r} is already in use")
        if len(self._running) + self._batches >= self._max_in_flight:
            return self._busy()
        running = self._running[request.id] = _Running()
        return running

    def _busy(self) -> ErrorObject:
        busy = errors.RateLimitedError(f"more than {self._max_in_flight} requests in flight", status=None)
        return rpc_errors.bridge_error_object(busy)

    async def _serve(self, request: Request, running: _Running) -> dict[str, Any] | None:
        """The response to one admitted request (None when the connection is going away)."""
        try:
            with running.scope:
                try:
                    result = await self._handler(RequestContext(self, request.method, request.id), request.method,
                                                 request.params)  # fmt: skip
                except Exception as exc:
                    return _response(request.id, error=rpc_errors.error_object(exc, request.method, self._own_name))
                return _response(request.id, result=result)
            return _response(request.id, error=rpc_errors.cancelled_object()) if running.cancelled_by_peer else None
        finally:
            self._running.pop(request.id, None)

    async def _serve_and_reply(self, request: Request, running: _Running) -> None:
        response = await self._serve(request, running)
        if response is not None:
            await self._send_response(response)

    def _admitted(self, incoming: Any) -> tuple[Any, _Running | ErrorObject | None]:
        """A message of a batch, with its admission when it is a request."""
        return incoming, self._admit(incoming) if isinstance(incoming, Request) else None

    async def _batch(self, messages: list[tuple[Any, _Running | ErrorObject | None]]) -> None:
        """A batch is answered with one array; its requests were admitted one by one like single
        ones (so a 100,000-element batch starts at most ``max_in_flight`` tasks)."""
        responses: list[dict[str, Any]] = []

        async def serve_one(request: Request, running: _Running) -> None:
            response = await self._serve(request, running)
            if response is not None:
                responses.append(response)

        try:
            async with anyio.create_task_group() as tg:
                for incoming, running in messages:
                    if isinstance(incoming, Request):
                        if isinstance(running, _Running):
                            tg.start_soon(serve_one, incoming, running)
                        elif running is not None:
                            responses.append(_response(incoming.id, error=running))
                    elif isinstance(incoming, Notification):
                        await self._notification(incoming)
                    elif isinstance(incoming, Response):
                        self._settle(incoming)
                    else:
                        responses.append(_response(incoming.id, error=self._refuse(incoming)))
            if responses:
                await self._send_response(responses)
        finally:
            self._batches -= 1

    async def _notification(self, notification: Notification) -> None:
        if notification.method in CANCEL_METHODS:
            self._cancel_incoming(notification.params)
            return
        try:
            await self._handler(RequestContext(self, notification.method, None), notification.method,
                                notification.params)  # fmt: skip
        except (rpc_errors.RpcError, errors.BridgeError) as exc:
            log.debug("notification %s from the %s ignored: %s", notification.method, self.name, exc.message)
        except Exception:
            log.exception("notification handler for %s failed", notification.method)

    def _cancel_incoming(self, params: Any) -> None:
        if not isinstance(params, dict):
            return
        request_id = params.get("id", params.get("requestId"))
        running = self._running.get(request_id) if is_request_id(request_id) else None
        if running is not None:
            log.debug("the %s cancelled request %r", self.name, request_id)
            running.cancelled_by_peer = True
            running.scope.cancel()

    # -- the send side ---------------------------------------------------------------------------

    def notify(self, method: str, params: Any = None) -> Awaitable[None]:
        """Send a notification (awaited: it waits while the peer reads slowly, see :mod:`.stream`)."""
        return self._send(_message(method, params))

    async def request(self, method: str, params: Any = None, *, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        """Ask the peer and wait for its answer; ``timeout`` fails the call with an
        ``UpstreamTimeout`` bridge error and cancels it at the peer."""
        async with self.call(method, params) as call:
            return await call.result(timeout)

    def call(self, method: str, params: Any = None, *, on_settled: Callable[[], None] | None = None) -> Call:
        """An outgoing request whose id is known before it is sent (``async with`` sends it;
        leaving the block unanswered cancels it at the peer). ``on_settled`` runs in the reader
        right after the response (or the connection's end), after every message before it."""
        self._next_id += 1
        return Call(self, self._next_id, method, params, on_settled)

    def _register(self, call: Call) -> None:
        if self._calls_ended is not None:
            raise self._closed_error(self._calls_ended)
        self._calls[call.id] = call

    def _forget(self, call: Call) -> None:
        self._calls.pop(call.id, None)

    async def _cancel_outgoing(self, call: Call) -> None:
        params = {"id": call.id} if self._cancel_method == "$/cancelRequest" else {"requestId": call.id}
        with anyio.move_on_after(1, shield=True):
            with contextlib.suppress(errors.BridgeError):  # the connection is gone: nothing runs there any more
                await self._send(_message(self._cancel_method, params))

    def _refuse(self, invalid: Invalid) -> ErrorObject:
        """The answer to what is not a message; a malformed response also fails the call it names,
        which would otherwise wait for an answer that has come."""
        error = _invalid(invalid.reason)
        if invalid.answers is not None:
            refused: ErrorObject = {**error, "message": f"the {self.name} sent {invalid.reason}"}
            self._settle(Response(invalid.answers, None, refused))
        return error

    def _settle(self, response: Response) -> None:
        call = self._calls.pop(response.id, None) if response.id is not None else None
        if response.id is None and response.error is not None:  # about no request: a frame it refused, say
            self._complaint = str(response.error.get("message", ""))[:300]
            log.warning("the %s sent an error for no request: %s", self.name, self._complaint)
        if call is None:
            log.debug("a response from the %s for no pending request (id %r)", self.name, response.id)
            return
        call.settle(response.result, response.error)

    async def _send(self, message: Any) -> None:
        if self._closed is not None:
            raise self._closed_error(self._closed)
        try:
            await self.stream.send(message)
        except _SEND_FAILURES as exc:
            raise self._closed_error(self._gone()) from exc

    async def _send_response(self, response: dict[str, Any] | list[dict[str, Any]]) -> None:
        try:
            await self.stream.send(response)
        except (TypeError, ValueError):  # a handler returned something that is not JSON
            log.exception("a result could not be serialized")
            failed = rpc_errors.error_object(errors.InternalError("a result could not be serialized"))
            if isinstance(response, list):
                await self._send_response([_response(r["id"], error=failed) for r in response])
            else:
                await self._send_response(_response(response["id"], error=failed))
        except _SEND_FAILURES:
            log.debug("the %s left before its answer was sent", self.name)

    async def _reply(self, request_id: RequestId | None, *, error: ErrorObject) -> None:
        await self._send_response(_response(request_id, error=error))

    def _gone(self) -> str:
        """Why calls fail once the connection has gone: with what the peer said last, if it said
        why (a server drops a connection whose frame is over its limit, after an id-null error)."""
        said = f", after it said: {self._complaint}" if self._complaint else ""
        return f"the connection to the {self.name} closed{said}"

    def _close(self, reason: str) -> None:
        if self._closed is None:
            self._closed = reason
        self._end_calls(reason)

    def _end_calls(self, reason: str) -> None:
        """No answer can come any more: fail the calls waiting for one, and every later one."""
        if self._calls_ended is None:
            self._calls_ended = reason
        calls, self._calls = self._calls, {}
        for call in calls.values():
            call.fail(self._closed_error(reason))


def _message(method: str, params: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message


def _response(request_id: RequestId | None, *, result: Any = None, error: ErrorObject | None = None) -> dict[str, Any]:
    if error is not None:
        return {"jsonrpc": "2.0", "id": request_id, "error": error}
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _invalid(reason: str) -> ErrorObject:
    return {"code": rpc_errors.INVALID_REQUEST, "message": f"invalid request: {reason}"}
