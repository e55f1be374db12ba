"""The fuzz harness (tests/fuzz_targets.py) for a few seconds per target, and what it found, each
turned into a regression test that names the input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bridge.errors import ProtocolError
from bridge.providers._http import ShapeGuard
from bridge.providers._jsonstream import JSONValuesFramer, NDJSONFramer
from bridge.providers._openai_chat import ChatDecoder
from bridge.providers._sse import SSEDecoder
from bridge.providers.gemini import GenerateContentDecoder
from bridge.providers.ollama import ChatLinesDecoder
from bridge.rpc import FrameDecoder, FramingError

HARNESS = Path(__file__).with_name("fuzz_targets.py")
TARGETS = ["http", "sse", "ndjson", "jsonvalues", "decoders", "framing", "dispatch"]


@pytest.mark.parametrize("target", TARGETS)
def test_the_fuzzer_finds_nothing_in_a_short_run(target: str, tmp_path: Path) -> None:
    # libFuzzer's flags: a fixed seed (reproducible in CI), a time and run budget, crash files kept in tmp
    run = subprocess.run(
        [sys.executable, str(HARNESS), target, "-seed=1", "-max_total_time=2", "-runs=200000",
         f"-artifact_prefix={tmp_path}/"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Done" in run.stderr  # it did run, and ended by its budget rather than a crash


# -- found by the fuzzer ---------------------------------------------------------------------------


def test_an_sse_line_over_the_limit_fails_also_when_it_arrives_in_one_read() -> None:
    # b"\x00\x00\x00\n\x03" with a limit of 1 passed whole and failed when split
    with pytest.raises(ProtocolError, match="exceeds 8 bytes"):
        SSEDecoder(8).feed(b"event: " + b"x" * 20 + b"\ndata: {}\n\n")


def test_an_ndjson_line_over_the_limit_fails_also_when_it_arrives_in_one_read() -> None:
    with pytest.raises(ProtocolError, match="exceeds 11 bytes"):
        NDJSONFramer(11).feed(b"3" * 30 + b"\n")
    with pytest.raises(ProtocolError, match="exceeds 1 bytes"):  # b"2\n\n\r\x0b\n": blank lines count too
        NDJSONFramer(1).feed(b"2\n\n\r\x0b\n")


def test_a_json_value_over_the_limit_fails_also_when_it_arrives_in_one_read() -> None:
    with pytest.raises(ProtocolError, match="exceeds 4 bytes"):
        JSONValuesFramer(4).feed(b'["abcdefgh"]')
    decoder = JSONValuesFramer(2)  # b'"""!"' with a limit of 1: two strings whole, an error split
    with pytest.raises(ProtocolError, match="exceeds 2 bytes"):
        decoder.feed(b'"""!"')
        decoder.flush()


@pytest.mark.parametrize(
    ("decoder", "event"),
    [
        (ChatDecoder, {"choices": ["x"]}),  # AttributeError: 'str' object has no attribute 'get'
        (ChatDecoder, {"choices": [{"delta": {"tool_calls": [{"function": "f"}]}}]}),
        (GenerateContentDecoder, {"candidates": [{"content": {"parts": [7]}}]}),
        (ChatLinesDecoder, {"message": ["x"], "done": True}),
    ],
)
def test_an_event_of_an_unexpected_shape_is_a_protocol_error(decoder: type, event: object) -> None:
    guarded = ShapeGuard("p", decoder("p"))
    with pytest.raises(ProtocolError, match="unexpected shape"):
        guarded.feed(event)
        guarded.finish()


def test_negative_token_counts_are_reported_as_zero() -> None:
    decoder = ChatDecoder("p")
    decoder.feed({"choices": [{"delta": {}, "finish_reason": "stop"}]})
    decoder.feed({"choices": [], "usage": {"prompt_tokens": -5, "completion_tokens": -1}})
    assert decoder.finish()[0] == {"type": "usage", "input_tokens": 0, "output_tokens": 0}


def test_a_tool_call_without_a_name_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="without a tool name"):
        ChatLinesDecoder("p").feed({"message": {"tool_calls": [{"function": {"arguments": {}}}]}, "done": False})


def test_an_ndjson_frame_is_measured_the_same_finished_or_not() -> None:
    # b"Content-Length: 0\r\n\r\n" as NDJSON with a limit of 17: accepted whole (the stripped line is
    # 17 bytes), refused split (the unfinished line, CR included, is 18)
    with pytest.raises(FramingError, match="over the limit of 17"):
        FrameDecoder("ndjson", max_frame=17).feed(b"Content-Length: 0\r\n\r\n")
    with pytest.raises(FramingError, match="limit of 17"):
        FrameDecoder("ndjson", max_frame=17).feed(b"Content-Length: 0\r")
