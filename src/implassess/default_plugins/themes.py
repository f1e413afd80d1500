"""The built-in report themes: every ``*.theme.toml`` under the bundled ``templates/themes/``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from implassess.hookspecs import hookimpl
from implassess.resources import data_dir


@hookimpl
def register_themes(register: Callable[[Path], None]) -> None:
    for path in sorted((data_dir("templates") / "themes").glob("*.theme.toml")):
        register(path)
