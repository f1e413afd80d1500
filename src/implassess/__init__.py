"""implassess: organisational diagnostics from declarative instruments.

Plugins write ``from implassess import hookimpl``. The Python API for notebooks lives
in :mod:`implassess.api` and is re-exported here lazily, so importing the package
stays cheap.
"""

from __future__ import annotations

from implassess._version import __version__
from implassess.hookspecs import hookimpl

_API = (
    "list_instruments",
    "load_instrument",
    "load_battery",
    "read_responses",
    "read_kpis",
    "score",
    "render_report",
    "run_assessment",
    "run_participants",
    "make_sample",
)

__all__ = ["__version__", "hookimpl", *_API]


def __getattr__(name: str) -> object:
    # The API imports numpy and reportlab on use, so `import implassess` stays cheap.
    # Its names differ from every submodule's (a submodule import would shadow them).
    if name in _API:
        from implassess import api

        return getattr(api, name)
    raise AttributeError(f"module 'implassess' has no attribute {name!r}")
