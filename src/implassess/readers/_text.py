"""Shared machinery of the text readers: bytes → text → records → :class:`RawTable`.

Every failure to read is an :class:`~implassess.errors.InputError` naming the file;
rows that are merely wrong (ragged) become :class:`~implassess.contracts.RejectedRow`.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
from collections.abc import Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from implassess.contracts import RawTable, RejectedRow
from implassess.errors import InputError

#: Largest cell accepted, in characters. Larger cells mean a damaged or non-survey file.
MAX_CELL = 1_048_576

#: Bytes handed to ``sniff``.
HEAD_BYTES = 65_536

#: Delimiters tried when none is given, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|")

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def delimiter_name(delimiter: str) -> str:
    """A delimiter as a word, for messages."""
    return _DELIMITER_NAMES.get(delimiter, repr(delimiter))


def read_bytes(path: Path) -> bytes:
    """The file's bytes; a missing, unreadable or empty file is an :class:`InputError`."""
    source = str(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError(source, "This is a folder; expected a survey export file.") from None
    except FileNotFoundError:
        raise InputError(source, "The file does not exist.") from None
    except OSError as exc:
        raise InputError(source, f"Cannot read the file: {exc.strerror or exc}.") from None
    if not data.strip():
        raise InputError(source, "The file is empty; expected a header row followed by data rows.")
    return data


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: every other byte of ASCII text is zero."""
    sample = data[:2000]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.8 * half and even < 0.1 * half:
        return "utf-16-le"
    if even > 0.8 * half and odd < 0.1 * half:
        return "utf-16-be"
    return None


def decode_text(data: bytes, source: str, encoding: str | None = None) -> str:
    """Decode a text export: UTF-8 (with or without BOM) or UTF-16, or ``encoding`` if given."""
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise InputError(
                source, f"Unknown encoding {encoding!r}; expected a name such as 'utf-8' or 'cp1252'."
            ) from None
        except UnicodeDecodeError as exc:
            raise InputError(
                source,
                f"Not {encoding} text: byte 0x{data[exc.start]:02x} at offset {exc.start} cannot be decoded. "
                "Check the encoding the file was saved in.",
            ) from None
        text = text.removeprefix("\ufeff")
    elif data.startswith(codecs.BOM_UTF8):
        text = _decode(data[3:], "utf-8", source)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode(data, "utf-16", source)
    elif guess := _looks_utf16(data):
        text = _decode(data, guess, source)
    else:
        if b"\x00" in data:
            _binary(source, data.index(b"\x00"))
        text = _decode(data, "utf-8", source)
    if "\x00" in text:
        _binary(source, text.index("\x00"))
    return text


def _binary(source: str, offset: int) -> None:
    raise InputError(
        source,
        f"The file contains NUL characters (first at offset {offset}); it looks binary, not like a text export. "
        "Expected a CSV, TSV, JSON or XLSX file.",
    )


def _decode(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        hint = (
            " If Excel saved it as 'CSV' on Windows, read it with encoding 'cp1252' (--encoding cp1252),"
            " or save it again as 'CSV UTF-8'."
            if encoding == "utf-8"
            else ""
        )
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            source,
            f"Not {encoding.upper()} text: byte 0x{data[exc.start]:02x} on line {line} (offset {exc.start}) "
            "cannot be decoded." + hint,
        ) from None


def head_text(head: bytes) -> str | None:
    """Lenient decoding of the first bytes for sniffing (None if it is not text)."""
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
        enc = "utf-8"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        enc = "utf-16"
    else:
        enc = _looks_utf16(head) or "utf-8"
    try:
        text = head.decode(enc, errors="strict")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # the head ends in the middle of a character
            text = head[: exc.start].decode(enc, errors="ignore")
        elif enc == "utf-8":
            # Text in a legacy encoding (Excel's cp1252 CSV): still text, so a text reader
            # claims it and its read reports the encoding with the fix.
            text = head.decode("cp1252", errors="replace")
        else:
            return None
    if "\x00" in text:
        return None
    return text


def _complete_lines(text: str) -> str:
    """Drop a trailing partial line of a sample (unless the sample is a single line)."""
    cut = text.rfind("\n")
    return text[: cut + 1] if cut > 0 else text


def sniff_delimiter(sample: str) -> str:
    """The delimiter among , ; tab | that splits the sample's lines most consistently."""
    sample = _complete_lines(sample)
    best: tuple[tuple[int, float, int], str] | None = None
    for d in DELIMITERS:
        try:
            records = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=d) if r]
        except csv.Error:
            continue
        if not records:
            continue
        width = len(records[0])
        same = sum(1 for r in records if len(r) == width) / len(records)
        key = (int(width > 1), same, width if width > 1 else 0)
        if best is None or key > best[0]:
            best = (key, d)
    return best[1] if best else ","


