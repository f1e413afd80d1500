"""The installed version, in a module of its own.

Modules inside the package import ``__version__`` from here, not from the package root:
the root reaches the Python API lazily, so importing a name from it would close an
import circle through every layer the API uses.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("implassess")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"

__all__ = ["__version__"]
