"""Small pieces every request builder and decoder needs: message parts, tool arguments, ids."""

from __future__ import annotations

import json
import uuid
from typing import Any

from bridge.errors import ProtocolError, ServerError
from protocol import (
    ChatMessage,
    ContentPart,
    FinishReason,
    ImagePart,
    StreamChunk,
    ToolCallChunk,
    ToolCallPart,
    ToolResultPart,
    ToolSpec,
)


def parts_of(message: ChatMessage, *, thinking: bool = False) -> list[ContentPart]:
    """The message's parts (a string is one text part). A turn's thinking only when asked for:
    Anthropic takes it back (it must, before tool calls), the other APIs have no place for it."""
    content = message["content"]
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content) if thinking else [part for part in content if part["type"] != "thinking"]


def text_of(message: ChatMessage) -> str:
    return "".join(p["text"] for p in parts_of(message) if p["type"] == "text")


def images_of(message: ChatMessage) -> list[ImagePart]:
    return [p for p in parts_of(message) if p["type"] == "image"]


def tool_calls_of(message: ChatMessage) -> list[ToolCallPart]:
    return [p for p in parts_of(message) if p["type"] == "tool_call"]


def tool_results_of(message: ChatMessage) -> list[ToolResultPart]:
    return [p for p in parts_of(message) if p["type"] == "tool_result"]


def data_url(image: ImagePart) -> str:
    return f"data:{image['media_type']};base64,{image['data']}"


def parse_arguments(raw: Any) -> dict[str, Any] | None:
    """Tool arguments as a dict: streamed fragments joined and parsed; no arguments at all, or an
    empty string (what several APIs send for a call without parameters), is ``{}``; None when they
    are not a JSON object."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def text_chunk(text: str, *, thinking: bool = False) -> StreamChunk:
    if thinking:
        return {"type": "thinking", "text": text}
    return {"type": "text", "text": text}


def function_tool(tool: ToolSpec) -> dict[str, Any]:
    """A tool in the OpenAI function format (also Ollama's)."""
    function: dict[str, Any] = {"name": tool["name"], "parameters": tool["parameters"]}
    if "description" in tool:
        function["description"] = tool["description"]
    return {"type": "function", "function": function}


def new_call_id() -> str:
    """For APIs whose tool calls carry no id (Gemini, Ollama): unique, so results can refer to it."""
    return f"call_{uuid.uuid4().hex[:24]}"


def tool_call_chunk(call_id: str | None, name: str, arguments: Any, signature: Any = None) -> StreamChunk:
    """``signature``: what the provider attached to the call to have it back with it (Gemini)."""
    if not name or not isinstance(name, str):
        raise ProtocolError(f"the model asked for a tool call without a tool name (call {call_id!r})")
    parsed = parse_arguments(arguments)
    chunk: ToolCallChunk = {
        "type": "tool_call",
        "id": call_id if isinstance(call_id, str) and call_id else new_call_id(),
        "name": name,
        "arguments": {} if parsed is None else parsed,
    }
    if parsed is None:  # the model's mistake, which it can correct when told: kept, marked
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments, default=str)
        chunk["invalid_arguments"] = raw[:2000]
    if isinstance(signature, str) and signature:
        chunk["signature"] = signature
    return chunk


def tool_call_unless_cut(call_id: str | None, name: str, arguments: Any, finish: FinishReason) -> StreamChunk | None:
    """The tool call, or None when the token limit (finish ``length``) cut its arguments off: such
    a call cannot be run, and the finish reason says why it is missing. Arguments that are not a
    JSON object for any other reason are the model's mistake: the call is marked (``invalid_arguments``)."""
    call = tool_call_chunk(call_id, name, arguments)
    return None if finish == "length" and "invalid_arguments" in call else call


def closing_chunks(
    finish: FinishReason, usage: tuple[int, int] | None, made_tool_calls: bool, why: str | None = None
) -> list[StreamChunk]:
    """``usage`` (once, when reported) then ``done``. APIs that say "stop" after asking for tools
    (Gemini, Ollama) get ``tool_calls``, so a caller can rely on the finish reason alone. A reply
    the provider ended with an error (Gemini's MALFORMED_FUNCTION_CALL, ``finish_reason: "error"``)
    gets the error chunk every failure has before its ``done``, saying ``why``."""
    if made_tool_calls and finish == "stop":
        finish = "tool_calls"
    chunks: list[StreamChunk] = []
    if usage is not None:  # a count below zero is noise from the server, not a number to pass on
        chunks.append({"type": "usage", "input_tokens": max(usage[0], 0), "output_tokens": max(usage[1], 0)})
    if finish == "error":
        chunks.append(ServerError(why or "the provider ended the reply with an error", retryable=False).to_chunk())
    chunks.append({"type": "done", "finish_reason": finish})
    return chunks
