"""How many bytes the bridge's ``tools/list`` answer costs an agent, per tool and in total.

Agents put every listed tool's name, description and input schema into the model's context on
every turn, so this is a cost paid per turn. Measured as the compact JSON the wire carries
(``tools/list`` result over the official client, 2025-11-25 handshake), next to what the same
tools would cost with the schemas pydantic generates (titles, ``null`` branches) left as they are.

    .venv/bin/python bench/mcp_tools_payload.py
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp import Client

from bridge.engine import Engine
from bridge.mcp import build_server
from bridge.mcp.server import BridgeServer


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


async def main() -> None:
    server = build_server(Engine())
    async with Client(server, mode="legacy") as client:
        listed = await client.list_tools()
    tools = [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in listed.tools]
    unleaned = [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in await _unleaned(server)]
    print("| tool | bytes | schema as pydantic emits it |")
    print("|---|---:|---:|")
    for tool, raw in zip(tools, unleaned, strict=True):
        print(f"| {tool['name']} | {_size(tool)} | {_size(raw)} |")
    total, raw_total = _size({"tools": tools}), _size({"tools": unleaned})
    print(f"| **tools/list result** | **{total}** (~{total // 4} tokens) | {raw_total} |")


async def _unleaned(server: BridgeServer) -> list[Any]:
    return await super(BridgeServer, server).list_tools()


if __name__ == "__main__":
    anyio.run(main)
