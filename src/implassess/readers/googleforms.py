"""Google Forms responses (the linked sheet downloaded as CSV, or as XLSX).

``Timestamp`` first, then one column per question headed by its text; answers are the
option labels. Grid questions are headed ``Question [Row]``. An ``Email Address``
column appears when the form collects emails; it is personal data and is dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from implassess.contracts import RawTable
from implassess.readers._text import table_from_records
from implassess.readers.xlsx import any_head_rows, any_records

#: "Timestamp" in the languages Google Sheets most often exports in.
TIMESTAMPS = (
    "Timestamp",
    "Marca temporal",
    "Horodateur",
    "Zeitstempel",
    "Carimbo de data/hora",
    "Informazioni cronologiche",
    "Tijdstempel",
)

ROLES = {
    "Email Address": "personal",
    "Email address": "personal",
    "Email": "personal",
    "Score": "ignore",
}


class GoogleFormsReader:
    """Google Forms CSV or XLSX: Timestamp, then question-text headers and label answers."""

    name = "googleforms"
    description = "Google Forms responses: Timestamp, then question text headers, label answers."

    def sniff(self, path: Path, head: bytes) -> float:
        rows = any_head_rows(path, head, 1)
        if rows and rows[0] and rows[0][0] in TIMESTAMPS and len(rows[0]) > 1:
            return 0.85
        return 0.0

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        records, meta = any_records(path, options)
        table, _ = table_from_records(str(path), self.name, records, meta=meta)
        roles = {c: r for c, r in ROLES.items() if c in table.columns}
        if table.columns and table.columns[0] in TIMESTAMPS:
            roles[table.columns[0]] = "submitted-at"
        table.meta["roles"] = roles
        return table
