"""UnifiedSecretResolver: the seed's order and its settings, api_key_env, .env files, write
routing, delete, caching and masking. The host and keychain slots hold memory stores named after
them (the real keychain is in test_keychain.py; the real host store comes with the host client)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import MemoryConfigProvider, Settings, StaticSettings, UnifiedConfigResolver
from bridge.doctor import diagnose
from bridge.errors import InvalidConfigError, StoreUnavailableError, UnknownProviderError
from bridge.redact import Secret
from bridge.secrets import DotEnvSecretStore, EnvSecretStore, MemorySecretStore, UnifiedSecretResolver
from bridge.settings_api import SettingsAPI
from bridge.types import Availability, ResolvedSecret

pytestmark = pytest.mark.anyio
ENV_KEY, DOTENV_KEY, HOST_KEY, KEYCHAIN_KEY = (f"sk-{w}-0123456789abcdef" for w in ("env", "dotenv", "host", "chain"))


class DisconnectedHost:
    """A host store whose editor is not connected (what the host client answers then)."""

    name = "host"
    writable = True

    async def availability(self) -> Availability:
        return Availability(False, "no editor host is connected")

    async def get(self, provider: str) -> ResolvedSecret | None:
        return None

    async def store(self, provider: str, value: Secret) -> None:
        raise AssertionError("a disconnected host must not be written to")

    async def delete(self, provider: str) -> bool:
        raise AssertionError("a disconnected host must not be asked")


def resolver(tmp_path: Path, settings: Settings | None = None, **overrides: object) -> UnifiedSecretResolver:
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"OPENAI_API_KEY={DOTENV_KEY}\n")
    stores: dict[str, object] = {
        "env": EnvSecretStore(environ={"OPENAI_API_KEY": ENV_KEY}),
        "dotenv": DotEnvSecretStore([dotenv]),
        "host": MemorySecretStore({"openai": HOST_KEY}, name="host"),
        "keychain": MemorySecretStore({"openai": KEYCHAIN_KEY}, name="keychain"),
        "settings": StaticSettings(settings or Settings(check_dotenv=True)),
    }
    stores.update(overrides)
    return UnifiedSecretResolver(**stores)  # type: ignore[arg-type]


async def where(r: UnifiedSecretResolver, provider: str = "openai") -> tuple[str, str] | None:
    found = await r.resolve(provider)
    return None if found is None else (found.detail, found.value.reveal())


async def test_default_order_env_dotenv_host_keychain(tmp_path: Path) -> None:
    r = resolver(tmp_path)
    assert await where(r) == ("env:OPENAI_API_KEY", ENV_KEY)
    location = await r.locate("openai")
    assert [location["detail"], *location["also_in"]] == [
        "env:OPENAI_API_KEY",
        f"dotenv:{tmp_path / '.env'}",
        "host",
        "keychain",
    ]


async def test_each_source_answers_when_those_before_it_are_empty(tmp_path: Path) -> None:
    empty = EnvSecretStore(environ={})
    assert await where(resolver(tmp_path, env=empty)) == (f"dotenv:{tmp_path / '.env'}", DOTENV_KEY)
    no_dotenv = Settings(check_dotenv=False)
    assert await where(resolver(tmp_path, no_dotenv, env=empty)) == ("host", HOST_KEY)
    assert await where(resolver(tmp_path, no_dotenv, env=empty, host=None)) == ("keychain", KEYCHAIN_KEY)
    assert await where(resolver(tmp_path, no_dotenv, env=empty, host=DisconnectedHost())) == ("keychain", KEYCHAIN_KEY)


async def test_settings_reorder_and_switch_sources(tmp_path: Path) -> None:
    keychain_first = Settings(primary_store="keychain", check_environment=False, check_dotenv=False)
    assert await where(resolver(tmp_path, keychain_first)) == ("keychain", KEYCHAIN_KEY)
    no_env = Settings(check_environment=False, check_dotenv=True)
    assert await where(resolver(tmp_path, no_env)) == (f"dotenv:{tmp_path / '.env'}", DOTENV_KEY)


async def test_api_key_env_is_checked_first(tmp_path: Path) -> None:
    config = UnifiedConfigResolver(user=MemoryConfigProvider([{"name": "openai", "api_key_env": "WORK_OPENAI"}]))
    env = EnvSecretStore(environ={"OPENAI_API_KEY": ENV_KEY, "WORK_OPENAI": "sk-work-0123456789abcdef"})
    r = resolver(tmp_path, env=env, config=config)
    assert await where(r) == ("env:WORK_OPENAI", "sk-work-0123456789abcdef")


async def test_a_dotenv_file_that_is_not_utf8_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    workspace, home = tmp_path / "ws", tmp_path / "home"
    workspace.mkdir()
    home.mkdir()
    (workspace / ".env").write_bytes(b"NOTE=caf\xe9\nOPENAI_API_KEY=sk-latin1-0123456789\n")
    (home / ".env").write_text("OPENAI_API_KEY=sk-from-home-0123456789\n")
    api = SettingsAPI.from_environment(
        environ={"OPENLLM_HOME": str(home)},
        workspace=workspace,
        settings=StaticSettings(Settings(check_dotenv=True)),
        workspace_named_by_host=True,
    )
    assert await where(api.secrets) == (f"dotenv:{home / '.env'}", "sk-from-home-0123456789")
    assert f"skipping the .env file {workspace / '.env'}: it is not UTF-8 text" in caplog.text


async def test_dotenv_files_most_specific_first(tmp_path: Path) -> None:
    workspace, home = tmp_path / "ws", tmp_path / "home"
    (workspace / ".openllm").mkdir(parents=True)
    home.mkdir()
    (home / ".env").write_text("GOOGLE_API_KEY=from-home-0123456789\n")
    (workspace / ".env").write_text("# a comment\nexport GEMINI_API_KEY='from-workspace-0123456789'\n")
    (home / "config.yaml").write_text(f"settings:\n  trustedWorkspaces: ['{workspace}']\n")
    api = SettingsAPI.from_environment(
        environ={"OPENLLM_HOME": str(home)}, workspace=workspace, settings=StaticSettings(Settings(check_dotenv=True))
    )
    assert await where(api.secrets, "gemini") == (f"dotenv:{workspace / '.env'}", "from-workspace-0123456789")
    (workspace / ".openllm" / ".env").write_text("GOOGLE_API_KEY=from-dot-openllm-0123456789\n")
    api.secrets.invalidate()
    assert await where(api.secrets, "gemini") == (
        f"dotenv:{workspace / '.openllm' / '.env'}",
        "from-dot-openllm-0123456789",
    )


async def test_an_untrusted_workspace_s_dotenv_files_hold_no_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A repository's .env could hand over its owner's key, so that the user's prompts go to the
    owner's account: in a workspace the user has not trusted, only the user's own .env counts."""
    workspace, home = tmp_path / "ws", tmp_path / "home"
    (workspace / ".openllm").mkdir(parents=True)
    home.mkdir()
    (workspace / ".env").write_text("OPENAI_API_KEY=sk-from-the-repo-0123456789\n")
    (workspace / ".openllm" / ".env").write_text("OPENAI_API_KEY=sk-from-the-repo-0123456789\n")
    (home / ".env").write_text("OPENAI_API_KEY=sk-from-home-0123456789\n")
    (home / "config.yaml").write_text("settings:\n  secrets:\n    checkDotEnv: true\n")
    api = SettingsAPI.from_environment(
        environ={"OPENLLM_HOME": str(home)}, workspace=workspace, keychain=MemorySecretStore()
    )
    assert await where(api.secrets) == (f"dotenv:{home / '.env'}", "sk-from-home-0123456789")
    location = await api.secrets.locate("openai")
    assert location["also_in"] == []  # the repository's files are not even reported as holding one
    assert f"ignoring {workspace / '.openllm' / '.env'}, {workspace / '.env'} from {workspace}" in caplog.text
    report = await diagnose(api)
    dotenv = next(store for store in report.stores if store.name == "dotenv")
    assert f"{workspace / '.env'} left out: the workspace {workspace} is not trusted" in dotenv.detail
    (home / ".env").unlink()
    api.invalidate()
    assert await api.secrets.resolve("openai") is None

    with (home / "config.yaml").open("a") as f:  # trusted while running: the next lookup sees it
        f.write(f"  trustedWorkspaces: ['{workspace}']\n")
    api.invalidate()
    assert await where(api.secrets) == (f"dotenv:{workspace / '.openllm' / '.env'}", "sk-from-the-repo-0123456789")
    assert api.config.trust is not None and api.config.trust.ignored_in("dotenv") == []


