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
    return [(name, r.row, file_reasons(r.reasons, r.respondent)) for r in responses.rejected]


#: What stands in a file for the respondent id a reason quotes.
ID_NOT_SHOWN = "[respondent id not shown]"


def file_reasons(reasons: Sequence[str], respondent: str | None) -> tuple[str, ...]:
    """A rejected row's reasons as files hold them: the row's own respondent id is not quoted.

    The terminal says ``found 'R0029' again``; a file says ``found [respondent id not shown]
    again``, because an export's ids (a REDCap record id is often a hospital number) are
    personal data, and the row number finds the row in the export. Only the phrases that
    quote the id are changed, so an answer that happens to equal it is still shown.
    """
    if not respondent:
        return tuple(reasons)
    ids = {respondent, respondent.split("#", 1)[0]}  # a REDCap instance id is <record>#<instance>
    out = []
    for reason in reasons:
        for i in ids:
            for phrase in ("found {} again", "record {}"):
                reason = reason.replace(phrase.format(repr(i)), phrase.format(ID_NOT_SHOWN))
        out.append(reason)
    return tuple(out)
