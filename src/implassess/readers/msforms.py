"""Microsoft Forms response workbooks ("Open in Excel").

One row per response: ``Id``, ``Start time``, ``Completion time``, ``Email``, ``Name``
(and in newer exports ``Last modified time``), then one column per question headed by the
question text, with the chosen option's text as the answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from implassess.contracts import RawTable
from implassess.readers.xlsx import ZIP_MAGIC, first_rows, table_from_sheet

ROLES = {
    "Id": "respondent-id",
    "ID": "respondent-id",
    "Start time": "ignore",
    "Completion time": "submitted-at",
    "Last modified time": "ignore",
    "Email": "personal",
    "Name": "personal",
    "Total points": "ignore",
    "Quiz feedback": "ignore",
}


class MsFormsReader:
    """Microsoft Forms XLSX: metadata columns then question-text headers, choice-text answers."""

    name = "msforms"
    description = "Microsoft Forms workbook: Id, Start time, Completion time, Email, Name, then questions."

    def sniff(self, path: Path, head: bytes) -> float:
        if not head.startswith(ZIP_MAGIC):
            return 0.0
        rows = first_rows(path, head, 1)
        if not rows:
            return 0.0
        first = [c.casefold() for c in rows[0][:6]]
        if first[:1] == ["id"] and "start time" in first and "completion time" in first:
            return 0.95
        return 0.0

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        table, _ = table_from_sheet(path, self.name, options)
        table.meta["roles"] = {c: r for c, r in ROLES.items() if c in table.columns}
        return table
