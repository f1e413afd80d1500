"""Qualtrics response exports (CSV, TSV or XLSX), every generation.

- **2018 and later**: three header rows: column ids (``Q1``, ``Q3_2``, ``ResponseId`` …),
  question text (``Question - Statement`` for a matrix), and ``{"ImportId":"QID1"}`` JSON.
- **2016–17**: the same three rows, the third written with single quotes
  (``{'ImportId': 'QID3-1'}``), the second joining question and statement with a bare
  ``-`` and cutting long question text to about 100 characters with ``...``.
- **Legacy** ("Use legacy exports"): two header rows, the first naming the metadata
  columns ``V1`` … ``V10`` and the second saying which is which (``V3`` Name, ``V5``
  EmailAddress, ``V6`` IPAddress, ``V7`` Status …).

Responses whose ``Status`` marks a survey preview, a test or spam are set aside with a
reason (reader option ``test_responses="keep"`` keeps generated test responses);
``Finished`` and ``Progress`` are kept as attributes. Both numeric-value and choice-text
exports read: the mapping step accepts values, codes and answer labels.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from implassess.contracts import RawTable, RejectedRow
from implassess.errors import InputError
from implassess.readers._text import table_from_records
from implassess.readers.xlsx import any_head_rows, any_records

#: Status codes (numeric export) and texts (choice-text export) that are not real responses.
_SET_ASIDE = {
    "1": "survey preview",
    "2": "survey test",
    "8": "spam",
    "9": "preview spam",
    "12": "imported spam",
    "17": "offline survey preview",
    "survey preview": "survey preview",
    "survey test": "survey test",
    "spam": "spam",
    "preview spam": "preview spam",
    "imported spam": "imported spam",
    "offline survey preview": "offline survey preview",
}

#: Values of the reader option ``test_responses``.
TEST_RESPONSES = ("exclude", "keep")

#: How the mapping step should treat Qualtrics metadata columns.
ROLES = {
    "StartDate": "ignore",
    "EndDate": "ignore",
    "Status": "ignore",
    "IPAddress": "personal",
    "Progress": "attribute:progress",
    "Duration (in seconds)": "ignore",
    "Finished": "attribute:finished",
    "RecordedDate": "submitted-at",
    "ResponseId": "respondent-id",
    "ResponseID": "respondent-id",
    "ResponseSet": "ignore",
    "RecipientLastName": "personal",
    "RecipientFirstName": "personal",
    "RecipientEmail": "personal",
    "ExternalReference": "personal",
    "ExternalDataReference": "personal",
    "LocationLatitude": "personal",
    "LocationLongitude": "personal",
    "LocationAccuracy": "personal",
    "DistributionChannel": "ignore",
    "UserLanguage": "ignore",
}

#: Roles of a legacy export's ``V1`` … ``V10`` columns, by the name its second header row gives them.
LEGACY_ROLES = {
    **ROLES,
    "Name": "personal",
    "EmailAddress": "personal",
    "EndDate": "submitted-at",
}
_LEGACY_ID = re.compile(r"V\d+")
#: The question a column belongs to, from its ImportId (``QID3-1`` → ``QID3``) or legacy id (``Q3_1`` → ``Q3``).
_QUESTION_OF_IMPORT_ID = re.compile(r"^(QID\d+)(?:[-_].*)?$")
_QUESTION_OF_COLUMN = re.compile(r"^(Q\d+)_.+$")
#: A numeric cell Qualtrics writes for a negative recode value ("Not applicable" = -1, "seen but unanswered" = -99).
_NEGATIVE_CODE = re.compile(r"^-\d+$")
#: Columns named one by one in the negative-recode note; the rest are counted.
_NOTE_COLUMNS = 8


def _is_import_row(cells: tuple[str, ...] | list[str]) -> bool:
    return any(str(c).lstrip().startswith(('{"ImportId"', "{'ImportId'")) for c in cells if c)


def _is_legacy(first: Sequence[Any], second: Sequence[Any]) -> bool:
    """A legacy export: ``V1``, ``V2`` … in the first row, ``ResponseID`` among the second's names."""
    return bool(first) and str(first[0]).strip() == "V1" and "ResponseID" in {str(c).strip() for c in second}


def _import_id(cell: str) -> str | None:
    """The ImportId of a third-row cell, written with double quotes (JSON) or single ones (2016–17)."""
    text = cell.strip()
    if text.startswith("{'"):
        text = text.replace("'", '"')
    try:
        obj = json.loads(text) if text else None
    except ValueError:
        return None
    return obj["ImportId"] if isinstance(obj, dict) and isinstance(obj.get("ImportId"), str) else None


