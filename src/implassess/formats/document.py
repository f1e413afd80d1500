"""The guarded reader every declarative file goes through: TOML or JSON (by suffix) → a table.

Instrument, battery, assessment, theme, mapping, targets, norms and conformance files are
all read here, under one size limit and one nesting limit, so a hostile or broken file
(a mapping nested 3,000 levels deep, a multi-gigabyte "targets" file) is a clean
:class:`~implassess.errors.InstrumentError` naming the file rather than a crash. Data
exports (survey files read by ``readers/``) are not declarative files and do not come here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from implassess.errors import Finding, InstrumentError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

#: Largest declarative file read, in bytes. The biggest shipped file is a few kilobytes;
#: a norm set with hundreds of dimensions stays far below this.
MAX_BYTES = 4 * 1024 * 1024

#: Deepest nesting of tables and arrays accepted. Real files nest at most about six levels
#: (``items[0].forms.self.text``); the limit keeps every later recursive step safe.
MAX_DEPTH = 32


def _kind(suffix: str) -> str:
    return "JSON" if suffix.lower() == ".json" else "TOML"


_TYPE_NAMES = {type(None): "null", list: "an array", str: "a string", bool: "a boolean", int: "an integer"}


def _shown_type(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), "a number" if isinstance(value, float) else type(value).__name__)


def _depth(value: Any) -> int:
    """How many tables and arrays deep ``value`` goes, walked without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _too_deep(source: str, kind: str) -> InstrumentError:
    message = (
        f"The {kind} is nested too deeply to read: found more than {MAX_DEPTH} levels of tables and arrays; "
        f"expected at most {MAX_DEPTH}. Flatten the file."
    )
    return InstrumentError([Finding(source, "", message, code="too-deep")])


def parse_document(text: str, source: str, suffix: str = ".toml") -> dict[str, Any]:
    """Parse TOML (or JSON when ``suffix`` is ``.json``) text into a table, under the nesting limit.

    Raises :class:`InstrumentError` with one finding naming ``source`` for invalid syntax,
    a top level that is not a table, or nesting deeper than :data:`MAX_DEPTH`.
    """
    kind = _kind(suffix)
    try:
        data = json.loads(text) if kind == "JSON" else tomllib.loads(text)
    except RecursionError:
        raise _too_deep(source, kind) from None
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentError([Finding(source, "", f"Not valid TOML: {exc}.", code="toml-syntax")]) from None
    except json.JSONDecodeError as exc:
        raise InstrumentError([Finding(source, "", f"Not valid JSON: {exc}.", code="json-syntax")]) from None
    if not isinstance(data, dict):
        message = f"Found {_shown_type(data)} at the top level; expected a JSON object (a table)."
        raise InstrumentError([Finding(source, "", message, code="wrong-type")])
    if _depth(data) > MAX_DEPTH:
        raise _too_deep(source, kind)
    return data


def read_document(path: Path) -> dict[str, Any]:
    """Read a declarative file as a table: TOML, or JSON when its name ends in ``.json``.

    Every failure (unreadable, larger than :data:`MAX_BYTES`, not UTF-8, invalid syntax,
    nested deeper than :data:`MAX_DEPTH`) is an :class:`InstrumentError` naming the file.
    """
    source = str(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        message = f"Cannot read the file: {exc.strerror or exc}."
        raise InstrumentError([Finding(source, "", message, code="io")]) from None
    if len(data) > MAX_BYTES:
        message = (
            f"The file holds more than {MAX_BYTES:,} bytes; expected a declarative file of at most {MAX_BYTES:,} "
            "bytes. Check that this is the file you meant."
        )
        raise InstrumentError([Finding(source, "", message, code="too-large")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        message = (
            f"Not UTF-8 text: byte {data[exc.start]:#04x} at line {line}, column {column} (byte offset "
            f"{exc.start}); expected a UTF-8 {_kind(path.suffix)} file. Save the file as UTF-8."
        )
        raise InstrumentError([Finding(source, "", message, code="encoding")]) from None
    return parse_document(text, source, path.suffix)
