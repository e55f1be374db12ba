"""Response headers: a read-only mapping with case-insensitive names that keeps repeated headers.

``headers["x"]`` joins repeated values with ", " (what RFC 9110 allows for list-valued fields, and
what httpx returns); :meth:`Headers.get_list` gives them one by one, and :meth:`Headers.raw` the
pairs in the order they came, names as the server spelled them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping


class Headers(Mapping[str, str]):
    __slots__ = ("_joined", "_raw")

    def __init__(self, raw: list[tuple[str, str]] | None = None) -> None:
        self._raw = raw or []
        joined: dict[str, str] = {}
        for name, value in self._raw:
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
        self._joined = joined

    def __getitem__(self, name: str) -> str:
        return self._joined[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._joined

    def __iter__(self) -> Iterator[str]:
        return iter(self._joined)

    def __len__(self) -> int:
        return len(self._joined)

    def get_list(self, name: str) -> list[str]:
        key = name.lower()
        return [value for n, value in self._raw if n.lower() == key]

    def raw(self) -> list[tuple[str, str]]:
        return list(self._raw)

    def __repr__(self) -> str:  # names only: values may be cookies or tokens
        return f"Headers({sorted(self._joined)})"
