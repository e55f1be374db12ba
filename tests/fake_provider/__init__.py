"""The loopback fake provider server and the shared provider test vectors."""

from __future__ import annotations

from fake_provider.server import HANGUP, RESET, STALL, Connection, FakeServer, Recorded, Reply

__all__ = ["HANGUP", "RESET", "STALL", "Connection", "FakeServer", "Recorded", "Reply"]
