"""The merge of configuration layers: a pure function, apart from any file or RPC.

Layers come lowest priority first (the seed: the editor's settings, then the user's file, then the
workspace's). For each provider the fields of a higher layer replace those of a lower one, field
by field, so a workspace file can change only the models and keep the user's ``api_base``. Each
merged provider says where it came from: ``source`` is the highest layer that has it and
``source_detail`` lists every layer that contributed, highest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from bridge.config.validate import COMPUTED
from protocol import ProviderConfig

LayerSource = Literal["user", "workspace", "host", "memory", "default"]


@dataclass(frozen=True)
class Layer:
    source: LayerSource
    detail: str  # a path, or "host"
    providers: Sequence[ProviderConfig]


def merge(layers: Sequence[Layer]) -> list[ProviderConfig]:
    """Merged providers in the order they first appear, lowest layer first."""
    merged: dict[str, dict[str, Any]] = {}
    contributors: dict[str, list[Layer]] = {}
    for layer in layers:
        for config in layer.providers:
            name = config["name"]
            fields = {k: v for k, v in config.items() if k not in COMPUTED}
            merged.setdefault(name, {}).update(fields)
            contributors.setdefault(name, []).append(layer)
    result = []
    for name, fields in merged.items():
        top, *below = reversed(contributors[name])
        detail = top.detail + "".join(f" over {layer.detail}" for layer in below)
        result.append(cast(ProviderConfig, {**fields, "source": top.source, "source_detail": detail}))
    return result
