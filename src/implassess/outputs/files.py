"""Writing outputs atomically and hashing files: one implementation for every output.

An interrupted run must never leave a half-written file under a final name, so every
output goes to a temporary file in the same folder first and is then renamed with
``os.replace`` (atomic on POSIX and Windows).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


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


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[str]:
    """A temporary file name next to ``path``; renamed to ``path`` if the block succeeds,
    removed if it fails. For writers that want a file name (such as reportlab)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PARTIAL_SUFFIX, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private; give it the usual mode
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path, data: str | bytes) -> str:
    """Write ``data`` (text is UTF-8) to ``path`` atomically and durably; returns its sha256."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
    return hashlib.sha256(raw).hexdigest()
