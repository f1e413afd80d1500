"""Where the bundled data folders are, installed or in a source checkout.

The wheel carries ``instruments/`` and ``templates/`` under ``implassess/_data``;
an editable install reads them from the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The bundled folder ``name`` (``instruments``, ``templates``, ``fonts`` …)."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"The bundled folder {name!r} is missing from this installation ({installed}).")