@functools.lru_cache(maxsize=32)
def head_records(head: bytes, n: int = 4) -> tuple[tuple[str, ...], ...]:
    """Up to ``n`` records parsed from the head of a delimited file (for sniffing)."""
    text = head_text(head)
    if text is None:
        return ()
    text = _complete_lines(text) if len(head) >= HEAD_BYTES else text
    d = sniff_delimiter(text)
    out: list[tuple[str, ...]] = []
    try:
        for rec in csv.reader(io.StringIO(text, newline=""), delimiter=d):
            if not rec:
                continue
            out.append(tuple(c.strip() for c in rec))
            if len(out) >= n:
                break
    except csv.Error:
        return tuple(out)
    return tuple(out)


def parse_delimited(text: str, source: str, delimiter: str) -> list[list[str]]:
    """All records of delimited text; cells over :data:`MAX_CELL` are an :class:`InputError`."""
    previous = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        return list(reader)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise InputError(
                source,
                f"Near line {reader.line_num} a cell is longer than {MAX_CELL:,} characters; expected survey "
                "answers of ordinary size. The file is damaged or is not delimited text.",
            ) from None
        raise InputError(
            source, f"Cannot parse line {reader.line_num} as {delimiter_name(delimiter)}-delimited text: {exc}."
        ) from None
    finally:
        csv.field_size_limit(previous)


def read_delimited(path: Path, options: dict[str, Any]) -> tuple[list[list[str]], str]:
    """Read, decode and split a delimited file; returns (records, delimiter)."""
    source = str(path)
    text = decode_text(read_bytes(path), source, options.get("encoding"))
    delimiter = options.get("delimiter") or sniff_delimiter(text[:HEAD_BYTES])
    if delimiter in ("tab", "\\t"):
        delimiter = "\t"
    if len(delimiter) != 1:
        raise InputError(source, f"Delimiter {delimiter!r} is not one character; expected one of , ; tab |.")
    records = parse_delimited(text, source, delimiter)
    return records, delimiter


_SPACE_RE = re.compile(r"\s+")


def clean_header(cells: Sequence[Any]) -> tuple[list[str], list[str]]:
    """Header cells stripped, blanks named by position, duplicates numbered; returns (names, notes)."""
    names: list[str] = []
    notes: list[str] = []
    cells = list(cells)
    while cells and (cells[-1] is None or not str(cells[-1]).strip()):
        cells.pop()
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = _SPACE_RE.sub(" ", str(cell if cell is not None else "")).strip().lstrip("\ufeff")
        if not name:
            name = f"column {i + 1}"
        if name in seen:
            seen[name] += 1
            new = f"{name} ({seen[name]})"
            notes.append(f"The header {name!r} appears more than once; its copy in column {i + 1} is named {new!r}.")
            name = new
        else:
            seen[name] = 1
        names.append(name)
    return names, notes


def ragged_reason(cells: Sequence[Any], columns: Sequence[str]) -> str:
    """Why a row with the wrong number of cells is rejected."""
    n = len(columns)
    if len(cells) > n:
        # The extra cells are not quoted: in a shifted row they may hold a personal column's value.
        return (
            f"The row has {len(cells)} cells but the header has {n} columns: found {len(cells) - n} cell(s) after "
            f"the last column {columns[-1]!r}; expected one cell per column (an unquoted delimiter in an answer?)."
        )
    missing = ", ".join(repr(c) for c in columns[len(cells) :][:3])
    more = " …" if n - len(cells) > 3 else ""
    return (
        f"The row has {len(cells)} cells but the header has {n} columns: found no cell for {missing}{more}; "
        "expected one cell per column (a line break inside an unquoted answer?)."
    )


