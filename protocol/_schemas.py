"""Load the JSON Schema files and validate messages against them.

``validate("StreamChunk", obj)`` checks ``obj`` against ``$defs/StreamChunk`` of whichever schema
file defines it; a failure raises :class:`SchemaError` whose message names the JSON path of the
offending field. ``methods()`` is the method table gathered from every file's ``x-methods``, one table per
surface: a file with ``"x-surface": "host"`` declares what the editor host serves (the bridge is the client
there), every other file what the bridge serves. The surfaces share names (``secrets/store``, ``tools/list``)
with different shapes, so each has its own table. Within a surface a method goes ``to_server`` (the default:
the client asks, the server serves) or, marked ``"direction": "to_client"``, the other way: the server's
notifications (``chat/chunk``) and the requests it sends its client (``tools/approve``), which the client serves.
Two validators, each doing what it is best at: jsonschema-rs (compiled) answers whether a message
is valid, in about a microsecond where jsonschema takes a few hundred (every request's params are
checked, so this is on the time to a chat's first chunk); only when the answer is no does
jsonschema, the reference implementation, find the error to report, with its JSON path. Both are
imported on first use so that paths which never validate do not pay for them.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

# In a checkout protocol/schemas is a symlink to the top-level schemas/; installed, a copy.
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
BASE_URI = "https://openllm-bridge.dev/schemas/"


class SchemaError(ValueError):
    """A message does not match its schema. ``path`` is a JSON pointer to the bad field."""

    def __init__(self, type_name: str, path: str, reason: str) -> None:
        self.type_name = type_name
        self.path = path
        self.reason = reason
        super().__init__(f"{type_name} at {path or '/'}: {reason}")


@dataclass(frozen=True)
class MethodSpec:
    name: str
    kind: Literal["request", "notification"]
    params: str
    result: str | None
    schema_file: str
    surface: Literal["bridge", "host"] = "bridge"
    direction: Literal["to_server", "to_client"] = "to_server"


@functools.cache
def _documents() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(SCHEMA_DIR.glob("*.schema.json"))}


@functools.cache
def definitions() -> dict[str, str]:
    """Type name -> schema file that defines it. Names are unique across files."""
    owners: dict[str, str] = {}
    for file, doc in _documents().items():
        for name in doc.get("$defs", {}):
            if name in owners:
                raise RuntimeError(f"{name} is defined in both {owners[name]} and {file}")
            owners[name] = file
    return owners


@functools.cache
def methods(surface: Literal["bridge", "host"] = "bridge") -> dict[str, MethodSpec]:
    """The methods one side serves: ``"bridge"`` (the bridge API) or ``"host"`` (the editor host)."""
    table: dict[str, MethodSpec] = {}
    for file, doc in _documents().items():
        if doc.get("x-surface", "bridge") != surface:
            continue
        for name, spec in doc.get("x-methods", {}).items():
            if name in table:
                raise RuntimeError(f"method {name} is declared in both {table[name].schema_file} and {file}")
            direction = spec.get("direction", "to_server")
            if direction not in ("to_server", "to_client"):
                raise RuntimeError(f"method {name} in {file}: direction must be to_server or to_client")
            table[name] = MethodSpec(name, spec["kind"], spec["params"], spec.get("result"), file, surface, direction)
    return table


@functools.cache
def _registry() -> Any:
    import jsonschema_rs

    return jsonschema_rs.Registry([(BASE_URI + file, doc) for file, doc in _documents().items()])


@functools.cache
def _checker(type_name: str) -> Any:
    """The compiled yes/no validator of one type (jsonschema-rs)."""
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(_ref(type_name), registry=_registry())


@functools.cache
def _validator(type_name: str) -> Validator:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    resources = [(BASE_URI + file, Resource.from_contents(doc)) for file, doc in _documents().items()]
    registry: Registry[Any] = Registry().with_resources(resources)
    return Draft202012Validator(_ref(type_name), registry=registry)


def _ref(type_name: str) -> dict[str, str]:
    """A schema that is ``type_name``'s definition, by reference into its file."""
    file = definitions().get(type_name)
    if file is None:
        raise KeyError(f"no schema defines {type_name}")
    return {"$ref": f"{BASE_URI}{file}#/$defs/{type_name}"}


