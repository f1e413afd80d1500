"""JSON (an array of objects) and JSON Lines (one object per line).

Keys become columns in the order first seen. Row numbers are the position of the object
in the array (1 = first) for JSON, and the line number for JSON Lines. JSON Lines are
split at ``\n`` only: U+2028 and other Unicode line breaks are text inside a JSON string.
A number that cannot be a cell (more digits than Python converts, too large for a float,
or ``NaN``/``Infinity``, which JSON does not allow) rejects its row with a reason naming
the key.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from implassess.contracts import RawTable, RejectedRow
from implassess.errors import InputError
from implassess.readers._text import MAX_CELL, decode_text, head_text, read_bytes, suffix


class _BadNumber:
    """A JSON number kept out of the cells, with what is wrong with it."""

    __slots__ = ("expected", "found", "text")

    def __init__(self, text: str, found: str, expected: str = "a number of ordinary size, or text in quotes"):
        self.text = text
        """The number as written in the file."""
        self.found = found
        """What was found, for the reason (e.g. "a number of 5,000 digits (12345678…)")."""
        self.expected = expected
        """What was expected instead."""

    def __str__(self) -> str:
        return self.text


def _clip(text: str) -> str:
    return text if len(text) <= 24 else text[:20] + "…"


def _parse_int(text: str) -> int | _BadNumber:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        digits, limit = len(text.lstrip("-")), sys.get_int_max_str_digits()
        found = f"a number of {digits:,} digits ({_clip(text)})"
        return _BadNumber(text, found, f"a number of at most {limit:,} digits, or text in quotes")


def _parse_float(text: str) -> float | _BadNumber:
    value = float(text)
    if math.isfinite(value):
        return value
    return _BadNumber(text, f"the number {_clip(text)}, which is too large to read")


def _parse_constant(name: str) -> _BadNumber:
    return _BadNumber(name, f"{name}, which is not a number JSON allows")


def _loads(text: str) -> Any:
    """``json.loads`` with every number that cannot be a cell kept as a :class:`_BadNumber`."""
    return json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)


def _bad_number_reason(col: str, bad: _BadNumber) -> str:
    return f"Column {col!r}: found {bad.found}; expected {bad.expected}."


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _table(source: str, fmt: str, objects: list[tuple[int, Any]], meta: dict[str, Any]) -> RawTable:
    columns: dict[str, None] = {}
    for _, obj in objects:
        if isinstance(obj, dict):
            for k in obj:
                columns.setdefault(str(k).strip() or "(blank key)", None)
    names = list(columns)
    index = {c: i for i, c in enumerate(names)}
    rows: list[tuple[int, tuple[str | None, ...]]] = []
    rejected: list[RejectedRow] = []
    for rownum, obj in objects:
        if not isinstance(obj, dict):
            kind = _KINDS.get(type(obj), type(obj).__name__)
            rejected.append(
                RejectedRow(rownum, (f"The entry is a {kind} ({_short(obj)}); expected an object of column: value.",))
            )
            continue
        cells: list[str | None] = [None] * len(names)
        reasons = []
        for k, v in obj.items():
            col = str(k).strip() or "(blank key)"
            if isinstance(v, _BadNumber):
                reasons.append(_bad_number_reason(col, v))
                continue
            if isinstance(v, (dict, list)):
                reasons.append(
                    f"Column {col!r}: found a nested {'object' if isinstance(v, dict) else 'list'} "
                    f"({_short(v)}); expected a single number or text."
                )
                continue
            text = _cell(v)
            if text is not None and len(text) > MAX_CELL:
                raise InputError(source, f"A value is longer than {MAX_CELL:,} characters.", row=rownum, column=col)
            cells[index[col]] = text
        if reasons:
            rejected.append(RejectedRow(rownum, tuple(reasons)))
            meta.setdefault("rejected_cells", {})[rownum] = tuple(cells)
            continue
        if any(c not in (None, "") for c in cells):
            rows.append((rownum, tuple(cells)))
        else:
            meta["blank_rows"] = meta.get("blank_rows", 0) + 1
    return RawTable(source=source, format=fmt, columns=tuple(names), rows=rows, rejected=rejected, meta=meta)


_KINDS = {
    str: "text",
    int: "number",
    float: "number",
    _BadNumber: "number",
    bool: "true/false value",
    list: "list",
    type(None): "null",
}


def _short(value: Any) -> str:
    """The shape of a value, never its content: it may hold a name no pattern can recognise."""
    if isinstance(value, dict):
        return f"{len(value)} key{'s' if len(value) != 1 else ''}"
    if isinstance(value, list):
        return f"{len(value)} value{'s' if len(value) != 1 else ''}"
    if isinstance(value, str):
        return f"{len(value)} character{'s' if len(value) != 1 else ''}"
    if isinstance(value, _BadNumber):
        return f"{len(value.text.lstrip('-')):,} characters"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return f"{len(str(value).lstrip('-').replace('.', ''))} digits"
    return "not shown"


class JsonReader:
    """A JSON array of objects, one object per response."""

    name = "json"
    description = "JSON array of objects (one per response); keys are the columns."

    def sniff(self, path: Path, head: bytes) -> float:
        text = head_text(head)
        if text is None:
            return 0.0
        s = text.lstrip("\ufeff \t\r\n")
        if not s.startswith("["):
            return 0.0
        rest = s[1:].lstrip()
        score = 0.8 if rest.startswith("{") or rest.startswith("]") else 0.4
        return score + (0.1 if suffix(path) == "json" else 0.0)

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        source = str(path)
        text = decode_text(read_bytes(path), source, options.get("encoding"))
        try:
            data = _loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                source, f"Not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; expected an array."
            ) from None
        except RecursionError:
            raise InputError(source, "The JSON is nested too deeply; expected an array of flat objects.") from None
        if not isinstance(data, list):
            raise InputError(
                source, f"The JSON holds a {type(data).__name__}; expected an array of objects, one per response."
            )
        return _table(source, self.name, list(enumerate(data, start=1)), {"row_numbers": "array position"})


class JsonLinesReader:
    """JSON Lines: one JSON object per line."""

    name = "jsonl"
    description = "JSON Lines (.jsonl, .ndjson): one object per line; keys are the columns."

    def sniff(self, path: Path, head: bytes) -> float:
        text = head_text(head)
        if text is None:
            return 0.0
        lines = [ln.strip() for ln in text.lstrip("\ufeff").split("\n") if ln.strip()]
        if not lines or not lines[0].startswith("{"):
            return 0.0
        try:
            _loads(lines[0])
        except ValueError:
            return 0.2
        return 0.9 if suffix(path) in ("jsonl", "ndjson") else 0.75

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        source = str(path)
        text = decode_text(read_bytes(path), source, options.get("encoding"))
        objects: list[tuple[int, Any]] = []
        bad: list[RejectedRow] = []
        # Only "\n" ends a line: str.splitlines() would also split at U+2028, U+0085 …,
        # which JSON strings may hold as they are.
        for lineno, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                objects.append((lineno, _loads(line)))
            except (json.JSONDecodeError, RecursionError) as exc:
                msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
                bad.append(RejectedRow(lineno, (f"The line is not valid JSON ({msg}); expected one object per line.",)))
        if not objects and bad:
            raise InputError(source, f"No line is valid JSON (line {bad[0].row}: {bad[0].reasons[0]})")
        table = _table(source, self.name, objects, {"row_numbers": "line number"})
        table.rejected.extend(bad)
        table.rejected.sort(key=lambda r: r.row)
        return table
