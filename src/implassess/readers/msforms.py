"""Microsoft Forms response workbooks ("Open in Excel" / "Download a copy"), or a CSV saved from one.

One row per response: ``ID``, ``Start time``, ``Completion time``, ``Email``, ``Name``
(and in newer exports ``Last modified time``), then one column per question headed by the
question text, with the chosen option's text as the answer. A quiz adds ``Total points``,
``Quiz feedback``, ``Grade posted time`` and, after each question, ``Points - Question``
and ``Feedback - Question``; those are marks, not answers, and are ignored (read as
question text they would match the question's item a second time).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from implassess.contracts import RawTable
from implassess.readers._text import table_from_records
from implassess.readers.xlsx import ZIP_MAGIC, any_head_rows, any_records

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
    "Grade posted time": "ignore",
}
#: A quiz's per-question marks, written after the question's own column.
_QUIZ_MARKS = re.compile(r"(?:Points|Feedback) - .+")


class MsFormsReader:
    """Microsoft Forms XLSX: metadata columns then question-text headers, choice-text answers."""

    name = "msforms"
    description = "Microsoft Forms workbook: Id, Start time, Completion time, Email, Name, then questions."

    def sniff(self, path: Path, head: bytes) -> float:
        rows = any_head_rows(path, head, 1)
        if not rows:
            return 0.0
        first = [c.casefold() for c in rows[0][:6]]
        if first[:1] == ["id"] and "start time" in first and "completion time" in first:
            # Forms only gives workbooks; a CSV with these columns was saved from one.
            return 0.95 if head.startswith(ZIP_MAGIC) else 0.9
        return 0.0

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        records, meta = any_records(path, options)
        table, _ = table_from_records(str(path), self.name, records, meta=meta)
        roles = {c: r for c, r in ROLES.items() if c in table.columns}
        if "Total points" in table.columns or "Quiz feedback" in table.columns:
            roles.update({c: "ignore" for c in table.columns if _QUIZ_MARKS.fullmatch(c)})
        table.meta["roles"] = roles
        return table
