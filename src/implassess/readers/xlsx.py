"""Excel workbooks: the generic XLSX reader and the only module that imports openpyxl.

Other readers that meet workbooks (Microsoft Forms, XLSForm exports, KPI sheets) and the
XLSForm writer use the helpers here, so openpyxl stays behind one door.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from implassess.contracts import RawTable
from implassess.errors import InputError
from implassess.readers._text import (
    MAX_CELL,
    head_records,
    read_bytes,
    suffix,
    table_from_records,
    text_records,
)

ZIP_MAGIC = b"PK\x03\x04"


def cell_text(value: Any) -> str | None:
    """A cell value as the text a spreadsheet shows (numbers without a trailing ``.0``)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep="T", timespec="seconds") if value.microsecond == 0 else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


class Sheet:
    """Rows of one worksheet, with typed values and, if asked, number formats."""

    def __init__(self, title: str, rows: list[tuple[int, list[Any]]], formats: dict[tuple[int, int], str]):
        self.title = title
        """The worksheet's name."""
        self.rows = rows
        """(row number as Excel shows it, typed cell values) for every row, blank ones included."""
        self.formats = formats
        """(row, column index) → number format, for numeric cells with a non-General format."""


def _open(data: bytes, source: str) -> Any:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise InputError(
            source,
            f"Not an XLSX workbook ({type(exc).__name__}: {exc}). Expected an Excel .xlsx file; "
            "save an old .xls file as .xlsx first.",
        ) from None


