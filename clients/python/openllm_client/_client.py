"""The async client of the bridge API: one connection, every method typed with protocol types.

::

    async with openllm_client.spawn() as client:            # or connect("/run/…/bridge.sock")
        async for chunk in client.chat("mock", "echo", "hello"):
            print(chunk)

Errors the bridge answers with arrive as the bridge's own exception classes
(``bridge.errors.MissingKeyError``…). A chat is cancelled by leaving the loop (or closing the
stream) or by a ``CancellationToken``; the bridge is told with ``$/cancelRequest``, closes the
upstream request, and a token-cancelled stream ends, like the engine's, with a ``cancelled``
error chunk and ``done``.

``chat(..., run_tools=True)`` has the bridge run the tool-calling loop with its tools; with
``approve=callback`` the bridge asks before each call (a ``tools/approve`` request, which this
client serves): ``await callback(call)`` answers True, False, or ``{"approved": False, "reason": …}``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal, cast

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectSendStream

from bridge import errors
from bridge.cancel import CancellationToken
from bridge.rpc import DEFAULT_MAX_FRAME, Call, Endpoint, Framing, MessageStream, RequestContext, RpcError
from protocol import (
    AuthenticateResult,
    BridgeStatusResult,
    ChangedParams,
    ChatChunkParams,
    ChatMessage,
    ChatStreamParams,
    ChatStreamResult,
    ConfigExportResult,
    ConfigImportResult,
    ConfigProvidersResult,
    ConfigRemoveProviderResult,
    ConfigScope,
    ConfigSetProviderResult,
    ModelsListResult,
    ProviderConfig,
    ProvidersListResult,
    RequestId,
    SecretDestination,
    SecretsDeleteResult,
    SecretsListResult,
    SecretsResolveResult,
    SecretsStoreResult,
    StreamChunk,
    StreamOptions,
    ToolApproveParams,
    ToolApproveResult,
    ToolCallPart,
    ToolsListResult,
    validate,
)

# Chunks held per stream before the reader waits for the consumer (backpressure reaches the
# bridge, then the provider). While a stream's buffer is full, other answers on this connection
# wait too: don't await another call of the same client inside a chat loop that lags far behind,
# nor pause inside one for long: the bridge drops a connection that reads nothing for 120 s while
# an answer waits on it (bridge.rpc.stream.STALL_TIMEOUT).
CHUNK_BUFFER = 256


ChangeListener = Callable[[str, ChangedParams], None]
Approver = Callable[[ToolCallPart], Awaitable[bool | ToolApproveResult]]


class _Router:
    """The client's side of the method table: ``chat/chunk`` notifications to their stream,
    ``secrets/changed`` and ``config/changed`` to the listeners, ``tools/approve`` requests to
    the approver of their chat."""

    def __init__(self) -> None:
        self.streams: dict[RequestId, MemoryObjectSendStream[StreamChunk]] = {}
        self.approvers: dict[RequestId, Approver] = {}
        self.change_listeners: list[ChangeListener] = []

    async def __call__(self, ctx: RequestContext, method: str, params: Any) -> Any:
        if ctx.request_id is not None and method == "tools/approve":
            return await self._approve(params)
        if ctx.request_id is None and method in ("secrets/changed", "config/changed"):
            for listener in self.change_listeners:
                listener(method, cast(ChangedParams, params))
            return
        if method != "chat/chunk" or ctx.request_id is not None:
            raise RpcError(-32601, f"method not found: {method}")
        chunk_params = cast(ChatChunkParams, params)
        stream = self.streams.get(chunk_params["request_id"])
        if stream is not None:
            # a consumer that left has its cancel on the way to the bridge: drop what still comes
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                await stream.send(chunk_params["chunk"])

    async def _approve(self, params: Any) -> ToolApproveResult:
        try:
            validate("ToolApproveParams", params)
        except ValueError:
            raise RpcError(-32602, "invalid params for tools/approve") from None
        request = cast(ToolApproveParams, params)
        approver = self.approvers.get(request["request_id"])
        if approver is None:
            return {"approved": False, "reason": "this chat was not started with an approve callback"}
        decision = await approver(request["call"])
        return {"approved": decision} if isinstance(decision, bool) else decision


class ChatStream:
    """The chunks of one ``chat/stream`` call; ``result`` holds the final message, finish
    reason and usage once the stream has ended.

    The chunk generator does not refer back to this object, so a bare ``async for`` that breaks
    drops the generator at once and the event loop closes it (which cancels the call)."""

    def __init__(
        self,
        client: BridgeClient,
        params: ChatStreamParams,
        cancel: CancellationToken | None,
        approve: Approver | None = None,
    ) -> None:
        self._outcome: list[ChatStreamResult] = []
        self._iterator = _chunks(client, params, cancel, self._outcome, approve)

    @property
    def result(self) -> ChatStreamResult | None:
        return self._outcome[0] if self._outcome else None

    def __aiter__(self) -> AsyncIterator[StreamChunk]:
        return self._iterator

    async def __aenter__(self) -> ChatStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the stream now (the bridge cancels the upstream request)."""
        await self._iterator.aclose()