async def test_settings_come_from_the_user_config_file(tmp_path: Path, openllm_home: Path) -> None:
    (openllm_home / ".env").write_text(f"OPENAI_API_KEY={DOTENV_KEY}\n")
    api = SettingsAPI.from_environment(environ={"OPENLLM_HOME": str(openllm_home)}, keychain=MemorySecretStore())
    assert await api.secrets.resolve("openai") is None  # .env files are off by default
    (openllm_home / "config.yaml").write_text("settings:\n  openLLM.secrets.checkDotEnv: true\n")
    api.invalidate()
    assert await where(api.secrets) == (f"dotenv:{openllm_home / '.env'}", DOTENV_KEY)
    (openllm_home / "config.yaml").write_text("settings:\n  secrets:\n    primaryStore: vault\n")
    api.invalidate()
    with pytest.raises(InvalidConfigError, match=r"config.yaml \(settings\): setting 'secrets.primaryStore' must be"):
        await api.secrets.resolve("openai")


async def test_the_seeds_vscode_means_the_host() -> None:
    settings = Settings.from_mapping({"openLLM.secrets.primaryStore": "vscode", "openLLM.config.source": "vscode"}, "x")
    assert (settings.primary_store, settings.config_source) == ("host", "host")


async def test_auto_store_goes_to_the_host_when_connected_else_the_keychain(tmp_path: Path) -> None:
    host, keychain = MemorySecretStore(name="host"), MemorySecretStore(name="keychain")
    r = resolver(tmp_path, host=host, keychain=keychain)
    assert await r.store("anthropic", Secret("sk-ant-a-0123456789abcdef")) == "host"
    assert (await host.get("anthropic")) is not None and await keychain.get("anthropic") is None

    r = resolver(tmp_path, host=DisconnectedHost(), keychain=keychain)
    assert await r.store("anthropic", Secret("sk-ant-b-0123456789abcdef")) == "keychain"
    r = resolver(tmp_path, Settings(primary_store="keychain"), host=host, keychain=keychain)
    assert await r.store("mistral", Secret("mistral-0123456789abcdef")) == "keychain"
    assert await r.store("mistral", Secret("mistral-0123456789abcdef"), "host") == "host"


