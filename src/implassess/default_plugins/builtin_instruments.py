"""The built-in instrument library: every TOML file under the bundled ``instruments/``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from implassess.hookspecs import hookimpl
from implassess.resources import data_dir


@hookimpl
def register_instruments(register: Callable[[Path], None]) -> None:
    for path in sorted(data_dir("instruments").glob("*.toml")):
        register(path)
