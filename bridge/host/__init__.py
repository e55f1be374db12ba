"""The editor host (DESIGN.md, surface 3): the bridge's JSON-RPC client of it, and the secret
store, config provider and tool source built on that client."""

from __future__ import annotations

from bridge.host.client import Backoff, HostClient
from bridge.host.stores import HostConfigProvider, HostSecretStore, HostToolSource, provider_of_key, secret_key

__all__ = [
    "Backoff",
    "HostClient",
    "HostConfigProvider",
    "HostSecretStore",
    "HostToolSource",
    "provider_of_key",
    "secret_key",
]