def read_sheet(path: Path, sheet: str | int | None = None, *, formats: bool = False, limit: int | None = None) -> Sheet:
    """Typed rows of a worksheet (the first by default); any failure is an :class:`InputError`."""
    source = str(path)
    data = read_bytes(path)
    if not data.startswith(ZIP_MAGIC):
        raise InputError(
            source, "Not an XLSX workbook: the file does not start like a ZIP archive. Expected an Excel .xlsx file."
        )
    wb = _open(data, source)
    try:
        names = list(wb.sheetnames)
        if not names:
            raise InputError(source, "The workbook has no worksheets.")
        if sheet is None or sheet == "":
            ws = wb.worksheets[0]
        elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit()):
            index = int(sheet)
            if not 1 <= index <= len(names):
                raise InputError(source, f"Sheet number {index} does not exist; the workbook has {len(names)}.")
            ws = wb.worksheets[index - 1]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise InputError(source, f"No sheet named {sheet!r}; the workbook has: {', '.join(map(repr, names))}.")
        rows: list[tuple[int, list[Any]]] = []
        fmts: dict[tuple[int, int], str] = {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if hasattr(ws, "reset_dimensions"):
                    # Some tools write a wrong <dimension>; read the cells that are there.
                    ws.reset_dimensions()
                for rownum, cells in enumerate(ws.iter_rows(), start=1):
                    values: list[Any] = []
                    for j, cell in enumerate(cells):
                        v = cell.value
                        if isinstance(v, str) and len(v) > MAX_CELL:
                            raise InputError(
                                source,
                                f"A cell is longer than {MAX_CELL:,} characters; expected survey answers of "
                                "ordinary size.",
                                row=rownum,
                                column=column_letter(j),
                            )
                        if formats and isinstance(v, (int, float)) and not isinstance(v, bool):
                            nf = getattr(cell, "number_format", "General")
                            if nf and nf != "General":
                                fmts[(rownum, j)] = nf
                        values.append(v)
                    while values and values[-1] is None:
                        values.pop()
                    rows.append((rownum, values))
                    if limit is not None and rownum >= limit:
                        break
        except InputError:
            raise
        except Exception as exc:
            raise InputError(
                source, f"The worksheet {ws.title!r} is damaged and cannot be read ({type(exc).__name__}: {exc})."
            ) from None
        return Sheet(ws.title, rows, fmts)
    finally:
        wb.close()


def column_letter(index: int) -> str:
    """Excel column letters for a 0-based index (0 → A)."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


@functools.lru_cache(maxsize=16)
def _first_rows(path: str, mtime: float, size: int, n: int) -> tuple[tuple[str, ...], ...]:
    try:
        sheet = read_sheet(Path(path), limit=n + 10)
    except InputError:
        return ()
    out = []
    for _, values in sheet.rows:
        if any(v is not None for v in values):
            out.append(tuple((cell_text(v) or "").strip() for v in values))
        if len(out) >= n:
            break
    return tuple(out)


def first_rows(path: Path, head: bytes, n: int = 3) -> tuple[tuple[str, ...], ...]:
    """The first non-blank rows of the first sheet as text, for sniffing (empty if not a workbook)."""
    if not head.startswith(ZIP_MAGIC):
        return ()
    try:
        st = path.stat()
    except OSError:
        return ()
    return _first_rows(str(path), st.st_mtime, st.st_size, n)


def sheet_records(path: Path, options: dict[str, Any]) -> tuple[list[list[str | None]], dict[str, Any]]:
    """Rows of a worksheet as text (record ``k`` is row ``k + 1``), and meta naming the sheet."""
    sheet = read_sheet(path, options.get("sheet"))
    return [[cell_text(v) for v in values] for _, values in sheet.rows], {"sheet": sheet.title}


def table_from_sheet(
    path: Path, fmt: str, options: dict[str, Any], *, header_rows: int = 1
) -> tuple[RawTable, list[list[str]]]:
    """A :class:`RawTable` from a worksheet (see :func:`~implassess.readers._text.table_from_records`)."""
    records, meta = sheet_records(path, options)
    return table_from_records(str(path), fmt, records, header_rows=header_rows, meta=meta)


def is_workbook(path: Path) -> bool:
    """Whether the file starts like a ZIP archive (as every XLSX does)."""
    try:
        with path.open("rb") as f:
            return f.read(4) == ZIP_MAGIC
    except OSError:
        return False


def any_records(path: Path, options: dict[str, Any]) -> tuple[list[list[Any]], dict[str, Any]]:
    """Records of either a workbook (ZIP magic) or delimited text (record ``k`` is row ``k + 1``)."""
    if is_workbook(path):
        return sheet_records(path, options)
    return text_records(path, options)


def any_head_rows(path: Path, head: bytes, n: int = 3) -> tuple[tuple[str, ...], ...]:
    """First non-blank rows of a workbook or delimited text, for sniffing."""
    if head.startswith(ZIP_MAGIC):
        return first_rows(path, head, n)
    return head_records(head, n)


class Formatted(NamedTuple):
    """A cell value with an Excel number format, for :func:`write_workbook` (e.g. ``0%``)."""

    value: Any
    number_format: str


def write_workbook(sheets: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> bytes:
    """An XLSX workbook with one worksheet per (name, rows), as bytes.

    Cells are plain values (text, numbers, dates) or :class:`Formatted` values.
    """
    import openpyxl

    wb = openpyxl.Workbook()
    del wb[wb.sheetnames[0]]  # a new workbook starts with one empty sheet
    for name, rows in sheets:
        ws = wb.create_sheet(title=name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if isinstance(value, Formatted):
                    cell = ws.cell(row=r, column=c, value=value.value)
                    cell.number_format = value.number_format
                elif value is not None:
                    ws.cell(row=r, column=c, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class XlsxReader:
    """Generic Excel workbook: the first non-blank row of the sheet is the header."""

    name = "xlsx"
    description = "Excel workbook (.xlsx): first non-blank row of the first sheet (or --sheet) is the header."

    def sniff(self, path: Path, head: bytes) -> float:
        if not head.startswith(ZIP_MAGIC):
            return 0.0
        return 0.4 if suffix(path) in ("xlsx", "xlsm") else 0.3

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        table, _ = table_from_sheet(path, self.name, options)
        return table
