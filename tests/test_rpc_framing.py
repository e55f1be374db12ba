"""Framing: bytes ↔ messages, split anywhere, counted in bytes, bounded in memory."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.rpc import FrameDecoder, FramingError, MalformedMessage, encode
from bridge.rpc.messages import Invalid, Notification, Request, Response, classify
from protocol import dumps, is_valid

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
messages = st.builds(
    lambda i, method, params: {"jsonrpc": "2.0", "id": i, "method": method, "params": params},
    st.integers(0, 2**31) | st.text(max_size=10),
    st.text(min_size=1, max_size=20),
    st.dictionaries(st.text(max_size=10), json_values, max_size=4),
)


def decode_in_pieces(data: bytes, cuts: list[int], decoder: FrameDecoder) -> list[Any]:
    out: list[Any] = []
    start = 0
    for cut in sorted(set(cuts)):
        out += decoder.feed(data[start:cut])
        start = cut
    out += decoder.feed(data[start:])
    return out


@settings(max_examples=300)
@given(st.lists(messages, min_size=1, max_size=5), st.sampled_from(["content-length", "ndjson"]), st.data())
def test_any_split_gives_the_same_messages(batch: list[Any], framing: Any, data: st.DataObject) -> None:
    wire = b"".join(encode(dumps(m), framing) for m in batch)
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=8))
    decoder = FrameDecoder()  # detects the framing from the first byte
    assert decode_in_pieces(wire, cuts, decoder) == batch
    assert decoder.framing == framing and decoder.buffered == 0


@given(st.text(min_size=1))
def test_content_length_counts_utf8_bytes(text: str) -> None:
    frame = encode(dumps({"jsonrpc": "2.0", "method": "x", "params": {"t": text}}), "content-length")
    header, _, body = frame.partition(b"\r\n\r\n")
    assert (
        int(header.split(b":")[1])
        == len(body)
        == len(dumps({"jsonrpc": "2.0", "method": "x", "params": {"t": text}}).encode())
    )


def test_non_ascii_body_is_read_to_its_byte_count() -> None:
    body = '{"jsonrpc":"2.0","method":"x","params":{"t":"héllo ☃ 𝄞\u2028"}}'.encode()
    decoder = FrameDecoder()
    assert decoder.feed(b"Content-Length: %d\r\n\r\n" % len(body)) == []
    assert decoder.feed(body[:-1]) == []  # one byte short of the count: not yet a message
    assert decoder.feed(body[-1:]) == [json.loads(body)]


def test_headers_in_any_order_and_case_with_content_type() -> None:
    body = b'{"jsonrpc":"2.0","method":"a"}'
    frame = b"content-type: application/vscode-jsonrpc; charset=utf-8\r\nCONTENT-LENGTH:  %d \r\n\r\n" % len(body)
    assert FrameDecoder().feed(frame + body) == [{"jsonrpc": "2.0", "method": "a"}]


def test_ndjson_keeps_line_separators_inside_strings() -> None:
    line = '{"jsonrpc":"2.0","method":"a","params":{"t":"x\u2028y\u0085z"}}\n'.encode()
    assert FrameDecoder().feed(line) == [json.loads(line)]


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        (b"{not json}\n", "not valid JSON"),
        (b'{"a": NaN}\n', "not valid JSON"),
        (b"Content-Length: 2\r\n\r\n\xff\xfe", "not valid UTF-8"),
        (b"[" * 100_000 + b"\n", "nested too deeply"),
    ],
)
def test_a_bad_body_is_a_malformed_message_and_framing_goes_on(wire: bytes, reason: str) -> None:
    decoder = FrameDecoder()
    (bad,) = decoder.feed(wire)
    assert isinstance(bad, MalformedMessage) and reason in bad.reason
    follow = encode('{"jsonrpc":"2.0","method":"next"}', decoder.framing or "ndjson")
    assert decoder.feed(follow) == [{"jsonrpc": "2.0", "method": "next"}]


@pytest.mark.parametrize(
    "wire",
    [
        b"Content-Length: 1073741824\r\n\r\n",  # 1 GiB announced
        b"Content-Type: x\r\n\r\n{}",  # no Content-Length
        b"Content-Length: -5\r\n\r\n",
        b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n",
        b"Content-Length 2\r\n\r\n",
        b"Content-Length: 2\r\nContent-Type: text/plain; charset=latin-1\r\n\r\n{}",
        b"X" * 9000,  # a header block that never ends
    ],
)
def test_broken_framing_is_fatal_and_buffers_nothing(wire: bytes) -> None:
    decoder = FrameDecoder(max_frame=1024 * 1024)
    with pytest.raises(FramingError):
        decoder.feed(wire)
    assert decoder.buffered == 0
    with pytest.raises(FramingError):  # and stays broken
        decoder.feed(b"{}\n")


def test_an_endless_ndjson_line_is_refused_at_the_limit() -> None:
    decoder = FrameDecoder(max_frame=100_000)
    decoder.feed(b'{"a":"')
    with pytest.raises(FramingError, match=r"over the limit|longer than the limit"):
        for _ in range(100):
            decoder.feed(b"x" * 10_000)
    assert decoder.buffered == 0


@settings(max_examples=500)
@given(json_values | st.dictionaries(st.sampled_from(["jsonrpc", "id", "method", "params", "result", "error"]),
                                     json_values | st.just("2.0"), max_size=5))  # fmt: skip
def test_classify_agrees_with_the_schemas(message: Any) -> None:
    kind = classify(message)
    if isinstance(kind, Request):
        assert is_valid("Request", message)
    elif isinstance(kind, Notification):
        assert is_valid("Notification", message)
    elif isinstance(kind, Response):
        assert is_valid("SuccessResponse", message) or is_valid("ErrorResponse", message)
    else:
        assert isinstance(kind, Invalid)
        assert not any(is_valid(t, message) for t in ("Request", "Notification", "SuccessResponse", "ErrorResponse"))


@pytest.mark.parametrize(
    "wire",
    [
        b"Content-Length: 2\n\n{}Content-Length: 2\r\nContent-Type: application/json\n\n[]",  # LF-only headers
        b"\xef\xbb\xbf{}\n[]\n",  # a byte order mark before NDJSON
        b"\xef\xbb\xbfContent-Length: 2\r\n\r\n{}Content-Length: 2\r\n\r\n[]",  # and before a header block
    ],
)
def test_lax_writers_are_understood_not_left_waiting(wire: bytes) -> None:
    """Each read as it would come, and byte by byte: the two messages, not a wait for more."""
    assert FrameDecoder().feed(wire) == [{}, []]
    decoder = FrameDecoder()
    assert [m for i in range(len(wire)) for m in decoder.feed(wire[i : i + 1])] == [{}, []]
