"""The rejected-rows CSV: one format for every command that sets rows aside.

Columns ``file``, ``row``, ``reasons``: the export's file name, the row number as the
reader counts it, and every reason joined with `` | `` (each reason once). The row's
cells are never written: a rejected row may be shifted, and any cell could then hold
personal data. For the same reason every reason passes through
:func:`~implassess.ingest.personal.redact` on its way out, so an e-mail address or phone
number a plugin reader's message quotes never reaches the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from implassess.ingest.personal import redact
from implassess.outputs.cells import csv_text
from implassess.outputs.files import write_atomic

if TYPE_CHECKING:
    from implassess.responses import ResponseSet

#: Columns of the file.
COLUMNS = ("file", "row", "reasons")
#: What joins the reasons of one row.
REASON_SEPARATOR = " | "


def rejected_rows_csv(rows: Iterable[tuple[str, int, Sequence[str]]]) -> str:
    """CSV text of (file name, row, reasons) in the order given; repeated reasons are written once,
    with anything that looks like personal data cut out."""
    return csv_text(
        COLUMNS,
        ([name, row, REASON_SEPARATOR.join(dict.fromkeys(map(redact, reasons)))] for name, row, reasons in rows),
    )


def write_rejected_rows(path: Path, rows: Iterable[tuple[str, int, Sequence[str]]]) -> str:
    """Write the rejected-rows CSV atomically; returns its sha256."""
    return write_atomic(path, rejected_rows_csv(rows))


def response_rejections(responses: ResponseSet) -> list[tuple[str, int, Sequence[str]]]:
    """The rejected rows of one read export, as rows of the rejected-rows CSV."""
    name = Path(responses.source).name if responses.source else ""
    return [(name, r.row, r.reasons) for r in responses.rejected]
