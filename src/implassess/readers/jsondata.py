"""JSON (an array of objects) and JSON Lines (one object per line).

Keys become columns in the order first seen. Row numbers are the position of the object
in the array (1 = first) for JSON, and the line number for JSON Lines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from implassess.contracts import RawTable, RejectedRow
from implassess.errors import InputError
from implassess.readers._text import MAX_CELL, decode_text, head_text, read_bytes, suffix


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


_KINDS = {str: "text", int: "number", float: "number", bool: "true/false value", list: "list", type(None): "null"}


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"


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
            data = json.loads(text)
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
        lines = [ln.strip() for ln in text.lstrip("\ufeff").splitlines() if ln.strip()]
        if not lines or not lines[0].startswith("{"):
            return 0.0
        try:
            json.loads(lines[0])
        except ValueError:
            return 0.2
        return 0.9 if suffix(path) in ("jsonl", "ndjson") else 0.75

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        source = str(path)
        text = decode_text(read_bytes(path), source, options.get("encoding"))
        objects: list[tuple[int, Any]] = []
        bad: list[RejectedRow] = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                objects.append((lineno, json.loads(line)))
            except (json.JSONDecodeError, RecursionError) as exc:
                msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
                bad.append(RejectedRow(lineno, (f"The line is not valid JSON ({msg}); expected one object per line.",)))
        if not objects and bad:
            raise InputError(source, f"No line is valid JSON (line {bad[0].row}: {bad[0].reasons[0]})")
        table = _table(source, self.name, objects, {"row_numbers": "line number"})
        table.rejected.extend(bad)
        table.rejected.sort(key=lambda r: r.row)
        return table
