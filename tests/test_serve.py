"""`openllm-bridge serve` as clients meet it: a real subprocess on a real Unix socket."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_process import BridgeProcess, NdjsonPeer, serve, wait_for_text
from fake_provider import STALL, FakeServer
from fake_provider.harness import KEY
from fake_provider.replies import text_reply

from protocol import dumps, loads, methods, validate


@pytest.fixture
def bridge(cli_env: dict[str, str], tmp_path: Path) -> Iterator[BridgeProcess]:
    with serve(cli_env, tmp_path) as process:
        yield process


def ask(bridge: BridgeProcess, method: str, params: Any, request_id: int = 1) -> Any:
    peer = NdjsonPeer(bridge.connect())
    try:
        return peer.ask({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
    finally:
        peer.close()


def test_the_default_socket_is_0600_in_a_0700_dir_and_removed_at_exit(cli_env: dict[str, str], tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = cli_env | {"XDG_RUNTIME_DIR": str(runtime)}
    process = subprocess.Popen(["openllm-bridge", "serve"], stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    ready = loads(process.stdout.readline())
    path = Path(ready["socket"])
    assert ready["pid"] == process.pid and path.parent == runtime / "openllm-bridge"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    process.terminate()
    assert process.wait(timeout=10) == 0
    process.stdout.close()
    assert not path.exists()


def test_without_xdg_runtime_dir_a_private_temp_dir_is_used(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in cli_env.items() if k != "XDG_RUNTIME_DIR"} | {"TMPDIR": str(tmp_path)}
    process = subprocess.Popen(["openllm-bridge", "serve"], stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    path = Path(loads(process.stdout.readline())["socket"])
    assert path.parent.parent == tmp_path and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()
    assert not path.parent.exists()


PARENT = "import subprocess, sys; child = subprocess.Popen(sys.argv[1:]); print(child.pid, flush=True); child.wait()"


def test_with_exit_with_parent_serve_stops_when_its_parent_is_killed(cli_env: dict[str, str], tmp_path: Path) -> None:
    """An editor that crashes (SIGKILL: it cleans nothing up) leaves no bridge behind."""
    path, log = tmp_path / "bridge.sock", tmp_path / "bridge.log"
    serve = ["openllm-bridge", "serve", "--socket", str(path), "--exit-with-parent", "--log-file", str(log)]
    parent = subprocess.Popen([sys.executable, "-c", PARENT, *serve], stdout=subprocess.PIPE, text=True, env=cli_env)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert loads(parent.stdout.readline()) == {"socket": str(path), "pid": child}  # serving
    parent.kill()
    parent.wait(timeout=10)
    parent.stdout.close()
    wait_for_text(log, rf"the process that started serve \(pid {parent.pid}\) has exited: stopping")
    deadline = time.monotonic() + 10  # then it shuts down as on SIGTERM: the socket goes, the process ends
    while time.monotonic() < deadline and (path.exists() or _running(child)):
        time.sleep(0.01)
    assert not path.exists() and not _running(child)


WRAPPER = """import os, subprocess, sys
os.environ["OPENLLM_PARENT_PID"] = str(os.getpid())  # as the clients' spawn sets it
subprocess.Popen(["sh", "-c", " ".join(sys.argv[1:]) + "; true"])  # a wrapper that does not exec
"""


def test_exit_with_parent_watches_the_named_starter_through_a_wrapper_even_if_it_dies_first(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """The starter (named in OPENLLM_PARENT_PID) exits before serve is even ready, and serve's own
    parent is a shell that stays: serve still stops."""
    path, log = tmp_path / "bridge.sock", tmp_path / "bridge.log"
    serve = ["openllm-bridge", "serve", "--socket", str(path), "--log-file", str(log)]  # the variable alone
    starter = subprocess.Popen([sys.executable, "-c", WRAPPER, *serve], stdout=subprocess.PIPE, text=True, env=cli_env)
    assert starter.wait(timeout=10) == 0 and starter.stdout is not None  # gone at once
    child = loads(starter.stdout.readline())["pid"]  # serve's ready line, through the shell
    starter.stdout.close()
    wait_for_text(log, rf"the process that started serve \(pid {starter.pid}\) has exited: stopping")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running(child):
        time.sleep(0.01)
    assert not _running(child)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit status waits for init here, which may not reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_live_socket_is_not_taken_over(bridge: BridgeProcess, cli_env: dict[str, str]) -> None:
    result = subprocess.run(["openllm-bridge", "serve", "--socket", bridge.socket], capture_output=True, text=True,
                            env=cli_env, timeout=30, check=False)  # fmt: skip
    assert result.returncode == 2 and "already serving" in result.stderr and result.stdout == ""


def _refused_start(env: dict[str, str], *args: str) -> str:
    """``serve`` with ``args`` must stop at once with exit 2 and one line saying why (returned)."""
    result = subprocess.run(["openllm-bridge", "serve", *args], capture_output=True, text=True, env=env, timeout=30,
                            check=False)  # fmt: skip
    assert (result.returncode, "Traceback" in result.stderr, result.stdout) == (2, False, ""), result.stderr
    return result.stderr


@pytest.mark.parametrize(
    ("where", "shown"),
    [
        ("missing/sub/b.sock", "cannot make the folder {d}/missing/sub for the socket: No such file or directory"),
        ("a-file/b.sock", "cannot listen on {d}/a-file/b.sock: Not a directory"),
        ("x" * 120 + ".sock", "bytes long: a Unix socket path takes at most 107; choose a shorter one"),
    ],
)
def test_a_socket_path_that_cannot_be_used_is_a_clear_error(cli_env: dict[str, str], where: str, shown: str) -> None:
    with tempfile.TemporaryDirectory(prefix="ob-") as short:
        (Path(short) / "a-file").write_text("")
        assert shown.format(d=short) in _refused_start(cli_env, "--socket", f"{short}/{where}")


def test_a_frame_limit_below_one_byte_is_refused(cli_env: dict[str, str]) -> None:
    assert "--max-frame-bytes: must be a whole number above zero, got 0" in _refused_start(
        cli_env, "--max-frame-bytes", "0"
    )


def test_every_request_method_answers_what_its_schema_says(keychain_bus: object, bridge: BridgeProcess) -> None:
    params: dict[str, Any] = {
        "secrets/store": {"provider": "openai", "value": "sk-test-0123456789abcdefghij", "destination": "keychain"},
        "secrets/resolve": {"provider": "openai"},
        "secrets/list": {},
        "secrets/delete": {"provider": "openai"},
        "config/setProvider": {"config": {"name": "ollama", "api_base": "http://127.0.0.1:9"}, "scope": "user"},
        "config/providers": {},
        "config/export": {"scope": "user"},
        "config/import": {"providers": [{"name": "mistral", "enabled": False}], "scope": "user"},
        "config/removeProvider": {"name": "ollama"},
        "bridge/authenticate": {"token": "unused"},
        "bridge/status": {},
        "chat/stream": {"provider": "mock", "model": "echo", "messages": [{"role": "user", "content": "hi"}]},
        "providers/list": {},
        "models/list": {"provider": "mock"},
        "tools/list": {},
    }
    api = [(name, spec) for name, spec in methods().items() if spec.schema_file.startswith("api-")]
    served = {name for name, spec in api if spec.kind == "request" and spec.direction == "to_server"}
    assert served == set(params), "a bridge API method without a test"
    for number, (method, p) in enumerate(params.items()):
        reply = ask(bridge, method, p, number)
        assert "result" in reply, reply
        result_type = methods()[method].result
        assert result_type is not None
        validate(result_type, reply["result"])


def test_status_reports_version_pid_host_and_providers(bridge: BridgeProcess) -> None:
    status = ask(bridge, "bridge/status", {})["result"]
    assert status["pid"] == bridge.pid and status["version"] == "0.1.0"
    assert status["host"] == {"connected": False, "socket": None}
    by_id = {p["id"]: p for p in status["providers"]}
    assert by_id["mock"]["available"] is True
    assert by_id["openai"] == {"id": "openai", "available": False, "key_source": None,
                               "reason": "no API key: set OPENAI_API_KEY"}  # fmt: skip


def test_chat_stream_sends_chunks_for_its_id_then_the_result(bridge: BridgeProcess) -> None:
    peer = NdjsonPeer(bridge.connect())
    params = {"provider": "mock", "model": "tools", "messages": [{"role": "user", "content": "weather?"}],
              "options": {"tools": [{"name": "get_weather", "parameters": {"type": "object"}}]}}  # fmt: skip
    peer.send_message({"jsonrpc": "2.0", "id": "c1", "method": "chat/stream", "params": params})
    seen = peer.receive_until(lambda m: m.get("id") == "c1")
    peer.close()
    *notes, final = seen
    for note in notes:
        assert note["method"] == "chat/chunk" and note["params"]["request_id"] == "c1"
        validate("ChatChunkParams", note["params"])
    assert [n["params"]["chunk"]["type"] for n in notes] == ["tool_call", "usage", "done"]
    validate("ChatStreamResult", final["result"])
    assert final["result"]["finish_reason"] == "tool_calls"
    assert final["result"]["message"]["content"][0]["name"] == "get_weather"


def test_a_request_then_a_half_close_still_gets_its_answer(bridge: BridgeProcess) -> None:
    """As ``printf '...' | socat - UNIX:sock`` or ``nc -N`` ask: the request, then the end of
    input (shutdown of the writing side only); the answer comes, then the bridge closes."""
    peer = NdjsonPeer(bridge.connect())
    peer.send_message({"jsonrpc": "2.0", "id": 1, "method": "bridge/status"})
    peer.sock.shutdown(socket.SHUT_WR)
    reply = peer.receive()
    assert reply["id"] == 1 and reply["result"]["pid"] == bridge.pid
    assert peer.sock.recv(65536) == b""
    peer.close()


def test_a_half_closed_chat_stream_gets_every_chunk_then_its_result(bridge: BridgeProcess) -> None:
    peer = NdjsonPeer(bridge.connect())
    params = {"provider": "mock", "model": "slow", "messages": [{"role": "user", "content": "one two three"}]}
    peer.send_message({"jsonrpc": "2.0", "id": "c1", "method": "chat/stream", "params": params})
    peer.sock.shutdown(socket.SHUT_WR)  # the stream is still running: each chunk takes the mock 50 ms
    *notes, final = peer.receive_until(lambda m: m.get("id") == "c1")
    assert peer.sock.recv(65536) == b""
    peer.close()
    chunks = [n["params"]["chunk"] for n in notes]
    assert "".join(c["text"] for c in chunks if c["type"] == "text") == "You said: one two three"
    assert chunks[-1]["type"] == "done"
    validate("ChatStreamResult", final["result"])
    assert final["result"]["finish_reason"] == "stop"


def test_a_missing_key_is_a_bridge_error_with_data(bridge: BridgeProcess) -> None:
    reply = ask(bridge, "chat/stream", {"provider": "openai", "model": "gpt-4o",
                                        "messages": [{"role": "user", "content": "hi"}]})  # fmt: skip
    validate("ErrorResponse", reply)
    assert reply["error"]["code"] == -32001
    assert reply["error"]["data"] == {"code": "missing_key", "retryable": False, "status": None}
    assert "OPENAI_API_KEY" in reply["error"]["message"]


def test_content_length_framing_as_vscode_jsonrpc_writes_it(bridge: BridgeProcess) -> None:
    sock = bridge.connect()
    body = dumps({"jsonrpc": "2.0", "id": 1, "method": "models/list", "params": {"provider": "mock"}}).encode()
    sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body))  # header and body in two writes
    sock.sendall(body)
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < int(data.split(b":")[1].split(b"\r")[0]):
        data += sock.recv(65536)
    sock.close()
    header, _, answer = data.partition(b"\r\n\r\n")
    assert header.startswith(b"Content-Length: ")
    assert [m["id"] for m in loads(answer)["result"]["models"]][:2] == ["echo", "think"]


def test_malformed_messages_are_answered_and_the_connection_keeps_working(bridge: BridgeProcess) -> None:
    peer = NdjsonPeer(bridge.connect())
    peer.send(b'{"jsonrpc": "2.0", "id": 1, "method": "providers/list"}\n{broken\n')
    answers = {m["id"]: m for m in (peer.receive(), peer.receive())}  # in either order: requests run concurrently
    assert "result" in answers[1] and answers[None]["error"]["code"] == -32700
    assert peer.ask({"jsonrpc": "2.0", "id": 2, "method": "nope"})["error"]["code"] == -32601
    assert "result" in peer.ask({"jsonrpc": "2.0", "id": 3, "method": "bridge/status"})
    peer.close()


def test_a_request_sent_without_an_id_is_not_run_and_holds_nothing_up(bridge: BridgeProcess) -> None:
    """A chat/stream sent as a notification would stream into no request and, run inline, stop the
    reading of the connection until it ended; it is refused in the log and the next request answers."""
    peer = NdjsonPeer(bridge.connect())
    chat = {"provider": "mock", "model": "slow", "messages": [{"role": "user", "content": "a b c d e f g h"}]}
    peer.send_message({"jsonrpc": "2.0", "method": "chat/stream", "params": chat})
    answer = peer.ask({"jsonrpc": "2.0", "id": 1, "method": "bridge/status"})
    peer.close()
    assert answer["id"] == 1 and "result" in answer  # the first message it got back: no chat/chunk came before
    assert "ignoring chat/stream sent as a notification (no id)" in bridge.wait_for_log("sent as a notification")


def test_the_serve_path_does_not_import_the_mcp_sdk(cli_env: dict[str, str], tmp_path: Path) -> None:
    probe = (
        "import sys, anyio\n"
        "from bridge.engine import Engine\n"
        "from bridge.server import BridgeApi, UnixServer\n"
        "from openllm_client import connect\n"
        "async def main():\n"
        "    async with Engine() as engine, anyio.create_task_group() as tg:\n"
        "        ready = anyio.Event()\n"
        f"        server = UnixServer(BridgeApi(engine), __import__('pathlib').Path({str(tmp_path / 's.sock')!r}))\n"
        "        tg.start_soon(server.serve, lambda p: ready.set())\n"
        "        await ready.wait()\n"
        f"        async with connect({str(tmp_path / 's.sock')!r}) as client:\n"
        "            assert [c async for c in client.chat('mock', 'echo', 'hi')][-1]['type'] == 'done'\n"
        "        tg.cancel_scope.cancel()\n"
        "anyio.run(main)\n"
        "print(sorted(m for m in ('mcp', 'httpx2', 'bridge.http', 'pydantic') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env, timeout=60,
                            check=True)  # fmt: skip
    assert result.stdout.strip() == "[]"


def test_a_connection_from_another_uid_is_refused(cli_env: dict[str, str]) -> None:
    assert os.getuid() == 0, "this test runs a client as `nobody`, which needs root (as in CI)"
    shared = Path(tempfile.mkdtemp(prefix="openllm-uid-test-"))
    try:
        shared.chmod(0o755)  # nobody may reach the socket file: the refusal must be the bridge's own
        with serve(cli_env, shared, socket_path=str(shared / "bridge.sock")) as bridge:
            assert stat.S_IMODE(os.stat(bridge.socket).st_mode) == 0o600
            os.chmod(bridge.socket, 0o666)  # open the file permissions wide: only SO_PEERCRED stands in the way
            client = (
                "import socket, sys\n"
                "s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])\n"
                "try:\n"
                '    s.sendall(b\'{"jsonrpc":"2.0","id":1,"method":"bridge/status"}\\n\')\n'
                "    print('answer:', s.recv(65536))\n"
                "except OSError as exc:\n"
                "    print('error:', type(exc).__name__)\n"
            )
            result = subprocess.run(
                ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", client,
                 bridge.socket],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            assert result.stdout.strip() in ("answer: b''", "error: ConnectionResetError", "error: BrokenPipeError")
            bridge.wait_for_log("refused a connection from uid 65534")
            assert "result" in ask(bridge, "bridge/status", {})  # our own uid still gets in
    finally:
        for child in shared.iterdir():
            child.unlink()
        shared.rmdir()


@pytest.mark.parametrize(
    "flood",
    [b"Content-Length: 1073741824\r\n\r\n" + b"x" * (64 << 20), b'{"jsonrpc":"2.0","params":"' + b"x" * (64 << 20)],
    ids=["content-length-1GiB", "endless-ndjson-line"],
)
def test_a_frame_over_the_limit_is_refused_without_buffering_it(
    cli_env: dict[str, str], tmp_path: Path, flood: bytes
) -> None:
    with serve(cli_env, tmp_path, "--max-frame-bytes", str(1 << 20)) as bridge:
        ask(bridge, "bridge/status", {})  # warm up: RSS measured after the first request's imports
        before = bridge.rss_kib()
        sock = bridge.connect()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the bridge hangs up mid-flood
            sock.sendall(flood)
        sock.close()
        bridge.wait_for_log("dropping the connection to the client")
        grown = bridge.rss_kib() - before
        assert grown < 16 * 1024, f"the bridge grew by {grown} KiB for a refused 64 MiB flood"
        assert "result" in ask(bridge, "bridge/status", {})


def test_a_bad_token_is_a_clear_unauthorized_error(cli_env: dict[str, str], tmp_path: Path) -> None:
    with serve(cli_env | {"OPENLLM_BRIDGE_TOKEN": "right-token-123"}, tmp_path) as bridge:
        peer = NdjsonPeer(bridge.connect())
        before = peer.ask({"jsonrpc": "2.0", "id": 1, "method": "providers/list"})
        assert before["error"]["data"]["code"] == "unauthorized" and "bridge/authenticate" in before["error"]["message"]
        wrong = peer.ask({"jsonrpc": "2.0", "id": 2, "method": "bridge/authenticate", "params": {"token": "wrong"}})
        assert wrong["error"] == {"code": -32021, "message": "wrong token for this bridge",
                                  "data": {"code": "unauthorized", "retryable": False, "status": None}}  # fmt: skip
        right = peer.ask({"jsonrpc": "2.0", "id": 3, "method": "bridge/authenticate",
                          "params": {"token": "right-token-123"}})  # fmt: skip
        assert right["result"] == {"authenticated": True}
        assert "result" in peer.ask({"jsonrpc": "2.0", "id": 4, "method": "providers/list"})
        peer.close()
        assert "right-token-123" not in bridge.log()


def test_a_slow_reader_holds_the_stream_back(bridge: BridgeProcess) -> None:
    """A client that stops reading stops the provider: the bridge goes idle with bounded memory
    instead of buffering the rest of a 100,000-chunk answer (the mock holds its ~7 MB of words)."""
    ask(bridge, "bridge/status", {})
    before = bridge.rss_kib()
    peer = NdjsonPeer(bridge.connect())
    peer.send_message({"jsonrpc": "2.0", "id": 1, "method": "chat/stream",
                       "params": {"provider": "mock", "model": "long",
                                  "messages": [{"role": "user", "content": "100000"}]}})  # fmt: skip
    assert peer.receive()["params"]["chunk"]["type"] == "text"
    deadline, last, still = time.monotonic() + 20, -1, 0
    while still < 5:  # the bridge's CPU time stops moving once the socket buffers are full
        assert time.monotonic() < deadline, "the bridge kept working for a reader that does not read"
        ticks = bridge.cpu_ticks()
        still, last = (still + 1 if ticks == last else 0), ticks
        time.sleep(0.1)
    assert bridge.rss_kib() - before < 16 * 1024
    assert "model=long" not in bridge.log()  # paused, not finished
    peer.close()
    bridge.wait_for_log("chat provider=mock model=long")  # the reader left: the stream was cancelled upstream


def test_a_client_leaving_mid_stream_closes_the_upstream_connection_within_100ms(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """The fake OpenAI server stalls after two words; the client hangs up; the server sees the
    bridge close its connection (on the same monotonic clock) within 100 ms."""
    with FakeServer() as upstream, serve(cli_env | {"OPENAI_API_KEY": KEY}, tmp_path) as bridge:
        reply = text_reply("openai", ["one", " two", " three"])
        reply.steps = [*reply.steps[:2], STALL]
        upstream.enqueue(reply)
        peer = NdjsonPeer(bridge.connect())
        peer.send_message({"jsonrpc": "2.0", "id": 1, "method": "chat/stream",
                           "params": {"provider": "openai", "model": "m", "api_base": upstream.url + "/v1",
                                      "messages": [{"role": "user", "content": "hi"}]}})  # fmt: skip
        assert peer.receive()["params"]["chunk"] == {"type": "text", "text": "one"}
        assert peer.receive()["params"]["chunk"] == {"type": "text", "text": " two"}
        peer.close()
        left_at = time.monotonic()
        (connection,) = upstream.wait_closed()
        assert connection.closed_by == "client"
        latency = connection.closed - left_at  # type: ignore[operator]
        assert latency < 0.1, f"the upstream connection closed {latency * 1000:.0f} ms after the client left"


def test_a_named_starter_that_exited_but_is_not_reaped_counts_as_gone() -> None:
    from bridge.cli.serve import _gone

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # it has exited; not reaped yet: a zombie
    assert _gone(child.pid, named=True)
    child.wait()
    assert _gone(child.pid, named=True) and not _gone(os.getpid(), named=True)
