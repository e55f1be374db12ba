"""The bridge API server (DESIGN.md surface 1): JSON-RPC 2.0 on a Unix socket, over the engine."""

from __future__ import annotations

from bridge.server.api import BridgeApi
from bridge.server.session import Session
from bridge.server.unix import UnixServer, socket_path

__all__ = ["BridgeApi", "Session", "UnixServer", "socket_path"]
