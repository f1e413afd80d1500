"""implassess: organisational diagnostics from declarative instruments.

Plugins write ``from implassess import hookimpl``. The Python API for notebooks lives
in :mod:`implassess.api` and is re-exported here lazily, so importing the package
stays cheap.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from implassess.hookspecs import hookimpl

try:
    __version__ = version("implassess")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"

__all__ = ["__version__", "hookimpl"]
