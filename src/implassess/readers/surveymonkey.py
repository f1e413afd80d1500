"""SurveyMonkey response exports (CSV or XLSX, "all responses data").

Two header rows: the question in the first (blank over the further columns of the same
question), the sub-question, matrix row or option in the second ("Response" or
"Open-Ended Response" for a single-answer question). Column ids join the two as
``Question - Sub-question`` so each is unique and matches an item's text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from implassess.contracts import RawTable
from implassess.errors import InputError
from implassess.readers._text import build_table, clean_header, first_nonblank
from implassess.readers.xlsx import any_head_rows, any_records

_SINGLE = {"", "response", "open-ended response", "open ended response"}

ROLES = {
    "Respondent ID": "respondent-id",
    "Collector ID": "ignore",
    "Start Date": "ignore",
    "End Date": "submitted-at",
    "IP Address": "personal",
    "Email Address": "personal",
    "First Name": "personal",
    "Last Name": "personal",
    "Custom Data 1": "ignore",
}


class SurveyMonkeyReader:
    """SurveyMonkey "All responses data" export with its two header rows."""

    name = "surveymonkey"
    description = "SurveyMonkey export: question row, then sub-question/option row; ids join the two."

    def sniff(self, path: Path, head: bytes) -> float:
        rows = any_head_rows(path, head, 2)
        if len(rows) < 2 or not rows[0] or rows[0][0] != "Respondent ID":
            return 0.0
        if rows[1] and rows[1][0]:
            # A value under "Respondent ID" makes the second row a response, not SurveyMonkey's
            # sub-question row; reading it as headers would turn its answers into column names.
            return 0.0
        second = {c.casefold() for c in rows[1]}
        return 0.9 if second & {"response", "open-ended response"} else 0.6

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        source = str(path)
        records, meta = any_records(path, options)
        start = first_nonblank(records)
        if start is None or start + 1 >= len(records):
            raise InputError(source, "Expected two SurveyMonkey header rows (questions, then sub-questions).")
        top = ["" if c is None else str(c).strip() for c in records[start]]
        sub = ["" if c is None else str(c).strip() for c in records[start + 1]]
        width = max(len(top), len(sub))
        top += [""] * (width - len(top))
        sub += [""] * (width - len(sub))
        names: list[str] = []
        question = ""
        for t, s in zip(top, sub, strict=True):
            if t:
                question = t
            if not question:
                names.append(s)
            elif s.casefold() in _SINGLE:
                names.append(question)
            else:
                names.append(f"{question} - {s}")
        columns, notes = clean_header(names)
        meta["notes"] = notes
        meta["header_rows"] = 2
        table = build_table(source, self.name, columns, records, start + 2, meta=meta, pad="sheet" in meta)
        table.meta["roles"] = {c: r for c, r in ROLES.items() if c in columns}
        return table
