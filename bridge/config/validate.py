"""Check a config document and turn its entries into ProviderConfig dicts.

Errors name the file, the line and the field (starlette's ``Config`` names the key and the bad
value; ours names where to look, since the value may be a key that must not be repeated). A key
written into a config file is refused with a message that says where keys belong instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from bridge.errors import InvalidConfigError
from bridge.redact import looks_like_key
from protocol import ProviderConfig

# camelCase spellings the seed's files and the editor's settings use -> our field names
ALIASES = {"apiBase": "api_base", "apiKeyEnv": "api_key_env", "apiVersion": "api_version"}
COMPUTED = frozenset({"source", "source_detail"})  # set by the resolver, never stored
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# a field whose name ends so (after dropping "_" and "-", any case) holds a secret: azure_api_key,
# access-token, client_secret, and header names such as api-key and Authorization
_SECRET_NAME_ENDINGS = ("key", "token", "secret", "password", "passwd", "credential", "credentials", "authorization")
_STRING_FIELDS = ("api_version", "deployment")


@dataclass(frozen=True)
class Origin:
    """Where a document came from (a path, or "the request"), to say where a problem is."""

    name: str

    def at(self, node: Any, field: str | int | None = None) -> str:
        line = _line(node, field)
        return f"{self.name}, line {line}" if line is not None else self.name


def _line(node: Any, field: str | int | None) -> int | None:
    """1-based line of ``field`` in a ruamel round-trip node (None for plain dicts and lists)."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if field is None:
            return int(lc.line) + 1
        position = lc.item(field) if isinstance(field, int) else lc.key(field)
        return int(position[0]) + 1
    except (KeyError, IndexError, TypeError):
        return int(lc.line) + 1


def check_document(document: Any, origin: Origin) -> list[ProviderConfig]:
    """The providers of a whole config document (``None`` is an empty file)."""
    if document is None:
        return []
    if not isinstance(document, Mapping):
        raise InvalidConfigError(f"{origin.at(document)}: the file must be a mapping with a 'providers:' list")
    settings = document.get("settings")
    if settings is not None and not isinstance(settings, Mapping):
        raise InvalidConfigError(f"{origin.at(document, 'settings')}: 'settings' must be a mapping")
    entries = document.get("providers")
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise InvalidConfigError(f"{origin.at(document, 'providers')}: 'providers' must be a list")
    seen: set[str] = set()
    providers = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise InvalidConfigError(f"{origin.at(entries, index)}: providers[{index}] must be a mapping")
        config = check_entry(entry, origin)
        if config["name"] in seen:
            raise InvalidConfigError(f"{origin.at(entries, index)}: provider {config['name']!r} is listed twice")
        seen.add(config["name"])
        providers.append(config)
    return providers


def check_entry(entry: Mapping[str, Any], origin: Origin) -> ProviderConfig:
    """One provider entry, checked and normalized (aliases renamed, computed fields dropped)."""
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidConfigError(
            f"{origin.at(entry, 'name')}: field 'name' must be a provider id such as 'openai' (lowercase), not {name!r}"
        )
    config: dict[str, Any] = {}
    for key, value in entry.items():
        field = ALIASES.get(key, key)
        if field in COMPUTED:
            continue
        _refuse_literal_key(name, key, value, origin.at(entry, key))
        problem = _type_problem(field, value)
        if problem:
            raise InvalidConfigError(f"{origin.at(entry, key)}: provider {name!r}, field {key!r} {problem}")
        config[field] = _plain(value)
    return cast(ProviderConfig, config)


def _type_problem(field: str, value: Any) -> str | None:
    if field == "enabled" and not isinstance(value, bool):
        return f"must be true or false, not {_kind(value)}"
    if field == "api_base" and value is not None and not str(value).startswith(("http://", "https://")):
        return "must be an http:// or https:// URL"
    if field == "models" and (not isinstance(value, list) or not all(isinstance(m, str) for m in value)):
        return "must be a list of model names (strings)"
    if field == "api_key_env" and (not isinstance(value, str) or not _ENV_NAME.match(value)):
        return "must name an environment variable, such as OPENAI_API_KEY"
    if field == "api_key_env" and _random_looking(value):
        return (
            "looks like a key, not the name of a variable: write the name of the variable that holds the key "
            "(such as MISTRAL_API_KEY), and store keys with `openllm-bridge secrets set`"
        )
    if field in _STRING_FIELDS and not isinstance(value, str):
        return f"must be a string, not {_kind(value)}"
    return None


def _random_looking(name: str) -> bool:
    """20 characters or more with no word break, and three digits or more (or one, in mixed case): a
    Mistral key (32 letters and digits) or an Azure key (32 hex digits) pasted where a variable name
    goes. No variable is named like that."""
    digits = sum(c.isdigit() for c in name)
    mixed_case = any(c.islower() for c in name) and any(c.isupper() for c in name)
    return len(name) >= 20 and "_" not in name and (digits >= 3 or (digits >= 1 and mixed_case))


def _refuse_literal_key(provider: str, key: str, value: Any, where: str) -> None:
    if _holds_key(key, value):
        raise InvalidConfigError(
            f"{where}: provider {provider!r}, field {key!r} holds an API key, and keys do not belong in config "
            f"files. Store it with `openllm-bridge secrets set {provider}` (it is read from stdin or a hidden "
            f"prompt), or keep it in an environment variable and write `api_key_env: VARIABLE_NAME` instead"
        )


def _holds_key(name: Any, value: Any) -> bool:
    """Whether ``value``, under the field ``name``, is or holds a key: a string shaped like one, or
    any text under a name that says secret (at any depth: ``headers: {api-key: ...}``)."""
    if isinstance(value, str):
        return looks_like_key(value) or (bool(value.strip()) and _secret_named(name))
    if isinstance(value, Mapping):
        return any(_holds_key(k, v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_key(name, v) for v in value)
    return False


def _secret_named(name: Any) -> bool:
    return str(name).lower().replace("_", "").replace("-", "").endswith(_SECRET_NAME_ENDINGS)


def _plain(value: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (what the wire and the engine use)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(v) for v in value]
    return value


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"a {type(value).__name__} ({value!r})"
