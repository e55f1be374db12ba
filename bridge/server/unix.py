"""The bridge API on a Unix socket, safe by default.

- The socket is created mode 0600 (under a 0177 umask, so there is no window where it is
  wider); the default place is a 0700 directory of ours under ``$XDG_RUNTIME_DIR``, else a
  private temporary directory.
- Each connection's peer credentials (``SO_PEERCRED``) are read before a byte is: a process of
  another user is refused and logged, whatever the file permissions say.
- Every connection gets its own endpoint; when the client is gone (it closed the connection, a
  write failed), every request it still had running is cancelled, which closes the upstream
  provider streams. A client that only shut down its writing side (``nc -N``) still gets the
  answers to what it asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import stat
import struct
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
from anyio.abc import ByteStream, SocketAttribute

from bridge import errors
from bridge.rpc import DEFAULT_MAX_FRAME, Endpoint, MessageStream
from bridge.server.api import BridgeApi
from bridge.server.transport import StreamProtocol, TransportStream

log = logging.getLogger("openllm.server")
MAX_SOCKET_PATH = 107  # bytes: sockaddr_un's sun_path is 108, with the closing NUL


def _private_dir(path: Path) -> Path:
    """``path`` as a directory only we can enter (created 0700; an existing one is checked)."""
    try:
        path.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:  # its own parent missing, or not ours to write in
        raise errors.InvalidConfigError(f"cannot make the folder {path} for the socket: {exc.strerror or exc}") from exc
    info = path.stat()
    if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise errors.InvalidConfigError(f"{path} must be a directory owned by you with mode 0700")
    return path


@contextlib.contextmanager
def socket_path(requested: str | None) -> Iterator[Path]:
    """Where to listen; a default directory we made is removed again afterwards."""
    if requested:
        path = Path(requested).absolute()
        if len(os.fsencode(path)) > MAX_SOCKET_PATH:
            raise errors.InvalidConfigError(
                f"{path} is {len(os.fsencode(path))} bytes long: a Unix socket path takes at most "
                f"{MAX_SOCKET_PATH}; choose a shorter one"
            )
        if not path.parent.exists():
            _private_dir(path.parent)
        _clear_stale(path)
        yield path
        return
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        path = _private_dir(Path(runtime) / "openllm-bridge") / f"bridge-{os.getpid()}.sock"
        _clear_stale(path)  # left by an earlier process that had our pid
        yield path
        return
    directory = Path(tempfile.mkdtemp(prefix="openllm-bridge-"))
    try:
        yield directory / "bridge.sock"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _clear_stale(path: Path) -> None:
    """Remove a socket file nobody listens on any more; refuse to replace anything else."""
    if not path.exists() and not path.is_symlink():
        return
    if not stat.S_ISSOCK(path.lstat().st_mode):
        raise errors.InvalidConfigError(f"{path} exists and is not a socket")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            path.unlink(missing_ok=True)
            return
    raise errors.InvalidConfigError(f"a bridge is already serving on {path}")


def peer_uid(stream: ByteStream) -> int:
    raw = stream.extra(SocketAttribute.raw_socket)
    creds = raw.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


class UnixServer:
    def __init__(self, api: BridgeApi, path: Path, *, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.api = api
        self.path = path
        self.max_frame = max_frame

    async def serve(self, on_ready: Callable[[Path], None]) -> None:
        """Accept until cancelled; the socket file is removed on the way out. Each connection is a
        :class:`TransportStream` (asyncio's transport under an anyio byte stream, without anyio's
        per-send checkpoint: bridge/server/transport.py) served in a task of its own."""
        loop = asyncio.get_running_loop()
        async with anyio.create_task_group() as connections:

            def accepted(stream: TransportStream) -> None:
                connections.start_soon(self._connection, stream)

            old_umask = os.umask(0o177)
            try:
                try:
                    server = await loop.create_unix_server(
                        lambda: StreamProtocol(accepted), str(self.path), backlog=1024
                    )
                except OSError as exc:
                    raise errors.InvalidConfigError(f"cannot listen on {self.path}: {exc.strerror or exc}") from exc
                os.chmod(self.path, 0o600)
            finally:
                os.umask(old_umask)
            try:
                on_ready(self.path)
                await anyio.sleep_forever()
            finally:
                server.close()
                self.path.unlink(missing_ok=True)
                connections.cancel_scope.cancel()

    async def _connection(self, stream: ByteStream) -> None:
        try:
            await self._serve_connection(stream)
        except Exception:  # one connection's failure must not stop the listener
            log.exception("a client connection failed")
            await stream.aclose()

    async def _serve_connection(self, stream: ByteStream) -> None:
        uid = peer_uid(stream)
        if uid != os.getuid():
            log.warning("refused a connection from uid %d: only uid %d may use this bridge", uid, os.getuid())
            await stream.aclose()
            return
        session = self.api.session()
        endpoint = Endpoint(MessageStream(stream, max_frame=self.max_frame), session, name="client")
        log.debug("client connected")
        self.api.sessions.add(session)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(session.deliver_changes, endpoint)
                await endpoint.run()
                tg.cancel_scope.cancel()
        finally:
            self.api.sessions.discard(session)
        log.debug("client disconnected")
