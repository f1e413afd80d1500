"""SurveyMonkey response exports (CSV or XLSX, "all responses data").

Two header rows: the question in the first (blank over the further columns of the same
question), the sub-question, matrix row or option in the second ("Response" or
"Open-Ended Response" for a single-answer question). Column ids join the two as
``Question - Sub-question`` so each is unique and matches an item's text.

The same file re-saved by pandas (``read_csv(header=[0, 1])`` style round trips, or a
plain ``to_csv``) gains an index column in front (blank header, then 0, 1, 2 …) and
names the blanks ``Unnamed: 13``; both are read as SurveyMonkey wrote them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from implassess.contracts import RawTable
from implassess.errors import InputError
from implassess.readers._text import build_table, clean_header, first_nonblank
from implassess.readers.xlsx import any_head_rows, any_records

_SINGLE = {"", "response", "open-ended response", "open ended response"}
_RESPONSE = {"response", "open-ended response", "open ended response"}
#: pandas' name for a blank header cell when it re-saves a file.
_UNNAMED = re.compile(r"Unnamed: \d+")
#: Name given to the index column pandas writes in front.
INDEX_COLUMN = "(pandas index)"

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
    INDEX_COLUMN: "ignore",
}


def _top(cell: Any) -> str:
    """A first-row header cell as SurveyMonkey wrote it (pandas' ``Unnamed: N`` is a blank)."""
    text = "" if cell is None else str(cell).strip()
    return "" if _UNNAMED.fullmatch(text) else text


def _has_index(top: Sequence[Any], sub: Sequence[Any]) -> bool:
    """Whether the first column is a pandas index: blank (or ``Unnamed: 0``) over a whole number."""
    return bool(top) and bool(sub) and not _top(top[0]) and str(sub[0] or "").strip().isdigit()


class SurveyMonkeyReader:
    """SurveyMonkey "All responses data" export with its two header rows."""

    name = "surveymonkey"
    description = "SurveyMonkey export: question row, then sub-question/option row; ids join the two."

    def sniff(self, path: Path, head: bytes) -> float:
        rows = any_head_rows(path, head, 2)
        if len(rows) < 2 or not rows[0]:
            return 0.0
        top, sub = list(rows[0]), list(rows[1])
        index = _has_index(top, sub)
        if index:
            top, sub = top[1:], sub[1:]
        single = sum(1 for c in sub if c.casefold() in _RESPONSE)
        if top and top[0] == "Respondent ID":
            if sub and sub[0]:
                # A value under "Respondent ID" makes the second row a response, not SurveyMonkey's
                # sub-question row; reading it as headers would turn its answers into column names.
                return 0.0
            return 0.9 if single else 0.6
        # Re-saved without the metadata columns: the second row still says "Response" under the
        # single-answer questions, and pandas has named the blanks over the further options.
        if single and (index or any(_UNNAMED.fullmatch(str(c)) for c in rows[0])):
            return 0.85
        return 0.0

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        source = str(path)
        records, meta = any_records(path, options)
        start = first_nonblank(records)
        if start is None or start + 1 >= len(records):
            raise InputError(source, "Expected two SurveyMonkey header rows (questions, then sub-questions).")
        top = [_top(c) for c in records[start]]
        sub = ["" if c is None else str(c).strip() for c in records[start + 1]]
        width = max(len(top), len(sub))
        top += [""] * (width - len(top))
        sub += [""] * (width - len(sub))
        index = _has_index(top, sub)
        names: list[str] = [INDEX_COLUMN] if index else []
        question = ""
        for t, s in list(zip(top, sub, strict=True))[1 if index else 0 :]:
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