def build_table(
    source: str,
    fmt: str,
    columns: Sequence[str],
    records: Sequence[Sequence[Any]],
    first: int,
    *,
    labels: dict[str, str] | None = None,
    meta: dict[str, Any] | None = None,
    pad: bool = False,
) -> RawTable:
    """A :class:`RawTable` of ``records[first:]``; record ``k`` is row ``k + 1`` of the file.

    Rows with the wrong number of cells are rejected as ragged; blank rows are skipped
    and counted in ``meta["blank_rows"]``. With ``pad`` (worksheets, where a short row
    just has empty cells at the end) short rows are filled with empty cells instead.
    """
    n = len(columns)
    data = records[first:]
    if pad:
        data = [r if len(r) >= n else [*r, *([None] * (n - len(r)))] for r in data]
    rows: list[tuple[int, tuple[Any, ...]]]
    rejected: list[RejectedRow] = []
    rejected_cells: dict[int, tuple[Any, ...]] = {}
    blank = 0
    lengths = set(map(len, data))
    if lengths <= {0, n}:
        # The common case, kept to C-level loops: every row has one cell per column.
        rows = list(zip(range(first + 1, first + 1 + len(data)), map(tuple, data), strict=True))

        # A row can be blank only if its first cell is; whitespace counts as blank.
        def blank_cell(c: Any) -> bool:
            return c is None or not str(c).strip()

        no_first = 0 in lengths or _any_blank_first(data)
        suspects = [k for k, r in enumerate(data) if not r or blank_cell(r[0])] if no_first else []
        empty = {k for k in suspects if not any(c not in (None, "") and str(c).strip() for c in data[k])}
        if empty:
            blank = len(empty)
            rows = [row for k, row in enumerate(rows) if k not in empty]
    else:
        rows = []
        for k, cells in enumerate(data):
            rownum = first + 1 + k
            if not any(c not in (None, "") and str(c).strip() for c in cells):
                blank += 1
            elif len(cells) == n:
                rows.append((rownum, tuple(cells)))
            elif len(cells) > n and all(c in (None, "") for c in cells[n:]):
                rows.append((rownum, tuple(cells[:n])))
            else:
                rejected.append(RejectedRow(rownum, (ragged_reason(cells, columns),)))
                # Kept only so the respondent id can be named; never written out (see rejected_csv).
                rejected_cells[rownum] = tuple(cells[:n]) + (None,) * max(0, n - len(cells))
    meta = dict(meta or {})
    meta["blank_rows"] = meta.get("blank_rows", 0) + blank
    meta.setdefault("rejected_cells", {}).update(rejected_cells)
    meta.setdefault("ragged_rows", set()).update(rejected_cells)
    return RawTable(
        source=source,
        format=fmt,
        columns=tuple(columns),
        rows=rows,
        labels=dict(labels or {}),
        rejected=rejected,
        meta=meta,
    )


def _any_blank_first(data: Sequence[Sequence[Any]]) -> bool:
    """Whether any record's first cell is empty or white space (C-level loops for text)."""
    firsts = list(map(itemgetter(0), data))
    if not all(firsts):
        return True
    try:
        return any(map(str.isspace, firsts))
    except TypeError:  # a workbook's numbers or dates
        return any(isinstance(c, str) and c.isspace() for c in firsts)


def first_nonblank(records: Sequence[Sequence[Any]], limit: int = 20) -> int | None:
    """Index of the first record with any non-blank cell, within ``limit`` records."""
    for i, rec in enumerate(records[:limit]):
        if any(c is not None and str(c).strip() for c in rec):
            return i
    return None


def suffix(path: Path) -> str:
    """Lower-case file extension without the dot."""
    return path.suffix.lower().lstrip(".")


def table_from_records(
    source: str,
    fmt: str,
    records: Sequence[Sequence[Any]],
    *,
    header_rows: int = 1,
    meta: dict[str, Any] | None = None,
) -> tuple[RawTable, list[list[str]]]:
    """A :class:`RawTable` from records (record ``k`` is row ``k + 1``) whose first non-blank
    record(s) are the header. Returns the table and the header records as text."""
    start = first_nonblank(records)
    if start is None:
        raise InputError(source, "No header row within the first 20 rows; expected a header row then data rows.")
    headers = [
        ["" if c is None else str(c) for c in records[start + k]]
        for k in range(header_rows)
        if start + k < len(records)
    ]
    columns, notes = clean_header(headers[0])
    meta = dict(meta or {})
    meta["notes"] = list(meta.get("notes", [])) + notes
    meta["header_rows"] = header_rows
    table = build_table(source, fmt, columns, records, start + header_rows, meta=meta, pad="sheet" in meta)
    # A repeated header is renamed "Text (2)", but its question text is still "Text": it matches
    # the same item as the first copy, so the clash is reported instead of one copy going unread.
    for name, cell in zip(columns, headers[0], strict=False):
        text = _SPACE_RE.sub(" ", cell).strip().lstrip("\ufeff")
        if text and text != name:
            table.labels[name] = text
    return table, headers


def text_records(path: Path, options: dict[str, Any]) -> tuple[list[list[str]], dict[str, Any]]:
    """Records of a delimited file (record ``k`` is row ``k + 1`` as a spreadsheet shows it) and meta."""
    records, delimiter = read_delimited(path, options)
    return records, {"delimiter": delimiter}


def table_from_text(
    path: Path, fmt: str, options: dict[str, Any], *, header_rows: int = 1
) -> tuple[RawTable, list[list[str]]]:
    """A :class:`RawTable` from delimited text (see :func:`table_from_records`)."""
    records, meta = text_records(path, options)
    return table_from_records(str(path), fmt, records, header_rows=header_rows, meta=meta)
