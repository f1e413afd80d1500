"""Exports of XLSForm-based tools: KoboToolbox, ODK Central, SurveyCTO (CSV or XLSX).

Question columns are named by the XLSForm ``name``, prefixed by their groups
(``grp/ci_eco_1`` or ``grp.ci_eco_1`` in Kobo, ``grp-ci_eco_1`` in ODK Central); the
mapping step strips the prefixes. Answers are choice names or labels. Submission
metadata (``_uuid``, ``KEY``, ``_submission_time``, ``SubmissionDate`` …) is recognised;
device and submitter identifiers, instance names and geopoint parts are personal data and
are dropped.

Submissions rejected in review (ODK Central ``ReviewState`` ``rejected``, Kobo
``_validation_status`` not approved, SurveyCTO ``review_status`` rejected) are set aside
with the reason, unless the reader option ``review`` is ``keep``. Encrypted ODK Central
submissions the server could not decrypt (``Status``) hold no answers and are set aside
too. Other sheets of a Kobo workbook (repeat groups) are named in a note, not read.
"""

from __future__ import annotations

import ast
import json
import re
import zipfile
from collections import Counter
from html import unescape
from pathlib import Path
from typing import Any

from implassess.contracts import RawTable, RejectedRow
from implassess.errors import InputError
from implassess.readers._text import table_from_records
from implassess.readers.xlsx import any_head_rows, any_records, is_workbook

#: Name of the reader option that says what to do with submissions rejected in review.
REVIEW_OPTION = "review"
#: Its values: set rejected submissions aside (the default), or score them like any other.
REVIEW_CHOICES = ("exclude-rejected", "keep")

#: Respondent id columns, most specific first; only the first present is used. Metadata
#: columns are named as :func:`_canonical` reads them (``meta-instanceID`` is ``meta/instanceID``).
ID_COLUMNS = ("_uuid", "KEY", "meta/instanceID", "instanceID", "_id")

#: Submission time columns, most specific first.
DATE_COLUMNS = ("_submission_time", "SubmissionDate", "end", "endtime", "today")

PERSONAL = frozenset(
    "deviceid DeviceID simserial simid subscriberid phonenumber devicephonenum username _submitted_by SubmitterID "
    "SubmitterName _geolocation _attachments audit meta/audit text_audit audio_audit meta/instanceName "
    "instanceName".split()
)

IGNORE = frozenset(
    "start end today starttime endtime duration __version__ _version_ _version _id _index _parent_index "
    "_parent_table_name _validation_status _notes _status _tags formhub/uuid meta/rootUuid meta/deprecatedID "
    "_xform_id_string AttachmentsPresent AttachmentsExpected Status ReviewState Edits FormVersion formdef_version "
    "meta/instanceID instanceID KEY PARENT_KEY isValidated _uuid _submission_time SubmissionDate CompletionDate "
    "review_status review_comments review_corrections review_quality".split()
)

_MARKERS = {
    "_uuid",
    "_submission_time",
    "_validation_status",
    "SubmissionDate",
    "ReviewState",
    "meta/instanceID",
    "meta-instanceID",
    "_xform_id_string",
    "_submission__uuid",
}

#: Geopoint parts: ODK Central and SurveyCTO write ``loc-Latitude`` …, KoboToolbox ``_loc_latitude`` ….
_GEO_PART = re.compile(r"-(?:Latitude|Longitude|Altitude|Accuracy)$|^_.+_(?:latitude|longitude|altitude|precision)$")


def _canonical(column: str) -> str:
    """A metadata column's name as this module lists it: Kobo's ``.`` and ODK's ``-`` group
    separators read as ``/`` in ``meta`` and ``formhub``, and a Kobo repeat sheet's
    ``_submission__uuid`` as the parent's ``_uuid``."""
    for group in ("meta", "formhub"):
        for sep in (".", "-"):
            if column.startswith(group + sep):
                return group + "/" + column[len(group) + 1 :]
    if column.startswith("_submission__"):
        return "_" + column[len("_submission__") :]
    return column


# -- review states ---------------------------------------------------------------------------

#: (column, tool) of each review-state column, as the tool writes it.
_REVIEW_COLUMNS = {
    "ReviewState": "ODK Central",
    "_validation_status": "KoboToolbox",
    "review_status": "SurveyCTO",
}
#: States (normalised: case-folded, ``_`` for spaces and hyphens) that mean "rejected in review".
_REJECTED = {"rejected", "not_approved"}
#: States every tool writes for a submission that is fine, or not reviewed yet.
_FINE = {"approved", "received", "none"}


