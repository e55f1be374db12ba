"""One HTTP/1.1 connection as an ``asyncio.Protocol``: the event loop's callbacks feed the parser,
the reader takes what they buffered.

Why a protocol rather than a stream: on a streamed answer every chunk comes in its own read, and
the cost per read is the point. Here a read that finds body bytes buffered returns them at once;
only a reader that finds the buffer empty waits, on one future that ``data_received`` resolves.
No task, cancel scope or timer is made per read:

- flow control: reading pauses when more than :data:`HIGH_WATER` bytes wait for the reader and
  resumes when it has taken them;
- timeouts: ``data_received`` notes the time of the last data, and one ``loop.call_at`` timer
  serves a whole response. When it fires it fails a waiting reader that has had no data for its
  timeout, or sets itself again for when that would be; while the reader is busy it lapses.

Two kinds of wait: until an absolute ``deadline`` (the first bytes of an answer) or for at most
``gap`` seconds of silence (between the pieces of a body). Cancelling the waiting task cancels the
future and nothing else; whoever owns the connection then aborts it (:mod:`bridge.http.client`).
"""

from __future__ import annotations

import asyncio

from bridge.http.errors import HTTPError, ReadError, ReadTimeout, RemoteProtocolError
from bridge.http.parser import ResponseHead, ResponseParser

# Small: while the bridge is behind, every one of a thousand streams holds this much here (256 KiB
# made 476 MiB of RSS at 1,000 streams in bench/concurrency.py); the rest waits in the kernel.
HIGH_WATER = 64 * 1024


class StaleConnection(ReadError):
    """A reused connection that ended before any byte of the answer: the server had closed it
    while idle, so the request may be sent again on a new one."""


class Connection(asyncio.Protocol):
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.reused = False  # set by the pool when the connection carries a second request or later
        self._loop = asyncio.get_running_loop()
        self._parser: ResponseParser | None = None  # None while idle
        self._head: ResponseHead | None = None
        self._body: list[bytes] = []
        self._buffered = 0
        self._ended = False
        self._got_bytes = False  # any byte of the current answer
        self._error: HTTPError | None = None
        self._closed = False
        self._paused = False
        self._last_data = 0.0
        self._waiter: asyncio.Future[None] | None = None
        self._wait_started = 0.0
        self._deadline: float | None = None
        self._gap: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when = 0.0

    # -- the event loop's side ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._last_data = self._loop.time()
        self._got_bytes = True
        parser = self._parser
        if parser is None:  # a server has nothing to say between answers: do not reuse this one
            self._fail(RemoteProtocolError("data from the server while no request was open", self.origin))
            self.abort()
            return
        for event in parser.feed(data):
            if isinstance(event, bytes):
                self._body.append(event)
                self._buffered += len(event)
            elif isinstance(event, ResponseHead):
                self._head = event
            else:
                self._ended = True
        if parser.error is not None:  # after the body bytes that came before it, which the reader gets first
            parser.error.origin = self.origin
            self._fail(parser.error)
            self.abort()
            return
        if self._buffered > HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        if self._parser is not None:
            self._ended = self._ended or bool(self._parser.feed_eof())
        self._closed = True
        self._wake()
        return False  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if exc is not None and self._error is None and self._parser is not None and not self._ended:
            self._error = self._broken(f"the connection broke: {exc}")
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._wake()

    # -- the reader's side ----------------------------------------------------------------------

    def send(self, request: bytes, method: str) -> None:
        """Start an exchange: write the request and expect its answer."""
        if self._closed or self.transport is None or self.transport.is_closing():
            raise self._broken("the connection was closed before the request could be sent")
        self._parser = ResponseParser(method)
        self._head, self._ended, self._got_bytes, self._error = None, False, False, None
        self.transport.write(request)

    async def read_head(self, deadline: float | None, gap: float | None) -> ResponseHead:
        """The head of the answer, by ``deadline`` if given, else with no silence over ``gap``."""
        self._deadline, self._gap = deadline, gap
        while self._head is None:
            await self._wait()
        return self._head

    async def read_some(self, deadline: float | None, gap: float | None) -> bytes:
        """Body bytes, all that is buffered; ``b""`` at the end of the body. A wait is bounded as
        :meth:`read_head`'s is."""
        body = self._body
        if not body:
            if self._ended:
                return b""
            self._deadline, self._gap = deadline, gap
            while not body and not self._ended:
                await self._wait()
            if not body:
                return b""
        data = body[0] if len(body) == 1 else b"".join(body)
        body.clear()
        self._buffered = 0
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return data

    @property
    def complete(self) -> bool:
        """The whole answer has been read by the reader."""
        return self._ended and not self._body

    def finish(self) -> bool:
        """End the exchange; True when the connection may carry another request."""
        parser, self._parser = self._parser, None
        reusable = parser is not None and parser.complete and parser.keep_alive and self.complete
        return reusable and self._error is None and not self._closed

    @property
    def usable(self) -> bool:
        """Idle and still open, as far as the event loop has seen."""
        return (
            not self._closed and self._error is None and self.transport is not None and not self.transport.is_closing()
        )

    def abort(self) -> None:
        self._closed = True
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        self._closed = True
        if self.transport is not None:
            self.transport.close()

    # -- waiting ----------------------------------------------------------------------------

    async def _wait(self) -> None:
        if self._error is not None:
            raise self._error
        if self._closed:
            raise self._broken("the server closed the connection before the end of the answer")
        loop = self._loop
        waiter = self._waiter = loop.create_future()
        self._wait_started = loop.time()
        due = self._due()
        if due is not None and (self._timer is None or self._timer_when > due):
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._timer_when = loop.call_at(due, self._on_timer), due
        try:
            await waiter
        finally:
            self._waiter = None

    def _due(self) -> float | None:
        if self._deadline is not None:
            return self._deadline
        if self._gap is not None:
            return max(self._last_data, self._wait_started) + self._gap
        return None

    def _on_timer(self) -> None:
        self._timer = None
        waiter = self._waiter
        due = self._due()
        if waiter is None or waiter.done() or due is None:
            return  # nobody is waiting: the next wait sets a timer again
        if self._loop.time() >= due:
            what = f"no data for {self._gap:g}s" if self._deadline is None else "no answer in time"
            waiter.set_exception(ReadTimeout(what, self.origin))
        else:
            self._timer, self._timer_when = self._loop.call_at(due, self._on_timer), due

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: HTTPError) -> None:
        if self._error is None:
            self._error = error
        self._wake()

    def _broken(self, message: str) -> ReadError:
        if self.reused and not self._got_bytes:
            return StaleConnection(message, self.origin)
        return ReadError(message, self.origin)