def _pointer(parts: Any) -> str:
    return "".join(f"/{p}" for p in parts)


def _branch_errors(error: Any) -> list[Any] | None:
    """For a failed ``oneOf`` over objects tagged by ``type``, the errors of the branch whose tag
    matches; ``None`` when no branch has that tag."""
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    for errors in branches.values():
        if not any(e.validator == "const" and list(e.relative_path) == ["type"] for e in errors):
            return errors
    return None


def validate(type_name: str, instance: Any) -> None:
    """Raise :class:`SchemaError` when ``instance`` is not a valid ``type_name``."""
    if _checker(type_name).is_valid(instance):
        return
    try:
        _explain(type_name, instance)
    except RecursionError:  # jsonschema walks a value nested near orjson's 1,024 levels by recursion
        raise SchemaError(type_name, "", "nested too deeply") from None


def _explain(type_name: str, instance: Any) -> None:
    """Raise the :class:`SchemaError` that says where and why ``instance`` is not valid."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator(type_name).iter_errors(instance))
    if error is None:
        return
    # In a oneOf, report the branch that was meant (the one whose "type" tag matches) so the path
    # names the real field; an unknown tag is reported at /type.
    while error.validator == "oneOf" and error.context:
        tagged = isinstance(error.instance, dict) and "type" in error.instance
        errors = _branch_errors(error) if tagged else list(error.context)
        if errors is None:
            where = _pointer([*error.absolute_path, "type"])
            raise SchemaError(type_name, where, f"unknown type {_short(str(error.instance['type']))}")
        deeper = best_match(errors)
        if deeper is None:
            break
        error = deeper
    raise SchemaError(type_name, _pointer(error.absolute_path), _reason(error))


# What a failed keyword says, from the schema alone: jsonschema's own messages quote the value
# that failed ("'sk-...' is not of type 'object'"), and the value may be a key sent in the wrong
# place. A property name or type tag the caller wrote is shown only when it is short enough to be
# a misspelt name (24 characters), never when it is long enough to be a key.
_REASONS = {
    "type": "must be of type {}",
    "enum": "must be one of {}",
    "const": "must be {}",
    "pattern": "must match the pattern {}",
    "format": "must be a valid {}",
    "minLength": "must be at least {} characters long",
    "maxLength": "must be at most {} characters long",
    "minimum": "must be at least {}",
    "maximum": "must be at most {}",
    "exclusiveMinimum": "must be more than {}",
    "exclusiveMaximum": "must be less than {}",
    "minItems": "must have at least {} items",
    "maxItems": "must have at most {} items",
    "minProperties": "must have at least {} properties",
    "maxProperties": "must have at most {} properties",
    "uniqueItems": "must not repeat an item",
    "multipleOf": "must be a multiple of {}",
}


def _reason(error: Any) -> str:
    keyword, expected = error.validator, error.validator_value
    if keyword == "required":
        missing = [name for name in expected if isinstance(error.instance, dict) and name not in error.instance]
        return ", ".join(f"{name!r} is a required property" for name in missing or expected)
    if keyword in ("additionalProperties", "unevaluatedProperties", "propertyNames") and isinstance(
        error.instance, dict
    ):
        allowed = error.schema.get("properties", {})
        unexpected = [_short(name) for name in error.instance if name not in allowed]
        return f"unexpected properties: {', '.join(unexpected)}" if unexpected else "a property is not allowed here"
    if keyword == "type":
        expected = " or ".join(expected) if isinstance(expected, list) else expected
    elif keyword in ("enum", "const"):
        expected = ", ".join(json.dumps(value) for value in (expected if keyword == "enum" else [expected]))
    template = _REASONS.get(keyword)
    return template.format(expected) if template else f"does not satisfy the schema's {keyword!r}"


def _short(name: str) -> str:
    """A name short enough to be a misspelt one; a key (Mistral's and Azure's are 32) is longer."""
    return repr(name) if len(name) <= 24 else f"(a name of {len(name)} characters)"


def is_valid(type_name: str, instance: Any) -> bool:
    return bool(_checker(type_name).is_valid(instance))
