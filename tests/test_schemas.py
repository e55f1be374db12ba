"""The schemas are the source of truth: generated types match them, every type has examples,
every example validates as it says, and a broken one is rejected with the path of its fault."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pytest

from protocol import SchemaError, _codegen, definitions, is_valid, methods, validate

EXAMPLES = Path(__file__).resolve().parent.parent / "schemas" / "examples"


def _examples() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for file in sorted(EXAMPLES.glob("*.examples.json")):
        for type_name, cases in json.loads(file.read_text()).items():
            assert type_name not in out, f"{type_name} has examples in two files"
            out[type_name] = cases
    return out


ALL = _examples()
VALID = [(t, i, m) for t, c in ALL.items() for i, m in enumerate(c["valid"])]
INVALID = [(t, i, case) for t, c in ALL.items() for i, case in enumerate(c["invalid"])]


def test_generated_types_match_schemas() -> None:
    assert _codegen.main(["--check"]) == 0, "protocol/_generated is stale: run python -m protocol._codegen"


def test_every_type_has_valid_and_invalid_examples() -> None:
    missing = [t for t in definitions() if not ALL.get(t, {}).get("valid") or not ALL.get(t, {}).get("invalid")]
    assert missing == [], f"types without examples: {missing}"
    unknown = sorted(set(ALL) - set(definitions()))
    assert unknown == [], f"examples for types no schema defines: {unknown}"


def test_every_example_file_matches_a_schema_file() -> None:
    schemas = {p.name.removesuffix(".schema.json") for p in EXAMPLES.parent.glob("*.schema.json")}
    examples = {p.name.removesuffix(".examples.json") for p in EXAMPLES.glob("*.examples.json")}
    assert examples <= schemas


@pytest.mark.parametrize(("type_name", "index", "message"), VALID, ids=[f"{t}-{i}" for t, i, _ in VALID])
def test_valid_example(type_name: str, index: int, message: Any) -> None:
    validate(type_name, message)
    assert is_valid(type_name, message)  # the compiled checker agrees with the reference validator


@pytest.mark.parametrize(("type_name", "index", "case"), INVALID, ids=[f"{t}-{i}" for t, i, _ in INVALID])
def test_invalid_example_is_rejected_at_its_path(type_name: str, index: int, case: dict[str, Any]) -> None:
    with pytest.raises(SchemaError) as info:
        validate(type_name, case["message"])
    assert info.value.path == case["path"], str(info.value)
    assert not is_valid(type_name, case["message"])
    assert type_name in str(info.value)


def test_a_deliberately_broken_example_is_rejected(tmp_path: Path) -> None:
    good = ALL["StreamChunk"]["valid"][3]
    broken = {**good, "output_tokens": "many"}
    with pytest.raises(SchemaError, match=r"StreamChunk at /output_tokens: must be of type integer$"):
        validate("StreamChunk", broken)


@pytest.mark.parametrize(("surface", "known"), [("bridge", "chat/stream"), ("host", "config/getSettings")])
def test_method_table_names_defined_types(surface: Literal["bridge", "host"], known: str) -> None:
    table = methods(surface)
    assert known in table
    for spec in table.values():
        assert spec.surface == surface
        assert spec.params in definitions(), spec
        assert spec.result is None or spec.result in definitions(), spec
        assert (spec.kind == "notification") == (spec.result is None), spec


def test_every_host_request_requires_the_token() -> None:
    requests = [spec for spec in methods("host").values() if spec.kind == "request"]
    assert len(requests) == 12
    for spec in requests:
        with pytest.raises(SchemaError, match="'auth' is a required property"):
            validate(spec.params, {})


def test_methods_going_to_the_client_are_marked_and_cannot_be_served_by_the_bridge() -> None:
    from bridge.rpc import MethodTable

    to_client = sorted(name for name, spec in methods().items() if spec.direction == "to_client")
    assert to_client == ["chat/chunk", "config/changed", "secrets/changed", "tools/approve"]
    assert methods()["tools/approve"].kind == "request"

    async def handler(ctx: Any, params: Any) -> Any:
        return {"approved": True}

    with pytest.raises(ValueError, match="the client serves it"):
        MethodTable().add("tools/approve", handler)


def test_a_value_nested_too_deeply_for_the_explainer_is_a_schema_error() -> None:
    """orjson reads up to 1,024 levels; jsonschema's explanation walks them by recursion."""
    content: Any = "x"
    for _ in range(1000):
        content = [content]
    with pytest.raises(SchemaError, match="nested too deeply"):
        validate(
            "ChatStreamParams",
            {"provider": "mock", "model": "echo", "messages": [{"role": "user", "content": content}]},
        )