async def _chunks(
    client: BridgeClient,
    params: ChatStreamParams,
    cancel: CancellationToken | None,
    outcome: list[ChatStreamResult],
    approve: Approver | None,
) -> AsyncGenerator[StreamChunk, None]:
    send, receive = anyio.create_memory_object_stream[StreamChunk](CHUNK_BUFFER)
    call = client.endpoint.call("chat/stream", params, on_settled=send.close)
    client.router.streams[call.id] = send
    if approve is not None:
        client.router.approvers[call.id] = approve
    watch = anyio.CancelScope()
    try:
        async with call, receive:
            if cancel is not None:
                client.task_group.start_soon(_cancel_when, cancel, call, watch)
            async for chunk in receive:
                yield chunk
            try:
                outcome.append(cast(ChatStreamResult, await call.result()))
            except errors.Cancelled as exc:
                if cancel is None or not cancel.cancelled:
                    raise
                yield exc.to_chunk()
                yield {"type": "done", "finish_reason": "error"}
    finally:
        watch.cancel()
        client.router.streams.pop(call.id, None)
        client.router.approvers.pop(call.id, None)
        send.close()


async def _cancel_when(token: CancellationToken, call: Call, scope: anyio.CancelScope) -> None:
    with scope:
        await token.wait()
        await call.cancel()


