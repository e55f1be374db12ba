"""Real MCP peers from npm against ``openllm-bridge mcp``: the MCP Inspector CLI (stdio and HTTP)
and the official conformance suite (HTTP; the 2025-11-25 requirement set, no expected failures).

The packages are pinned in tests/mcp_peers/package.json and installed by scripts/setup.sh; the
suite needs Node >= 22, which comes from the ``node`` package there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from mcp_process import FIXTURES, ROOT, http_server

PEERS = ROOT / "tests" / "mcp_peers"
NODE_BIN = PEERS / "node_modules" / "node" / "bin"
CONFORMANCE = PEERS / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"


@pytest.fixture
def node_env(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    # HOME: the Inspector keeps a server catalog under ~/.mcp-inspector; keep it out of the real home.
    path = f"{NODE_BIN}{os.pathsep}{cli_env['PATH']}"
    return cli_env | {"PATH": path, "HOME": str(tmp_path), "npm_config_update_notifier": "false"}


def inspector(env: dict[str, str], *args: str, exit_code: int = 0) -> Any:
    """Run the Inspector CLI; it prints the result as JSON and exits 5 when a tool returned isError."""
    result = subprocess.run(
        ["npx", "--no-install", "mcp-inspector", "--cli", *args],
        cwd=PEERS, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == exit_code, result.stderr + result.stdout
    return json.loads(result.stdout)


def _server_command(env: dict[str, str]) -> list[str]:
    return ["-e", f"OPENLLM_HOME={env['OPENLLM_HOME']}", "openllm-bridge", "mcp"]


def test_inspector_lists_tools_over_stdio(node_env: dict[str, str]) -> None:
    listed = inspector(node_env, *_server_command(node_env), "--method", "tools/list")
    tools = {t["name"]: t for t in listed["tools"]}
    assert list(tools) == ["chat", "list_providers", "list_models", "compare"]
    assert tools["chat"]["inputSchema"]["required"] == ["provider", "model"]


def test_inspector_calls_chat_over_stdio(node_env: dict[str, str]) -> None:
    result = inspector(
        node_env, *_server_command(node_env), "--method", "tools/call", "--tool-name", "chat",
        "--tool-arg", "provider=mock", "--tool-arg", "model=echo", "--tool-arg", "prompt=hello inspector",
    )  # fmt: skip
    assert result["isError"] is False
    reply, continuation = result["content"]
    assert reply == {"type": "text", "text": "You said: hello inspector"}
    conversation = result["structuredContent"]["conversation_id"]
    assert continuation["text"] == f"conversation_id: {conversation} (pass it back to continue this conversation)"
    assert result["structuredContent"]["usage"] == {"input_tokens": 2, "output_tokens": 4}


def test_inspector_sees_a_missing_key_as_a_tool_error(node_env: dict[str, str]) -> None:
    result = inspector(
        node_env, *_server_command(node_env), "--method", "tools/call", "--tool-name", "chat",
        "--tool-arg", "provider=openai", "--tool-arg", "model=gpt-4o-mini", "--tool-arg", "prompt=hi", exit_code=5,
    )  # fmt: skip
    assert result["isError"] is True
    assert "OPENAI_API_KEY" in result["content"][0]["text"]


def test_inspector_over_http(node_env: dict[str, str]) -> None:
    with http_server(node_env) as url:
        listed = inspector(node_env, url, "--transport", "http", "--method", "tools/list")
        called = inspector(
            node_env, url, "--transport", "http", "--method", "tools/call", "--tool-name", "list_models",
            "--tool-arg", "provider=mock",
        )  # fmt: skip
    assert [t["name"] for t in listed["tools"]] == ["chat", "list_providers", "list_models", "compare"]
    assert called["content"][0]["text"].split()[0] == "echo"


def _required_server_scenarios(env: dict[str, str]) -> list[str]:
    listing = subprocess.run(
        ["node", str(CONFORMANCE), "list", "--requirements", "2025-11-25", "--server"],
        cwd=PEERS, env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    section = listing.split("Server scenarios", 1)[1].split("\n\n", 1)[0]
    return [line.strip().removeprefix("- ") for line in section.splitlines() if line.strip().startswith("- ")]


def test_conformance_suite_passes_the_2025_11_25_requirements(node_env: dict[str, str], tmp_path: Path) -> None:
    required = _required_server_scenarios(node_env)
    assert len(required) == 30 and "dns-rebinding-protection" in required
    with http_server(node_env, "--extra-module", str(FIXTURES)) as url:
        result = subprocess.run(
            ["node", str(CONFORMANCE), "server", "--url", url, "--requirements", "2025-11-25",
             "--output-dir", str(tmp_path / "results")],
            cwd=PEERS, env=node_env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    summary = report[report.index("=== SUMMARY ===") :]
    for scenario in required:
        assert re.search(rf"✓ {re.escape(scenario)}: \d+ passed, 0 failed", summary), f"{scenario}\n{summary}"
    # The unscored ones pass too: SSE resumption (server-sse-polling) and schemas proxied verbatim.
    assert "✗" not in summary and "✓ server-sse-polling" in summary and "✓ json-schema-2020-12" in summary, summary