async def test_nowhere_to_store_says_why_and_what_to_do(tmp_path: Path) -> None:
    r = resolver(tmp_path, host=DisconnectedHost(), keychain=None)
    with pytest.raises(StoreUnavailableError) as info:
        await r.store("openai", Secret(ENV_KEY))
    assert "host: no editor host is connected" in info.value.message
    assert "environment variable" in info.value.message
    with pytest.raises(StoreUnavailableError, match="there is no keychain store"):
        await r.store("openai", Secret(ENV_KEY), "keychain")


async def test_delete_reaches_every_writable_store_and_names_what_is_left(tmp_path: Path) -> None:
    host = MemorySecretStore({"openai": HOST_KEY}, name="host")
    keychain = MemorySecretStore({"openai": KEYCHAIN_KEY}, name="keychain")
    r = resolver(tmp_path, host=host, keychain=keychain)
    outcome = await r.delete("openai")
    assert outcome.deleted_from == ["host", "keychain"]
    assert outcome.still_in == ["env:OPENAI_API_KEY", f"dotenv:{tmp_path / '.env'}"]
    assert await host.get("openai") is None and await keychain.get("openai") is None
    outcome = await resolver(tmp_path, host=DisconnectedHost(), keychain=keychain).delete("openai")
    assert outcome.deleted_from == [] and outcome.unreachable == ["host: no editor host is connected"]


async def test_answers_are_cached_until_invalidated(tmp_path: Path) -> None:
    keychain = MemorySecretStore({"openai": KEYCHAIN_KEY}, name="keychain")
    r = UnifiedSecretResolver(keychain=keychain)
    assert await where(r) == ("keychain", KEYCHAIN_KEY)
    await keychain.store("openai", Secret("sk-changed-elsewhere-0123456789"))  # behind the resolver's back
    assert await where(r) == ("keychain", KEYCHAIN_KEY)
    r.invalidate()  # what the host client does on notifications/secretChanged
    assert await where(r) == ("keychain", "sk-changed-elsewhere-0123456789")
    await r.store("openai", Secret("sk-through-the-resolver-0123456"), "keychain")
    assert await where(r) == ("keychain", "sk-through-the-resolver-0123456")
    uncached = UnifiedSecretResolver(keychain=keychain, cache_ttl=0)
    await keychain.delete("openai")
    assert await where(uncached) is None


async def test_values_are_masked_everywhere_they_could_show(tmp_path: Path) -> None:
    r = resolver(tmp_path)
    found = await r.resolve("openai")
    assert found is not None
    for text in (repr(found), str(found), repr(found.value), str(await r.locate("openai")), str(await r.locations())):
        assert ENV_KEY not in text
    assert (await r.locate("openai"))["masked"] == "sk-…cdef"


async def test_unknown_provider_is_an_error_not_a_miss(tmp_path: Path) -> None:
    with pytest.raises(UnknownProviderError):
        await resolver(tmp_path).resolve("opneai")


async def test_a_chain_answers_with_the_store_that_had_the_key_and_skips_what_cannot_write() -> None:
    from bridge.secrets import ChainSecretStore, KeychainSecretStore

    memory = MemorySecretStore(name="memory")
    no_keychain = KeychainSecretStore()  # no session bus in tests: unavailable
    chain = ChainSecretStore(
        [EnvSecretStore(environ={"MISTRAL_API_KEY": "mistral-env-0123456789"}), no_keychain, memory]
    )
    assert chain.writable and (await chain.availability()).available
    found = await chain.get("mistral")
    assert found is not None and found.detail == "env:MISTRAL_API_KEY"
    await chain.store("openai", Secret(KEYCHAIN_KEY))  # env is read-only, the keychain unavailable: memory
    found = await chain.get("openai")
    assert found is not None and (found.source, found.value.reveal()) == ("memory", KEYCHAIN_KEY)
    assert await chain.delete("openai") is True and await chain.get("openai") is None
    with pytest.raises(StoreUnavailableError, match="no writable store in the chain is available"):
        await ChainSecretStore([EnvSecretStore(environ={}), no_keychain]).store("openai", Secret(KEYCHAIN_KEY))
