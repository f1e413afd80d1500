"""REDCap records exports, read with the project's data dictionary.

Records are keyed by ``record_id`` (the project's first field). A raw export holds choice
codes; give the data dictionary (option ``dictionary``, ``--dictionary``) so codes such as
``1`` read as the choice labels the dictionary declares (``1, Strongly disagree | 2, …``)
and columns can also be matched by their field labels. Fields the dictionary marks as
identifiers, and text fields it validates as an e-mail address, phone number or postcode,
are personal data and are dropped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs

from implassess.contracts import RawTable
from implassess.errors import InputError
from implassess.readers._text import table_from_records, text_records
from implassess.readers.xlsx import any_head_rows, any_records

#: The 18 columns of a REDCap data dictionary, in order.
DICTIONARY_COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)

_NEEDED = {"variable": 0, "form": 1, "type": 3, "label": 4, "choices": 5, "identifier": 10}
#: Text validation types (REDCap's names) that make a field personal whatever its name.
_PERSONAL_VALIDATION = ("email", "phone", "zipcode", "postalcode")
_TAG_RE = re.compile(r"<[^>]+>")

_SYSTEM = {
    "redcap_event_name": "ignore",
    "redcap_repeat_instrument": "ignore",
    "redcap_repeat_instance": "ignore",
    "redcap_data_access_group": "ignore",
    "redcap_survey_identifier": "personal",
}


@attrs.frozen
class Field:
    """One field of a REDCap data dictionary."""

    name: str
    """Variable name."""
    form: str
    """Instrument (form) the field belongs to."""
    type: str
    """Field type: radio, dropdown, text, notes …"""
    label: str
    """Field label, HTML tags removed."""
    choices: dict[str, str] = attrs.field(factory=dict)
    """Choice code → label, for radio, dropdown and checkbox fields."""
    identifier: bool = False
    """Marked as an identifier, or validated as an e-mail address, phone number or postcode (personal data)."""


def read_dictionary(path: Path) -> dict[str, Field]:
    """Fields of a REDCap data dictionary CSV, by variable name."""
    source = str(path)
    plain, _ = text_records(path, {})
    records = [(k + 1, r) for k, r in enumerate(plain) if any(c.strip() for c in r)]
    if not records:
        raise InputError(source, "The data dictionary is empty; expected REDCap's 18 dictionary columns.")
    header = [c.strip().casefold() for c in records[0][1]]
    index: dict[str, int] = {}
    for key, pos in _NEEDED.items():
        found = next((i for i, h in enumerate(header) if h.startswith(_prefix(key))), None)
        if found is None:
            raise InputError(
                source,
                f"Column {DICTIONARY_COLUMNS[pos]!r} not found; expected a REDCap data dictionary with the "
                f"columns {', '.join(repr(c) for c in DICTIONARY_COLUMNS[:6])} …",
                row=records[0][0],
            )
        index[key] = found
    validation = next((i for i, h in enumerate(header) if h.startswith("text validation type")), None)
    fields: dict[str, Field] = {}
    for rownum, rec in records[1:]:
        cell = {k: (rec[i].strip() if i < len(rec) else "") for k, i in index.items()}
        name = cell["variable"]
        if not name:
            continue
        choices: dict[str, str] = {}
        if cell["type"] in ("radio", "dropdown", "checkbox") and cell["choices"]:
            for piece in cell["choices"].split("|"):
                code, sep, label = piece.strip().partition(",")
                if not sep or not code.strip():
                    raise InputError(
                        source,
                        f"Found choice {piece.strip()!r}; expected 'code, label' pairs separated by '|', "
                        "e.g. '1, Strongly disagree | 2, Disagree'.",
                        row=rownum,
                        column=DICTIONARY_COLUMNS[5],
                    )
                choices[code.strip()] = _TAG_RE.sub("", label).strip()
        check = rec[validation].strip().casefold() if validation is not None and validation < len(rec) else ""
        fields[name] = Field(
            name=name,
            form=cell["form"],
            type=cell["type"],
            label=_TAG_RE.sub("", cell["label"]).strip(),
            choices=choices,
            identifier=cell["identifier"].casefold() in ("y", "yes", "1")
            or (cell["type"] == "text" and check.startswith(_PERSONAL_VALIDATION)),
        )
    return fields


def _prefix(key: str) -> str:
    return {
        "variable": "variable",
        "form": "form name",
        "type": "field type",
        "label": "field label",
        "choices": "choices",
        "identifier": "identifier",
    }[key]


class RedcapReader:
    """REDCap "Export data" CSV (raw codes or labels), optionally with the data dictionary."""

    name = "redcap"
    description = "REDCap records (record_id first); option dictionary=PATH maps choice codes to labels."

    def sniff(self, path: Path, head: bytes) -> float:
        rows = any_head_rows(path, head, 1)
        if not rows or not rows[0]:
            return 0.0
        header = rows[0]
        if "redcap_event_name" in header or "redcap_repeat_instrument" in header:
            return 0.85
        if header[0] == "record_id":
            return 0.8
        if any(h.endswith("_complete") for h in header):
            return 0.5
        return 0.0

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        records, meta = any_records(path, options)
        table, _ = table_from_records(str(path), self.name, records, meta=meta)
        cols = table.columns
        roles = {c: r for c, r in _SYSTEM.items() if c in cols}
        fields: dict[str, Field] = {}
        if options.get("dictionary"):
            fields = read_dictionary(Path(options["dictionary"]))
            table.meta["dictionary"] = str(options["dictionary"])
        forms = {f.form for f in fields.values()}
        for c in cols:
            base = c[: -len("_complete")] if c.endswith("_complete") else None
            if base is not None and (base in forms or not fields):
                roles[c] = "ignore"
            elif c.endswith("_timestamp") and (c[: -len("_timestamp")] in forms or not fields):
                roles[c] = "submitted-at"
            elif "___" in c and c.split("___")[0] in fields:
                roles[c] = "ignore"
        first = next(iter(fields), None)
        if first in cols:
            roles[first] = "respondent-id"
        elif "record_id" in cols:
            roles["record_id"] = "respondent-id"
        choices: dict[str, dict[str, str]] = {}
        for c in cols:
            f = fields.get(c)
            if f is None:
                continue
            if f.identifier and roles.get(c) != "respondent-id":
                roles[c] = "personal"
            if f.choices:
                choices[c] = f.choices
            if f.label:
                table.labels[c] = f.label
        table.meta["roles"] = roles
        table.meta["choices"] = choices
        return table
