"""Writing outputs atomically and durably, and hashing files: one implementation for every output.

An interrupted run must never leave a half-written file under a final name, so every
output goes to a temporary file in the same folder first, is flushed to the disk
(``fsync``) and is then renamed with ``os.replace`` (atomic on POSIX and Windows); the
folder is synced after the rename where the platform allows, so the new name survives
a power cut too. :func:`write_files` writes several files as one: nothing is renamed
into place until every one of them was written.

A write that fails because the disk is full (or any other operating-system fault) is
reported as :class:`OutputWriteError`, naming the file, never as a bare ``OSError``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from implassess.errors import ImplassessError

#: errno values that mean "no room left" (disk full, quota exceeded).
_DISK_FULL = frozenset(e for e in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if e is not None)


class OutputWriteError(ImplassessError, OSError):
    """An output file could not be written (disk full, no permission …).

    Also an ``OSError``, so code that catches operating-system faults still catches it;
    the command line shows :meth:`user_message`, which names the file.
    """

    def __init__(self, path: Path, cause: OSError):
        self.path = Path(path)
        self.cause = cause
        if cause.errno in _DISK_FULL:
            message = (
                f"Cannot write {self.path}: the disk is full ({cause.strerror or cause}). Nothing was left "
                "half-written under that name; free some space (or write to another folder) and run the "
                "command again."
            )
        else:
            message = (
                f"Cannot write {self.path}: {cause.strerror or cause}. Expected a folder you can write to; "
                "check its permissions and free space, or write to another folder."
            )
        ImplassessError.__init__(self, message)
        self.errno = cause.errno
        self.strerror = cause.strerror
        self.filename = str(self.path)

    def __str__(self) -> str:
        return str(self.args[0])


def sha256_file(path: Path, *, missing_ok: bool = False) -> str:
    """SHA-256 of a file's bytes, read in chunks. An unreadable file raises OSError, or
    gives "" with ``missing_ok`` (e.g. an output a resumed run has not written yet)."""
    h = hashlib.sha256()
    try:
        with Path(path).open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        if missing_ok:
            return ""
        raise
    return h.hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Suffix of the temporary files :func:`atomic_path` creates (as ``.NAME.RANDOM.part``).
PARTIAL_SUFFIX = ".part"


def is_partial(name: str) -> bool:
    """Whether a file name is a temporary left by an interrupted :func:`atomic_path`."""
    return name.startswith(".") and name.endswith(PARTIAL_SUFFIX)


def _fsync_file(name: str) -> None:
    # Windows refuses to flush a handle opened read-only, so open it for writing.
    fd = os.open(name, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make renames and removals in ``folder`` durable, where the platform allows.

    Windows cannot open a folder as a file, and some file systems refuse to sync one;
    there the rename is as durable as the platform makes it.
    """
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temporary(path: Path) -> tuple[int, str]:
    """A new temporary file next to ``path`` with the usual permissions: (open descriptor, name)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PARTIAL_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise OutputWriteError(path, exc) from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private; give it the usual mode
    except OSError as exc:
        os.close(fd)
        _discard(tmp)
        raise OutputWriteError(path, exc) from None
    return fd, tmp


def _discard(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[str]:
    """A temporary file name next to ``path``; synced and renamed to ``path`` if the block
    succeeds, removed if it fails. For writers that want a file name (such as reportlab).

    A full disk while the block writes is reported as :class:`OutputWriteError` naming ``path``.
    """
    path = Path(path)
    fd, tmp = _temporary(path)
    os.close(fd)
    try:
        try:
            yield tmp
        except OSError as exc:
            if exc.errno in _DISK_FULL and not isinstance(exc, OutputWriteError):
                raise OutputWriteError(path, exc) from None
            raise
        try:
            _fsync_file(tmp)
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputWriteError(path, exc) from None
    except BaseException:
        _discard(tmp)
        raise
    fsync_dir(path.parent)


def _stage(path: Path, raw: bytes) -> str:
    """Write ``raw`` to a synced temporary file next to ``path``; returns its name."""
    fd, tmp = _temporary(path)
    try:
        view = memoryview(raw)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError as exc:
        os.close(fd)
        _discard(tmp)
        raise OutputWriteError(path, exc) from None
    except BaseException:
        os.close(fd)
        _discard(tmp)
        raise
    os.close(fd)
    return tmp


def _bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def write_files(files: Sequence[tuple[Path, str | bytes]], *, invalidate: Path | None = None) -> list[str]:
    """Write several files as one (text is UTF-8); returns their sha256 in the order given.

    Every file is written to a synced temporary name first. If any write fails, the
    temporaries are removed and the folder is left exactly as it was. Only when all are
    written is ``invalidate`` (typically the old manifest) removed, and the files are
    renamed into place in the order given, so put the manifest last: a crash while
    renaming leaves new files without a manifest, never beside the old one.
    """
    raws = [_bytes(data) for _, data in files]
    staged: list[tuple[str, Path]] = []
    try:
        for (path, _), raw in zip(files, raws, strict=True):
            staged.append((_stage(Path(path), raw), Path(path)))
        if invalidate is not None:
            discard_file(invalidate)
        while staged:
            tmp, path = staged[0]
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise OutputWriteError(path, exc) from None
            staged.pop(0)
    finally:
        for tmp, _ in staged:
            _discard(tmp)
    for folder in dict.fromkeys(Path(path).parent for path, _ in files):
        fsync_dir(folder)
    return [hashlib.sha256(raw).hexdigest() for raw in raws]


def write_atomic(path: Path, data: str | bytes) -> str:
    """Write ``data`` (text is UTF-8) to ``path`` atomically and durably; returns its sha256."""
    return write_files([(Path(path), data)])[0]


def discard_file(path: Path) -> bool:
    """Remove ``path`` (if it is there) durably; returns whether it was there.

    Used to take an old manifest away before the files it lists are replaced.
    """
    path = Path(path)
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise OutputWriteError(path, exc) from None
    fsync_dir(path.parent)
    return True
