"""The sans-I/O stream decoders: the event-stream rules, and any split of the bytes giving the
same events (hypothesis), plus every recorded body split at sampled byte offsets."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from fake_provider.vectors import all_cases
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import ProtocolError
from bridge.providers._jsonstream import JSONValuesFramer, NDJSONFramer, parse_json
from bridge.providers._sse import SSEDecoder, SSEEvent


def _sse(chunks: list[bytes], max_event_bytes: int = 1 << 20) -> list[SSEEvent]:
    decoder = SSEDecoder(max_event_bytes)
    events = [e for chunk in chunks for e in decoder.feed(chunk)]
    return events + decoder.flush()


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def test_line_ends_multiline_data_fields_and_comments() -> None:
    stream = (
        b"\xef\xbb\xbf: a comment line\r\n"
        b"event: first\rid: 7\rretry: 1500\rdata: one\rdata:two\r\r"
        b"data:  leading space kept after the first\n\n"
        b"event: no-data\n\n"  # no data: not dispatched, and its type does not leak
        b"data\n\n"  # a field name alone: empty data
        b"id: x\x00y\ndata: z\nunknown: field\n\n"  # an id with NUL is ignored
        b"data: cut off at the end"
    )
    assert _sse([stream]) == [
        SSEEvent("one\ntwo", "first", "7", 1500),
        SSEEvent(" leading space kept after the first", "message", "7", 1500),
        SSEEvent("", "message", "7", 1500),
        SSEEvent("z", "message", "7", 1500),
    ]


def test_a_cr_at_the_end_of_one_chunk_and_lf_at_the_start_of_the_next_is_one_line_end() -> None:
    assert _sse([b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n"]) == [SSEEvent("a"), SSEEvent("b")]
    # ... while CR then CR really is a blank line.
    assert _sse([b"data: a\r", b"\rdata: b\r\r"]) == [SSEEvent("a"), SSEEvent("b")]


def test_only_cr_and_lf_end_lines() -> None:
    text = 'data: {"t": "a\u2028b\u0085c"}\n\n'
    assert _sse([text.encode()]) == [SSEEvent('{"t": "a\u2028b\u0085c"}')]


def test_utf8_split_inside_a_character() -> None:
    data = "data: héllo €\n\n".encode()
    assert _sse([data[:8], data[8:13], data[13:]]) == [SSEEvent("héllo €")]


def test_an_oversized_line_or_event_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="line exceeds 64"):
        _sse([b"data: " + b"x" * 100], max_event_bytes=64)
    with pytest.raises(ProtocolError, match="event exceeds 64"):
        _sse([b"data: " + b"x" * 40 + b"\n" + b"data: " + b"y" * 40 + b"\n"], max_event_bytes=64)


_field_value = st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]), max_size=12)
_event = st.tuples(st.sampled_from(["", "message", "delta"]), st.lists(_field_value, min_size=1, max_size=3))


@settings(max_examples=150, deadline=None)
@given(
    events=st.lists(_event, max_size=6),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
    comments=st.booleans(),
    cuts=st.lists(st.integers(min_value=0), max_size=12),
)
def test_sse_any_split_gives_the_same_events(
    events: list[tuple[str, list[str]]], line_end: str, comments: bool, cuts: list[int]
) -> None:
    text = ""
    for kind, data in events:
        if comments:
            text += ": keep-alive" + line_end
        if kind:
            text += f"event: {kind}{line_end}"
        text += "".join(f"data: {d}{line_end}" for d in data) + line_end
    data = text.encode()
    expected = [SSEEvent("\n".join(d), k or "message") for k, d in events]
    assert _sse([data]) == expected
    assert _sse(_split(data, cuts)) == expected
    assert _sse([data[i : i + 1] for i in range(len(data))]) == expected


# Integers within 64 bits: beyond them parse_json gives a float, on purpose (see its docstring).
_json_value = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.dictionaries(st.text(max_size=5), _json_value, max_size=3), max_size=5),
    cuts=st.lists(st.integers(min_value=0), max_size=10),
)
def test_ndjson_and_json_array_any_split_gives_the_same_values(values: list[dict[str, Any]], cuts: list[int]) -> None:
    ndjson = "".join(json.dumps(v) + "\n" for v in values).encode()
    framer = NDJSONFramer()
    texts = [v for part in _split(ndjson, cuts) for v in framer.feed(part)] + framer.flush()
    assert [parse_json(t) for t in texts] == values
    array = ("[" + ",\r\n".join(json.dumps(v, indent=1) for v in values) + "]").encode()
    scanner = JSONValuesFramer()
    texts = [v for part in _split(array, cuts) for v in scanner.feed(part)] + scanner.flush()
    assert [parse_json(t) for t in texts] == values


def test_json_values_framer_takes_a_plain_body_and_rejects_a_cut_one() -> None:
    scanner = JSONValuesFramer()
    assert scanner.feed(b' {"a": "}\\"]"') == [] and scanner.feed(b"}\n") == [b'{"a": "}\\"]"}']
    assert scanner.flush() == []
    cut = JSONValuesFramer()
    cut.feed(b'[{"a": 1}, {"b": ')
    with pytest.raises(ProtocolError, match="ended in the middle"):
        cut.flush()
    with pytest.raises(ProtocolError, match="invalid JSON in a streamed line"):
        parse_json(NDJSONFramer().feed(b"{nope}\n")[0], NDJSONFramer.what)


def _decode_whole_body(body: bytes, content_type: str, cuts: list[int]) -> list[Any]:
    if content_type == "text/event-stream":
        return [e.data for e in _sse(_split(body, cuts), 1 << 24)]
    framer = NDJSONFramer() if content_type == "application/x-ndjson" else JSONValuesFramer()
    return [parse_json(v) for part in _split(body, cuts) for v in framer.feed(part)] + [
        parse_json(v) for v in framer.flush()
    ]


@pytest.mark.parametrize("case", [c for c in all_cases() if c.expect["status"] == 200], ids=lambda c: c.name)
def test_recorded_bodies_split_anywhere_frame_the_same(case: Any) -> None:
    headers = {k.lower(): v for k, v in case.response["headers"].items()}
    content_type = headers.get("content-type", "application/json").split(";")[0]
    body = case.body
    whole = _decode_whole_body(body, content_type, [])
    rng = random.Random(case.name)
    offsets = range(1, len(body)) if len(body) < 200 else rng.sample(range(1, len(body)), 60)
    for offset in offsets:
        assert _decode_whole_body(body, content_type, [offset]) == whole
    if content_type == "text/event-stream":
        assert len(whole) == case.expect["framing"]["events"]
    elif "ndjson" in case.expect:
        assert len(whole) == case.expect["ndjson"]["lines"]
    elif "chunks" in case.expect:
        assert len(whole) == case.expect["chunks"]
