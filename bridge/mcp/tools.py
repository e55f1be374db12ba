"""The bridge's own MCP tools: ``chat``, ``list_providers``, ``list_models``, ``compare``.

Each is a short function over the same :class:`~bridge.engine.Engine` the CLI and the JSON-RPC
API call. Failures come back as results with ``isError`` and a message that says what to do
(the engine's messages already do: a missing key names its variable and the ``secrets set``
command). Parameter descriptions are kept short on purpose: agents pay for the ``tools/list``
payload in context on every turn (``bench/mcp_tools_payload.py`` measures it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, cast

import anyio
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, TextContent
from pydantic import Field

from bridge import errors
from bridge.engine import Engine
from bridge.mcp.conversations import Conversation, ConversationStore
from bridge.mcp.progress import DEFAULT_HEARTBEAT_SECONDS, Progress
from bridge.orchestrator import ChatOrchestrator, LoopStream
from bridge.redact import redact
from bridge.tools import ToolRegistry
from bridge.turn import Turn
from protocol import (
    ChatMessage,
    ChatRequest,
    ErrorChunk,
    McpChatResult,
    McpCompareEntry,
    SchemaError,
    StreamChunk,
    StreamOptions,
    dumps,
    validate,
)

log = logging.getLogger("openllm.mcp")

Provider = Annotated[str, Field(description="Provider id, e.g. openai, anthropic, ollama, mock (see list_providers)")]
Model = Annotated[str, Field(description="Model id (see list_models)")]
Prompt = Annotated[str | None, Field(description="The user message")]
Messages = Annotated[
    list[dict[str, Any]] | None, Field(description="Chat messages [{role, content}], sent before prompt")
]
System = Annotated[str | None, Field(description="System prompt")]
Options = Annotated[
    dict[str, Any] | None, Field(description="temperature, max_tokens, top_p, stop, tools, tool_choice")
]
ConversationId = Annotated[str | None, Field(description="Continue the conversation of an earlier chat result")]
Models = Annotated[list[str], Field(description='Models as "provider/model"', min_length=1)]
RunTools = Annotated[bool, Field(description="Let the model call the user tools listed here; the bridge runs them")]

DESCRIPTIONS = {
    "chat": "Ask a model on any provider; returns its reply, usage and a conversation_id to continue.",
    "list_providers": "List LLM providers and whether each has a key.",
    "list_models": "List a provider's models.",
    "compare": "Send one prompt to several models at once; answers side by side with timings and usage.",
}


class _Refused(Exception):
    """Arguments the tool cannot act on; the message tells the caller how to fix them."""


class _Reply:
    """Collects one streamed reply (of a tool loop: the model's last turn, and every turn added)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first_chunk: float | None = None
        self.turn = Turn()  # the model's last turn
        self.error: ErrorChunk | None = None
        self.turns: list[ChatMessage] | None = None  # what a tool loop added to the conversation

    async def read(
        self, stream: AbstractAsyncContextManager[AsyncIterable[StreamChunk]], progress: Progress | None = None
    ) -> None:
        try:
            async with stream as chunks:
                async for chunk in chunks:
                    self.first_chunk = self.first_chunk or time.perf_counter()
                    self._take(chunk, ran_tools=isinstance(chunks, LoopStream))
                    if chunk["type"] == "text" and progress is not None:
                        await progress.report(chunk["text"])
                if isinstance(chunks, LoopStream):
                    self.turns = chunks.outcome.messages
                    if chunks.outcome.last_turn is not None:  # at the round limit: its text and unrun calls
                        self.turn.adopt(chunks.outcome.last_turn)
        except errors.BridgeError as exc:  # raised before streaming: unknown provider, missing key, ...
            self.error = {**exc.to_chunk(), "message": redact(exc.message)}

    def _take(self, chunk: StreamChunk, ran_tools: bool) -> None:
        if chunk["type"] == "tool_call" and ran_tools:
            self.turn.next_round()  # the loop runs it; the answer is the turn after the last call
        elif chunk["type"] == "error":
            self.error = {**chunk, "message": redact(chunk["message"])}
        else:
            self.turn.take(chunk)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


def _failed(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def _ok(text: str, structured: Any, *notes: str) -> CallToolResult:
    """``notes``: more text blocks after the main one, for clients that show the model only text."""
    return CallToolResult(
        content=[TextContent(type="text", text=each) for each in (text, *notes)], structured_content=structured
    )


def _progress(ctx: Context, interval: float) -> Progress:
    async def send(count: float, message: str | None) -> None:
        await ctx.report_progress(count, message=message)

    return Progress(send, interval)


def _request(provider: str, model: str, messages: list[ChatMessage], options: dict[str, Any] | None) -> ChatRequest:
    request: ChatRequest = {"provider": provider, "model": model, "messages": messages}
    if options:
        request["options"] = cast(StreamOptions, options)
    try:
        validate("ChatRequest", request)
    except SchemaError as exc:
        raise _Refused(f"invalid arguments: {exc.path or '/'}: {exc.reason}") from exc
    return request


class BridgeTools:
    def __init__(
        self, engine: Engine, heartbeat: float = DEFAULT_HEARTBEAT_SECONDS, tools: ToolRegistry | None = None
    ) -> None:
        self.engine = engine
        self.heartbeat = heartbeat
        self.tools = tools
        self.conversations = ConversationStore()

    async def chat(
        self,
        ctx: Context,
        provider: Provider,
        model: Model,
        prompt: Prompt = None,
        messages: Messages = None,
        system: System = None,
        options: Options = None,
        conversation_id: ConversationId = None,
        run_tools: RunTools = False,
    ) -> CallToolResult:
        try:
            conversation = self._conversation(conversation_id)
        except _Refused as exc:
            return _failed(str(exc))
        async with conversation.lock:  # one call at a time: each is sent the turns before it
            return await self._chat_turn(ctx, conversation, provider, model, prompt, messages, system, options,
                                         run_tools)  # fmt: skip

    async def _chat_turn(
        self,
        ctx: Context,
        conversation: Conversation,
        provider: str,
        model: str,
        prompt: str | None,
        messages: list[Any] | None,
        system: str | None,
        options: dict[str, Any] | None,
        run_tools: bool,
    ) -> CallToolResult:
        system = conversation.system if system is None else system  # kept only if the call succeeds
        try:
            new: list[ChatMessage] = [*(messages or [])]
            if prompt:
                new.append({"role": "user", "content": prompt})
            if not new:
                raise _Refused("give a prompt (or messages)")
            request = _request(provider, model, conversation.request_messages(new, system), options)
            stream = self._stream(request, run_tools)
        except _Refused as exc:
            return _failed(str(exc))
        reply = _Reply()
        try:
            async with _progress(ctx, self.heartbeat).heartbeat() as progress:  # beats on while tools run too
                await reply.read(stream, progress)
        except anyio.get_cancelled_exc_class():
            log.info("chat cancelled by the client: provider=%s model=%s", provider, model)
            raise
        if reply.error is not None:
            return _failed(f"{reply.error['code']}: {reply.error['message']}")
        turn = reply.turn
        self.conversations.record(conversation, [*new, *(reply.turns or [turn.message()])], system)
        result: McpChatResult = {
            "provider": provider, "model": model, "text": turn.text, "finish_reason": turn.finish,
            "usage": turn.usage, "conversation_id": conversation.id,
        }  # fmt: skip
        if turn.calls:
            result["tool_calls"] = turn.calls
        text = turn.text if not turn.calls else f"{turn.text}\n[tool calls] {dumps(turn.calls)}"
        # many agents read only the text content: the id goes there too, or they cannot continue
        return _ok(text, result, f"conversation_id: {conversation.id} (pass it back to continue this conversation)")

    def _stream(self, request: ChatRequest, run_tools: bool) -> AbstractAsyncContextManager[AsyncIterable[StreamChunk]]:
        if not run_tools:
            return self.engine.chat(request)
        if self.tools is None:
            raise _Refused(
                "run_tools: no tools to run; start the bridge with --host-socket (an editor host) "
                "or configure tools.mcp_servers in config.yaml"
            )
        return ChatOrchestrator(self.engine, self.tools).chat(request)

    def _conversation(self, conversation_id: str | None) -> Conversation:
        if conversation_id is None:
            return self.conversations.start()
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            raise _Refused(
                f"unknown conversation_id {conversation_id!r}: it has expired (the bridge keeps the "
                f"{self.conversations.max_conversations} most recent in memory) or the bridge restarted; "
                "omit conversation_id to start a new conversation"
            )
        return conversation

    async def list_providers(self) -> CallToolResult:
        lines, providers = [], []
        for metadata in self.engine.providers():
            resolved = await self.engine.secrets.resolve(metadata["id"]) if metadata["needs_key"] else None
            key_source = resolved.detail if resolved else None
            if not metadata["needs_key"]:
                state = "ready (no key needed)"
            elif key_source:
                state = f"ready (key from {key_source})"
            else:
                state = f"needs a key: set {' or '.join(metadata['env_vars'])}"
            lines.append(f"{metadata['id']}: {metadata['display_name']}, {state}")
            providers.append({**metadata, "key_source": key_source})
        return _ok("\n".join(lines), {"providers": providers})

    async def list_models(self, provider: Provider) -> CallToolResult:
        try:
            models = await self.engine.list_models(provider)
        except errors.BridgeError as exc:
            return _failed(f"{exc.code}: {redact(exc.message)}")
        return _ok("\n".join(m["id"] for m in models), {"models": models})

    async def compare(
        self, ctx: Context, prompt: Annotated[str, Field(description="The user message")], models: Models,
        system: System = None, options: Options = None,
    ) -> CallToolResult:  # fmt: skip
        messages: list[ChatMessage] = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": prompt})
        try:
            requests = [_request(*_split(name), messages, options) for name in models]
        except _Refused as exc:
            return _failed(str(exc))
        replies = [_Reply() for _ in requests]

        async def run(request: ChatRequest, reply: _Reply, progress: Progress) -> None:
            await reply.read(self.engine.chat(request))
            await progress.report(f"{request['provider']}/{request['model']} answered in {reply.seconds:.2f} s")

        async with _progress(ctx, self.heartbeat).heartbeat() as progress, anyio.create_task_group() as tg:
            for request, reply in zip(requests, replies, strict=True):
                tg.start_soon(run, request, reply, progress)
        entries = [_entry(request, reply) for request, reply in zip(requests, replies, strict=True)]
        result = CallToolResult(
            content=[TextContent(type="text", text="\n\n".join(_render(e) for e in entries))],
            structured_content={"results": entries},
            is_error=all(e["error"] is not None for e in entries),
        )
        return result


def _split(name: str) -> tuple[str, str]:
    provider, _, model = name.partition("/")
    if not provider or not model:
        raise _Refused(f'models must be "provider/model" (e.g. "mock/echo"), got {name!r}')
    return provider, model


def _entry(request: ChatRequest, reply: _Reply) -> McpCompareEntry:
    first = None if reply.first_chunk is None else round(reply.first_chunk - reply.started, 4)
    return {
        "provider": request["provider"], "model": request["model"], "text": reply.turn.text,
        "finish_reason": reply.turn.finish, "usage": reply.turn.usage, "seconds": round(reply.seconds, 4),
        "first_chunk_seconds": first, "error": reply.error,
    }  # fmt: skip


def _render(entry: McpCompareEntry) -> str:
    usage = entry["usage"]
    tokens = f", {usage['input_tokens']} in / {usage['output_tokens']} out tokens" if usage else ""
    head = f"## {entry['provider']}/{entry['model']} ({entry['seconds']:.2f} s{tokens})"
    error = entry["error"]
    return f"{head}\n{entry['text']}" if error is None else f"{head}\nerror {error['code']}: {error['message']}"
