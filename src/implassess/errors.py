"""The one exception hierarchy. Errors carry data; only ``cli.py`` turns them into exits.

Every message says where (file, key path, row and column), what was found and what
was expected, in the user's names (TOML keys, column headers).
"""

from __future__ import annotations

from typing import Literal

import attrs


class ImplassessError(Exception):
    """Base of every error implassess raises on purpose."""

    exit_code = 1

    def user_message(self) -> str:
        """The message shown to a user (no traceback)."""
        return str(self)


@attrs.frozen
class Finding:
    """One problem found in a declarative file."""

    source: str
    """File (or plugin) the problem is in."""
    path: str
    """TOML key path such as ``items[3].weight``; empty for the whole file."""
    message: str
    """What was found and what was expected, as a full sentence."""
    severity: Literal["error", "warning"] = "error"
    """Errors make the file invalid; warnings do not."""
    code: str = ""
    """Short machine-readable kind, e.g. ``unknown-key``."""

    def __str__(self) -> str:
        where = f"{self.source}: {self.path}" if self.path else self.source
        return f"{where}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return attrs.asdict(self)


class InstrumentError(ImplassessError):
    """An instrument, battery, theme or assessment file is invalid."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("\n".join(str(f) for f in findings))


class InputError(ImplassessError):
    """A data file cannot be read at all (not: a row is rejected)."""

    def __init__(self, source: str, message: str, row: int | None = None, column: str | None = None):
        self.source = source
        self.message = message
        self.row = row
        self.column = column
        where = source
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


class NotFoundError(ImplassessError):
    """A named thing (instrument, theme, reader) does not exist."""

    def __init__(self, kind: str, name: str, known: list[str]):
        self.kind = kind
        self.name = name
        self.known = known
        hint = ", ".join(sorted(known)) if known else "none are loaded"
        super().__init__(f"No {kind} named {name!r}. Known: {hint}.")


class PluginError(ImplassessError):
    """A plugin failed: names the plugin, the hook and the fault, one fact per line."""

    def __init__(self, plugin: str, hook: str, fault: str):
        self.plugin = plugin
        self.hook = hook
        self.fault = fault
        super().__init__(f"Plugin {plugin!r} failed.\nHook: {hook}\nFault: {fault}")


class DuplicateNameError(PluginError):
    """Two plugins contributed the same name."""

    def __init__(self, kind: str, name: str, first: str, second: str, hook: str):
        self.kind = kind
        self.name = name
        self.first = first
        super().__init__(
            second,
            hook,
            f"{kind} {name!r} is already registered by plugin {first!r}; "
            f"plugin {second!r} registers it again. Rename one of them.",
        )


class IncompatibleError(ImplassessError):
    """Two things cannot be combined (e.g. waves of different instrument versions)."""
