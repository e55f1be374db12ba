"""Run a chat through the real engine against the fake server: the same path the CLI takes."""

from __future__ import annotations

from typing import Any

from bridge.cancel import CancellationToken
from bridge.engine import Engine
from bridge.providers import BUILTIN
from bridge.secrets import EnvSecretStore, UnifiedSecretResolver
from protocol import ChatMessage, ChatRequest, ProviderConfig, StreamChunk, StreamOptions, validate

KEY = "sk-test-0123456789abcdefghijkl"  # shaped like a real key, so redaction would catch a leak
NO_RETRIES = {"max_retries": 0}


class StaticConfig:
    """A ConfigResolver with fixed provider settings (the provider-specific fields pass through)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self._settings = settings

    async def get_provider(self, name: str) -> ProviderConfig | None:
        return {"name": name, **self._settings}  # type: ignore[typeddict-item]


def engine(provider: str, **settings: Any) -> Engine:
    env = {name: KEY for name in BUILTIN.get(provider).env_vars}
    return Engine(secrets=UnifiedSecretResolver(env=EnvSecretStore(environ=env)), config=StaticConfig(settings))


def request(
    provider: str, base: str, messages: list[ChatMessage] | str = "hi", model: str = "m", **options: Any
) -> ChatRequest:
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    opts: StreamOptions = options  # type: ignore[assignment]
    return {"provider": provider, "model": model, "messages": messages, "options": opts, "api_base": base}


async def collect(bridge: Engine, chat: ChatRequest, cancel: CancellationToken | None = None) -> list[StreamChunk]:
    async with bridge, bridge.chat(chat, cancel) as chunks:
        seen = [chunk async for chunk in chunks]
    for chunk in seen:
        validate("StreamChunk", chunk)
    assert [c["type"] for c in seen].count("done") == 1 and seen[-1]["type"] == "done", seen
    return seen


def text(chunks: list[StreamChunk], kind: str = "text") -> str:
    return "".join(c["text"] for c in chunks if c["type"] == kind)  # type: ignore[typeddict-item]
