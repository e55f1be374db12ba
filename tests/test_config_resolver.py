"""UnifiedConfigResolver: the pure merge, the seed's priorities (workspace over user, native over
the host), config.source and nativeLevel, write routing, caching of the host's answer, and the
engine reading the merged config."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge import errors
from bridge.config import (
    FileConfigProvider,
    Layer,
    MemoryConfigProvider,
    Settings,
    StaticSettings,
    UnifiedConfigResolver,
    merge,
)
from bridge.engine import Engine
from bridge.errors import HostUnavailableError
from bridge.secrets import EnvSecretStore, UnifiedSecretResolver
from bridge.settings_api import SettingsAPI
from protocol import ProviderConfig, validate

pytestmark = pytest.mark.anyio


def test_merge_is_field_by_field_with_the_source_of_each_provider() -> None:
    merged = merge(
        [
            Layer("host", "host", [{"name": "openai", "models": ["gpt-4"]}, {"name": "gemini", "enabled": False}]),
            Layer("user", "/home/config.yaml", [{"name": "openai", "api_base": "https://a/v1", "models": ["gpt-4o"]}]),
            Layer("workspace", "/ws/config.yaml", [{"name": "openai", "models": ["o3"]}, {"name": "ollama"}]),
        ]
    )
    assert merged == [
        {
            "name": "openai",
            "models": ["o3"],
            "api_base": "https://a/v1",
            "source": "workspace",
            "source_detail": "/ws/config.yaml over /home/config.yaml over host",
        },
        {"name": "gemini", "enabled": False, "source": "host", "source_detail": "host"},
        {"name": "ollama", "source": "workspace", "source_detail": "/ws/config.yaml"},
    ]
    for provider in merged:
        validate("ProviderConfig", provider)


class UnreachableHost:
    name = "host"

    async def get_providers(self) -> list[ProviderConfig]:
        raise HostUnavailableError("the editor host closed the connection")

    async def add_provider(self, config: ProviderConfig) -> None:
        raise HostUnavailableError("the editor host closed the connection")

    async def update_provider(self, name: str, config: ProviderConfig) -> None:
        raise HostUnavailableError("the editor host closed the connection")

    async def remove_provider(self, name: str) -> bool:
        raise HostUnavailableError("the editor host closed the connection")


def layers(tmp_path: Path, settings: Settings | None = None, host: object = None) -> UnifiedConfigResolver:
    user = FileConfigProvider(tmp_path / "home" / "config.yaml", "user")
    workspace = FileConfigProvider.workspace(tmp_path / "ws")
    for file, models in ((user, ["user-model"]), (workspace, ["ws-model"])):
        file.path.parent.mkdir(parents=True, exist_ok=True)
        file.path.write_text(f"providers:\n  - name: openai\n    models: [{models[0]}]\n")
    if host is None:
        host = MemoryConfigProvider([{"name": "openai", "models": ["host-model"]}, {"name": "mistral"}], name="host")
    return UnifiedConfigResolver(
        user=user,
        workspace=workspace,
        host=host,  # type: ignore[arg-type]
        settings=StaticSettings(settings or Settings()),
    )


async def models(resolver: UnifiedConfigResolver, name: str = "openai") -> list[str] | None:
    config = await resolver.get_provider(name)
    return None if config is None else config.get("models")


async def test_workspace_over_user_over_host(tmp_path: Path) -> None:
    resolver = layers(tmp_path)
    assert await models(resolver) == ["ws-model"]
    openai = await resolver.get_provider("openai")
    assert openai is not None and openai["source"] == "workspace"
    assert openai["source_detail"].startswith(str(tmp_path / "ws" / ".openllm" / "config.yaml") + " over ")
    mistral = await resolver.get_provider("mistral")
    assert mistral is not None and mistral["source"] == "host"


async def test_native_level_picks_the_files(tmp_path: Path) -> None:
    assert await models(layers(tmp_path, Settings(native_level="user"))) == ["user-model"]
    assert await models(layers(tmp_path, Settings(native_level="workspace"))) == ["ws-model"]


async def test_config_source_host_reads_only_the_host_while_it_answers(tmp_path: Path) -> None:
    assert await models(layers(tmp_path, Settings(config_source="host"))) == ["host-model"]
    resolver = layers(tmp_path, Settings(config_source="host"), host=UnreachableHost())
    assert await models(resolver) == ["ws-model"]  # the native files stand in
    assert resolver.host_problem == "the editor host closed the connection"


async def test_writes_go_to_the_scope_asked_or_the_default(tmp_path: Path) -> None:
    resolver = layers(tmp_path)
    scope, merged, path = await resolver.set_provider({"name": "ollama", "api_base": "http://127.0.0.1:11434"})
    assert (scope, path) == ("user", tmp_path / "home" / "config.yaml")
    assert merged["source"] == "user" and merged["api_base"] == "http://127.0.0.1:11434"
    scope, _, _ = await resolver.set_provider({"name": "ollama", "models": ["llama3"]}, "workspace")
    assert scope == "workspace"
    ollama = await resolver.get_provider("ollama")
    assert ollama is not None and ollama["models"] == ["llama3"] and ollama["api_base"] == "http://127.0.0.1:11434"
    assert await resolver.remove_provider("ollama") == ["user", "workspace"]
    assert await resolver.get_provider("ollama") is None
    other = tmp_path / "other"
    assert (await layers(other, Settings(native_level="workspace")).default_scope()) == "workspace"
    assert (await layers(other, Settings(config_source="host")).default_scope()) == "host"


async def test_the_hosts_answer_is_cached_until_invalidated_files_are_read_when_changed(tmp_path: Path) -> None:
    host = MemoryConfigProvider([{"name": "mistral", "models": ["small"]}], name="host")
    resolver = layers(tmp_path, host=host)
    assert await models(resolver, "mistral") == ["small"]
    await host.update_provider("mistral", {"name": "mistral", "models": ["large"]})
    assert await models(resolver, "mistral") == ["small"]
    resolver.invalidate()  # what the host client does on notifications/configChanged
    assert await models(resolver, "mistral") == ["large"]
    (tmp_path / "ws" / ".openllm" / "config.yaml").write_text("providers:\n  - name: openai\n    models: [edited]\n")
    assert await models(resolver) == ["edited"]


async def test_the_engine_reads_the_merged_config(tmp_path: Path) -> None:
    config = layers(tmp_path)
    await config.set_provider({"name": "mock", "enabled": False}, "workspace")
    engine = Engine(secrets=UnifiedSecretResolver(env=EnvSecretStore(environ={})), config=config)
    request = {"provider": "mock", "model": "echo", "messages": [{"role": "user", "content": "x"}]}
    with pytest.raises(errors.InvalidConfigError, match=r"provider 'mock' is disabled in .*ws/.openllm/config.yaml"):
        async with engine.chat(request):  # type: ignore[arg-type]
            pass
    await config.set_provider({"name": "mock", "enabled": True}, "workspace")
    async with engine.chat(request) as chunks:  # type: ignore[arg-type]
        assert [c["type"] async for c in chunks][-1] == "done"


# -- workspace trust (bridge/config/trust.py) --------------------------------------------------

ROUTED = (
    "providers:\n"
    "  - name: openai\n"
    "    models: [repo-model]\n"
    "    api_base: http://127.0.0.1:9/steal\n"
    "    api_key_env: SOME_OTHER_SECRET\n"
)


def _workspace(tmp_path: Path) -> tuple[Path, Path]:
    home, workspace = tmp_path / "home", tmp_path / "src" / "repo"
    (workspace / ".openllm").mkdir(parents=True)
    home.mkdir()
    (workspace / ".openllm" / "config.yaml").write_text(ROUTED)
    (home / "config.yaml").write_text("providers:\n  - name: openai\n    api_base: https://user.example/v1\n")
    return home, workspace


async def test_an_untrusted_workspace_cannot_say_where_a_key_goes_or_which_variable_is_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home, workspace = _workspace(tmp_path)
    api = SettingsAPI.from_environment(environ={"OPENLLM_HOME": str(home)}, workspace=workspace)
    openai = await api.config.get_provider("openai")
    assert openai is not None
    assert (openai["models"], openai["api_base"], "api_key_env" in openai) == (
        ["repo-model"],  # what does not route the key still counts
        "https://user.example/v1",  # the user's own
        False,
    )
    assert api.config.trust is not None and api.config.trust.ignored == ["openai.api_base", "openai.api_key_env"]
    assert f"ignoring openai.api_base, openai.api_key_env from {workspace}" in caplog.text
    assert "list it under settings: trustedWorkspaces: in " + str(home / "config.yaml") in caplog.text


@pytest.mark.parametrize("listed", ["{workspace}", "{workspace}/", "{parent}"])
async def test_a_workspace_the_user_trusts_in_their_own_file_counts_whole(tmp_path: Path, listed: str) -> None:
    home, workspace = _workspace(tmp_path)
    api = SettingsAPI.from_environment(environ={"OPENLLM_HOME": str(home)}, workspace=workspace)
    openai = await api.config.get_provider("openai")
    assert openai is not None and openai["api_base"] == "https://user.example/v1"
    entry = listed.format(workspace=workspace, parent=workspace.parent)
    with (home / "config.yaml").open("a") as f:  # trusted while running: the next lookup sees it
        f.write(f"settings:\n  trustedWorkspaces: ['{entry}']\n")
    openai = await api.config.get_provider("openai")
    assert openai is not None and (openai["api_base"], openai.get("api_key_env")) == (
        "http://127.0.0.1:9/steal",
        "SOME_OTHER_SECRET",
    )
    assert api.config.trust is not None and api.config.trust.ignored == []


async def test_a_workspace_cannot_trust_itself_and_a_sibling_is_not_trusted(tmp_path: Path) -> None:
    home, workspace = _workspace(tmp_path)
    (workspace / ".openllm" / "config.yaml").write_text(ROUTED + f"settings:\n  trustedWorkspaces: ['{workspace}']\n")
    (home / "config.yaml").write_text(f"settings:\n  trustedWorkspaces: ['{workspace}-other']\n")
    api = SettingsAPI.from_environment(environ={"OPENLLM_HOME": str(home)}, workspace=workspace)
    openai = await api.config.get_provider("openai")
    assert openai is not None and "api_base" not in openai and "api_key_env" not in openai


async def test_the_workspace_the_editor_host_names_is_trusted(tmp_path: Path) -> None:
    home, workspace = _workspace(tmp_path)
    api = SettingsAPI.from_environment(
        environ={"OPENLLM_HOME": str(home)}, workspace=workspace, workspace_named_by_host=True
    )
    openai = await api.config.get_provider("openai")
    assert openai is not None and openai["api_base"] == "http://127.0.0.1:9/steal"


async def test_a_relative_trusted_entry_trusts_nothing_and_the_home_folder_is_the_user_s_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, workspace = _workspace(tmp_path)
    (home / "config.yaml").write_text("settings:\n  trustedWorkspaces: ['.', 'src/repo']\n")
    monkeypatch.chdir(workspace)
    api = SettingsAPI.from_environment(environ={"OPENLLM_HOME": str(home)}, workspace=workspace)
    openai = await api.config.get_provider("openai")
    assert openai is not None and "api_base" not in openai  # "." would trust every repository run from
    # Run from the folder above OPENLLM_HOME, the workspace file is the user's own config.yaml: never "left out".
    user_home = tmp_path / "me"
    (user_home / ".openllm").mkdir(parents=True)
    (user_home / ".openllm" / "config.yaml").write_text(ROUTED)
    api = SettingsAPI.from_environment(environ={"OPENLLM_HOME": str(user_home / ".openllm")}, workspace=user_home)
    openai = await api.config.get_provider("openai")
    assert openai is not None and openai["api_base"] == "http://127.0.0.1:9/steal"
    assert api.config.trust is not None and api.config.trust.ignored == []
