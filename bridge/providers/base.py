"""What a provider is: metadata, and one method to stream a chat.

A provider module writes a subclass of :class:`Provider` with ``stream_chat`` (and
``list_models`` where the API has a list endpoint). It is handed everything it needs in a
:class:`ModelConfig` (model, key, base URL, provider-specific settings, timeouts) and the shared
HTTP client; it reads no environment and no files itself.

``stream_chat`` yields content chunks (text, thinking, tool_call, usage) and ends with one
``done`` chunk. On failure it raises a :class:`bridge.errors.BridgeError`; the engine turns that
into an ``error`` chunk followed by ``done`` with ``finish_reason: "error"``, so the mapping to
the wire happens in one place.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bridge.errors import InternalError
from protocol import ChatMessage, ModelInfo, StreamChunk, StreamOptions

if TYPE_CHECKING:
    from bridge.http import HTTPClient
    from bridge.redact import Secret


@dataclass(frozen=True)
class Timeouts:
    """Seconds. ``gap`` bounds the silence between two chunks of a stream; ``retry_deadline``
    bounds all attempts of one request together; retry ``n`` waits up to
    ``min(backoff_cap, backoff_base * 2**n)`` (full jitter) unless the server said how long."""

    connect: float = 10.0
    first_byte: float = 120.0
    gap: float = 60.0
    retry_deadline: float = 60.0
    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 8.0


@dataclass
class CallStats:
    """Filled in by the provider layer while a call runs; the engine logs it."""

    retries: int = 0


@dataclass(frozen=True)
class ModelConfig:
    model: str
    api_key: Secret | None = None
    api_base: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    timeouts: Timeouts = field(default_factory=Timeouts)
    stats: CallStats = field(default_factory=CallStats, compare=False)


class Provider(abc.ABC):
    """One provider's API. ``http`` is None only for providers that need no network (mock)."""

    def __init__(self, provider_id: str, http: HTTPClient | None = None) -> None:
        self.id = provider_id
        self.http = http

    def client(self) -> HTTPClient:
        """The shared HTTP client, for providers that speak HTTP."""
        if self.http is None:
            raise InternalError(f"provider {self.id} was created without an HTTP client")
        return self.http

    @abc.abstractmethod
    def stream_chat(
        self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
    ) -> AsyncGenerator[StreamChunk, None]:
        """Stream one assistant turn. Cancellation arrives as task cancellation."""

    async def list_models(self, config: ModelConfig) -> list[ModelInfo]:
        """The provider's models, from its own list endpoint."""
        return []
