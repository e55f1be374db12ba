"""The one JSON serializer every surface uses for wire messages."""

from __future__ import annotations

import json
from typing import Any

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dumps(message: Any) -> str:
    """Compact JSON, UTF-8 text kept as is, no NaN or Infinity (not JSON)."""
    return _encoder.encode(message)


def loads(data: str | bytes) -> Any:
    return json.loads(data)
