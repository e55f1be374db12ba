"""The VS Code extension end to end, in a real VS Code (code-server 4.139.1 in headless Chromium).

tests/vscode-e2e/run.mjs drives the workbench with puppeteer-core; this module runs it once with a
loopback fake OpenAI-compatible provider and checks its report, one test per point of the issue.
Screenshots of the chat, the configuration UI and the playground land in artifacts/vscode-e2e/.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import KEY_VARS
from fake_provider import FakeServer, Reply
from fake_provider.replies import text_reply

ROOT = Path(__file__).resolve().parent.parent
E2E = ROOT / "tests" / "vscode-e2e"
NODE_BIN = ROOT / "tests" / "node24" / "node_modules" / "node" / "bin"
ARTIFACTS = ROOT / "artifacts" / "vscode-e2e"
KEY = "sk-e2e-0123456789abcdefghij"
FAKE_WORDS = ["Hello ", "from ", "the ", "fake ", "provider."]

pytestmark = pytest.mark.slow


class _PacedWriter:
    """A stream writer that pauses after each flush, so every piece of the body arrives on its own."""

    def __init__(self, writer: asyncio.StreamWriter, pause: float) -> None:
        self._writer = writer
        self._pause = pause

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)

    async def drain(self) -> None:
        await self._writer.drain()
        await asyncio.sleep(self._pause)


class PacedFakeServer(FakeServer):
    """The fake provider, answering at reading speed: a viewer sees the reply arrive in parts."""

    async def _play(
        self, reply: Reply, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: Any
    ) -> bool:
        return await super()._play(reply, reader, _PacedWriter(writer, 0.25), connection)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeServer]:
    with PacedFakeServer(default=text_reply("openai", FAKE_WORDS, usage=(6, 5))) as server:
        yield server


@pytest.fixture(scope="module")
def report(fake_openai: FakeServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("openllm-home")
    settings = {
        "openLLM.secrets.checkEnvironment": False,
        "openLLM.providers": [
            {"name": "mock", "enabled": True},
            {"name": "openai", "enabled": True, "api_base": f"{fake_openai.url}/v1", "models": ["fake-gpt"]},
        ],
    }
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARS}
    env.update(
        PATH=f"{NODE_BIN}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        OPENLLM_HOME=str(home),
        E2E_BRIDGE=os.environ.get("OPENLLM_BRIDGE_COMMAND", str(Path(sys.executable).parent / "openllm-bridge")),
        E2E_SETTINGS=json.dumps(settings),
        E2E_KEY=KEY,
        E2E_ARTIFACTS=str(ARTIFACTS),
        E2E_REPORT=str(ARTIFACTS / "report.json"),
        E2E_PLAYGROUND_MODELS=json.dumps(["mock/echo", "openai/fake-gpt"]),
        E2E_CHAT_MODEL="fake-gpt",
        E2E_CHAT_REPLY="".join(FAKE_WORDS),
    )
    run = subprocess.run(["node", str(E2E / "run.mjs")], env=env, capture_output=True, text=True, timeout=300)
    result: dict[str, Any] = json.loads((ARTIFACTS / "report.json").read_text())
    result["exit"] = run.returncode
    result["output"] = run.stdout[-4000:] + run.stderr[-4000:]
    assert "fatal" not in result, f"{result['fatal']}\n{result['output']}\n{json.dumps(result.get('logs'))[-6000:]}"
    return result


def passed(report: dict[str, Any], name: str) -> Any:
    step = report["steps"][name]
    assert step["ok"], f"{step['error']}\n{json.dumps(report.get('logs'), indent=1)[-6000:]}"
    return step["detail"]


def test_chat_view_model_picker_streams_the_reply(report: dict[str, Any]) -> None:
    detail = passed(report, "chat")
    # Agent mode (the only one without Copilot) lists the models that can call tools.
    assert any("fake-gpt" in offered for offered in detail["offered"])
    assert detail["partial"], "a partial answer was seen before the whole one"
    assert (ARTIFACTS / "chat.png").stat().st_size > 10_000


def test_key_stored_in_the_config_ui_is_kept_by_vscode(report: dict[str, Any]) -> None:
    detail = passed(report, "config")
    assert "host" in detail["status"]
    assert KEY not in json.dumps(detail), "the page shows only the masked key"
    assert "sk-…ghij" in detail["status"]
    assert (ARTIFACTS / "config.png").stat().st_size > 10_000


def test_models_picked_from_discovery_in_the_config_ui_are_the_ones_offered(report: dict[str, Any]) -> None:
    detail = passed(report, "config")
    assert {"echo", "think", "slow", "long", "tools", "error"} <= set(detail["discovered"])
    assert detail["saved"] == "Saved mock to VS Code settings."
    assert sorted(detail["models"]) == ["echo", "error", "tools"]
    assert detail["base"] == "http://127.0.0.1:9/v1"  # typed with spaces around it, saved and shown trimmed
    offered = {m["id"] for m in passed(report, "probe")["models"] if m["id"].startswith("mock/")}
    assert offered == {"mock/echo", "mock/tools", "mock/error"}


def test_another_extension_gets_a_streamed_answer_through_vscode_lm(report: dict[str, Any]) -> None:
    probe = passed(report, "probe")
    ids = {m["id"] for m in probe["models"]}
    assert {"mock/echo", "mock/tools", "mock/error", "openai/fake-gpt"} <= ids
    assert all(m["vendor"] == "open-llm" for m in probe["models"])
    assert probe["stream"]["text"] == "You said: stream this answer please"
    assert len(probe["stream"]["fragments"]) > 1
    assert probe["fake"]["text"] == "".join(FAKE_WORDS)


def test_errors_and_token_counts_reach_the_caller(report: dict[str, Any]) -> None:
    probe = passed(report, "probe")
    assert probe["error"]["thrown"] is True
    assert "Configure Providers and Keys" in probe["error"]["message"], probe["error"]
    assert probe["tokens"] == {"text": 6, "message": 3}


def test_a_tool_call_round_trips_through_vscode_lm_tools(report: dict[str, Any]) -> None:
    tools = passed(report, "probe")["tools"]
    assert tools["call"]["name"] == "e2e_add"
    assert tools["call"]["input"] == {"a": 1, "b": 1}
    assert tools["toolResult"] == "2"
    assert tools["answer"].startswith("Tool results:") and tools["answer"].endswith("-> 2")


def test_the_bridge_resolves_the_stored_key_from_the_host(report: dict[str, Any], fake_openai: FakeServer) -> None:
    resolved = passed(report, "probe")["resolve"]
    assert resolved["found"] is True
    assert resolved["source"] == "host"
    assert "value" not in resolved
    sent = {r.headers.get("authorization") for r in fake_openai.requests}
    assert f"Bearer {KEY}" in sent, "the fake provider received the key typed into the config UI"


def test_a_bridge_that_dies_is_restarted(report: dict[str, Any]) -> None:
    restart = passed(report, "probe")["restart"]
    assert restart["after"] != restart["before"]
    assert restart["models"] == 6


def test_no_key_reaches_the_logs(report: dict[str, Any]) -> None:
    passed(report, "config")
    logs = json.dumps(report["logs"])
    assert "Open LLM" in logs, "the output channel's log was collected"
    assert KEY not in logs


def test_the_playground_compares_two_models(report: dict[str, Any]) -> None:
    columns = {c["model"]: c for c in passed(report, "playground")}
    assert set(columns) == {"mock/echo", "openai/fake-gpt"}
    assert all(c["state"] == "done" for c in columns.values()), columns
    assert columns["mock/echo"]["answer"] == "You said: compare these two models"
    assert columns["openai/fake-gpt"]["answer"] == "".join(FAKE_WORDS)
    assert "6 in / 5 out tokens" in columns["openai/fake-gpt"]["figures"]
    assert "first token" in columns["mock/echo"]["figures"]
    assert (ARTIFACTS / "playground.png").stat().st_size > 10_000


def test_the_sidebar_chat_answers(report: dict[str, Any]) -> None:
    detail = passed(report, "sidebar")
    assert "mock/echo" in detail["models"]
    assert detail["answer"].startswith("You said: hello sidebar")


def test_the_run_passed_as_a_whole(report: dict[str, Any]) -> None:
    """Every step passed and the browser and code-server were shut down (timings: report.json)."""
    assert report["exit"] == 0, report["output"]
