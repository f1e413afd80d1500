"""FALLBACK readers used until :mod:`implassess.ingest` exists; private, deliberately small.

``implassess score`` prefers ``implassess.ingest.read_responses`` and the ingest KPI
reader when they can be imported. Without them it reads a *generic* CSV: one column
per item id, an optional ``respondent_id`` column, and any other column as a respondent
attribute (``site``, ``role`` …). Cells must be numeric scale values or blank; nothing
else is accepted (no labels, no decimal commas): the real readers handle exports.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from implassess.contracts import RejectedRow
from implassess.errors import InputError
from implassess.responses import ResponseSet

if TYPE_CHECKING:
    from implassess.model import Instrument

ID_COLUMNS = ("respondent_id", "ResponseId", "record_id", "id")


def make_response_set(
    instrument: Instrument,
    values: Sequence[Sequence[float | None]] | np.ndarray,
    ids: Sequence[str] | None = None,
    attributes: dict[str, Sequence[str | None]] | None = None,
    source: str = "",
) -> ResponseSet:
    """A :class:`ResponseSet` from a respondents × items table (None/NaN = missing)."""
    arr = (
        np.array([[math.nan if v is None else float(v) for v in row] for row in values], dtype=np.float64)
        if not isinstance(values, np.ndarray)
        else values.astype(np.float64, copy=False)
    )
    if arr.ndim != 2:
        arr = arr.reshape(0, len(instrument.items))
    n = arr.shape[0]
    return ResponseSet(
        instrument=instrument,
        respondent_ids=tuple(ids) if ids is not None else tuple(f"r{i + 1}" for i in range(n)),
        values=arr,
        attributes={k: tuple(v) for k, v in (attributes or {}).items()},
        rows=tuple(range(2, n + 2)),
        rows_read=n,
        source=source,
    )


def read_generic_csv(path: Path, instrument: Instrument) -> ResponseSet:
    """FALLBACK: read a generic numeric CSV into a :class:`ResponseSet`.

    Rows with a non-numeric item cell are rejected with the reason; a file without any
    item column raises :class:`~implassess.errors.InputError`.
    """
    data = path.read_bytes()
    text = data.decode("utf-8-sig")
    reader = csv.reader(text.splitlines())
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(str(path), "The file is empty; expected a header row with item ids.") from None
    item_ids = [it.id for it in instrument.items]
    col_of = {h: i for i, h in enumerate(header)}
    present = [i for i in item_ids if i in col_of]
    if not present:
        raise InputError(
            str(path),
            f"No column matches an item id of instrument {instrument.id!r}; found columns "
            f"{', '.join(repr(h) for h in header)}; expected some of {', '.join(repr(i) for i in item_ids)}.",
        )
    id_col = next((col_of[c] for c in ID_COLUMNS if c in col_of), None)
    attr_cols = [h for h in header if h not in item_ids and h not in ID_COLUMNS and h]
    warnings = []
    missing_items = [i for i in item_ids if i not in col_of]
    if missing_items:
        warnings.append("Items absent from the file (scored as unanswered): " + ", ".join(missing_items) + ".")
    rows: list[list[float]] = []
    ids: list[str] = []
    attrs: dict[str, list[str | None]] = {a: [] for a in attr_cols}
    numbers: list[int] = []
    rejected: list[RejectedRow] = []
    read = 0
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        read += 1
        cells = cells + [""] * (len(header) - len(cells))
        rid = cells[id_col].strip() if id_col is not None else f"row{line_no}"
        vals, reasons = [], []
        for iid in item_ids:
            cell = cells[col_of[iid]].strip() if iid in col_of else ""
            if cell == "":
                vals.append(math.nan)
                continue
            try:
                vals.append(float(cell))
            except ValueError:
                vals.append(math.nan)
                reasons.append(f"column {iid!r}: found {cell!r}; expected a number or a blank")
        if reasons:
            rejected.append(RejectedRow(line_no, tuple(reasons), rid or None))
            continue
        rows.append(vals)
        ids.append(rid)
        numbers.append(line_no)
        for a in attr_cols:
            v = cells[col_of[a]].strip()
            attrs[a].append(v or None)
    values = np.array(rows, dtype=np.float64).reshape(len(rows), len(item_ids))
    return ResponseSet(
        instrument=instrument,
        respondent_ids=tuple(ids),
        values=values,
        attributes={k: tuple(v) for k, v in attrs.items()},
        rows=tuple(numbers),
        rejected=tuple(rejected),
        rows_read=read,
        source=str(path),
        sha256=hashlib.sha256(data).hexdigest(),
        warnings=tuple(warnings),
    )


def read_kpi_csv(path: Path) -> list[dict[str, Any]]:
    """FALLBACK: KPI sheet as CSV with columns ``kpi``, ``period``, ``value`` and optional ``unit``, ``site``."""
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(text.splitlines())
    need = {"kpi", "period", "value"}
    if reader.fieldnames is None or not need <= {f.strip() for f in reader.fieldnames}:
        raise InputError(
            str(path),
            f"Found columns {reader.fieldnames!r}; expected at least 'kpi', 'period' and 'value' "
            "(optional 'unit' and 'site').",
        )
    out = []
    for line_no, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        try:
            value = float(row["value"])
        except ValueError:
            raise InputError(
                str(path), f"Found {row['value']!r}; expected a number.", row=line_no, column="value"
            ) from None
        out.append(
            {
                "kpi": row["kpi"],
                "period": row["period"],
                "value": value,
                "unit": row.get("unit") or None,
                "site": row.get("site") or None,
            }
        )
    return out
