"""The keychain store against a real Secret Service (gnome-keyring on a private D-Bus), and the
ways a keychain can be missing: no bus, a bus with no keyring, a locked one, a hung one, and
keyring backends that are not a keychain at all."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from secret_service import SessionBus, require, start_bus

from bridge.errors import StoreUnavailableError
from bridge.redact import Secret
from bridge.secrets import KeychainSecretStore, UnifiedSecretResolver

pytestmark = pytest.mark.anyio
KEY = "sk-keychain-test-0123456789abcdef"


async def secret_tool(bus: SessionBus, *args: str, stdin: str | None = None) -> str:
    """libsecret's own tool: proof an entry is in the keyring, not just in our process."""
    result = await anyio.run_process(
        [require("secret-tool"), *args], input=stdin.encode() if stdin else None, env=bus.env, check=False
    )
    return result.stdout.decode()


async def secret_tool_lookup(bus: SessionBus, provider: str) -> str:
    return await secret_tool(bus, "lookup", "service", "openllm-bridge", "username", provider)


async def test_store_get_delete_in_the_secret_service(keychain_bus: SessionBus) -> None:
    store = KeychainSecretStore()
    assert (await store.availability()).available
    assert store.backend_label == "Secret Service"
    assert await store.get("openai") is None

    await store.store("openai", Secret(KEY))
    found = await store.get("openai")
    assert found is not None and found.value.reveal() == KEY
    assert (found.source, found.detail) == ("keychain", "keychain")
    assert await secret_tool_lookup(keychain_bus, "openai") == KEY

    assert await store.delete("openai") is True
    assert await store.get("openai") is None
    assert await secret_tool_lookup(keychain_bus, "openai") == ""
    assert await store.delete("openai") is False


async def test_a_key_stored_by_another_program_is_found(keychain_bus: SessionBus) -> None:
    await secret_tool(
        keychain_bus, "store", "--label=x", "service", "openllm-bridge", "username", "mistral", stdin="from-secret-tool"
    )
    resolver = UnifiedSecretResolver(keychain=KeychainSecretStore())
    found = await resolver.resolve("mistral")
    assert found is not None and found.value.reveal() == "from-secret-tool"
    assert found.detail == "keychain"


async def test_auto_routes_to_the_keychain_without_a_host(keychain_bus: SessionBus) -> None:
    resolver = UnifiedSecretResolver(keychain=KeychainSecretStore())
    assert await resolver.store("anthropic", Secret(KEY), "auto") == "keychain"
    assert await secret_tool_lookup(keychain_bus, "anthropic") == KEY


async def test_no_session_bus_is_unavailable_with_the_reason() -> None:
    assert "DBUS_SESSION_BUS_ADDRESS" not in os.environ
    store = KeychainSecretStore()
    state = await store.availability()
    assert not state.available
    assert state.reason is not None and "no system keychain" in state.reason
    assert "DBUS_SESSION_BUS_ADDRESS" in state.reason
    with pytest.raises(StoreUnavailableError, match="no system keychain"):
        await store.store("openai", Secret(KEY))
    # a resolver passes over it: a miss, not an error
    assert await UnifiedSecretResolver(keychain=store).resolve("openai") is None


@pytest.fixture
def bare_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SessionBus]:
    """A bus with no keyring running: D-Bus activation starts gnome-keyring, which has no keyring
    to offer and would have to prompt to create one."""
    bus = start_bus(tmp_path / "bare-home", unlocked_keyring=False)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    yield bus
    bus.stop()


async def test_a_bus_without_an_unlocked_keyring_fails_fast_without_prompting(bare_bus: SessionBus) -> None:
    store = KeychainSecretStore()
    with anyio.fail_after(10):  # a hang would fail here, not stall the suite
        state = await store.availability()
        assert not state.available
        assert state.reason is not None and "no default keyring" in state.reason
        with pytest.raises(StoreUnavailableError, match="no default keyring"):
            await store.store("openai", Secret(KEY))


@pytest.fixture
def own_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SessionBus]:
    """An unlocked keyring of this test's own, free to be locked or frozen."""
    bus = start_bus(tmp_path / "own-home", unlocked_keyring=True)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    yield bus
    bus.stop()


async def test_a_locked_keyring_is_reported_not_prompted(own_keyring: SessionBus) -> None:
    import secretstorage

    connection = secretstorage.dbus_init()
    try:
        secretstorage.get_default_collection(connection).lock()
    finally:
        connection.close()
    store = KeychainSecretStore()
    with anyio.fail_after(10):
        state = await store.availability()
    assert not state.available and state.reason is not None and "locked" in state.reason


async def test_a_hung_secret_service_times_out(own_keyring: SessionBus) -> None:
    assert own_keyring.keyring_pid is not None
    store = KeychainSecretStore(timeout=1.0)
    assert (await store.availability()).available
    os.kill(own_keyring.keyring_pid, signal.SIGSTOP)  # it still owns the name but answers nothing
    with anyio.fail_after(10), pytest.raises(StoreUnavailableError, match="did not answer within 1 s"):
        await store.store("openai", Secret(KEY))
    # the verdict is remembered: the next call does not wait again
    with anyio.fail_after(0.5), pytest.raises(StoreUnavailableError, match="did not answer"):
        await store.get("openai")


async def test_where_a_key_is_says_the_keychain_could_not_be_asked_not_just_no_key(own_keyring: SessionBus) -> None:
    assert own_keyring.keyring_pid is not None
    store = KeychainSecretStore(timeout=1.0)
    await store.store("openai", Secret(KEY))
    os.kill(own_keyring.keyring_pid, signal.SIGSTOP)
    with anyio.fail_after(10):
        location = await UnifiedSecretResolver(keychain=store).locate("openai")
    assert not location["found"]  # the key is there, but the keychain answers nothing: say so
    assert location.get("unreachable") == [
        "keychain: the keychain did not answer within 1 s (is it locked and waiting for a password prompt?); "
        "unlock it, or keep the key in an environment variable"
    ]


@pytest.mark.parametrize(
    "backend",
    ["keyring.backends.null.Keyring", "keyring.backends.fail.Keyring", "keyring.backends.chainer.ChainerBackend"],
)
async def test_backends_that_are_not_a_keychain_are_refused(
    backend: str, keychain_bus: SessionBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    store = KeychainSecretStore()
    state = await store.availability()
    assert not state.available and state.reason is not None
    assert "not a system keychain" in state.reason or "cannot be used" in state.reason
    with pytest.raises(StoreUnavailableError):
        await store.store("openai", Secret(KEY))
    assert await secret_tool_lookup(keychain_bus, "openai") == ""


async def test_a_backend_that_keeps_nothing_is_not_reported_as_stored() -> None:
    from keyring.backends.null import Keyring as NullKeyring

    store = KeychainSecretStore(backend=NullKeyring())
    with pytest.raises(StoreUnavailableError, match="accepted the key but did not keep it; the key was not stored"):
        await store.store("openai", Secret(KEY))
