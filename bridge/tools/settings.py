"""Which tools a model may see, and which MCP servers to ask for more.

The ``tools`` section of ``config.yaml`` (user, then workspace) and of the editor host's
settings (``config/getSettings``), all optional::

    tools:
      enabled: true              # false: no tools at all
      include: ["*"]             # glob patterns over the names a model sees
      exclude: ["shell_*"]
      disabled: [delete_file]    # exact names turned off
      mcp_servers:               # further tool sources, started over stdio
        - name: files            # its tools are offered as files__<tool>
          command: npx
          args: ["-y", "@modelcontextprotocol/server-filesystem", "/src"]
          env: {DEBUG: "0"}

Layers are merged key by key in the seed's order, host < user < workspace (native over host,
workspace over user); MCP servers are merged by name.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge.errors import InvalidConfigError

_FILTER_KEYS = ("enabled", "include", "exclude", "disabled")


@dataclass(frozen=True)
class ToolFilter:
    enabled: bool = True
    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()

    def allows(self, name: str) -> bool:
        return (
            self.enabled
            and name not in self.disabled
            and any(fnmatch.fnmatchcase(name, p) for p in self.include)
            and not any(fnmatch.fnmatchcase(name, p) for p in self.exclude)
        )


@dataclass(frozen=True)
class McpServerSpec:
    """An MCP server started as a subprocess speaking MCP on stdio."""

    name: str
    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None


@dataclass(frozen=True)
class ToolSettings:
    filter: ToolFilter = field(default_factory=ToolFilter)
    mcp_servers: tuple[McpServerSpec, ...] = ()

    @classmethod
    def layered(cls, *layers: tuple[str, Mapping[str, Any] | None]) -> ToolSettings:
        """Merge ``(where, tools_section)`` layers, lowest priority first; ``where`` names the
        layer in errors (``~/.openllm/config.yaml``, ``host settings``)."""
        merged: dict[str, Any] = {}
        servers: dict[str, McpServerSpec] = {}
        for where, section in layers:
            if section is None:
                continue
            if not isinstance(section, Mapping):
                raise InvalidConfigError(f"{where}: tools must be a mapping, not {type(section).__name__}")
            for key, value in section.items():
                if key in _FILTER_KEYS:
                    merged[key] = _checked(where, key, value)
                elif key == "mcp_servers":
                    servers.update((s.name, s) for s in _servers(where, value))
                else:
                    raise InvalidConfigError(f"{where}: unknown key tools.{key}")
        return cls(ToolFilter(**merged), tuple(servers.values()))


def _checked(where: str, key: str, value: Any) -> Any:
    if key == "enabled":
        if not isinstance(value, bool):
            raise InvalidConfigError(f"{where}: tools.enabled must be true or false, not {value!r}")
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidConfigError(f"{where}: tools.{key} must be a list of names or patterns, not {value!r}")
    return tuple(value)


def _servers(where: str, value: Any) -> list[McpServerSpec]:
    if not isinstance(value, list):
        raise InvalidConfigError(f"{where}: tools.mcp_servers must be a list, not {value!r}")
    specs = []
    for i, item in enumerate(value):
        at = f"{where}: tools.mcp_servers[{i}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str) or not item["name"]:
            raise InvalidConfigError(f"{at} needs a name")
        if not item["name"].replace("-", "_").isidentifier() or "__" in item["name"]:
            raise InvalidConfigError(f"{at}: name {item['name']!r} must be letters, digits, _ or - (no __)")
        if not isinstance(item.get("command"), str) or not item["command"]:
            raise InvalidConfigError(f"{at} needs a command")
        args, env = item.get("args", []), item.get("env", {})
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise InvalidConfigError(f"{at}: args must be a list of strings")
        if not isinstance(env, Mapping) or not all(isinstance(v, str) for v in env.values()):
            raise InvalidConfigError(f"{at}: env must map names to strings")
        specs.append(McpServerSpec(item["name"], item["command"], tuple(args), dict(env), item.get("cwd")))
    return specs
