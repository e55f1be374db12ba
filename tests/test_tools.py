"""The tool registry: internal tools never shown, filters, unambiguous names, MCP servers as
sources (a real stdio server with the mcp SDK), settings errors that name the bad key."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from bridge.errors import InvalidConfigError, ToolError
from bridge.tools import LocalTools, McpServerSpec, McpToolSource, Tool, ToolFilter, ToolRegistry, ToolSettings
from bridge.tools.base import ToolResult
from bridge.tools.registry import MAX_RESULT_CHARS
from protocol import validate

OBJECT: dict[str, Any] = {"type": "object", "properties": {"text": {"type": "string"}}}
MCP_SERVER = str(Path(__file__).with_name("mcp_tool_server.py"))
KEY = "sk-proj-TOOLLEAK0123456789abcdefWXYZ"


def local_tools() -> LocalTools:
    tools = LocalTools()

    async def echo(text: str) -> str:
        return text

    async def secret() -> str:
        return "internal"

    tools.tool("echo", "Repeat.", OBJECT)(echo)
    tools.tool("shell_run", "Run a command.", OBJECT)(echo)
    tools.tool("openllm_status", "Internal by name.", OBJECT)(secret)
    tools.tool("reload_window", "Internal by flag.", OBJECT, internal=True)(secret)
    return tools


@pytest.mark.anyio
async def test_internal_tools_are_never_listed_nor_callable() -> None:
    registry = ToolRegistry([local_tools()])
    assert [t.name for t in await registry.tools()] == ["echo", "shell_run"]
    assert [s["name"] for s in await registry.specs()] == ["echo", "shell_run"]
    for name in ("openllm_status", "reload_window"):
        with pytest.raises(ToolError, match=f"no tool named '{name}'"):
            await registry.call(name, {})
    assert (await registry.call("echo", {"text": "hi"})).text == "hi"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("tool_filter", "visible"),
    [
        (ToolFilter(), ["echo", "shell_run"]),
        (ToolFilter(enabled=False), []),
        (ToolFilter(exclude=("shell_*",)), ["echo"]),
        (ToolFilter(include=("sh*",)), ["shell_run"]),
        (ToolFilter(disabled=("echo",)), ["shell_run"]),
        (ToolFilter(include=("*",), exclude=("*",)), []),
    ],
)
async def test_filters_decide_what_a_model_sees(tool_filter: ToolFilter, visible: list[str]) -> None:
    registry = ToolRegistry([local_tools()], tool_filter)
    assert [t.name for t in await registry.tools()] == visible
    if "echo" not in visible:
        with pytest.raises(ToolError):
            await registry.call("echo", {"text": "x"})


@pytest.mark.anyio
async def test_a_name_offered_twice_goes_to_the_first_source(caplog: pytest.LogCaptureFixture) -> None:
    second = LocalTools("second")

    async def other(text: str) -> str:
        return "second"

    second.tool("echo", "Also echo.", OBJECT)(other)
    registry = ToolRegistry([local_tools(), second])
    with caplog.at_level(logging.WARNING, logger="openllm.tools"):
        assert [t.source for t in await registry.tools() if t.name == "echo"] == ["local"]
    assert "tool echo of second hidden: local offers the same name" in caplog.text
    assert (await registry.call("echo", {"text": "first"})).text == "first"
    with pytest.raises(ValueError, match="distinct names"):
        ToolRegistry([second, second])


@pytest.mark.anyio
async def test_a_failing_local_tool_is_an_error_result() -> None:
    tools = LocalTools()

    async def boom() -> str:
        raise OSError("disk on fire")

    tools.tool("boom", "Fails.", {"type": "object"})(boom)
    result = await ToolRegistry([tools]).call("boom", {})
    assert (result.text, result.is_error) == ("OSError: disk on fire", True)


@pytest.mark.anyio
async def test_a_key_in_what_a_tool_answers_is_masked_before_the_model_reads_it() -> None:
    tools, key = LocalTools(), "sk-proj-TOOLLEAK0123456789abcdefWXYZ"

    async def read_env() -> str:
        return f"OPENAI_API_KEY={key}\nDEBUG=1"

    async def fail() -> str:
        raise ValueError(f"bad key {key}")

    tools.tool("read_env", "Reads .env.", {"type": "object"})(read_env)
    tools.tool("fail", "Fails.", {"type": "object"})(fail)
    registry = ToolRegistry([tools])
    read, failed = await registry.call("read_env", {}), await registry.call("fail", {})
    assert read.text == "OPENAI_API_KEY=sk-…WXYZ\nDEBUG=1" and not read.is_error
    assert failed.text == "ValueError: bad key sk-…WXYZ" and failed.is_error


@pytest.mark.anyio
async def test_mcp_server_tools_are_prefixed_listed_and_called() -> None:
    server = McpServerSpec("files", sys.executable, (MCP_SERVER,))
    async with ToolRegistry([local_tools(), McpToolSource(server)], ToolFilter(exclude=("shell_*",))) as registry:
        names = [t.name for t in await registry.tools()]
        assert names == ["echo", "files__shout", "files__echo", "files__broken", "files__picture"]
        picture = await registry.call("files__picture", {})  # named, not an empty success
        assert picture.text == "[image/png, 8 bytes omitted: the bridge passes tools' text only]"
        assert (await registry.call("files__shout", {"text": "hi"})).text == "HI"
        assert (await registry.call("files__echo", {"text": "hi"})).text == "mcp echo: hi"
        assert (await registry.call("echo", {"text": "hi"})).text == "hi"
        failed = await registry.call("files__broken", {"reason": "no disk"})
        assert failed.is_error and "no disk" in failed.text


@pytest.mark.anyio
async def test_an_mcp_server_that_does_not_start_offers_nothing(caplog: pytest.LogCaptureFixture) -> None:
    server = McpServerSpec("ghost", "/nonexistent/mcp-server")
    with caplog.at_level(logging.ERROR, logger="openllm.tools.mcp"):
        async with ToolRegistry([local_tools(), McpToolSource(server)]) as registry:
            assert [t.name for t in await registry.tools()] == ["echo", "shell_run"]
    assert "MCP server ghost did not start" in caplog.text


@pytest.mark.anyio
async def test_an_mcp_server_that_never_answers_initialize_does_not_hold_up_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    silent = McpToolSource(McpServerSpec("silent", sys.executable, (MCP_SERVER, "--silent")), start_timeout=0.5)
    with caplog.at_level(logging.ERROR, logger="openllm.tools.mcp"), anyio.fail_after(20):
        async with ToolRegistry([local_tools(), silent]) as registry:
            assert [t.name for t in await registry.tools()] == ["echo", "shell_run"]
    assert "MCP server silent did not start: MCPError: Request 'initialize' timed out" in caplog.text


@pytest.mark.anyio
async def test_mcp_servers_start_side_by_side_not_one_after_another(tmp_path: Path) -> None:
    """Each of the two waits for the other to be running before it answers initialize: one after
    the other, the first would time out waiting and the second would never find the first."""
    fifo = tmp_path / "meet"
    os.mkfifo(fifo)
    sources = [McpToolSource(McpServerSpec(name, sys.executable, (MCP_SERVER, "--rendezvous", str(fifo), mode)),
                             start_timeout=5) for name, mode in (("left", "w"), ("right", "r"))]  # fmt: skip
    with anyio.fail_after(30):
        async with ToolRegistry(sources) as registry:
            names = {t.name for t in await registry.tools()}
    assert {"left__shout", "right__shout"} <= names


class RefusingSource:
    """A source whose refusal quotes what the tool was given, and a tool whose result is huge."""

    name = "refusing"

    async def list_tools(self) -> list[Tool]:
        return [Tool(n, "", {"type": "object"}, self.name, n) for n in ("refuse", "flood")]

    async def call_tool(self, tool: Tool, arguments: dict[str, Any]) -> ToolResult:
        if tool.name == "refuse":
            raise ToolError(f"the editor host refused refuse: 401 for key {KEY}")
        return ToolResult("x" * 250_000)


@pytest.mark.anyio
async def test_a_source_s_refusal_is_masked_and_a_huge_result_is_cut() -> None:
    registry = ToolRegistry([RefusingSource()])
    with pytest.raises(ToolError) as refused:
        await registry.call("refuse", {})
    assert KEY not in refused.value.message and "401 for key sk-…" in refused.value.message
    flood = await registry.call("flood", {})
    assert flood.text == "x" * MAX_RESULT_CHARS + (
        f"\n[cut: the tool returned 250,000 characters, the first {MAX_RESULT_CHARS:,} are above]"
    )


@pytest.mark.anyio
async def test_an_mcp_server_that_stops_answering_is_skipped_not_waited_for(caplog: pytest.LogCaptureFixture) -> None:
    wedged = McpToolSource(McpServerSpec("wedged", sys.executable, (MCP_SERVER, "--wedged")))
    with caplog.at_level(logging.WARNING, logger="openllm.tools"), anyio.fail_after(20):
        async with ToolRegistry([local_tools(), wedged], list_timeout=0.5) as registry:
            assert [t.name for t in await registry.tools()] == ["echo", "shell_run"]
            assert (await registry.call("echo", {"text": "still"})).text == "still"
    assert "tool source mcp:wedged skipped: it did not list its tools within 0.5 s" in caplog.text


def test_settings_layers_merge_key_by_key_and_servers_by_name() -> None:
    settings = ToolSettings.layered(
        ("host settings", {"exclude": ["a*"], "enabled": False}),
        ("user", {"enabled": True, "mcp_servers": [{"name": "files", "command": "one"}]}),
        ("workspace", {"mcp_servers": [{"name": "files", "command": "two", "args": ["-v"]}]}),
        ("empty", None),
    )
    assert settings.filter == ToolFilter(enabled=True, exclude=("a*",))
    assert settings.mcp_servers == (McpServerSpec("files", "two", ("-v",)),)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"enabled": "yes"}, "ws.yaml: tools.enabled must be true or false, not 'yes'"),
        ({"include": "*"}, "ws.yaml: tools.include must be a list of names or patterns"),
        ({"colour": "red"}, "ws.yaml: unknown key tools.colour"),
        ({"mcp_servers": [{"command": "x"}]}, r"ws.yaml: tools.mcp_servers\[0\] needs a name"),
        ({"mcp_servers": [{"name": "a__b", "command": "x"}]}, "must be letters, digits, _ or - \\(no __\\)"),
        ({"mcp_servers": [{"name": "a"}]}, r"tools.mcp_servers\[0\] needs a command"),
        ({"mcp_servers": [{"name": "a", "command": "x", "env": {"N": 1}}]}, "env must map names to strings"),
    ],
)
def test_bad_settings_name_the_file_and_key(section: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidConfigError, match=message):
        ToolSettings.layered(("ws.yaml", section))


@pytest.mark.anyio
async def test_the_mcp_server_proxies_the_registry_under_the_same_rule() -> None:
    from bridge.mcp.proxy import ExternalTool, listed, registry_source

    tools = await registry_source(ToolRegistry([local_tools()], ToolFilter(exclude=("shell_*",))))()
    assert [t.name for t in tools] == ["echo"]
    assert (await tools[0].call({"text": "hi"})).text == "hi"
    names = [("openllm_status", False), ("format_code", True), ("read_file", False)]
    assert [listed(ExternalTool(n, "", {}, tools[0].call, internal=i)) for n, i in names] == [False, False, True]


@pytest.mark.anyio
async def test_names_are_made_ones_every_provider_takes_and_calls_still_reach_the_tool() -> None:
    """OpenAI and Anthropic take ^[a-zA-Z0-9_-]{1,64}$; an MCP server may name a tool 'fs/read file'."""
    local = LocalTools()

    async def read(text: str) -> str:
        return f"read {text}"

    long_name = "search_repositories_by_topic_language_and_star_count_v2_" * 2
    local.tool("fs/read file", "Reads.", {"type": "object"})(read)
    local.tool(long_name, "Searches.", {"type": "object"})(read)
    local.tool(long_name + "x", "Searches more.", {"type": "object"})(read)
    registry = ToolRegistry([local])
    names = [t.name for t in await registry.tools()]
    assert names[0] == "fs_read_file" and all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", n) for n in names)
    assert len(set(names)) == 3  # the two long ones stay apart
    validate("ToolsListResult", {"tools": await registry.specs()})
    assert (await registry.call("fs_read_file", {"text": "a"})).text == "read a"
    assert (await registry.call(names[2], {"text": "b"})).text == "read b"