def _test_responses(options: dict[str, Any], source: str) -> str:
    value = options.get("test_responses") or "exclude"
    if value not in TEST_RESPONSES:
        raise InputError(
            source,
            f"Reader option test_responses is {value!r}; expected 'exclude' (the default: generated test "
            "responses, Status 2, are set aside) or 'keep'.",
        )
    return str(value)


class QualtricsReader:
    """Qualtrics "Export data" in CSV, TSV or Excel, numeric values or choice text, any generation."""

    name = "qualtrics"
    description = "Qualtrics export: header rows of ids, question text and ImportId; preview/test rows set aside."

    def sniff(self, path: Path, head: bytes) -> float:
        rows = any_head_rows(path, head, 3)
        if len(rows) >= 3 and _is_import_row(rows[2]):
            return 0.95
        if len(rows) >= 2 and {"ResponseId", "ResponseID"} & set(rows[0]) and "Response ID" in rows[1]:
            return 0.8
        if len(rows) >= 2 and _is_legacy(rows[0], rows[1]):
            return 0.8
        return 0.0

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        source = str(path)
        tests = _test_responses(options, source)
        records, meta = any_records(path, options)
        nonblank = [r for r in records[:30] if any(c not in (None, "") for c in r)]
        if len(nonblank) < 2:
            raise InputError(
                source, "Expected Qualtrics header rows (column ids, question text, ImportId); found fewer."
            )
        header_rows = 3 if len(nonblank) >= 3 and _is_import_row(nonblank[2]) else 2
        table, headers = table_from_records(source, self.name, records, header_rows=header_rows, meta=meta)
        columns = table.columns
        labels = {c: ((headers[1][i] if i < len(headers[1]) else "") or "").strip() for i, c in enumerate(columns)}
        import_ids: dict[str, str] = {}
        if header_rows == 3:
            for i, c in enumerate(columns):
                found = _import_id(headers[2][i] if i < len(headers[2]) else "")
                if found is not None:
                    import_ids[c] = found
        legacy = header_rows == 2 and _is_legacy(headers[0], headers[1])
        roles = {c: "ignore" for c in columns if c.startswith("Q_")}  # Q_RecaptchaScore, Q_RelevantID…
        roles.update({c: r for c, r in ROLES.items() if c in columns})
        # The legacy V1 … V10 columns say in the second row what they hold (V5 is EmailAddress).
        names = {c: c for c in columns}
        if legacy:
            for c in columns:
                name = labels[c]
                if _LEGACY_ID.fullmatch(c) and name in LEGACY_ROLES:
                    roles[c] = LEGACY_ROLES[name]
                    names[c] = name
        elif "RecordedDate" not in columns and "EndDate" in columns:
            roles["EndDate"] = "submitted-at"  # 2016–17 exports have no RecordedDate
        question_text = {c: t for c, t in labels.items() if t and t != c}
        table.labels.update(_split_matrix_text(question_text, import_ids))
        table.meta["import_ids"] = import_ids
        table.meta["roles"] = roles
        _set_aside(table, {v: k for k, v in names.items()}, keep_tests=tests == "keep")
        note = _negative_codes_note(table, roles)
        if note:
            table.meta["notes"] = [*table.meta.get("notes", []), note]
        return table


def _question_of(column: str, import_ids: dict[str, str]) -> str | None:
    """The question a column belongs to: ``QID3`` from ImportId ``QID3-1``, else ``Q3`` from id ``Q3_1``."""
    m = _QUESTION_OF_IMPORT_ID.match(import_ids.get(column, "")) or _QUESTION_OF_COLUMN.match(column)
    return m.group(1) if m else None


def _split_matrix_text(labels: dict[str, str], import_ids: dict[str, str]) -> dict[str, str]:
    """Question text with a matrix's bare ``Question-Statement`` joint written ``Question - Statement``.

    2016–17 and legacy exports join a matrix question and its statement with a bare ``-``, as
    in ``Indicate how you feel-Squash``, which cannot be told from a hyphen inside the text. The
    columns of one question show where the joint is: their texts agree up to it. A text-entry
    column that repeats its choice's text (``Q4_2_TEXT``) becomes ``… - Text``, as newer exports
    write it, so it never matches the choice's item.
    """
    out = dict(labels)
    groups: dict[str, list[str]] = {}
    for c in labels:
        q = _question_of(c, import_ids)
        if q is not None:
            groups.setdefault(q, []).append(c)
    for members in groups.values():
        texts = [labels[c] for c in members]
        if len(set(texts)) < 2:
            continue
        common = _common_prefix(texts)
        if re.search(r"\s[-–—]\s", common):
            continue  # the export writes its joints " - " already
        # Text cut short ("Scale Valu...-Statement 1") ends at the joint; else the last hyphen the texts share.
        truncated = max(common.rfind("...-"), common.rfind("…-"))
        cut = common.index("-", truncated) if truncated >= 0 else common.rfind("-")
        if cut <= 0:
            continue
        for c in members:
            statement = labels[c][cut + 1 :]
            if statement.strip():
                out[c] = f"{labels[c][:cut].rstrip()} - {statement.strip()}"
    seen = Counter(out.values())
    for c, text in list(out.items()):
        if seen[text] > 1 and (c.upper().endswith("_TEXT") or import_ids.get(c, "").upper().endswith("TEXT")):
            out[c] = f"{text} - Text"
    return out


