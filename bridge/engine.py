"""The engine: the one place where chat, providers, secrets and config meet.

The CLI, the JSON-RPC API and the MCP server are thin adapters over :class:`Engine`; a feature
written here appears on every surface.

A chat is opened as an async context manager::

    async with engine.chat(request, cancel) as chunks:
        async for chunk in chunks:
            ...

Problems found before anything is sent upstream (unknown provider, missing key, disabled
provider) raise :class:`bridge.errors.ConfigurationError` from ``__aenter__``. Once streaming,
every outcome is a chunk: content, then ``usage``, then exactly one ``done``; a failure is an
``error`` chunk followed by ``done`` with ``finish_reason: "error"``. The provider runs in its own
task and hands chunks over a channel of :data:`CHANNEL_SIZE` chunks, so a slow reader slows the
upstream read (backpressure: the provider is never more than a few chunks ahead) and cancelling,
by token or by leaving the block, closes the upstream connection; no content is delivered after
the token is cancelled.

The hand-off is on every chunk's path (:class:`bridge.channel.Channel`): a side that need not
wait touches a deque and nothing else, so chunks that arrive together (one network read holding
several events) pass without a task switch each, and one that arrives alone costs one wake-up of
the reader (bench/relay.py and bench/concurrency.py show what it saves).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel

from bridge import errors
from bridge.cancel import CancellationToken
from bridge.channel import Channel
from bridge.providers import BUILTIN, ModelConfig, Provider, ProviderSpec, Registry
from bridge.settings_api import SettingsAPI
from bridge.types import ConfigResolver, SecretResolver
from protocol import ChatRequest, ModelInfo, ProviderMetadata, ProviderStatus, StreamChunk

if TYPE_CHECKING:
    from bridge.http import HTTPClient

log = logging.getLogger("openllm.engine")

# ProviderConfig fields that the engine itself reads; the rest is handed to the provider.
# How many chunks the provider may run ahead of the reader: enough for the events of one network
# read to pass with few task switches (each full channel costs a switch to the reader and a write
# to the client: 8 cost 11 us of server CPU per relayed chunk, 64 cost 9, bench/relay.py), few
# enough that backpressure still reaches the upstream.
CHANNEL_SIZE = 64
_CONFIG_FIELDS = frozenset({"name", "enabled", "api_base", "models", "api_key_env", "source", "source_detail"})


@dataclass
class _Outcome:
    """What one chat did, for the log line at its end."""

    started: float = field(default_factory=time.perf_counter)
    first_chunk: float | None = None
    usage: tuple[int, int] | None = None
    result: str = "abandoned"  # until a done chunk (ok) or an error chunk (its code) reaches the reader


class Engine:
    def __init__(
        self,
        *,
        registry: Registry = BUILTIN,
        secrets: SecretResolver | None = None,
        config: ConfigResolver | None = None,
        http: HTTPClient | None = None,
    ) -> None:
        self.registry = registry
        if secrets is None or config is None:  # keys and config as the CLI finds them, without a workspace
            defaults = SettingsAPI.from_environment(registry=registry)
            secrets = secrets if secrets is not None else defaults.secrets
            config = config if config is not None else defaults.config
        self.secrets: SecretResolver = secrets
        self.config: ConfigResolver = config
        self._http = http
        self._owns_http = http is None
        self._providers: dict[str, Provider] = {}

    async def aclose(self) -> None:
        if self._http is not None and self._owns_http:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- providers and models ------------------------------------------------------------

    def providers(self) -> list[ProviderMetadata]:
        return [spec.metadata() for spec in self.registry]

    async def provider_status(self) -> list[ProviderStatus]:
        """Which providers can be used now and where their keys come from (never the keys)."""
        out: list[ProviderStatus] = []
        for spec in self.registry:
            config = await self.config.get_provider(spec.id) or {"name": spec.id}
            resolved = await self.secrets.resolve(spec.id) if spec.needs_key else None
            source = resolved.source if resolved else None
            status: ProviderStatus = {"id": spec.id, "available": True, "key_source": source}
            if config.get("enabled") is False:
                status["available"] = False
                status["reason"] = f"disabled in {config.get('source_detail', 'config')}"
            elif spec.needs_key and resolved is None:
                status["available"] = False
                status["reason"] = f"no API key: set {' or '.join(spec.env_vars)}"
            out.append(status)
        return out

    async def list_models(self, provider: str, api_base: str | None = None) -> list[ModelInfo]:
        spec = self.registry.get(provider)
        model_config = await self._model_config(spec, "", api_base)
        return await self._provider(spec).list_models(model_config)

    # -- chat -------------------------------------------------------------------------------

    @asynccontextmanager
    async def chat(
        self, request: ChatRequest, cancel: CancellationToken | None = None
    ) -> AsyncIterator[AsyncIterator[StreamChunk]]:
        spec = self.registry.get(request["provider"])
        model_config = await self._model_config(spec, request["model"], request.get("api_base"))
        provider = self._provider(spec)
        cancel = cancel or CancellationToken()
        outcome = _Outcome()
        channel = Channel[StreamChunk](CHANNEL_SIZE)

        async def produce(scope: anyio.CancelScope) -> None:
            try:
                with scope:
                    await self._produce(provider, request, model_config, channel)
            finally:
                channel.close()

        async def watch(scope: anyio.CancelScope) -> None:
            await cancel.wait()
            scope.cancel()

        async def chunks() -> AsyncIterator[StreamChunk]:
            finished = False
            while not finished:
                chunk = await channel.get()
                if chunk is None:  # the producer ended without a done chunk: if because the caller's own
                    await anyio.lowlevel.checkpoint_if_cancelled()  # scope was cancelled, that wins
                    break
                if cancel.cancelled:  # what the provider sent before it saw the cancel is dropped
                    break
                finished = chunk["type"] == "done"
                _observe(outcome, chunk)
                yield chunk
            if not finished:
                cause: errors.BridgeError = (
                    errors.Cancelled(cancel.reason or "cancelled")
                    if cancel.cancelled
                    else errors.ProtocolError(f"provider {spec.id} ended its stream without finishing")
                )
                for chunk in _failure(cause):
                    _observe(outcome, chunk)
                    yield chunk

        raised: BaseException | None = None
        try:
            async with anyio.create_task_group() as tg:
                producer_scope = anyio.CancelScope()
                tg.start_soon(produce, producer_scope)
                tg.start_soon(watch, producer_scope)
                try:
                    yield chunks()
                except BaseException as exc:  # the caller's own, from its block: kept out of the task group,
                    raised = exc  # which would wrap it in an ExceptionGroup
                finally:
                    channel.abandon()
                    tg.cancel_scope.cancel()
        finally:
            _log_outcome(request, model_config, outcome)
        if raised is not None:
            raise raised

    async def _produce(
        self, provider: Provider, request: ChatRequest, config: ModelConfig, channel: Channel[StreamChunk]
    ) -> None:
        stream = provider.stream_chat(request["messages"], config, request.get("options", {}))
        async with aclosing(stream):  # aclosing: a cancelled put must still close the upstream
            try:
                async for chunk in stream:
                    if not await channel.put(chunk):  # False: the reader left the block
                        return
            except errors.BridgeError as exc:
                for chunk in _failure(exc):
                    if not await channel.put(chunk):
                        return
            except anyio.get_cancelled_exc_class():
                raise
            except Exception as exc:  # a bug in a provider must not take the process down
                log.exception("provider %s failed", provider.id)
                for chunk in _failure(
                    errors.InternalError(f"internal error in provider {provider.id}: {type(exc).__name__}")
                ):
                    if not await channel.put(chunk):
                        return

    # -- resolution -------------------------------------------------------------------------

    async def _model_config(self, spec: ProviderSpec, model: str, api_base: str | None) -> ModelConfig:
        config = await self.config.get_provider(spec.id) or {"name": spec.id}
        if config.get("enabled") is False:
            where = config.get("source_detail", config.get("source", "config"))
            raise errors.InvalidConfigError(f"provider {spec.id!r} is disabled in {where}")
        base = api_base or config.get("api_base") or spec.default_api_base
        if base is None and spec.uses_http:
            raise errors.InvalidConfigError(
                f"provider {spec.id!r} has no default API base; pass --api-base or set api_base in config.yaml"
            )
        key = None
        if spec.needs_key:
            resolved = await self.secrets.resolve(spec.id)
            if resolved is None:
                names = " or ".join(spec.env_vars)
                raise errors.MissingKeyError(
                    f"no API key for {spec.display_name}: set {names}, or run `openllm-bridge secrets set {spec.id}`"
                )
            key = resolved.value
        extra: dict[str, Any] = {k: v for k, v in config.items() if k not in _CONFIG_FIELDS}
        return ModelConfig(model=model, api_key=key, api_base=base, extra=extra)

    def _provider(self, spec: ProviderSpec) -> Provider:
        provider = self._providers.get(spec.id)
        if provider is None:
            provider = spec.load()(spec.id, self._http_client() if spec.uses_http else None)
            self._providers[spec.id] = provider
        return provider

    def _http_client(self) -> HTTPClient:
        if self._http is None:
            from bridge.http import HTTPClient  # here, not at import: the mock chat path needs no HTTP

            # The client puts no cap on connections in use (each streamed chat holds one for its whole
            # answer) and keeps up to 20 idle ones per origin; the timeouts are the providers' own.
            self._http = HTTPClient(max_idle_per_origin=20)
        return self._http


def _failure(exc: errors.BridgeError) -> list[StreamChunk]:
    return [exc.to_chunk(), {"type": "done", "finish_reason": "error"}]


def _observe(outcome: _Outcome, chunk: StreamChunk) -> None:
    if outcome.first_chunk is None:
        outcome.first_chunk = time.perf_counter()
    if chunk["type"] == "usage":
        outcome.usage = (chunk["input_tokens"], chunk["output_tokens"])
    elif chunk["type"] == "error":
        outcome.result = chunk["code"]
    elif chunk["type"] == "done" and outcome.result == "abandoned":
        outcome.result = "ok"


def _log_outcome(request: ChatRequest, config: ModelConfig, outcome: _Outcome) -> None:
    end = time.perf_counter()
    ttfc = "-" if outcome.first_chunk is None else f"{(outcome.first_chunk - outcome.started) * 1000:.1f}ms"
    tokens = "-" if outcome.usage is None else f"{outcome.usage[0]}/{outcome.usage[1]}"
    log.info(
        "chat provider=%s model=%s ttfc=%s duration=%.1fms tokens=%s retries=%d outcome=%s",
        request["provider"], request["model"], ttfc, (end - outcome.started) * 1000, tokens,
        config.stats.retries, outcome.result,
    )  # fmt: skip
