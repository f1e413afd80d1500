"""Generic delimited text: comma, semicolon, tab or pipe, first row the header."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from implassess.contracts import RawTable
from implassess.readers._text import head_records, suffix, table_from_text


class CsvReader:
    """Any CSV or TSV export whose first non-blank row holds the column names."""

    name = "csv"
    description = "Delimited text (comma, semicolon, tab or pipe; UTF-8 or UTF-16) with one header row."

    def sniff(self, path: Path, head: bytes) -> float:
        records = head_records(head)
        if not records:
            return 0.0
        score = 0.3 if len(records[0]) > 1 else 0.1
        if suffix(path) in ("csv", "tsv", "txt", "tab"):
            score += 0.1
        return score

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        table, _ = table_from_text(path, self.name, options)
        return table
