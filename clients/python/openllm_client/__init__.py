"""Python async client for the Open LLM Bridge API (JSON-RPC on a Unix socket).

``connect(path)`` talks to a running bridge; ``spawn()`` starts ``openllm-bridge serve`` and
talks to it. Both are async context managers giving a :class:`BridgeClient`.
"""

from __future__ import annotations

from openllm_client._client import CHUNK_BUFFER, BridgeClient, ChatStream, connect
from openllm_client._spawn import spawn

__all__ = ["CHUNK_BUFFER", "BridgeClient", "ChatStream", "connect", "spawn"]
