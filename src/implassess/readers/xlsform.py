"""Exports of XLSForm-based tools: KoboToolbox, ODK Central, SurveyCTO (CSV or XLSX).

Question columns are named by the XLSForm ``name``, prefixed by their groups
(``grp/ci_eco_1`` in Kobo, ``grp-ci_eco_1`` in ODK Central); the mapping step strips
the prefixes. Answers are choice names or labels. Submission metadata (``_uuid``,
``KEY``, ``_submission_time``, ``SubmissionDate`` …) is recognised; device and
submitter identifiers are personal data and are dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from implassess.contracts import RawTable
from implassess.readers._text import table_from_records
from implassess.readers.xlsx import any_head_rows, any_records

#: Respondent id columns, most specific first; only the first present is used.
ID_COLUMNS = ("_uuid", "KEY", "meta/instanceID", "meta-instanceID", "instanceID", "_id")

#: Submission time columns, most specific first.
DATE_COLUMNS = ("_submission_time", "SubmissionDate", "end", "today")

PERSONAL = frozenset(
    "deviceid DeviceID simserial subscriberid phonenumber username _submitted_by SubmitterID SubmitterName "
    "_geolocation _attachments audit meta/audit".split()
)

IGNORE = frozenset(
    "start end today __version__ _version_ _version _id _index _parent_index _validation_status _notes _status "
    "_tags formhub/uuid meta/rootUuid meta/deprecatedID _xform_id_string _parent_table_name AttachmentsPresent "
    "AttachmentsExpected Status ReviewState Edits FormVersion meta/instanceName meta-instanceName instanceName "
    "meta/instanceID meta-instanceID instanceID KEY _uuid _submission_time SubmissionDate".split()
)

_MARKERS = {"_uuid", "_submission_time", "SubmissionDate", "meta/instanceID", "meta-instanceID", "_xform_id_string"}


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
        if "instanceID" in header or ("KEY" in header and "SubmitterID" in header):
            return 0.7
        return 0.0

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        records, meta = any_records(path, options)
        table, _ = table_from_records(str(path), self.name, records, meta=meta)
        cols = table.columns
        roles: dict[str, str] = {c: "ignore" for c in cols if c in IGNORE}
        roles.update({c: "personal" for c in cols if c in PERSONAL})
        rid = next((c for c in ID_COLUMNS if c in cols), None)
        if rid is not None:
            roles[rid] = "respondent-id"
        date = next((c for c in DATE_COLUMNS if c in cols), None)
        if date is not None:
            roles[date] = "submitted-at"
        table.meta["roles"] = roles
        return table
