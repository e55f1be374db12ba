"""protocol's public surface is curated: __all__ is sorted and names everything public."""

from __future__ import annotations

import types

import protocol


def test_all_is_sorted_and_complete() -> None:
    public = {
        name
        for name, value in vars(protocol).items()
        if not name.startswith("_") and name != "annotations" and not isinstance(value, types.ModuleType)
    }
    assert protocol.__all__ == sorted(protocol.__all__)
    assert set(protocol.__all__) == public