def _common_prefix(texts: Sequence[str]) -> str:
    """The longest text every one of ``texts`` starts with."""
    first, last = min(texts), max(texts)
    n = next((k for k, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), min(len(first), len(last)))
    return first[:n]


def _negative_codes_note(table: RawTable, roles: dict[str, str]) -> str | None:
    """A warning naming, per column, the negative recode values a numeric export holds.

    Qualtrics writes an option's recode value, and surveys often give "Not applicable" or
    "No basis for evaluation" a negative one (-1, -2; -99 for seen but unanswered). On an
    item they are outside the scale and reject the row unless declared, so say where they are.
    """
    found: list[tuple[str, Counter[str]]] = []
    rows = [cells for _, cells in table.rows]
    for i, c in enumerate(table.columns):
        if c in roles:
            continue
        # One C-level count per column; only its few distinct values are looked at in Python.
        counts = Counter(map(itemgetter(i), rows))
        negative = Counter({v: n for v, n in counts.items() if v and v.startswith("-") and _NEGATIVE_CODE.match(v)})
        if negative:
            found.append((c, negative))
    if not found:
        return None
    parts = []
    for c, counts in found[:_NOTE_COLUMNS]:
        by_value = sorted(counts.items(), key=lambda kv: -int(kv[0]))
        parts.append(f"{c!r} ({', '.join(f'{v} in {n} row(s)' for v, n in by_value)})")
    more = f" and {len(found) - _NOTE_COLUMNS} more column(s)" if len(found) > _NOTE_COLUMNS else ""
    values = sorted({v for _, counts in found for v in counts}, key=int, reverse=True)
    example = values[0]
    return (
        f"Negative Qualtrics recode values, which usually stand for an option such as 'Not applicable' or "
        f"'No basis for evaluation': {'; '.join(parts)}{more}. On an item they are outside its scale and reject "
        "the row unless declared: give the scale an option with the value as its code "
        f'({{ label = "No basis for evaluation", code = "{example}", non-substantive = true }}), or map it in a '
        f'mapping file ([answers] "{example}" = "missing").'
    )


def _set_aside(table: RawTable, column_of: dict[str, str], *, keep_tests: bool = False) -> None:
    """Move preview, test and spam responses from ``rows`` to ``rejected``; ``column_of``
    gives the column holding each Qualtrics field (``Status`` is ``V7`` in a legacy export).
    With ``keep_tests`` generated test responses (Status 2) stay, and a note says how many."""
    cols = table.columns
    status = column_of.get("Status")
    if status is None:
        return
    s = cols.index(status)
    rid = next((cols.index(column_of[c]) for c in ("ResponseId", "ResponseID") if c in column_of), None)
    kept = []
    tests_kept = 0
    for rownum, cells in table.rows:
        raw = cells[s]
        kind = _SET_ASIDE.get(str(raw or "").strip().casefold())
        if kind is None or (keep_tests and kind == "survey test"):
            tests_kept += kind is not None
            kept.append((rownum, cells))
            continue
        # The value quoted is one of the known status codes or words, never anything personal.
        reason = (
            f"Column {status!r}: found {raw!r} ({kind}); expected a real response (0 = IP address, 4 = imported, "
            "16 = offline). Preview, test and spam responses are not scored."
        )
        respondent = (cells[rid] or None) if rid is not None else None
        table.rejected.append(RejectedRow(rownum, (reason,), respondent))
        table.meta.setdefault("rejected_cells", {})[rownum] = cells
    table.rows[:] = kept
    table.rejected.sort(key=lambda r: r.row)
    if tests_kept:
        table.meta["notes"] = [
            *table.meta.get("notes", []),
            f"Kept {tests_kept} survey test response(s) (Status 2 in column {status!r}) because test_responses='keep': "
            "they were generated or entered to test the survey, not given by respondents.",
        ]
