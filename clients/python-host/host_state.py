"""What the reference editor host serves: secrets, provider settings, host settings, workspace, tools.

Held in memory, or in ``<folder>/host-state.json`` when the host is started with ``--folder``
(read at start, rewritten after every change), in this shape::

    {"secrets": {"openllm.openai.apiKey": "sk-..."},
     "config": {"user": {"openai": {"name": "openai", ...}}, "workspace": {...}},
     "settings": {"secrets": {"primaryStore": "host"}, "config": {...}, "tools": {...}},
     "workspace": {"folders": ["/src/app"]}}

The methods below are jsonrpcserver methods: keyword arguments are the request params (the
token has already been checked and removed), the first argument is the connection, whose
``broadcast`` sends a notification to every connected bridge. A change of a secret or a
setting is announced with ``notifications/secretChanged`` / ``notifications/configChanged``,
as VS Code's ``onDidChange`` events would.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from jsonrpcserver import Error, InvalidParams, Result, Success

NAME, VERSION = "openllm-python-host", "0.1.0"
SCOPES = ("user", "workspace")


class Connection(Protocol):
    async def broadcast(self, method: str, params: dict[str, Any]) -> int: ...


def _schema(**properties: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {"type": kind} for name, kind in properties.items()},
        "required": list(properties),
    }


# The demo tools, the same in the Node host: three for a model, one that fails, one that takes
# its time (for timeouts and a host killed mid-call), and two internal ones a model never sees.
TOOLS: list[dict[str, Any]] = [
    {"name": "echo", "description": "Repeat the text given.", "inputSchema": _schema(text="string")},
    {"name": "add", "description": "Add two numbers.", "inputSchema": _schema(a="number", b="number")},
    {"name": "workspace_root", "description": "The open workspace folder.", "inputSchema": _schema()},
    {"name": "fail", "description": "Always fails with the message given.", "inputSchema": _schema(message="string")},
    {"name": "sleep", "description": "Wait some seconds, then answer.", "inputSchema": _schema(seconds="number")},
    {"name": "openllm_status", "description": "Bridge status panel (internal).", "inputSchema": _schema()},
    {"name": "reload_window", "description": "Reload the editor.", "inputSchema": _schema(), "_internal": True},
]


class ToolFailed(Exception):
    """A tool ran and failed: answered as an ``isError`` result, as MCP does."""


class HostState:
    def __init__(self, folder: Path | None) -> None:
        self.file = folder / "host-state.json" if folder else None
        data: dict[str, Any] = {}
        if self.file is not None and self.file.exists():
            data = json.loads(self.file.read_text(encoding="utf-8"))
        self.secrets: dict[str, str] = dict(data.get("secrets", {}))
        self.config: dict[str, dict[str, Any]] = {s: dict(data.get("config", {}).get(s, {})) for s in SCOPES}
        self.settings: dict[str, Any] = dict(data.get("settings", {}))
        folders = data.get("workspace", {}).get("folders")
        self.folders: list[str] = list(folders) if folders is not None else ([str(folder)] if folder else [])

    def save(self) -> None:
        if self.file is None:
            return
        data = {
            "secrets": self.secrets,
            "config": self.config,
            "settings": self.settings,
            "workspace": {"folders": self.folders},
        }
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(self.file)

    # -- tools ----------------------------------------------------------------------------

    async def run_tool(self, name: str, arguments: dict[str, Any]) -> str:
        if name == "echo":
            return str(arguments.get("text", ""))
        if name == "add":
            return _number(float(arguments["a"]) + float(arguments["b"]))
        if name == "workspace_root":
            return self.folders[0] if self.folders else "(no folder open)"
        if name == "fail":
            raise ToolFailed(str(arguments.get("message", "the tool failed")))
        if name == "sleep":
            await asyncio.sleep(float(arguments.get("seconds", 1)))
            return f"slept {arguments.get('seconds', 1)}s"
        if name == "openllm_status":
            return "ok"
        return "reloaded"

    # -- the JSON-RPC methods ---------------------------------------------------------------

    def methods(self) -> dict[str, Callable[..., Awaitable[Result]]]:
        return {
            "lifecycle/ping": self.ping,
            "lifecycle/capabilities": self.capabilities,
            "secrets/get": self.secret_get,
            "secrets/store": self.secret_store,
            "secrets/delete": self.secret_delete,
            "config/get": self.config_get,
            "config/set": self.config_set,
            "config/getSettings": self.get_settings,
            "workspace/getRoot": self.get_root,
            "workspace/getPaths": self.get_paths,
            "tools/list": self.tools_list,
            "tools/call": self.tools_call,
        }

    async def ping(self, conn: Connection) -> Result:
        return Success({"pong": True})

    async def capabilities(self, conn: Connection) -> Result:
        return Success({"name": NAME, "version": VERSION, "methods": sorted(self.methods())})

    async def secret_get(self, conn: Connection, *, key: str) -> Result:
        return Success({"value": self.secrets.get(key)})

    async def secret_store(self, conn: Connection, *, key: str, value: str) -> Result:
        if not value:
            return InvalidParams("value must not be empty")
        self.secrets[key] = value
        self.save()
        await conn.broadcast("notifications/secretChanged", {"key": key})
        return Success({"stored": True})

    async def secret_delete(self, conn: Connection, *, key: str) -> Result:
        deleted = self.secrets.pop(key, None) is not None
        if deleted:
            self.save()
            await conn.broadcast("notifications/secretChanged", {"key": key})
        return Success({"deleted": deleted})

    async def config_get(self, conn: Connection, *, provider: str, scope: str, workspacePath: str = "") -> Result:
        if scope not in SCOPES:
            return InvalidParams(f"scope must be user or workspace, not {scope!r}")
        providers = self.config[scope]
        chosen = list(providers.values()) if provider == "*" else [providers[provider]] if provider in providers else []
        return Success({"providers": chosen})

    async def config_set(
        self,
        conn: Connection,
        *,
        provider: str,
        scope: str,
        config: dict[str, Any] | None,
        workspacePath: str = "",
    ) -> Result:
        if scope not in SCOPES or provider == "*":
            return InvalidParams("config/set takes one provider and scope user or workspace")
        if config is None:
            self.config[scope].pop(provider, None)
        else:
            self.config[scope][provider] = {**config, "name": provider}
        self.save()
        await conn.broadcast("notifications/configChanged", {"scope": scope, "provider": provider})
        return Success({"ok": True})

    async def get_settings(self, conn: Connection) -> Result:
        return Success(self.settings)

    async def get_root(self, conn: Connection) -> Result:
        return Success({"root": self.folders[0] if self.folders else None})

    async def get_paths(self, conn: Connection) -> Result:
        return Success({"folders": self.folders})

    async def tools_list(self, conn: Connection, *, includeInternal: bool = False) -> Result:
        return Success({"tools": [t for t in TOOLS if includeInternal or not _internal(t)]})

    async def tools_call(self, conn: Connection, *, name: str, arguments: dict[str, Any]) -> Result:
        if not any(t["name"] == name for t in TOOLS):
            return Error(-32602, f"unknown tool {name!r}")
        try:
            text = await self.run_tool(name, arguments)
        except (ToolFailed, KeyError, ValueError, TypeError) as exc:
            message = str(exc) if isinstance(exc, ToolFailed) else f"bad arguments for {name}: {exc!r}"
            return Success({"content": [{"type": "text", "text": message}], "isError": True})
        return Success({"content": [{"type": "text", "text": text}]})


def _internal(tool: dict[str, Any]) -> bool:
    return bool(tool.get("_internal")) or str(tool["name"]).startswith("openllm_")


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
