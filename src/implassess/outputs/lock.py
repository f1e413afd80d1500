"""One writer per output folder: an exclusive lock held while a command writes into it.

Two commands writing into the same folder would interleave their files and manifests,
so each writing command holds :func:`folder_lock` on its output folder. The lock is the
file ``.implassess.lock`` inside the folder, naming the command, its process id, host
and start time; a second command is refused with a message saying who holds it.

Where the platform has ``fcntl.flock`` (Linux, macOS, the BSDs) the operating system
holds the lock, so a command that is killed releases it at once. Elsewhere (Windows)
the lock file is created exclusively; a lock file left by a process that no longer runs
on this host is stale and taken over. The lock file is removed when the command ends,
and it is never listed as an output.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from implassess.errors import ImplassessError
from implassess.outputs.files import OutputWriteError

try:
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None  # type: ignore[assignment]

#: Name of the lock file inside a locked folder.
LOCK_NAME = ".implassess.lock"

#: A lock file that cannot be read and is older than this many seconds was left by a
#: process that died while writing it (the fallback without ``flock`` only).
_UNREADABLE_STALE_AFTER = 60.0

#: errno values of ``flock`` meaning "another process holds it".
_BUSY = frozenset({errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES})

#: errno values of ``flock`` meaning "this file system cannot lock": use the fallback.
_NO_FLOCK = frozenset(e for e in (errno.ENOLCK, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", None)) if e is not None)

_held: dict[str, int] = {}
_held_guard = threading.Lock()


class FolderLockedError(ImplassessError):
    """Another command holds the lock on an output folder."""

    def __init__(
        self,
        folder: Path,
        holder: dict[str, Any] | None,
        *,
        by_file: bool = False,
        advice: str = "wait for it to finish or choose another output folder (-o)",
    ):
        self.folder = folder
        self.holder = holder or {}
        message = f"Another implassess command{_describe(self.holder)} is writing to {folder}; {advice}."
        if by_file:  # without flock a crash on another host can leave the file behind
            message += f" If no implassess command is running, remove {folder / LOCK_NAME}."
        super().__init__(message)


def _describe(holder: dict[str, Any]) -> str:
    if not holder.get("command"):
        return ""
    pid = f", pid {holder['pid']}" if holder.get("pid") else ""
    host = holder.get("host")
    on = f" on {host}" if host and host != socket.gethostname() else ""
    started = f", started at {holder['started']}" if holder.get("started") else ""
    return f" ({holder['command']}{pid}{on}{started})"


def _info(command: str) -> bytes:
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    doc = {"command": command, "pid": os.getpid(), "host": socket.gethostname(), "started": started}
    return (json.dumps(doc) + "\n").encode("utf-8")


def read_holder(path: Path) -> dict[str, Any] | None:
    """What a lock file says about its holder (command, pid, host, started), or None if unreadable."""
    try:
        with open(path, "rb") as fh:
            doc = json.loads(fh.read(4096).decode("utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


@contextlib.contextmanager
def folder_lock(folder: Path, command: str, *, wait: float = 0.0, advice: str | None = None) -> Iterator[Path]:
    """Hold the exclusive lock on ``folder`` (created if missing) while the block runs.

    ``command`` names the holder in the message another command gets (e.g. ``"run"``).
    Raises :class:`FolderLockedError` when another process holds it, after waiting up to
    ``wait`` seconds for it (``advice`` replaces the message's advice). Re-entrant within a
    process, so a job may call another job that locks the same folder. The lock file is
    removed at the end, and so is the folder when this call created it and it stayed empty.
    """
    folder = Path(folder)
    created = not folder.exists()
    key = str(folder.resolve())
    with _held_guard:
        depth = _held.get(key, 0)
        if depth:
            _held[key] = depth + 1
    if depth:
        try:
            yield folder / LOCK_NAME
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    deadline = time.monotonic() + wait
    while True:
        try:
            release = _acquire(folder, command)
            break
        except FolderLockedError as exc:
            if time.monotonic() >= deadline:
                if advice is None:
                    raise
                raise FolderLockedError(folder, exc.holder, advice=advice) from None
            time.sleep(0.2)
    with _held_guard:
        _held[key] = 1
    try:
        yield folder / LOCK_NAME
    finally:
        with _held_guard:
            del _held[key]
        release()
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds when nothing was written


def _acquire(folder: Path, command: str) -> Callable[[], None]:
    path = folder / LOCK_NAME
    # A folder removed by the holder just before us (it created it and wrote nothing) is made again.
    for _ in range(5):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputWriteError(folder, exc) from None
        try:
            if _fcntl is not None:
                release = _acquire_flock(path, folder, command)
                if release is not None:
                    return release
            return _acquire_exclusive(path, folder, command)
        except FileNotFoundError:
            continue
    raise FolderLockedError(folder, read_holder(path))


def _acquire_flock(path: Path, folder: Path, command: str) -> Callable[[], None] | None:
    """The lock through ``flock``; None when the file system cannot lock (use the fallback)."""
    assert _fcntl is not None
    for _ in range(10):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise OutputWriteError(path, exc) from None
        try:
            _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in _BUSY:
                raise FolderLockedError(folder, read_holder(path)) from None
            if exc.errno in _NO_FLOCK:
                return None
            raise OutputWriteError(path, exc) from None
        # The holder before us removes the file before it unlocks: if the name now leads
        # to another file (or none), our lock is on a removed file; try again.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            continue
        try:
            os.ftruncate(fd, 0)
            os.write(fd, _info(command))
        except OSError as exc:
            _unlink(path)
            os.close(fd)
            raise OutputWriteError(path, exc) from None
        return functools.partial(_release_flock, path, fd)
    raise FolderLockedError(folder, read_holder(path))


def _release_flock(path: Path, fd: int) -> None:
    _unlink(path)  # while still locked, so a command that opened it sees the file is gone
    os.close(fd)


def _acquire_exclusive(path: Path, folder: Path, command: str) -> Callable[[], None]:
    """The lock as an exclusively created file, taking over a stale one."""
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            holder = read_holder(path)
            if not _stale(path, holder):
                raise FolderLockedError(folder, holder, by_file=True) from None
            _unlink(path)
            continue
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise OutputWriteError(path, exc) from None
        try:
            os.write(fd, _info(command))
        except OSError as exc:
            os.close(fd)
            _unlink(path)
            raise OutputWriteError(path, exc) from None
        os.close(fd)
        return lambda: _unlink(path)
    raise FolderLockedError(folder, read_holder(path), by_file=True)


def _stale(path: Path, holder: dict[str, Any] | None) -> bool:
    """Whether a lock file was left by a process that no longer runs."""
    if holder is None:
        try:
            age = time.time() - path.stat().st_mtime
        except OSError:
            return True
        return age > _UNREADABLE_STALE_AFTER
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False  # another machine's process cannot be checked from here
    return pid != os.getpid() and not _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    if sys.platform == "win32":  # pragma: no cover - Windows
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return bool(ctypes.GetLastError() == 5)  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return not ok or code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)  # signal 0 only checks the process exists (never on Windows: it would kill)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. it belongs to another user
    return True


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError, OSError):
        os.unlink(path)