def _review_state(cell: Any) -> str | None:
    """The review state a cell holds, normalised (``not_approved``, ``hasissues``, ``on_hold`` …), or None if blank.

    Kobo writes ``validation_status_not_approved`` (XML values), ``Not Approved`` (labels),
    or, read from its API, an object ``{"uid": "validation_status_not_approved", …}``,
    which a flattened export may hold as JSON or as a Python dict.
    """
    if cell is None:
        return None
    text = str(cell).strip()
    if not text:
        return None
    if text.startswith("{") and text.endswith("}"):
        data: Any = None
        try:
            data = json.loads(text)
        except ValueError:
            try:
                data = ast.literal_eval(text)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                data = None
        if isinstance(data, dict):
            found = data.get("uid") or data.get("label")
            if not found:
                return None
            text = str(found).strip()
    key = re.sub(r"[\s_\-]+", "_", text.casefold())
    return key.removeprefix("validation_status_")


def _shown_state(cell: Any, state: str) -> str:
    """What a message quotes for a review-state cell: the cell, or the state read from an
    object (whose ``by_whom`` names a person, so the object is never quoted)."""
    text = str(cell).strip()
    return "validation_status_" + state if text.startswith("{") else text


def _review_mode(options: dict[str, Any], source: str) -> str:
    mode = options.get(REVIEW_OPTION)
    if mode in (None, ""):
        return REVIEW_CHOICES[0]
    if mode not in REVIEW_CHOICES:
        raise InputError(
            source,
            f"Option review: found {mode!r}; expected 'exclude-rejected' (set submissions rejected in review "
            "aside, the default) or 'keep' (score them).",
        )
    return str(mode)


#: ODK Central's ``Status`` for an encrypted submission whose answers are not in the export.
_ENCRYPTED = {
    "not decrypted": "ODK Central could not decrypt it",
    "missing encrypted form data": "the server holds no data for this encrypted submission",
}


def _set_aside(table: RawTable, mode: str, rid: int | None) -> None:
    """Move encrypted submissions, and those rejected in review (unless ``mode`` is ``keep``),
    from ``rows`` to ``rejected`` (naming the respondent id of column ``rid``); note the
    review states that are kept."""
    cols = table.columns
    index = {_canonical(c): i for i, c in reversed(list(enumerate(cols)))}
    reviews = [(i, cols[i], _REVIEW_COLUMNS[_canonical(cols[i])]) for i in range(len(cols))
               if _canonical(cols[i]) in _REVIEW_COLUMNS]  # fmt: skip
    status = index.get("Status") if "ReviewState" in index or "SubmitterID" in index else None
    if not reviews and status is None:
        return
    kept_states: dict[tuple[str, str], Counter[str]] = {}
    scored_rejected: dict[tuple[str, str], Counter[str]] = {}
    kept: list[tuple[int, tuple[Any, ...]]] = []
    for rownum, cells in table.rows:
        reasons = []
        if status is not None and (found := str(cells[status] or "").strip()).casefold() in _ENCRYPTED:
            reasons.append(
                f"Column {cols[status]!r}: found {found!r} (encrypted submission): "
                f"{_ENCRYPTED[found.casefold()]}, so the export holds none of its answers. Export again from ODK "
                "Central with the form's passphrase so the submissions are decrypted."
            )
        for i, col, tool in reviews:
            state = _review_state(cells[i])
            if state is None or state in _FINE:
                continue
            shown = _shown_state(cells[i], state)
            if state not in _REJECTED:
                kept_states.setdefault((col, tool), Counter())[shown] += 1
            elif mode == "keep":
                scored_rejected.setdefault((col, tool), Counter())[shown] += 1
            else:
                reasons.append(
                    f"Column {col!r}: found {shown!r} (review state): the submission was rejected in review in "
                    f"{tool}, so it is not scored. To score it anyway, pass --review keep (option review='keep')."
                )
        if not reasons:
            kept.append((rownum, cells))
            continue
        respondent = None
        if rid is not None and cells[rid] is not None:
            respondent = str(cells[rid]).strip() or None
        table.rejected.append(RejectedRow(rownum, tuple(reasons), respondent))
        table.meta.setdefault("rejected_cells", {})[rownum] = cells
    table.rows[:] = kept
    table.rejected.sort(key=lambda r: r.row)
    notes = table.meta.setdefault("notes", [])
    for (col, tool), counts in kept_states.items():
        notes.append(
            f"Column {col!r}: {_counted(counts)} in {tool}'s review; they are scored, since only submissions "
            "rejected in review are set aside."
        )
    for (col, tool), counts in scored_rejected.items():
        notes.append(
            f"Column {col!r}: {sum(counts.values())} submission(s) rejected in {tool}'s review ({_listed(counts)}) "
            "are scored because review='keep'."
        )


