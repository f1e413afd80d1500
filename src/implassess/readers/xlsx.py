"""Excel workbooks: the generic XLSX reader and the only module that imports openpyxl.

Other readers that meet workbooks (Microsoft Forms, XLSForm exports, KPI sheets) and the
XLSForm writer use the helpers here, so openpyxl stays behind one door.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from implassess.contracts import RawTable
from implassess.errors import InputError
from implassess.limits import env_limit
from implassess.readers._text import (
    MAX_CELL,
    head_records,
    read_bytes,
    suffix,
    table_from_records,
    text_records,
)

ZIP_MAGIC = b"PK\x03\x04"

#: Environment variable raising the limit on what a workbook may unpack to, in MB.
MAX_MB_ENV = "IMPLASSESS_MAX_XLSX_MB"
#: What a workbook may unpack to (all its parts together), in MB, unless raised.
DEFAULT_MAX_MB = 256
#: Environment variable raising the limit on how much smaller a part may be stored than it unpacks.
MAX_RATIO_ENV = "IMPLASSESS_MAX_XLSX_RATIO"
#: Genuine sheets compress 10- to 30-fold; a part packed more than this (and over 1 MB unpacked) is a bomb.
DEFAULT_MAX_RATIO = 100
#: Parts a workbook may hold (real ones hold a few dozen).
MAX_PARTS = 10_000
_MB = 1 << 20
_RATIO_FLOOR = _MB  # small parts (styles, themes) are not held to the ratio
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


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


def _raise_hint(name: str, needed: float) -> str:
    """Advice naming the variable and a value that would let this file through."""
    value = max(1, math.ceil(needed))
    return f"If the workbook is genuine, raise the limit by setting the environment variable {name}={value} or more."


def _declared_parts(data: bytes) -> int | None:
    """How many parts the end of the zip says it holds, read without parsing the directory."""
    end = data.rfind(_EOCD, max(0, len(data) - 65_557))  # the record (22 bytes) plus the longest comment
    if end < 0 or end + 22 > len(data):
        return None
    count = int.from_bytes(data[end + 10 : end + 12], "little")
    if count != 0xFFFF:
        return count
    locator = end - 20  # a Zip64 workbook names the real count in its own record
    if locator < 0 or data[locator : locator + 4] != _ZIP64_LOCATOR:
        return None
    record = int.from_bytes(data[locator + 8 : locator + 16], "little")
    if data[record : record + 4] != _ZIP64_EOCD:
        return None
    return int.from_bytes(data[record + 32 : record + 40], "little")


def check_archive(data: bytes, source: str) -> None:
    """Refuse a workbook whose parts would unpack to more than the limits, before anything unpacks it.

    The zip's directory declares each part's sizes: the parts together must unpack to at
    most ``IMPLASSESS_MAX_XLSX_MB`` (default 256) MB, and no part over 1 MB may unpack more
    than ``IMPLASSESS_MAX_XLSX_RATIO`` (default 100) times its stored size. A part that
    declares less than it holds cannot get past its declaration: Python's zip reader stops
    there and reports the part as damaged. Raises :class:`InputError` naming the limit and
    how to raise it.
    """
    limit_mb = env_limit(MAX_MB_ENV, DEFAULT_MAX_MB)
    max_ratio = env_limit(MAX_RATIO_ENV, DEFAULT_MAX_RATIO)
    parts = _declared_parts(data)
    if parts is not None and parts > MAX_PARTS:
        raise InputError(
            source,
            f"The workbook holds {parts:,} parts; expected at most {MAX_PARTS:,} (real workbooks hold a few "
            "dozen), so this is not a genuine Excel file.",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise InputError(
            source, f"Not an XLSX workbook: the ZIP archive is damaged ({exc}). Expected an Excel .xlsx file."
        ) from None
    if len(infos) > MAX_PARTS:
        raise InputError(
            source,
            f"The workbook holds {len(infos):,} parts; expected at most {MAX_PARTS:,} (real workbooks hold a "
            "few dozen), so this is not a genuine Excel file.",
        )
    total_mb = sum(info.file_size for info in infos) / _MB
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InputError(
                source,
                f"Part {info.filename!r} of the workbook is packed with compression method {info.compress_type}; "
                "expected an Excel .xlsx file, whose parts are stored or deflated.",
            )
        size_mb = info.file_size / _MB
        if size_mb > limit_mb:
            raise InputError(
                source,
                f"Part {info.filename!r} of the workbook unpacks to {_mb(size_mb)} MB (the whole workbook to "
                f"{_mb(total_mb)} MB), more than the limit of {_mb(limit_mb)} MB. " + _raise_hint(MAX_MB_ENV, total_mb),
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > max_ratio:
            raise InputError(
                source,
                f"Part {info.filename!r} of the workbook unpacks to {_mb(size_mb)} MB from "
                f"{info.compress_size:,} bytes, {ratio:,.0f} times its stored size; genuine sheets pack at most "
                f"about {_mb(max_ratio)}-fold, so this looks like a zip bomb. " + _raise_hint(MAX_RATIO_ENV, ratio),
            )
    if total_mb > limit_mb:
        raise InputError(
            source,
            f"The workbook unpacks to {_mb(total_mb)} MB, more than the limit of {_mb(limit_mb)} MB. "
            + _raise_hint(MAX_MB_ENV, total_mb),
        )


def _mb(x: float) -> str:
    """A size or limit for a message: whole numbers with thousands separators, else one decimal."""
    return f"{x:,.0f}" if x >= 10 or x == int(x) else f"{x:,.1f}"


def _check_file_size(path: Path, source: str) -> None:
    """A workbook file larger than the unpacked limit cannot be within it: refuse it before reading it."""
    limit_mb = env_limit(MAX_MB_ENV, DEFAULT_MAX_MB)
    try:
        size = path.stat().st_size
    except OSError:
        return  # reading it reports the problem
    if size / _MB > limit_mb:
        raise InputError(
            source,
            f"The workbook file is {_mb(size / _MB)} MB, more than the limit of {_mb(limit_mb)} MB. "
            + _raise_hint(MAX_MB_ENV, size / _MB),
        )


def _open(data: bytes, source: str) -> Any:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except zipfile.BadZipFile as exc:  # e.g. a part holding more than its directory declares
        raise InputError(
            source,
            f"The workbook's ZIP archive is damaged ({exc}); expected an Excel .xlsx file as a spreadsheet program "
            "saves it. Save it again from the program that made it.",
        ) from None
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise InputError(
            source,
            f"Not an XLSX workbook ({type(exc).__name__}: {exc}). Expected an Excel .xlsx file; "
            "save an old .xls file as .xlsx first.",
        ) from None


def read_sheet(path: Path, sheet: str | int | None = None, *, formats: bool = False, limit: int | None = None) -> Sheet:
    """Typed rows of a worksheet (the first by default); any failure is an :class:`InputError`."""
    source = str(path)
    _check_file_size(path, source)
    data = read_bytes(path)
    if not data.startswith(ZIP_MAGIC):
        raise InputError(
            source, "Not an XLSX workbook: the file does not start like a ZIP archive. Expected an Excel .xlsx file."
        )
    check_archive(data, source)
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
                    cell = ws.cell(row=r, column=c, value=value)
                    if isinstance(value, str) and value.startswith("="):
                        cell.data_type = "s"  # text that looks like a formula stays text, never a formula
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
