"""The bridge API (DESIGN.md surface 1) as handlers over the engine.

Each method is a short function from validated params to a result; the engine does the work, so
the CLI, this API and the MCP server behave alike. ``chat/stream`` forwards every StreamChunk as a
``chat/chunk`` notification before answering with the assembled message: the notification is
awaited, so a client that reads slowly slows the engine, which slows the upstream read (the
engine's channel is unbuffered), and nothing piles up in between.

The secrets and config methods are :class:`bridge.settings_api.SettingsAPI`'s, as on every
surface; after one that writes, every connected client is told (``secrets/changed`` or
``config/changed``). A bridge started with a token refuses every method but
``bridge/authenticate`` on a connection until the token has been given; tokens are compared in
constant time.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import AsyncIterable, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, cast

from bridge import errors
from bridge.engine import Engine
from bridge.host import HostClient
from bridge.orchestrator import Approval, ChatOrchestrator, LoopStream
from bridge.rpc import MethodTable, RequestContext
from bridge.server.session import Session
from bridge.settings_api import SettingsAPI
from bridge.tools import ToolRegistry
from bridge.turn import Turn
from protocol import (
    AuthenticateParams,
    AuthenticateResult,
    BridgeStatusResult,
    ChatRequest,
    ChatStreamParams,
    ChatStreamResult,
    ModelsListParams,
    ModelsListResult,
    ProvidersListResult,
    SchemaError,
    StreamChunk,
    ToolCallPart,
    ToolsListResult,
    validate,
)

_CHAT_FIELDS = ("provider", "model", "messages", "options", "api_base")

# The settings methods that change something: the notification they cause, and for which provider.
_CHANGES: dict[str, tuple[str, Callable[[Any], str | None]]] = {
    "secrets/store": ("secrets/changed", lambda p: p["provider"]),
    "secrets/delete": ("secrets/changed", lambda p: p["provider"]),
    "config/setProvider": ("config/changed", lambda p: p["config"]["name"]),
    "config/removeProvider": ("config/changed", lambda p: p["name"]),
    "config/import": ("config/changed", lambda p: None),
}


def _version() -> str:
    from importlib import metadata  # on first bridge/status only: importing it costs serve ~50 ms of start-up

    try:
        return metadata.version("openllm-bridge")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class BridgeApi:
    """The methods every connection shares; :meth:`session` gives one connection's handler."""

    def __init__(
        self,
        engine: Engine,
        *,
        settings: SettingsAPI | None = None,
        token: str | None = None,
        host: HostClient | None = None,
        tools: ToolRegistry | None = None,
    ) -> None:
        self.engine = engine
        self.host = host
        self.tools = tools
        self._token = token.encode() if token else None
        self.sessions: set[Session] = set()
        self.table = MethodTable()
        for method, handler in (settings.handlers() if settings else {}).items():
            self.table.add(method, self._settings_method(method, handler))
        self.table.add("bridge/authenticate", self.authenticate)
        self.table.add("bridge/status", self.status)
        self.table.add("chat/stream", self.chat_stream)
        self.table.add("providers/list", self.providers_list)
        self.table.add("models/list", self.models_list)
        self.table.add("tools/list", self.tools_list)

    def session(self) -> Session:
        return Session(self.table, authenticated=self._token is None)

    def changed(self, method: str, provider: str | None) -> None:
        """Tell every connected client that keys or config changed (``secrets/changed``…)."""
        for session in self.sessions:
            session.changed(method, provider)

    def _settings_method(
        self, method: str, handler: Callable[[Any], Awaitable[Any]]
    ) -> Callable[[RequestContext, Any], Awaitable[Any]]:
        async def call(ctx: RequestContext, params: Any) -> Any:
            result = await handler(params)
            if method in _CHANGES:
                notification, provider = _CHANGES[method]
                self.changed(notification, provider(params))
            return result

        return call

    async def authenticate(self, ctx: RequestContext, params: AuthenticateParams) -> AuthenticateResult:
        if self._token is None:
            return {"authenticated": True}
        if not hmac.compare_digest(params["token"].encode(), self._token):
            raise errors.UnauthorizedError("wrong token for this bridge")
        return {"authenticated": True}

    async def status(self, ctx: RequestContext, params: object) -> BridgeStatusResult:
        return {
            "version": _version(),
            "pid": os.getpid(),
            "host": {
                "connected": self.host is not None and self.host.connected,
                "socket": str(self.host.socket_path) if self.host is not None else None,
            },
            "providers": await self.engine.provider_status(),
        }

    async def providers_list(self, ctx: RequestContext, params: object) -> ProvidersListResult:
        return {"providers": self.engine.providers()}

    async def models_list(self, ctx: RequestContext, params: ModelsListParams) -> ModelsListResult:
        return {"models": await self.engine.list_models(params["provider"])}

    async def tools_list(self, ctx: RequestContext, params: object) -> ToolsListResult:
        return {"tools": await self.tools.specs() if self.tools is not None else []}

    async def chat_stream(self, ctx: RequestContext, params: ChatStreamParams) -> ChatStreamResult:
        request = cast(ChatRequest, {k: v for k, v in params.items() if k in _CHAT_FIELDS})
        turn = Turn()
        stream: AbstractAsyncContextManager[AsyncIterable[StreamChunk]] = self.engine.chat(request)
        if params.get("run_tools"):
            if self.tools is None:
                raise errors.ToolError(
                    "run_tools: no tools to run; start serve with --host-socket or configure tools.mcp_servers"
                )
            approve = _ask_the_client(ctx) if params.get("approve_tools") else None
            loop = ChatOrchestrator(
                self.engine, self.tools, max_rounds=params.get("max_tool_rounds", 8), approve=approve
            )
            stream = loop.chat(request)  # every round's chunks; the message is the model's last turn
        async with stream as chunks:
            async for chunk in chunks:
                await ctx.notify("chat/chunk", {"request_id": ctx.request_id, "chunk": chunk})
                if chunk["type"] == "tool_call" and params.get("run_tools"):
                    turn.next_round()  # the loop runs it: the answer is the turn after the last call
                else:
                    turn.take(chunk)
            if isinstance(chunks, LoopStream) and chunks.outcome.last_turn is not None:
                turn.adopt(chunks.outcome.last_turn)  # at max_tool_rounds: its text, and the calls not run
        return {"message": turn.message(), "finish_reason": turn.finish, "usage": turn.usage}


def _ask_the_client(ctx: RequestContext) -> Callable[[ToolCallPart], Awaitable[Approval]]:
    """The approval hook of one chat: a ``tools/approve`` request to the client that asked for the
    chat. No valid answer (the client serves no such method, answers nonsense) is a refusal."""

    async def approve(call: ToolCallPart) -> Approval:
        part: ToolCallPart = {
            "type": "tool_call",
            "id": call["id"],
            "name": call["name"],
            "arguments": call["arguments"],
        }
        try:
            answer = await ctx.request("tools/approve", {"request_id": ctx.request_id, "call": part})
            validate("ToolApproveResult", answer)
        except errors.BridgeError as exc:
            return Approval(False, f"the client did not answer tools/approve ({exc.message})")
        except SchemaError as exc:
            return Approval(False, f"the client's tools/approve answer is invalid at {exc.path or '/'}")
        return Approval(answer["approved"], answer.get("reason"))

    return approve
