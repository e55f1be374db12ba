"""The seed's settings that steer both resolvers, and where they come from.

The editor extension in the seed has five settings: ``openLLM.secrets.primaryStore``
(``vscode``|``keychain``), ``openLLM.secrets.checkEnvironment``, ``openLLM.secrets.checkDotEnv``,
``openLLM.config.source`` (``vscode``|``native``) and ``openLLM.config.nativeLevel``
(``user``|``workspace``|``both``). The editor host hands them over (``config/getSettings``);
without a host they come from a ``settings:`` block of the user's config.yaml. Either way they go
through :meth:`Settings.from_mapping`, which takes the seed's names flat (as an editor's
configuration API gives them) or nested, with or without the ``openLLM.`` prefix, and reads the
seed's ``vscode`` as ``host``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from bridge.errors import InvalidConfigError
from protocol import ResolverSettings

if TYPE_CHECKING:
    from bridge.config.files import FileConfigProvider

PrimaryStore = Literal["host", "keychain"]
ConfigSource = Literal["native", "host"]
NativeLevel = Literal["user", "workspace", "both"]

_PREFIX = "openLLM."
_HOST_ALIASES = {"vscode": "host", "host": "host"}
# seed name -> (attribute, allowed values or None for a boolean)
_FIELDS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "secrets.primaryStore": ("primary_store", ("host", "keychain")),
    "secrets.checkEnvironment": ("check_environment", None),
    "secrets.checkDotEnv": ("check_dotenv", None),
    "config.source": ("config_source", ("native", "host")),
    "config.nativeLevel": ("native_level", ("user", "workspace", "both")),
}


@dataclass(frozen=True)
class Settings:
    """Defaults: keys from the host before the keychain, env checked, .env files not; config from
    the native YAML files at both levels (the host's settings below them)."""

    primary_store: PrimaryStore = "host"
    check_environment: bool = True
    check_dotenv: bool = False
    config_source: ConfigSource = "native"
    native_level: NativeLevel = "both"

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], origin: str) -> Settings:
        """Settings from the seed's names; unknown names are ignored (an editor sends all of its
        ``openLLM.*`` settings), a bad value is an error naming ``origin`` and the setting."""
        chosen: dict[str, Any] = {}
        for name, value in _flatten(values).items():
            field = _FIELDS.get(name.removeprefix(_PREFIX))
            if field is None or value is None:
                continue
            attribute, allowed = field
            if allowed is None:
                if not isinstance(value, bool):
                    raise InvalidConfigError(f"{origin}: setting {name!r} must be true or false, not {value!r}")
                chosen[attribute] = value
                continue
            normal = _HOST_ALIASES.get(value, value) if isinstance(value, str) else value
            if normal not in allowed:
                choices = ", ".join(a if a != "host" else "vscode (or host)" for a in allowed)
                raise InvalidConfigError(f"{origin}: setting {name!r} must be one of {choices}, not {value!r}")
            chosen[attribute] = normal
        return cls(**chosen)

    def to_wire(self) -> ResolverSettings:
        return {
            "primary_store": self.primary_store,
            "check_environment": self.check_environment,
            "check_dotenv": self.check_dotenv,
            "config_source": self.config_source,
            "native_level": self.native_level,
        }


def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(cast(Mapping[str, Any], value), name + "."))
        else:
            flat[name] = value
    return flat


class SettingsSource(Protocol):
    """Where the resolvers get the settings (the host's ``config/getSettings``, a file, a constant)."""

    async def get_settings(self) -> Settings: ...


class StaticSettings:
    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings or Settings()

    async def get_settings(self) -> Settings:
        return self._settings


class FileSettings:
    """The ``settings:`` block of a config.yaml (the user's: a repository must not be able to
    change where the user's keys are looked up)."""

    def __init__(self, file: FileConfigProvider) -> None:
        self._file = file
        self._parsed: tuple[dict[str, Any], Settings] | None = None  # the block as read, and its Settings

    async def get_settings(self) -> Settings:
        block = await self._file.read_settings()
        if self._parsed is None or self._parsed[0] is not block:  # the file answers the same block until it changes
            self._parsed = (block, Settings.from_mapping(block, f"{self._file.path} (settings)"))
        return self._parsed[1]
