"""The assistant turn a stream of chunks makes, as the ChatMessage that sends it back.

Three readers keep a model's turn to send it again: the tool loop (each round, before the tool
results), the JSON-RPC ``chat/stream`` result, and the MCP ``chat`` tool's conversations. They
build it here, once: the text joined, the tool calls as parts, and the signed thinking first.
With thinking on, Anthropic refuses a turn sent back with its tool calls but without the signed
thinking before them; a thinking block's signature (or a redacted block) arrives as a
ThinkingChunk of empty text, which closes the block.
"""

from __future__ import annotations

from protocol import ChatMessage, ContentPart, FinishReason, StreamChunk, ThinkingPart, ToolCallPart, Usage


class Turn:
    def __init__(self) -> None:
        self._text: list[str] = []
        self.calls: list[ToolCallPart] = []
        self.text_signature: str | None = None
        self.invalid_arguments: dict[str, str] = {}  # by call id: arguments the model wrote that are not JSON
        self.thinking: list[ThinkingPart] = []  # the signed or redacted blocks, in order
        self._thought: list[str] = []  # the text of the thinking block being streamed
        self.usage: Usage | None = None
        self.finish: FinishReason = "error"  # until a done chunk says otherwise

    def take(self, chunk: StreamChunk) -> None:
        if chunk["type"] == "text":
            self._text.append(chunk["text"])
            if "signature" in chunk:  # goes back with the text (Gemini 3's reasoning carries over)
                self.text_signature = chunk["signature"]
        elif chunk["type"] == "tool_call":
            call: ToolCallPart = {
                "type": "tool_call",
                "id": chunk["id"],
                "name": chunk["name"],
                "arguments": chunk["arguments"],
            }
            if "signature" in chunk:  # goes back with the call (Gemini 3 requires it)
                call["signature"] = chunk["signature"]
            if "invalid_arguments" in chunk:
                self.invalid_arguments[chunk["id"]] = chunk["invalid_arguments"]
            self.calls.append(call)
        elif chunk["type"] == "thinking":
            if "redacted" in chunk:
                self.thinking.append({"type": "thinking", "text": "", "redacted": chunk["redacted"]})
            elif "signature" in chunk:
                self.thinking.append(
                    {"type": "thinking", "text": "".join(self._thought), "signature": chunk["signature"]}
                )
                self._thought.clear()
            else:
                self._thought.append(chunk["text"])
        elif chunk["type"] == "usage":
            self.usage = {"input_tokens": chunk["input_tokens"], "output_tokens": chunk["output_tokens"]}
        elif chunk["type"] == "done":
            self.finish = chunk["finish_reason"]

    def adopt(self, last: Turn) -> None:
        """Take the content of ``last`` (a tool loop's last round: its text, thinking and the calls
        it did not run), keeping this turn's usage and finish (the loop's, over every round)."""
        self._text, self.text_signature, self.calls = list(last._text), last.text_signature, list(last.calls)
        self.invalid_arguments, self.thinking = dict(last.invalid_arguments), list(last.thinking)

    def next_round(self) -> None:
        """A tool loop runs this turn's calls: what follows is the model's next turn."""
        self._text.clear()
        self.text_signature = None
        self.calls.clear()
        self.invalid_arguments.clear()
        self.thinking.clear()
        self._thought.clear()

    @property
    def text(self) -> str:
        return "".join(self._text)

    def message(self, *, with_thinking: bool = True) -> ChatMessage:
        """The turn to send back: plain text, or its parts (thinking unless ``with_thinking`` is
        False, text, tool calls)."""
        text = self.text
        thinking = self.thinking if with_thinking else []
        if not self.calls and not thinking and self.text_signature is None:
            return {"role": "assistant", "content": text}
        parts: list[ContentPart] = [*thinking]
        if self.text_signature is not None:
            parts.append({"type": "text", "text": text, "signature": self.text_signature})
        elif text:
            parts.append({"type": "text", "text": text})
        parts += self.calls
        return {"role": "assistant", "content": parts}
