"""KeychainSecretStore: the system keychain through ``keyring``, one service name for the project.

Three things make a keychain safe to call from a server:

* Every call runs in a daemon thread and is bounded in time. A Secret Service that is locked and
  waits for a prompt nobody can answer, or one that has hung, gives a clear error after
  ``timeout`` seconds instead of a hang (and the verdict is kept for a while, so the next
  lookup does not wait again).
* Only a real system keychain counts. keyring may answer with keyrings.alt's plaintext file, a
  chainer, or ``fail.Keyring``; we pick the backend ourselves from the platform's keychains (or
  take the one the user configured for keyring, if it is one of them) and refuse anything else.
  For the Secret Service we check that the default collection exists and is unlocked before
  touching it, so the daemon is never asked to prompt.
* A write is read back before it is reported stored, because some backends accept a write and
  keep nothing.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from typing import TYPE_CHECKING, Any, TypeVar

import anyio.to_thread

from bridge.errors import StoreUnavailableError
from bridge.redact import Secret, redact
from bridge.types import Availability, ResolvedSecret

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "openllm-bridge"
T = TypeVar("T")

# The backends that are a system keychain, per platform, by class path.
_SECRET_SERVICE = "keyring.backends.SecretService.Keyring"
_KEYCHAINS = {
    _SECRET_SERVICE: "Secret Service",
    "keyring.backends.libsecret.Keyring": "libsecret",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
}
_PLATFORM_CANDIDATES = {
    "darwin": ["keyring.backends.macOS.Keyring"],
    "win32": ["keyring.backends.Windows.WinVaultKeyring"],
}
_LINUX_CANDIDATES = [_SECRET_SERVICE, "keyring.backends.kwallet.DBusKeyring"]


class _TimedOut(Exception):
    pass


class _NotKept(Exception):
    pass


class KeychainSecretStore:
    name = "keychain"
    writable = True

    def __init__(
        self,
        service: str = SERVICE,
        *,
        timeout: float = 2.0,
        backend: KeyringBackend | None = None,
        remember_failure: float = 30.0,
    ) -> None:
        """``backend`` fixes the keyring backend (skipping the choice and the system-keychain
        check); by default the platform's keychain is found on first use."""
        self.service = service
        self.timeout = timeout
        self._backend = backend
        self._remember_failure = remember_failure
        self._failure: tuple[float, str] | None = None

    @property
    def backend_label(self) -> str | None:
        """Which keychain answers (``Secret Service``), once one has been found."""
        return None if self._backend is None else _label(self._backend)

    async def availability(self) -> Availability:
        try:
            await self._call(lambda backend: None)
        except StoreUnavailableError as exc:
            return Availability(False, exc.message)
        return Availability(True)

    async def get(self, provider: str) -> ResolvedSecret | None:
        value = await self._call(lambda backend: backend.get_password(self.service, provider))
        return None if not value else ResolvedSecret(Secret(value), "keychain", "keychain")

    async def store(self, provider: str, value: Secret) -> None:
        def write(backend: KeyringBackend) -> None:
            backend.set_password(self.service, provider, value.reveal())
            if backend.get_password(self.service, provider) != value.reveal():
                raise _NotKept(f"{_label(backend)} accepted the key but did not keep it")

        await self._call(write)

    async def delete(self, provider: str) -> bool:
        def remove(backend: KeyringBackend) -> bool:
            if backend.get_password(self.service, provider) is None:
                return False
            backend.delete_password(self.service, provider)
            return True

        return await self._call(remove)

    def forget_failure(self) -> None:
        self._failure = None

    async def _call(self, operation: Callable[[KeyringBackend], T]) -> T:
        if self._failure is not None and time.monotonic() - self._failure[0] < self._remember_failure:
            raise StoreUnavailableError(self._failure[1])
        try:
            return await anyio.to_thread.run_sync(_bounded, lambda: operation(self._ready()), self.timeout)
        except _TimedOut:
            reason = (
                f"the keychain did not answer within {self.timeout:g} s (is it locked and waiting for a "
                "password prompt?); unlock it, or keep the key in an environment variable"
            )
        except StoreUnavailableError as exc:
            reason = exc.message
        except _NotKept as exc:
            raise StoreUnavailableError(f"{exc}; the key was not stored") from None
        except Exception as exc:  # the one boundary for keyring, secretstorage and D-Bus errors
            reason = redact(f"the keychain failed: {type(exc).__name__}: {exc}")
        self._failure = (time.monotonic(), reason)
        raise StoreUnavailableError(reason)

    def _ready(self) -> KeyringBackend:
        """The backend, chosen on first use, checked to be able to answer without a prompt."""
        if self._backend is None:
            self._backend = _choose_backend()
        if _class_path(self._backend) == _SECRET_SERVICE:
            _check_secret_service()
        return self._backend


def _bounded(call: Callable[[], T], timeout: float) -> T:
    """Run ``call`` in a daemon thread and wait at most ``timeout`` seconds. A call that hangs
    is left behind; being a daemon thread it cannot keep the process from exiting."""
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name="openllm-keychain", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise _TimedOut
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


def _choose_backend() -> KeyringBackend:
    import keyring.core

    try:
        configured = keyring.core.load_env() or keyring.core.load_config()
    except Exception as exc:
        raise StoreUnavailableError(f"the keyring backend configured for keyring cannot be used: {exc}") from None
    if configured is not None:
        if _class_path(configured) not in _KEYCHAINS:
            raise StoreUnavailableError(
                f"keyring is configured to use {_class_path(configured)}, which is not a system keychain "
                "(a plaintext file or a placeholder); the bridge will not store keys there"
            )
        return configured
    viable: list[tuple[float, KeyringBackend]] = []
    reasons: list[str] = []
    for path in _PLATFORM_CANDIDATES.get(sys.platform, _LINUX_CANDIDATES):
        module_name, _, class_name = path.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
            viable.append((float(cls.priority), cls()))
        except Exception as exc:
            reasons.append(f"{_KEYCHAINS[path]}: {exc}")
    if not viable:
        raise StoreUnavailableError("no system keychain is available (" + "; ".join(reasons) + ")")
    return max(viable, key=lambda pair: pair[0])[1]


def _check_secret_service() -> None:
    import secretstorage
    from secretstorage.exceptions import ItemNotFoundException

    with closing(secretstorage.dbus_init()) as connection:
        try:
            collection = secretstorage.Collection(connection)  # the default one; never created here (that prompts)
        except ItemNotFoundException:
            raise StoreUnavailableError(
                "the Secret Service has no default keyring; create one in your desktop's password manager"
            ) from None
        if collection.is_locked():
            raise StoreUnavailableError(
                "the keychain is locked; unlock it (log in to the desktop, or `gnome-keyring-daemon --unlock`)"
            )


def _class_path(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _label(backend: KeyringBackend) -> str:
    return _KEYCHAINS.get(_class_path(backend), _class_path(backend))
