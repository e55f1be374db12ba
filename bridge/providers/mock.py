"""The ``mock`` provider: offline and deterministic, for demos and client tests.

Models:

- ``echo``: replies ``You said: <the last user text>``, one word per chunk.
- ``think``: a thinking chunk, then the same reply as ``echo``.
- ``slow``: ``echo`` with a pause between chunks (``delay`` seconds in the provider's config,
  default 0.05), for cancellation and progress demos.
- ``long``: ``N`` words of filler, where N is the last user text read as a number (default 1000,
  at most 1,000,000: a larger number does not hold the process up building the reply).
- ``tools``: asks for a call of the first offered tool (or the one ``tool_choice`` names), with
  arguments made up from its parameter schema; once given tool results, answers with them.
- ``error``: fails with the error code named by the last user text (any ``ErrorCode``;
  ``server`` otherwise).

Usage counts words: input over every message, output over the chunks sent.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import Any, get_args

import anyio

from bridge import errors
from bridge.providers.base import ModelConfig, Provider
from protocol import ChatMessage, ErrorCode, FinishReason, ModelInfo, StreamChunk, StreamOptions, ToolSpec

MODELS = ("echo", "think", "slow", "long", "tools", "error")
LONGEST = 1_000_000  # words of the long model
_WORD = re.compile(r"\s*\S+")


def _text(message: ChatMessage) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return " ".join(p["text"] for p in content if p["type"] == "text")


def _last_user_text(messages: list[ChatMessage]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            return _text(message)
    return ""


def _tool_results(message: ChatMessage) -> list[str]:
    content = message["content"]
    if isinstance(content, str):
        return []
    return [f"{p.get('name', p['tool_call_id'])} -> {p['content']}" for p in content if p["type"] == "tool_result"]


def _example_value(schema: dict[str, Any], hint: str) -> Any:
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return hint


def _example_arguments(tool: ToolSpec, hint: str) -> dict[str, Any]:
    properties: dict[str, Any] = tool["parameters"].get("properties", {})
    required = tool["parameters"].get("required", list(properties))
    return {name: _example_value(properties.get(name, {}), hint) for name in required}


def _chosen_tool(options: StreamOptions) -> ToolSpec | None:
    tools = options.get("tools") or []
    choice = options.get("tool_choice", "auto")
    if choice == "none" or not tools:
        return None
    if isinstance(choice, dict):
        return next((t for t in tools if t["name"] == choice["name"]), None)
    return tools[0]


class MockProvider(Provider):
    async def list_models(self, config: ModelConfig) -> list[ModelInfo]:
        return [
            {"id": m, "provider": self.id, "display_name": f"Mock {m}", "tools": m == "tools", "images": True}
            for m in MODELS
        ]

    async def stream_chat(
        self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
    ) -> AsyncGenerator[StreamChunk, None]:
        if config.model not in MODELS:
            raise errors.UnknownModelError(
                f"the mock provider has no model {config.model!r}; its models are: {', '.join(MODELS)}"
            )
        prompt = _last_user_text(messages)
        input_tokens = sum(len(_text(m).split()) for m in messages)
        delay = float(config.extra.get("delay", 0.05)) if config.model == "slow" else 0.0
        finish: FinishReason = "stop"
        words: list[str] = []

        if config.model == "error":
            code = prompt.strip()
            raise _error_for(code if code in get_args(ErrorCode) else "server")
        if config.model == "think":
            yield {"type": "thinking", "text": f"The user wrote {len(prompt.split())} words."}
        if config.model == "tools":
            results = _tool_results(messages[-1])
            tool = None if results else _chosen_tool(options)
            if tool is not None:
                arguments = _example_arguments(tool, prompt)
                yield {
                    "type": "tool_call",
                    "id": f"call_mock_{len(messages)}",
                    "name": tool["name"],
                    "arguments": arguments,
                }
                finish = "tool_calls"
            else:
                words = _WORD.findall("Tool results: " + "; ".join(results) if results else f"You said: {prompt}")
        elif config.model == "long":
            digits = prompt.strip()
            if digits.isascii() and digits.isdigit():  # int() refuses over 4,300 digits: not read past 7
                count = min(int(digits), LONGEST) if len(digits) <= 7 else LONGEST
            else:
                count = 1000
            words = [f"word{i} " for i in range(count)]
        else:
            words = _WORD.findall(f"You said: {prompt}")

        limit = options.get("max_tokens")
        if limit is not None and len(words) > limit:
            words, finish = words[:limit], "length"
        for word in words:
            if delay:
                await anyio.sleep(delay)
            yield {"type": "text", "text": word}
        output_tokens = len(words) + (1 if finish == "tool_calls" else 0)
        yield {"type": "usage", "input_tokens": input_tokens, "output_tokens": output_tokens}
        yield {"type": "done", "finish_reason": finish}


def _error_for(code: str) -> errors.BridgeError:
    message = f"mock provider: simulated {code} error"
    if code == "cancelled":
        return errors.Cancelled(message)
    return errors.error_class(code)(message)
