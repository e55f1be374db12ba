"""The curated public surfaces (protocol, bridge.http): __all__ is sorted and names everything public."""

from __future__ import annotations

import types

import pytest

import bridge.http
import protocol


@pytest.mark.parametrize("module", [protocol, bridge.http], ids=lambda m: m.__name__)
def test_all_is_sorted_and_complete(module: types.ModuleType) -> None:
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and name != "annotations" and not isinstance(value, types.ModuleType)
    }
    assert module.__all__ == sorted(module.__all__)
    assert set(module.__all__) == public
