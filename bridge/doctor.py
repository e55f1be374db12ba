"""``doctor``: for every provider, whether it is configured, where its key would come from and
what is wrong; and for every store, whether it can be used. One function for every surface."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import anyio

from bridge.errors import BridgeError
from bridge.http.request import on_this_machine
from bridge.providers import ProviderSpec
from bridge.settings_api import SettingsAPI
from protocol import ProviderConfig


@dataclass
class StoreCheck:
    name: str
    state: str  # on, off, unavailable, not connected
    detail: str = ""


@dataclass
class ProviderCheck:
    provider: str
    display_name: str
    configured: str | None  # where its config comes from
    key: str  # where its key would come from, "not needed" or "none"
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    in_use: bool = True  # configured, or has a key (or needs none)

    @property
    def status(self) -> str:
        return "problem" if self.problems else "ok" if self.in_use else "not set up"


@dataclass
class Report:
    stores: list[StoreCheck]
    providers: list[ProviderCheck]
    config_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.config_error is None and not any(p.problems for p in self.providers)


async def diagnose(api: SettingsAPI) -> Report:
    configs: dict[str, ProviderConfig] = {}
    config_error = None
    try:
        configs = {c["name"]: c for c in await api.config.get_providers()}
    except BridgeError as exc:
        config_error = exc.message
    try:
        stores = await _stores(api)
    except BridgeError as exc:  # the settings cannot be read: nothing else can be judged
        return Report([], [], config_error or exc.message)
    checks = [await _check(api, spec, configs.get(spec.id)) for spec in api.secrets.registry]
    for name in configs.keys() - {spec.id for spec in api.secrets.registry}:
        checks.append(
            ProviderCheck(name, name, configs[name].get("source_detail"), "none", ["not a provider the bridge knows"])
        )
    return Report(stores, checks, config_error)


async def _check(api: SettingsAPI, spec: ProviderSpec, config: ProviderConfig | None) -> ProviderCheck:
    check = ProviderCheck(spec.id, spec.display_name, config.get("source_detail") if config else None, "not needed")
    in_use = config is not None
    if config is not None and config.get("enabled") is False:
        check.notes.append("disabled")
    trust = api.config.trust
    ignored = [name.split(".", 1)[1] for name in trust.ignored if name.startswith(f"{spec.id}.")] if trust else []
    if trust is not None and ignored:
        check.notes.append(f"the workspace's {' and '.join(ignored)} left out: {trust.hint()}")
    named = config.get("api_key_env") if config else None
    if named and api.secrets.env is not None and await api.secrets.env.lookup((named,)) is None:
        check.problems.append(f"api_key_env names {named}, which is not set in the environment")
    in_use = in_use or not spec.needs_key
    if spec.needs_key:
        location = await api.secrets.locate(spec.id)
        in_use = in_use or location["found"]
        if location["found"]:
            check.key = f"{location['detail']} ({location['masked']})"
            if location["also_in"]:
                check.notes.append("also a key in " + ", ".join(location["also_in"]) + " (not used)")
        else:
            check.key = "none"
            fix = f"set {' or '.join(spec.env_vars)}, or run `openllm-bridge secrets set {spec.id}`"
            (check.problems if in_use else check.notes).append(f"no key: {fix}")
    if spec.uses_http and spec.default_api_base is None and not (config and config.get("api_base")):
        message = f"no api_base: run `openllm-bridge config set-provider {spec.id} --api-base URL`"
        (check.problems if in_use else check.notes).append(message)
    base = (config.get("api_base") if config else None) or spec.default_api_base
    if spec.uses_http and base and await _nothing_listens(base):
        check.notes.append(f"nothing listens at {base}: start the {spec.id} server to use it")
    check.in_use = in_use
    return check


async def _nothing_listens(base: str) -> bool:
    """Whether ``base`` is on this machine and nothing accepts a connection there (a local server
    such as Ollama that is not running). Nothing else is contacted: doctor stays offline."""
    if not on_this_machine(base):
        return False
    url = urlsplit(base)
    try:
        port = url.port or (443 if url.scheme == "https" else 80)
        with anyio.fail_after(1):
            stream = await anyio.connect_tcp(url.hostname or "localhost", port)
    except (OSError, ValueError, TimeoutError):
        return True
    await stream.aclose()
    return False


async def _stores(api: SettingsAPI) -> list[StoreCheck]:
    settings = await api.secrets.settings()
    secrets = api.secrets
    stores = [
        StoreCheck("env", "on")
        if settings.check_environment
        else StoreCheck("env", "off", "turn on with the setting secrets.checkEnvironment")
    ]
    if secrets.dotenv is not None:
        if not settings.check_dotenv:
            stores.append(StoreCheck("dotenv", "off", "turn on with the setting secrets.checkDotEnv"))
        else:
            state = await secrets.dotenv.availability()
            detail = state.reason or ", ".join(str(f) for f in await secrets.dotenv.present())
            trust = api.config.trust
            if trust is not None and (left_out := trust.ignored_in("dotenv")):
                detail += f"; {', '.join(left_out)} left out: {trust.hint()}"
            stores.append(StoreCheck("dotenv", "on" if state.available else "unavailable", detail))
    for name, store in (("host", secrets.host), ("keychain", secrets.keychain)):
        if store is None:
            stores.append(StoreCheck(name, "not connected" if name == "host" else "off"))
            continue
        state = await store.availability()
        label = getattr(store, "backend_label", None) or ""
        stores.append(StoreCheck(name, "on" if state.available else "unavailable", state.reason or label))
    return stores
