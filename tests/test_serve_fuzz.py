"""10,000 random or malformed frames at one real `openllm-bridge serve`: it never falls over, and
answers a well-formed request after every single one (on a new connection when the frame broke
the framing, as it must)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from bridge_process import BridgeProcess, serve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import dumps, methods

FRAMES = 10_000
PER_EXAMPLE = 10

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
rpc_shaped = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.sampled_from(["2.0", "1.0", 2]),
        "id": st.integers() | st.text(max_size=5) | st.none() | st.floats(allow_nan=False, allow_infinity=False),
        "method": st.sampled_from(sorted(methods())) | st.text(max_size=12),
        "params": json_values,
        "result": json_values,
        "error": json_values,
    },
)
bodies = st.one_of(
    st.binary(max_size=120),
    json_values.map(lambda v: dumps(v).encode()),
    rpc_shaped.map(lambda v: dumps(v).encode()),
    st.lists(rpc_shaped, max_size=3).map(lambda v: dumps(v).encode()),
)
# Header blocks no reader can frame: each must make the bridge drop the connection.
fatal_headers = st.one_of(
    st.text("abcxyz -", min_size=1, max_size=20).map(lambda t: t.encode() + b"\r\n\r\n"),
    st.text("abc-+ .", min_size=1, max_size=8).map(lambda t: b"Content-Length: " + t.encode() + b"\r\n\r\n"),
    st.integers(2_000_000, 2**40).map(lambda n: b"Content-Length: %d\r\n\r\n" % n),
    st.just(b"Content-Type: application/json\r\n\r\n"),
)
frames = st.one_of(
    bodies.map(lambda b: ("ndjson", b.replace(b"\n", b" ") + b"\n")),
    bodies.map(lambda b: ("content-length", b"Content-Length: %d\r\n\r\n" % len(b) + b)),
    fatal_headers.map(lambda h: ("content-length", h)),
)


class Probe:
    """Two long-lived connections (one per framing), reopened when the bridge drops one."""

    def __init__(self, bridge: BridgeProcess) -> None:
        self.bridge = bridge
        self.connections: dict[str, tuple[socket.socket, bytearray]] = {}
        self.sent = 0
        self.drops = 0
        self.answers = 0

    def _connection(self, framing: str) -> tuple[socket.socket, bytearray]:
        if framing not in self.connections:
            self.connections[framing] = (self.bridge.connect(), bytearray())
            self._probe(framing, "hello")  # the first byte fixes the connection's framing
        return self.connections[framing]

    def send_then_probe(self, framing: str, frame: bytes) -> None:
        sock, _ = self._connection(framing)
        self.sent += 1
        try:
            sock.sendall(frame)
            self._probe(framing, f"probe-{self.sent}")
        except (EOFError, ConnectionResetError, BrokenPipeError):
            self.drops += 1
            sock.close()
            del self.connections[framing]
            self._connection(framing)
            self._probe(framing, f"probe-{self.sent}")  # a fresh connection must be answered
        self.answers += 1

    def _probe(self, framing: str, probe_id: str) -> None:
        sock, buffer = self.connections[framing]
        request = dumps({"jsonrpc": "2.0", "id": probe_id, "method": "providers/list"}).encode()
        sock.sendall(request + b"\n" if framing == "ndjson" else b"Content-Length: %d\r\n\r\n" % len(request) + request)
        while True:
            message = self._read(sock, buffer, framing)
            if isinstance(message, dict) and message.get("id") == probe_id:
                assert len(message["result"]["providers"]) == 8
                return

    @staticmethod
    def _read(sock: socket.socket, buffer: bytearray, framing: str) -> Any:
        while True:
            if framing == "ndjson" and b"\n" in buffer:
                line, _, rest = bytes(buffer).partition(b"\n")
                buffer[:] = rest
                return json.loads(line)
            if framing == "content-length" and b"\r\n\r\n" in buffer:
                header, _, rest = bytes(buffer).partition(b"\r\n\r\n")
                length = int(header.split(b":")[1])
                if len(rest) >= length:
                    buffer[:] = rest[length:]
                    return json.loads(rest[:length])
            data = sock.recv(65536)
            if not data:
                raise EOFError
            buffer += data


def test_ten_thousand_bad_frames_never_crash_the_bridge(cli_env: dict[str, str], tmp_path: Path) -> None:
    with serve(cli_env, tmp_path, "--max-frame-bytes", "1000000", "--log-level", "error") as bridge:
        probe = Probe(bridge)

        @settings(max_examples=FRAMES // PER_EXAMPLE, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
        @given(st.lists(frames, min_size=PER_EXAMPLE, max_size=PER_EXAMPLE))
        def fuzz(batch: list[tuple[str, bytes]]) -> None:
            for framing, frame in batch:
                probe.send_then_probe(framing, frame)

        fuzz()
        assert bridge.process.poll() is None, "the bridge died"
        assert probe.sent >= FRAMES and probe.answers == probe.sent
        assert probe.drops > 0, "no frame broke the framing: the fatal path went untested"
        for sock, _ in probe.connections.values():
            sock.close()
