"""KPI sheets (CSV or XLSX): one value per KPI per period, from the client's own systems.

Columns ``kpi``, ``period``, ``value`` and optionally ``unit`` and ``site`` (header case
does not matter). This reader returns text cells like every reader; numbers are typed
by :func:`implassess.ingest.read_kpis`, which handles decimal commas. Numeric workbook
cells are listed in ``meta["numeric_cells"]`` so their text is never re-read with a
decimal comma, and cells formatted as a percentage read as the spreadsheet shows them
(0.12 formatted ``0%`` is 12).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from implassess.contracts import KpiValue, RawTable, RejectedRow
from implassess.errors import InputError
from implassess.ingest.columns import id_key
from implassess.readers import _numbers
from implassess.readers._text import table_from_records, text_records
from implassess.readers.xlsx import any_head_rows, cell_text, is_workbook, read_sheet

if TYPE_CHECKING:
    from implassess.model import Instrument

REQUIRED = ("kpi", "period", "value")
OPTIONAL = ("unit", "site")


class KpiSheetReader:
    """A KPI sheet: kpi, period, value (and unit, site) columns."""

    name = "kpi"
    description = "KPI sheet (CSV or XLSX) with columns kpi, period, value and optional unit, site."

    def sniff(self, path: Path, head: bytes) -> float:
        rows = any_head_rows(path, head, 1)
        if not rows:
            return 0.0
        header = {c.strip().casefold() for c in rows[0]}
        return 0.95 if set(REQUIRED) <= header else 0.0

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        source = str(path)
        if not is_workbook(path):
            text_rows, meta = text_records(path, options)
            table, _ = table_from_records(source, self.name, text_rows, meta=meta)
            table.meta["numeric_cells"] = set()
            table.meta["percent_cells"] = set()
            return table
        sheet = read_sheet(path, options.get("sheet"), formats=True)
        numeric: set[tuple[int, int]] = set()
        percent: set[tuple[int, int]] = set()
        records: list[list[str | None]] = []
        for rownum, values in sheet.rows:
            cells: list[str | None] = []
            for j, v in enumerate(values):
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    numeric.add((rownum, j))
                    if "%" in sheet.formats.get((rownum, j), ""):
                        v = round(v * 100, 10)
                        percent.add((rownum, j))
                cells.append(cell_text(v))
            records.append(cells)
        table, _ = table_from_records(source, self.name, records, meta={"sheet": sheet.title})
        table.meta["numeric_cells"] = numeric
        table.meta["percent_cells"] = percent
        return table


@attrs.frozen(eq=False, kw_only=True)
class KpiSheet:
    """Typed KPI values with accounting, the KPI counterpart of a :class:`ResponseSet`."""

    source: str
    """The file read."""
    values: tuple[KpiValue, ...]
    """Accepted values, in row order."""
    rejected: tuple[RejectedRow, ...] = ()
    """Rows read but not accepted, with reasons."""
    rows_read: int = 0
    """Data rows read; equals accepted + rejected."""
    decimal: str | None = None
    """Decimal separator used for text values (declared or detected); None if no text needed one."""
    warnings: tuple[str, ...] = ()
    """File-level notes."""
    sha256: str = ""
    """Hash of the file's bytes."""

    def reconciles(self) -> bool:
        """Whether accepted + rejected = rows read."""
        return len(self.values) + len(self.rejected) == self.rows_read

    def records(self) -> list[dict[str, Any]]:
        """The values as dicts (kpi, period, value, unit, site, row), e.g. for the scoring engine."""
        return [attrs.asdict(v) for v in self.values]


_UNIT_SYNONYMS = {"%": "%", "percent": "%", "pct": "%", "percentage": "%"}


def _unit_key(unit: str) -> str:
    u = unit.strip().casefold()
    return _UNIT_SYNONYMS.get(u, u)


