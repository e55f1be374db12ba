"""``openllm-bridge chat`` as a user runs it, against the fake server, for all seven providers:
the key comes from the provider's environment variable, the base URL from --api-base."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_provider import FakeServer
from fake_provider.replies import BASE_PATHS, text_reply

from bridge.providers import BUILTIN
from protocol import validate

KEY = "sk-cli-test-9876543210zyxwvutsrq"
AUTH = {
    "openai": ("authorization", f"Bearer {KEY}"), "mistral": ("authorization", f"Bearer {KEY}"),
    "openrouter": ("authorization", f"Bearer {KEY}"), "azure": ("api-key", KEY), "anthropic": ("x-api-key", KEY),
    "gemini": ("x-goog-api-key", KEY), "ollama": None,
}  # fmt: skip
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 16


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def _chat(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openllm-bridge", "chat", *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def _cases() -> Iterator[tuple[str, str | None]]:
    for spec in BUILTIN:
        if spec.id != "mock":
            yield from ((spec.id, var) for var in spec.env_vars or (None,))


@pytest.mark.parametrize(("provider", "env_var"), list(_cases()))
def test_chat_json_against_the_fake_server(
    server: FakeServer, cli_env: dict[str, str], provider: str, env_var: str | None
) -> None:
    if env_var:
        cli_env[env_var] = KEY
    server.enqueue(text_reply(provider, ["Bonjour", " le", " monde"], usage=(4, 3)))
    before = len(server.requests)
    base = server.url + BASE_PATHS.get(provider, "")
    result = _chat(cli_env, "--provider", provider, "--api-base", base, "--model", "m1", "--json", "Say hello")
    assert result.returncode == 0, result.stderr
    chunks = [json.loads(line) for line in result.stdout.splitlines()]
    for chunk in chunks:
        validate("StreamChunk", chunk)
    assert chunks == [
        {"type": "text", "text": "Bonjour"}, {"type": "text", "text": " le"}, {"type": "text", "text": " monde"},
        {"type": "usage", "input_tokens": 4, "output_tokens": 3}, {"type": "done", "finish_reason": "stop"},
    ]  # fmt: skip
    sent = server.requests[before]
    if AUTH[provider]:
        name, value = AUTH[provider]  # type: ignore[misc]
        assert sent.headers[name] == value
    assert "Say hello" in sent.body.decode()
    assert KEY not in result.stderr


def test_images_and_tools_reach_the_request(server: FakeServer, cli_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    (tmp_path / "b.JPG").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    tools = [{"name": "lookup", "description": "Look a word up.",
              "parameters": {"type": "object", "properties": {"word": {"type": "string"}}}}]  # fmt: skip
    (tmp_path / "tools.json").write_text(json.dumps(tools))
    cli_env["ANTHROPIC_API_KEY"] = KEY
    server.enqueue(text_reply("anthropic", ["ok"]))
    before = len(server.requests)
    result = _chat(cli_env, "--provider", "anthropic", "--api-base", server.url, "--model", "claude", "--json",
                   "--image", str(tmp_path / "a.png"), "--image", str(tmp_path / "b.JPG"),
                   "--tools", str(tmp_path / "tools.json"), "What are these?")  # fmt: skip
    assert result.returncode == 0, result.stderr
    body = server.requests[before].json
    content = body["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "What are these?"}
    assert [(c["source"]["media_type"], c["source"]["type"]) for c in content[1:]] == [
        ("image/png", "base64"), ("image/jpeg", "base64")]  # fmt: skip
    assert body["tools"] == [
        {"name": "lookup", "description": "Look a word up.", "input_schema": tools[0]["parameters"]}
    ]


@pytest.mark.parametrize(
    ("files", "message"),
    [({"--image": "pic.bmp"}, "use a .png, .jpg, .gif or .webp file"),
     ({"--image": "missing.png"}, "No such file"),
     ({"--tools": "tools.json"}, "tool 0: ToolSpec at /: 'parameters' is a required property")],
)  # fmt: skip
def test_bad_images_and_tools_are_usage_errors(
    cli_env: dict[str, str], tmp_path: Path, files: dict[str, str], message: str
) -> None:
    (tmp_path / "pic.bmp").write_bytes(b"BM")
    (tmp_path / "tools.json").write_text(json.dumps([{"name": "x"}]))
    args = [arg for flag, name in files.items() for arg in (flag, str(tmp_path / name))]
    result = _chat(cli_env, "--provider", "mock", "--model", "echo", *args, "hi")
    assert result.returncode == 2 and message in result.stderr
    assert result.stdout == ""
