"""bridge.turn: the assistant turn that a stream of chunks makes, as the tool loop, chat/stream's
result and the MCP chat tool's conversations send it back."""

from __future__ import annotations

from bridge.turn import Turn
from protocol import StreamChunk, validate


def _turn(*chunks: StreamChunk) -> Turn:
    turn = Turn()
    for chunk in chunks:
        validate("StreamChunk", chunk)
        turn.take(chunk)
    return turn


def test_signed_and_redacted_thinking_open_the_turn_before_its_text_and_tool_calls() -> None:
    turn = _turn(
        {"type": "thinking", "text": "The user wants "},
        {"type": "thinking", "text": "the weather."},
        {"type": "thinking", "text": "", "signature": "sig-1"},
        {"type": "thinking", "text": "", "redacted": "opaque"},
        {"type": "text", "text": "Checking"},
        {"type": "text", "text": "."},
        {"type": "tool_call", "id": "toolu_1", "name": "weather", "arguments": {"city": "Oslo"}},
        {"type": "usage", "input_tokens": 3, "output_tokens": 9},
        {"type": "done", "finish_reason": "tool_calls"},
    )
    message = turn.message()
    validate("ChatMessage", message)
    assert message == {"role": "assistant", "content": [
        {"type": "thinking", "text": "The user wants the weather.", "signature": "sig-1"},
        {"type": "thinking", "text": "", "redacted": "opaque"},
        {"type": "text", "text": "Checking."},
        {"type": "tool_call", "id": "toolu_1", "name": "weather", "arguments": {"city": "Oslo"}},
    ]}  # fmt: skip
    assert (turn.finish, turn.usage) == ("tool_calls", {"input_tokens": 3, "output_tokens": 9})


def test_unsigned_thinking_is_not_kept_and_a_text_turn_is_plain_text() -> None:
    turn = _turn(
        {"type": "thinking", "text": "hm"}, {"type": "text", "text": "Hi"}, {"type": "done", "finish_reason": "stop"}
    )
    assert turn.message() == {"role": "assistant", "content": "Hi"}


def test_the_next_round_starts_a_new_turn() -> None:
    turn = _turn(
        {"type": "thinking", "text": "a"},
        {"type": "thinking", "text": "", "signature": "s"},
        {"type": "text", "text": "first"},
        {"type": "tool_call", "id": "1", "name": "t", "arguments": {}},
    )
    turn.next_round()
    turn.take({"type": "text", "text": "second"})
    assert turn.message() == {"role": "assistant", "content": "second"}
    assert Turn().finish == "error"  # a stream that never said done did not finish well
