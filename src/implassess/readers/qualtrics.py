"""Qualtrics response exports (CSV, TSV or XLSX).

Three header rows: column ids (``Q1``, ``Q3_2``, ``ResponseId`` …), question text, and
``{"ImportId":"QID1"}`` JSON (``{'ImportId': 'QID1'}`` in 2016–17 exports). Older
"legacy" exports have only the first two, and name their metadata columns ``V1`` …
``V10`` in the first row, saying in the second which is which (``V3`` Name, ``V5``
EmailAddress, ``V6`` IPAddress, ``V7`` Status …). Responses
whose ``Status`` marks a survey preview, a test or spam are set aside with a reason;
``Finished`` and ``Progress`` are kept as attributes. Both numeric-value and choice-text
exports read: the mapping step accepts values, codes and answer labels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
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
    "ResponseSet": "ignore",
    "Name": "personal",
    "EmailAddress": "personal",
    "EndDate": "submitted-at",
}
_LEGACY_ID = re.compile(r"V\d+")


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


class QualtricsReader:
    """Qualtrics "Export data" in CSV, TSV or Excel, numeric values or choice text."""

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
        records, meta = any_records(path, options)
        nonblank = [r for r in records[:30] if any(c not in (None, "") for c in r)]
        if len(nonblank) < 2:
            raise InputError(
                source, "Expected Qualtrics header rows (column ids, question text, ImportId); found fewer."
            )
        header_rows = 3 if len(nonblank) >= 3 and _is_import_row(nonblank[2]) else 2
        table, headers = table_from_records(source, self.name, records, header_rows=header_rows, meta=meta)
        columns = table.columns
        labels = {c: (headers[1][i] if i < len(headers[1]) else "") or "" for i, c in enumerate(columns)}
        import_ids: dict[str, str] = {}
        if header_rows == 3:
            for i, c in enumerate(columns):
                found = _import_id(headers[2][i] if i < len(headers[2]) else "")
                if found is not None:
                    import_ids[c] = found
        table.labels.update({c: t.strip() for c, t in labels.items() if t and t.strip() and t.strip() != c})
        table.meta["import_ids"] = import_ids
        roles = {c: "ignore" for c in columns if c.startswith("Q_")}  # Q_RecaptchaScore, Q_RelevantID…
        roles.update({c: r for c, r in ROLES.items() if c in columns})
        # The legacy V1 … V10 columns say in the second row what they hold (V5 is EmailAddress).
        names = {c: c for c in columns}
        if header_rows == 2 and _is_legacy(headers[0], headers[1]):
            for c in columns:
                name = labels[c].strip()
                if _LEGACY_ID.fullmatch(c) and name in LEGACY_ROLES:
                    roles[c] = LEGACY_ROLES[name]
                    names[c] = name
        table.meta["roles"] = roles
        _set_aside(table, {v: k for k, v in names.items()})
        return table


def _set_aside(table: RawTable, column_of: dict[str, str]) -> None:
    """Move preview, test and spam responses from ``rows`` to ``rejected``; ``column_of``
    gives the column holding each Qualtrics field (``Status`` is ``V7`` in a legacy export)."""
    cols = table.columns
    status = column_of.get("Status")
    if status is None:
        return
    s = cols.index(status)
    rid = next((cols.index(column_of[c]) for c in ("ResponseId", "ResponseID") if c in column_of), None)
    kept = []
    for rownum, cells in table.rows:
        raw = cells[s]
        kind = _SET_ASIDE.get(str(raw or "").strip().casefold())
        if kind is None:
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