class BridgeClient:
    def __init__(self, endpoint: Endpoint, router: _Router, task_group: TaskGroup) -> None:
        self.endpoint = endpoint
        self.router = router
        self.task_group = task_group

    async def authenticate(self, token: str) -> AuthenticateResult:
        return cast(AuthenticateResult, await self.endpoint.request("bridge/authenticate", {"token": token}))

    async def status(self) -> BridgeStatusResult:
        return cast(BridgeStatusResult, await self.endpoint.request("bridge/status", {}))

    async def providers(self) -> ProvidersListResult:
        return cast(ProvidersListResult, await self.endpoint.request("providers/list", {}))

    async def models(self, provider: str) -> ModelsListResult:
        return cast(ModelsListResult, await self.endpoint.request("models/list", {"provider": provider}))

    async def tools(self) -> ToolsListResult:
        return cast(ToolsListResult, await self.endpoint.request("tools/list", {}))

    async def secrets_resolve(self, provider: str, *, reveal: bool = False) -> SecretsResolveResult:
        """Whether a key is found and where; the value itself only with ``reveal``."""
        params = {"provider": provider, **({"reveal": True} if reveal else {})}
        return cast(SecretsResolveResult, await self.endpoint.request("secrets/resolve", params))

    async def secrets_list(self) -> SecretsListResult:
        return cast(SecretsListResult, await self.endpoint.request("secrets/list", {}))

    async def secrets_store(
        self, provider: str, value: str, destination: SecretDestination = "auto"
    ) -> SecretsStoreResult:
        params = {"provider": provider, "value": value, "destination": destination}
        return cast(SecretsStoreResult, await self.endpoint.request("secrets/store", params))

    async def secrets_delete(self, provider: str) -> SecretsDeleteResult:
        return cast(SecretsDeleteResult, await self.endpoint.request("secrets/delete", {"provider": provider}))

    async def config_providers(self) -> ConfigProvidersResult:
        return cast(ConfigProvidersResult, await self.endpoint.request("config/providers", {}))

    async def config_set_provider(
        self, config: ProviderConfig, scope: ConfigScope | None = None
    ) -> ConfigSetProviderResult:
        params = {"config": config, **({"scope": scope} if scope else {})}
        return cast(ConfigSetProviderResult, await self.endpoint.request("config/setProvider", params))

    async def config_remove_provider(self, name: str, scope: ConfigScope | None = None) -> ConfigRemoveProviderResult:
        params = {"name": name, **({"scope": scope} if scope else {})}
        return cast(ConfigRemoveProviderResult, await self.endpoint.request("config/removeProvider", params))

    async def config_export(self, scope: Literal["user", "workspace", "merged"] = "merged") -> ConfigExportResult:
        params = {"scope": scope}
        return cast(ConfigExportResult, await self.endpoint.request("config/export", params))

    async def config_import(
        self, providers: list[ProviderConfig], scope: Literal["user", "workspace"]
    ) -> ConfigImportResult:
        params = {"providers": providers, "scope": scope}
        return cast(ConfigImportResult, await self.endpoint.request("config/import", params))

    def on_change(self, listener: ChangeListener) -> None:
        """Call ``listener(method, {"provider": …})`` when the bridge says keys or config changed
        (``secrets/changed``, ``config/changed``); it runs in the reader, so keep it short."""
        self.router.change_listeners.append(listener)

    def chat(
        self,
        provider: str,
        model: str,
        messages: str | list[ChatMessage],
        *,
        options: StreamOptions | None = None,
        api_base: str | None = None,
        cancel: CancellationToken | None = None,
        run_tools: bool = False,
        max_tool_rounds: int | None = None,
        approve: Approver | None = None,
    ) -> ChatStream:
        """Stream a reply; ``messages`` may be a single user prompt. ``run_tools`` runs the
        bridge's tool loop; ``approve`` (which implies it) is asked before each tool call."""
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        params: ChatStreamParams = {"provider": provider, "model": model, "messages": messages}
        if options:
            params["options"] = options
        if api_base:
            params["api_base"] = api_base
        if run_tools or approve is not None:
            params["run_tools"] = True
        if max_tool_rounds is not None:
            params["max_tool_rounds"] = max_tool_rounds
        if approve is not None:
            params["approve_tools"] = True
        return ChatStream(self, params, cancel, approve)

    async def request(self, method: str, params: Any = None) -> Any:
        """Any other method (new ones before this client has a typed wrapper for them)."""
        return await self.endpoint.request(method, params)


@asynccontextmanager
async def connect(
    path: str, *, token: str | None = None, framing: Framing = "content-length", max_frame: int = DEFAULT_MAX_FRAME
) -> AsyncIterator[BridgeClient]:
    """A client on the bridge listening at ``path`` (authenticated when ``token`` is given)."""
    stream = await anyio.connect_unix(path)
    router = _Router()
    endpoint = Endpoint(MessageStream(stream, framing, max_frame=max_frame), router, name="bridge", own_name="client")
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(endpoint.run)
            client = BridgeClient(endpoint, router, tg)
            try:
                if token is not None:
                    await client.authenticate(token)
                yield client
            finally:
                tg.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # the reader task never raises, so a group holds what the caller's block raised: give them
        # their own exception back rather than a group around it
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
