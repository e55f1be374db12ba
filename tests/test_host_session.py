"""The host plugged into the resolvers, against both reference hosts: keys from the host before
the keychain, the keychain (a real Secret Service) when the host is killed, the host again once it
is back; host settings and workspace root feeding the config; notifications dropping caches; the
seed's export (host → YAML) and import (YAML → host) with backups."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from hosts import ANTHROPIC_KEY, STATE, HostProcess, connect, running_host
from secret_service import SessionBus

from bridge.host import Backoff, HostClient, HostSecretStore
from bridge.host.session import export_host_to_yaml, host_session, import_yaml_to_host
from bridge.redact import Secret
from bridge.secrets import KeychainSecretStore

KEYCHAIN_KEY = "sk-ant-keychain-0123456789abcdef"


@pytest.fixture(params=["python", "node"])
def host(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HostProcess]:
    workspace = tmp_path / "ws"
    (workspace / ".openllm").mkdir(parents=True)
    (workspace / ".openllm" / "config.yaml").write_text("providers:\n  - name: mistral\n    models: [small]\n")
    state = {**STATE, "workspace": {"folders": [str(workspace)]}}
    with running_host(request.param, tmp_path, state) as process:
        yield process


def client_for(host: HostProcess) -> HostClient:
    return HostClient(host.socket, host.token, timeout=5.0, backoff=Backoff(0.02, 0.2))


async def reconnected(client: HostClient) -> None:
    with anyio.fail_after(10):
        while not client.connected:
            await client.wait_for_change()


@pytest.mark.anyio
async def test_settings_workspace_and_config_come_from_the_host(host: HostProcess) -> None:
    async with host_session(client_for(host)) as session:
        assert session.workspace == host.folder / "ws"
        settings = await session.api.config.settings()
        assert settings.primary_store == "host"
        providers = {p["name"]: p for p in await session.api.config.get_providers()}
        assert providers["mistral"]["source"] == "workspace"  # the host named the workspace
        assert providers["openai"]["source"] == "host" and providers["openai"]["api_base"] == "https://ws.example/v1"
        found = await session.api.secrets.resolve("anthropic")
        assert found is not None and (found.source, found.value.reveal()) == ("host", ANTHROPIC_KEY)
        assert await session.api.secrets.store("openai", Secret("sk-openai-auto-0123456789")) == "host"


@pytest.mark.anyio
async def test_a_killed_host_falls_back_to_the_keychain_and_comes_back(
    host: HostProcess, keychain_bus: SessionBus
) -> None:
    keychain = KeychainSecretStore()
    await keychain.store("anthropic", Secret(KEYCHAIN_KEY))
    async with host_session(client_for(host), keychain=keychain) as session:
        secrets = session.api.secrets
        assert (await secrets.resolve("anthropic")).source == "host"  # type: ignore[union-attr]
        await anyio.to_thread.run_sync(host.kill)
        with anyio.fail_after(5):
            while session.client.connected:
                await session.client.wait_for_change()
        started = anyio.current_time()
        found = await secrets.resolve("anthropic")
        assert found is not None and (found.source, found.value.reveal()) == ("keychain", KEYCHAIN_KEY)
        assert anyio.current_time() - started < 1.0  # the host was passed over, not waited on
        assert await secrets.store("mistral", Secret("mistral-key-0123456789")) == "keychain"
        await anyio.to_thread.run_sync(host.start)
        await reconnected(session.client)
        assert (await secrets.resolve("anthropic")).source == "host"  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_a_secret_changed_in_the_editor_reaches_the_resolver(host: HostProcess) -> None:
    async with host_session(client_for(host)) as session, connect(host) as editor:
        assert (await session.api.secrets.resolve("anthropic")).value.reveal() == ANTHROPIC_KEY  # type: ignore[union-attr]
        told = anyio.Event()
        session.client.on_notification(lambda method, params: told.set())
        await HostSecretStore(editor).store("anthropic", Secret("sk-ant-rotated-0123456789"))
        with anyio.fail_after(5):
            await told.wait()
        assert (await session.api.secrets.resolve("anthropic")).value.reveal() == "sk-ant-rotated-0123456789"  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_export_to_yaml_and_import_to_the_host_keep_backups(host: HostProcess, openllm_home: Path) -> None:
    async with host_session(client_for(host)) as session:
        path, backup, count = await export_host_to_yaml(session, "user")
        assert (path, backup, count) == (openllm_home / "config.yaml", None, 2)
        text = path.read_text()
        assert "https://ws.example/v1" in text and "source" not in text
        _, second_backup, _ = await export_host_to_yaml(session, "user")
        assert second_backup is not None and second_backup.read_text() == text

        path.write_text("providers:\n  - name: gemini\n    enabled: true\n")
        saved, imported = await import_yaml_to_host(session, "user", "user")
        assert imported == 1
        previous: dict[str, Any] = json.loads(saved.read_text())
        assert [p["name"] for p in previous["providers"]] == ["openai"]
        assert saved.stat().st_mode & 0o777 == 0o600
        assert list(await session.config.scope_providers("user")) == ["gemini"]
