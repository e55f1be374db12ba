"""The tool-calling loop (the seed's ChatOrchestrator): one engine-level loop that the JSON-RPC
``chat/stream`` (``run_tools``), the MCP ``chat`` tool and the CLI all reuse.

Each round streams one model turn through :meth:`Engine.chat` with the registry's tools offered,
collects the tool calls it asks for, runs them (all at once when there are several), appends the
assistant turn and the results to the conversation, and asks again, until the model answers
without calling a tool or ``max_rounds`` turns have been streamed::

    loop = ChatOrchestrator(engine, registry, approve=ask_the_user)
    async with loop.chat(request, cancel) as stream:
        async for chunk in stream:      # text, thinking and tool_call chunks of every round,
            ...                         # then one summed usage and one done
    stream.outcome.messages             # the turns the loop added, tool results included

A tool that fails, times out or is refused by the ``approve`` hook becomes an error result that
the model reads (``is_error``), never a crash. Cancelling the token stops the model stream and
every running tool; the stream then ends with a ``cancelled`` error, like a plain chat. Errors
found before anything is sent (unknown provider, missing key) raise from ``__aenter__``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

import anyio
from anyio.abc import TaskStatus
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from bridge import errors
from bridge.cancel import CancellationToken
from bridge.engine import Engine
from bridge.redact import redact
from bridge.tools import ToolRegistry, ToolResult
from bridge.turn import Turn
from protocol import (
    ChatMessage,
    ChatRequest,
    ContentPart,
    FinishReason,
    StreamChunk,
    StreamOptions,
    ToolCallPart,
    ToolResultPart,
    Usage,
)

log = logging.getLogger("openllm.orchestrator")


@dataclass(frozen=True)
class Approval:
    """A hook's answer when it wants to say why: the reason reaches the model with the refusal."""

    approved: bool
    reason: str | None = None


ApprovalHook = Callable[[ToolCallPart], Awaitable[bool | Approval]]


@dataclass
class ToolRun:
    call: ToolCallPart
    result: ToolResult
    seconds: float


@dataclass
class LoopOutcome:
    """What the loop did: the turns it added to the conversation, every tool it ran."""

    messages: list[ChatMessage] = field(default_factory=list)
    tool_runs: list[ToolRun] = field(default_factory=list)
    rounds: int = 0
    usage: Usage | None = None
    finish_reason: FinishReason | None = None
    last_turn: Turn | None = None  # the model's last turn, once the loop ended without an error

    @property
    def limit_reached(self) -> bool:
        """``max_rounds`` turns were streamed and the last one's calls were not run."""
        return self.last_turn is not None and bool(self.last_turn.calls)


class LoopStream:
    """The chunks of a whole loop, and its outcome once they are read."""

    def __init__(self, receive: MemoryObjectReceiveStream[StreamChunk], cancel: CancellationToken) -> None:
        self._receive = receive
        self._cancel = cancel
        self.outcome = LoopOutcome()

    async def __aiter__(self) -> AsyncIterator[StreamChunk]:
        finished = False
        async for chunk in self._receive:
            finished = chunk["type"] == "done"
            yield chunk
        if not finished:  # the producer was cancelled before it could finish the stream
            reason = self._cancel.reason or "cancelled"
            self.outcome.finish_reason = "error"
            yield errors.Cancelled(reason).to_chunk()
            yield {"type": "done", "finish_reason": "error"}