def _listed(counts: Counter[str]) -> str:
    """``'hasIssues' (2), 'edited' (1)``."""
    return ", ".join(f"{state!r} ({n})" for state, n in counts.most_common())


def _counted(counts: Counter[str]) -> str:
    """``3 submission(s) are marked 'hasIssues' (2), 'edited' (1)``."""
    return f"{sum(counts.values())} submission(s) are marked {_listed(counts)}"


# -- workbooks ---------------------------------------------------------------------------------------

_SHEET_RE = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\bname=\"([^\"]*)\"")


def sheet_names(path: Path) -> list[str]:
    """The worksheet names of a workbook, in order, read from its ``xl/workbook.xml`` (empty if unreadable)."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("xl/workbook.xml")
            if info.file_size > 10 * 1024 * 1024:  # a genuine workbook part is a few kB
                return []
            data = archive.read(info)
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, RuntimeError):
        return []
    return [unescape(m.group(1).decode("utf-8", "replace")) for m in _SHEET_RE.finditer(data)]


def _sheet_notes(path: Path, table: RawTable, options: dict[str, Any]) -> None:
    """Say which sheets of a Kobo workbook are not read, and what a repeat sheet's rows are."""
    if not is_workbook(path):
        return
    names = sheet_names(path)
    read = table.meta.get("sheet")
    others = [n for n in names if n != read]
    notes = table.meta.setdefault("notes", [])
    repeat = "_parent_index" in table.columns or any(c.startswith("_submission__") for c in table.columns)
    if repeat:
        notes.append(
            f"Sheet {read!r} holds a repeat group: each row is one repeat (linked to its submission by "
            "'_parent_index'), read as one respondent."
        )
    elif others and not options.get("sheet"):
        listed = ", ".join(map(repr, others))
        notes.append(
            f"Only the first sheet ({read!r}) is read; the workbook also has {listed}, which in a KoboToolbox "
            "export hold repeat groups (one row per repeat). Read one with --sheet NAME if its questions are the "
            "instrument's."
        )


# -- the reader --------------------------------------------------------------------------------------


class XlsFormExportReader:
    """KoboToolbox / ODK Central / SurveyCTO submissions of an XLSForm-based form."""

    name = "xlsform"
    description = "KoboToolbox / ODK / SurveyCTO export: _uuid or KEY, _submission_time, group/name columns."

    def sniff(self, path: Path, head: bytes) -> float:
        rows = any_head_rows(path, head, 1)
        if not rows:
            return 0.0
        header = set(rows[0])
        if header & _MARKERS or {"KEY", "SubmissionDate"} <= header:
            return 0.9
        if "instanceID" in header or ("KEY" in header and ({"SubmitterID", "PARENT_KEY"} & header)):
            return 0.7
        return 0.0

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        source = str(path)
        mode = _review_mode(options, source)
        records, meta = any_records(path, options)
        table, _ = table_from_records(source, self.name, records, meta=meta)
        cols = table.columns
        roles: dict[str, str] = {}
        for c in cols:
            name = _canonical(c)
            if name in PERSONAL or _GEO_PART.search(c):
                roles[c] = "personal"
            elif name in IGNORE or (name != c and c.startswith("_submission__")):
                roles[c] = "ignore"
        # A repeat sheet's _submission__uuid names the parent submission, shared by its repeats: not an id.
        canonical = {_canonical(c): c for c in reversed(cols) if not c.startswith("_submission__")}
        rid = next((canonical[c] for c in ID_COLUMNS if c in canonical), None)
        if rid is not None:
            roles[rid] = "respondent-id"
        date = next((canonical[c] for c in DATE_COLUMNS if c in canonical), None)
        if date is not None:
            roles[date] = "submitted-at"
        table.meta["roles"] = roles
        _set_aside(table, mode, cols.index(rid) if rid is not None else None)
        _sheet_notes(path, table, options)
        return table
