"""What the long-running commands (``serve``, ``mcp``) share: the engine over the resolvers, with
the editor host and the configured tools plugged in, opened in one place so that a feature wired
here appears on every surface.

- The editor host, when the spawner names one (``--host-socket`` / ``OPENLLM_HOST_SOCKET``): its
  keys and settings feed the resolvers (:func:`bridge.host.session.host_session`) and its tools
  become a tool source.
- The ``tools:`` sections of the host's settings and of the user's and the workspace's
  config.yaml, merged in the seed's order (host < user < workspace): the filters apply to every
  tool listed, and each configured MCP server is started as a further tool source (its tools
  offered as ``<server>__<tool>``). The ``mcp`` SDK is imported only when one is configured.

The sections are read once, when the runtime opens.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.config import FileConfigProvider
from bridge.engine import Engine
from bridge.host import HostClient
from bridge.host.session import host_session
from bridge.settings_api import SettingsAPI
from bridge.tools import McpToolSource, ToolRegistry, ToolSettings, ToolSource

HOST_SETTINGS = "the editor host's settings (config/getSettings)"


@dataclass
class Runtime:
    engine: Engine
    settings: SettingsAPI
    host: HostClient | None
    tools: ToolRegistry | None  # None when no source of tools is configured


def add_host_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host-socket", metavar="PATH", help="the editor host's socket; default: $OPENLLM_HOST_SOCKET")
    parser.add_argument("--host-token", help="the editor host's token; default: $OPENLLM_HOST_TOKEN")
    parser.add_argument(
        "--host-framing", choices=("content-length", "ndjson"), help="default: $OPENLLM_HOST_FRAMING or content-length"
    )


def host_from_args(args: argparse.Namespace) -> HostClient | None:
    return HostClient.from_environment(socket_path=args.host_socket, token=args.host_token, framing=args.host_framing)


async def load_tool_settings(settings: SettingsAPI, host_section: Any = None) -> ToolSettings:
    """The ``tools:`` sections, host < user config.yaml < workspace config.yaml."""
    layers: list[tuple[str, Mapping[str, Any] | None]] = [(HOST_SETTINGS, host_section)]
    config = settings.config
    for file in (config.user, config.workspace):
        if isinstance(file, FileConfigProvider):
            section = await file.read_section("tools")
            if file is config.workspace and config.trust is not None:
                section = await config.trust.tools_section(section)  # its commands run only if trusted
            layers.append((str(file.path), section))
    return ToolSettings.layered(*layers)


@asynccontextmanager
async def open_runtime(host: HostClient | None, *, workspace: Path | None = None) -> AsyncIterator[Runtime]:
    """``workspace`` is the workspace when the host names none (the commands pass the cwd)."""
    async with AsyncExitStack() as stack:
        settings = SettingsAPI.from_environment(workspace=workspace)
        sources: list[ToolSource] = []
        host_tools = None
        if host is not None:
            session = await stack.enter_async_context(host_session(host, workspace=workspace))
            settings = session.api
            host_tools = ((await session.settings.raw()) or {}).get("tools")
            sources.append(session.tools)
        tool_settings = await load_tool_settings(settings, host_tools)
        sources += [McpToolSource(server) for server in tool_settings.mcp_servers]
        tools = None
        if sources:
            tools = await stack.enter_async_context(ToolRegistry(sources, tool_settings.filter))
        engine = await stack.enter_async_context(Engine(secrets=settings.secrets, config=settings.config))
        yield Runtime(engine, settings, host, tools)