def type_kpis(
    raw: RawTable, instrument: Instrument | None = None, *, decimal: str | None = None, sha256: str = ""
) -> KpiSheet:
    """Typed KPI values from a KPI sheet's table (see :func:`implassess.ingest.read_kpis`)."""
    source = raw.source
    lower = {c.strip().casefold(): i for i, c in enumerate(raw.columns)}
    missing = [c for c in ("kpi", "period", "value") if c not in lower]
    if missing:
        raise InputError(
            source,
            f"Column {missing[0]!r} not found; expected columns kpi, period, value (and optional unit, site). "
            f"Found: {', '.join(repr(c) for c in raw.columns)}.",
        )
    ci = {name: lower.get(name) for name in ("kpi", "period", "value", "unit", "site")}
    headers = {name: raw.columns[i] for name, i in ci.items() if i is not None}
    warnings = list(raw.meta.get("notes", []))
    extra = [c for c in raw.columns if c.strip().casefold() not in ci]
    if extra:
        warnings.append("Columns ignored: " + ", ".join(repr(c) for c in extra) + ".")
    numeric = raw.meta.get("numeric_cells", set())
    percent = raw.meta.get("percent_cells", set())
    vi = ci["value"]
    assert vi is not None
    texts = [cells[vi] for rownum, cells in raw.rows if cells[vi] and (rownum, vi) not in numeric]
    used = decimal
    if decimal is None:
        used, counts = _numbers.detect_decimal(t for t in texts if t)
        if used is None and counts[","] and counts["."]:
            warnings.append(
                f"Values disagree on the decimal separator ({counts[',']} read only with ',' and {counts['.']} only "
                "with '.'); ambiguous values are rejected. Declare it with decimal=',' or '.' (--decimal)."
            )
        elif used is not None:
            warnings.append(f"Decimal separator {used!r} detected from {counts[used]} value(s).")
    kpis = {k.id: k for k in instrument.kpis} if instrument is not None else {}
    kpi_keys = {id_key(k): k for k in kpis}
    values: list[KpiValue] = []
    rejected = list(raw.rejected)
    seen: dict[tuple[str, str, str | None], int] = {}

    def cell(cells: Sequence[Any], name: str) -> str:
        i = ci[name]
        v = cells[i] if i is not None and i < len(cells) else None
        return "" if v is None else str(v).strip()

    for rownum, cells in raw.rows:
        problems: list[str] = []
        kpi, period, text = cell(cells, "kpi"), cell(cells, "period"), cell(cells, "value")
        unit, site = cell(cells, "unit") or None, cell(cells, "site") or None
        if not kpi:
            problems.append(f"Column {headers['kpi']!r}: found ''; expected a KPI id.")
        elif instrument is not None:
            canon = kpi_keys.get(id_key(kpi))
            if canon is None:
                known = ", ".join(repr(k) for k in kpis) or "none"
                problems.append(
                    f"Column {headers['kpi']!r}: found {kpi!r}, which is not a KPI of instrument "
                    f"{instrument.id!r}; expected one of {known}."
                )
            else:
                kpi = canon
        if not period:
            problems.append(f"Column {headers['period']!r}: found ''; expected a period such as '2026-Q1'.")
        value: float | None = None
        if not text:
            problems.append(f"Column {headers['value']!r}: found ''; expected a number.")
        elif (rownum, vi) in numeric:
            value = float(text)
            if (rownum, vi) in percent and unit is None:
                unit = "%"
        else:
            try:
                reading = _numbers.read(text)
                value = _numbers.parse(text, used)
                if reading.percent and unit is None:
                    unit = "%"
            except _numbers.NumberError as exc:
                problems.append(f"Column {headers['value']!r}: {exc}.")
        if instrument is not None and kpi in kpis and unit is not None:
            expected = kpis[kpi].unit
            if _unit_key(unit) != _unit_key(expected):
                problems.append(
                    f"Column {headers.get('unit', 'value')!r}: found {unit!r}, but KPI {kpi!r} is measured in "
                    f"{expected!r}; expected {expected!r} or blank."
                )
        if not problems:
            key = (kpi, period, site)
            if key in seen:
                where = f" at site {site!r}" if site else ""
                problems.append(
                    f"Column {headers['kpi']!r}: found {kpi!r} for period {period!r}{where} again; row "
                    f"{seen[key]} already has a value for it (one value per KPI per period)."
                )
            else:
                seen[key] = rownum
        if problems:
            rejected.append(RejectedRow(rownum, tuple(problems)))
            continue
        assert value is not None
        values.append(KpiValue(kpi, period, value, unit, site, rownum))
    rejected.sort(key=lambda r: r.row)
    return KpiSheet(
        source=source,
        values=tuple(values),
        rejected=tuple(rejected),
        rows_read=len(raw.rows) + len(raw.rejected),
        decimal=used if texts else decimal,
        warnings=tuple(warnings),
        sha256=sha256,
    )
