"""Provider configuration: YAML files, memory, the merge, and the unified resolver."""

from __future__ import annotations

from bridge.config.files import FileConfigProvider
from bridge.config.memory import MemoryConfigProvider
from bridge.config.merge import Layer, merge
from bridge.config.resolver import UnifiedConfigResolver
from bridge.config.settings import FileSettings, Settings, SettingsSource, StaticSettings

__all__ = [
    "FileConfigProvider",
    "FileSettings",
    "Layer",
    "MemoryConfigProvider",
    "Settings",
    "SettingsSource",
    "StaticSettings",
    "UnifiedConfigResolver",
    "merge",
]