class ChatOrchestrator:
    def __init__(
        self,
        engine: Engine,
        tools: ToolRegistry,
        *,
        max_rounds: int = 8,
        tool_timeout: float = 60.0,
        approve: ApprovalHook | None = None,
    ) -> None:
        self.engine = engine
        self.tools = tools
        self.max_rounds = max_rounds
        self.tool_timeout = tool_timeout
        self.approve = approve

    @asynccontextmanager
    async def chat(self, request: ChatRequest, cancel: CancellationToken | None = None) -> AsyncIterator[LoopStream]:
        cancel = cancel or CancellationToken()
        send, receive = anyio.create_memory_object_stream[StreamChunk](0)
        stream = LoopStream(receive, cancel)
        with _single_errors_unwrapped():
            async with anyio.create_task_group() as tg, receive:
                scope = anyio.CancelScope()
                await tg.start(self._produce, request, cancel, stream.outcome, send, scope)

                async def watch() -> None:
                    await cancel.wait()
                    scope.cancel()

                tg.start_soon(watch)
                try:
                    yield stream
                finally:
                    tg.cancel_scope.cancel()

    async def _produce(
        self,
        request: ChatRequest,
        cancel: CancellationToken,
        outcome: LoopOutcome,
        send: MemoryObjectSendStream[StreamChunk],
        scope: anyio.CancelScope,
        *,
        task_status: TaskStatus[None],
    ) -> None:
        with scope:
            async with send:
                specs = await self.tools.specs()
                history = list(request["messages"])
                options: StreamOptions = {**request.get("options", {})}
                started = False
                while True:
                    round_options: StreamOptions = {**options, "tools": specs} if specs else options
                    round_request: ChatRequest = {**request, "messages": history, "options": round_options}
                    try:
                        async with self.engine.chat(round_request, cancel) as chunks:
                            if not started:  # configuration errors of the first round raise from __aenter__
                                started = True
                                task_status.started()
                            outcome.rounds += 1
                            turn = await self._forward_round(chunks, send, outcome)
                    except errors.BridgeError as exc:
                        if not started:
                            raise
                        outcome.finish_reason = "error"
                        await send.send(exc.to_chunk())
                        await send.send({"type": "done", "finish_reason": "error"})
                        turn = Turn()  # finish: error
                    if turn.finish == "error":
                        return
                    if not turn.calls or outcome.rounds >= self.max_rounds:
                        outcome.last_turn = turn  # its calls, if any, are the caller's to run or show
                        last = turn.message(with_thinking=bool(turn.calls))  # calls need their thinking
                        outcome.messages.append(last)
                        await self._finish(send, outcome, "tool_calls" if turn.calls else turn.finish)
                        return
                    if options.get("tool_choice") not in (None, "auto", "none"):
                        options["tool_choice"] = "auto"  # a forced call is forced once, not every round
                    added = await self._run_tools(turn, outcome)
                    history += added
                    outcome.messages += added

    async def _forward_round(
        self, chunks: AsyncIterator[StreamChunk], send: MemoryObjectSendStream[StreamChunk], outcome: LoopOutcome
    ) -> Turn:
        turn = Turn()
        async for chunk in chunks:
            turn.take(chunk)
            if chunk["type"] == "usage":
                before = outcome.usage or {"input_tokens": 0, "output_tokens": 0}
                outcome.usage = {
                    "input_tokens": before["input_tokens"] + chunk["input_tokens"],
                    "output_tokens": before["output_tokens"] + chunk["output_tokens"],
                }
            elif chunk["type"] == "done":
                if turn.finish == "error":
                    outcome.finish_reason = turn.finish
                    await send.send(chunk)
            else:
                await send.send(chunk)
        return turn

    async def _finish(
        self, send: MemoryObjectSendStream[StreamChunk], outcome: LoopOutcome, finish: FinishReason
    ) -> None:
        if outcome.limit_reached:
            log.warning("tool loop stopped after %d rounds with tool calls pending", outcome.rounds)
        outcome.finish_reason = finish
        if outcome.usage is not None:
            await send.send({"type": "usage", **outcome.usage})
        await send.send({"type": "done", "finish_reason": finish})

    async def _run_tools(self, turn: Turn, outcome: LoopOutcome) -> list[ChatMessage]:
        calls = turn.calls
        results: list[ToolRun | None] = [None] * len(calls)

        async def run_one(i: int, call: ToolCallPart) -> None:
            started = time.perf_counter()
            result = await self._run_one(call, turn.invalid_arguments.get(call["id"]))
            run = results[i] = ToolRun(call, result, time.perf_counter() - started)
            outcome_text = "error" if result.is_error else "ok"
            log.info("tool name=%s outcome=%s duration=%.1fms", call["name"], outcome_text, run.seconds * 1000)

        async with anyio.create_task_group() as tg:
            for i, call in enumerate(calls):
                tg.start_soon(run_one, i, call)
        runs = [run for run in results if run is not None]
        outcome.tool_runs += runs
        answers: list[ContentPart] = [_result_part(run) for run in runs]
        return [turn.message(), {"role": "tool", "content": answers}]

    async def _run_one(self, call: ToolCallPart, invalid_arguments: str | None = None) -> ToolResult:
        if invalid_arguments is not None:  # the model's mistake: told, so that it can call again
            return ToolResult(
                redact(f"the arguments of {call['name']} are not a JSON object ({invalid_arguments[:200]!r}); "
                       "nothing was run: call it again with its arguments as one JSON object"),
                is_error=True,
            )  # fmt: skip
        if self.approve is not None:
            decision = await self.approve(call)
            decision = decision if isinstance(decision, Approval) else Approval(decision)
            if not decision.approved:
                why = f": {decision.reason}" if decision.reason else ""
                return ToolResult(f"the user did not allow {call['name']} to run{why}", is_error=True)
        try:
            with anyio.fail_after(self.tool_timeout):
                return await self.tools.call(call["name"], call["arguments"])
        except TimeoutError:
            return ToolResult(f"{call['name']} timed out after {self.tool_timeout:g}s", is_error=True)
        except errors.BridgeError as exc:
            return ToolResult(f"{call['name']} failed: {exc.message}", is_error=True)
        except Exception as exc:  # a bug in a tool source is the model's error result, not the loop's end
            log.exception("tool %s failed", call["name"])
            return ToolResult(f"{call['name']} failed: internal error ({type(exc).__name__})", is_error=True)


def _result_part(run: ToolRun) -> ToolResultPart:
    part: ToolResultPart = {
        "type": "tool_result",
        "tool_call_id": run.call["id"],
        "name": run.call["name"],
        "content": run.result.text,
    }
    if run.result.is_error:
        part["is_error"] = True
    return part


@contextmanager
def _single_errors_unwrapped() -> Iterator[None]:
    """A task group wraps even a lone exception in an ExceptionGroup; callers expect the error
    itself (a MissingKeyError from the first round, their own exception from the loop body)."""
    try:
        yield
    except BaseExceptionGroup as group:
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
