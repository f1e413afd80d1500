"""What the columns of a REDCap records export are: the data dictionary, the forms, REDCap's own columns.

A REDCap export lists the record id first, then REDCap's own columns
(``redcap_event_name`` …), then the fields form by form; a form's columns end with its
status column ``<form>_complete`` (and a survey's start with ``<form>_timestamp``). The
data dictionary says which form each field is on and what its choice codes mean. Without
the dictionary the forms are read from that column order.

The dictionary is the one given, or else one found beside the export under the names
REDCap and people give it (:func:`dictionary_candidates`), used only when it describes the
export (:func:`unknown_columns`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import attrs

from implassess.errors import InputError
from implassess.readers._text import text_records

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

#: REDCap's own columns, in the order an export has them (after the record id).
EVENT = "redcap_event_name"
REPEAT_INSTRUMENT = "redcap_repeat_instrument"
REPEAT_INSTANCE = "redcap_repeat_instance"
DATA_ACCESS_GROUP = "redcap_data_access_group"
SURVEY_IDENTIFIER = "redcap_survey_identifier"
SYSTEM_COLUMNS = (EVENT, REPEAT_INSTRUMENT, REPEAT_INSTANCE, DATA_ACCESS_GROUP, SURVEY_IDENTIFIER)

#: What separates a checkbox field from its choice code in a column name (``race___2``).
CHECKBOX_SEP = "___"
COMPLETE = "_complete"
TIMESTAMP = "_timestamp"

#: Choices REDCap implies for field types whose dictionary row lists none.
IMPLIED_CHOICES = {"yesno": {"1": "Yes", "0": "No"}, "truefalse": {"1": "True", "0": "False"}}
#: What one checkbox column (one choice of a checkbox field) holds.
CHECKBOX_CHOICES = {"0": "Unchecked", "1": "Checked"}

_NEEDED = {"variable": 0, "form": 1, "type": 3, "label": 4, "choices": 5, "identifier": 10}
_PREFIXES = {
    "variable": "variable",
    "form": "form name",
    "type": "field type",
    "label": "field label",
    "choices": "choices",
    "identifier": "identifier",
}
#: Text validation types (REDCap's names) that make a field personal whatever its name.
_PERSONAL_VALIDATION = ("email", "phone", "zipcode", "postalcode", "ssn", "mrn")
_TAG_RE = re.compile(r"<[^>]+>")


@attrs.frozen
class Field:
    """One field of a REDCap data dictionary."""

    name: str
    """Variable name."""
    form: str
    """Instrument (form) the field belongs to."""
    type: str
    """Field type: radio, dropdown, yesno, checkbox, text, notes …"""
    label: str
    """Field label, HTML tags removed."""
    choices: dict[str, str] = attrs.field(factory=dict)
    """Choice code → label, for radio, dropdown, checkbox, yes/no and true/false fields."""
    identifier: bool = False
    """Marked as an identifier, or validated as an e-mail address, phone number, postcode … (personal data)."""


def read_dictionary(path: Path) -> dict[str, Field]:
    """Fields of a REDCap data dictionary CSV, by variable name, in the dictionary's order."""
    source = str(path)
    plain, _ = text_records(path, {})
    records = [(k + 1, r) for k, r in enumerate(plain) if any(c.strip() for c in r)]
    if not records:
        raise InputError(source, "The data dictionary is empty; expected REDCap's 18 dictionary columns.")
    header = [c.strip().casefold() for c in records[0][1]]
    index: dict[str, int] = {}
    for key, pos in _NEEDED.items():
        found = next((i for i, h in enumerate(header) if h.startswith(_PREFIXES[key])), None)
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
        kind = cell["type"].casefold()
        choices: dict[str, str] = dict(IMPLIED_CHOICES.get(kind, {}))
        if kind in ("radio", "dropdown", "checkbox") and cell["choices"]:
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
            type=kind,
            label=_TAG_RE.sub("", cell["label"]).strip(),
            choices=choices,
            identifier=cell["identifier"].casefold() in ("y", "yes", "1")
            or (kind == "text" and check.startswith(_PERSONAL_VALIDATION)),
        )
    return fields


# -- the forms of an export -----------------------------------------------------------------------


@attrs.frozen
class Layout:
    """Which form each column of an export belongs to."""

    forms: dict[str, str]
    """Column → form, for the record id, the fields, checkbox choices and forms' own columns."""
    status: dict[str, str]
    """Form → its status column ``<form>_complete``."""
    timestamps: dict[str, str]
    """Form → its survey timestamp column ``<form>_timestamp``."""
    checkboxes: frozenset[str]
    """Columns holding one choice of a checkbox field (``race___2``)."""
    unknown: tuple[str, ...] = ()
    """Columns a data dictionary was given for but does not describe."""


def layout(columns: Sequence[str], fields: dict[str, Field]) -> Layout:
    """The forms of an export's columns: from the dictionary when there is one, else from column order."""
    if fields:
        return _from_dictionary(columns, fields)
    return _from_order(columns)


def _from_dictionary(columns: Sequence[str], fields: dict[str, Field]) -> Layout:
    names = {f.form for f in fields.values()}
    forms: dict[str, str] = {}
    status: dict[str, str] = {}
    timestamps: dict[str, str] = {}
    checkboxes: set[str] = set()
    unknown: list[str] = []
    for c in columns:
        base, sep, _ = c.partition(CHECKBOX_SEP)
        if c in SYSTEM_COLUMNS:
            continue
        if c in fields:
            forms[c] = fields[c].form
        elif sep and base in fields:
            forms[c] = fields[base].form
            checkboxes.add(c)
        elif c.endswith(COMPLETE) and c[: -len(COMPLETE)] in names:
            forms[c] = c[: -len(COMPLETE)]
            status[forms[c]] = c
        elif c.endswith(TIMESTAMP) and c[: -len(TIMESTAMP)] in names:
            forms[c] = c[: -len(TIMESTAMP)]
            timestamps[forms[c]] = c
        else:
            unknown.append(c)
    return Layout(forms, status, timestamps, frozenset(checkboxes), tuple(unknown))


def _from_order(columns: Sequence[str]) -> Layout:
    """Forms read from column order: each form's columns end with its ``<form>_complete``."""
    forms: dict[str, str] = {}
    status: dict[str, str] = {}
    pending: list[str] = []
    for c in columns:
        if c in SYSTEM_COLUMNS:
            continue
        if c.endswith(COMPLETE) and len(c) > len(COMPLETE):
            form = c[: -len(COMPLETE)]
            status[form] = c
            for p in [*pending, c]:
                forms[p] = form
            pending = []
        else:
            pending.append(c)
    timestamps = {c[: -len(TIMESTAMP)]: c for c in forms if c.endswith(TIMESTAMP) and c[: -len(TIMESTAMP)] in status}
    checkboxes = frozenset(c for c in columns if CHECKBOX_SEP in c.strip("_") and c not in SYSTEM_COLUMNS)
    return Layout(forms, status, timestamps, checkboxes)


# -- which dictionary ------------------------------------------------------------------------------

#: REDCap's name for a records export: ``<Project>_DATA_<date>_<time>.csv`` (``_DATA_LABELS_`` for labels).
_REDCAP_EXPORT = re.compile(r"^(?P<project>.+?)_DATA_(?:LABELS_)?\d{4}-\d{2}-\d{2}_\d{4}$", re.IGNORECASE)


def dictionary_candidates(path: Path) -> list[Path]:
    """Files beside ``path`` named as its data dictionary, sorted by name.

    REDCap names a download ``<Project>_DATA_<date>_<time>.csv`` and the dictionary
    ``<Project>_DataDictionary_<date>.csv``; people keep ``<name>_data.csv`` with
    ``<name>_dictionary.csv``, or ``<name>.csv`` with ``<name>_dictionary.csv``.
    """
    stem = path.stem
    wanted = {f"{stem}_dictionary.csv", f"{stem}_datadictionary.csv"}
    if stem.casefold().endswith("_data"):
        base = stem[: -len("_data")]
        wanted |= {f"{base}_dictionary.csv", f"{base}_datadictionary.csv", f"{base}_data_dictionary.csv"}
    wanted = {w.casefold() for w in wanted}
    m = _REDCAP_EXPORT.match(stem)
    prefix = f"{m['project']}_DataDictionary".casefold() if m else None
    try:
        siblings = [p for p in path.parent.iterdir() if p.is_file()]
    except OSError:
        return []
    found = []
    for p in siblings:
        name = p.name.casefold()
        if p.name == path.name or not name.endswith(".csv"):
            continue
        if name in wanted or (prefix is not None and name.startswith(prefix)):
            found.append(p)
    return sorted(found, key=lambda p: p.name)


def unknown_columns(columns: Sequence[str], fields: dict[str, Field]) -> list[str]:
    """Columns of the export that are neither REDCap's own nor described by ``fields``."""
    return list(_from_dictionary(columns, fields).unknown)


def describes(columns: Sequence[str], fields: dict[str, Field]) -> str | None:
    """Why ``fields`` is not the dictionary of an export with ``columns`` (None when it is)."""
    first = next(iter(fields), None)
    if first is None:
        return "it has no fields"
    if columns[0] != first:
        return f"its first field (the record id) is {first!r}, but the export's first column is {columns[0]!r}"
    unknown = unknown_columns(columns, fields)
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        return f"{len(unknown)} of the export's columns are not its fields ({shown})"
    return None


def check_dictionary(export: Path, dictionary: Path, columns: Sequence[str], fields: dict[str, Field]) -> list[str]:
    """Raise :class:`InputError` when a given dictionary does not describe the export; notes on small gaps."""
    first = next(iter(fields), None)
    about = f"The data dictionary {str(dictionary)!r} does not describe this export"
    fix = (
        "Expected the dictionary of the project the records were exported from (in REDCap: Project Setup, "
        "Data Dictionary, download the current data dictionary)."
    )
    if first is None:
        raise InputError(str(export), f"{about}: it lists no fields. {fix}")
    if columns[0] != first:
        label = fields[first].label
        if label and " ".join(columns[0].split()).casefold() == " ".join(label.split()).casefold():
            raise InputError(
                str(export),
                f"{about} as it stands: the export's header holds field labels ({columns[0]!r} is the label of "
                f"{first!r}), so it is a 'labels' export. Export the raw data instead (CSV, raw data) and read it "
                "with its dictionary.",
            )
        raise InputError(
            str(export),
            f"{about}: its first field (the record id) is {first!r}, but the export's first column is "
            f"{columns[0]!r}. {fix}",
        )
    unknown = unknown_columns(columns, fields)
    data_columns = [c for c in columns if c not in SYSTEM_COLUMNS]
    if not unknown:
        return []
    shown = ", ".join(repr(c) for c in unknown[:8]) + (f" and {len(unknown) - 8} more" if len(unknown) > 8 else "")
    if len(unknown) * 2 > len(data_columns):
        raise InputError(
            str(export),
            f"{about}: {len(unknown)} of the export's {len(data_columns)} field columns are not its fields "
            f"({shown}). {fix}",
        )
    return [
        f"{len(unknown)} column(s) are not fields of the data dictionary {dictionary.name!r} ({shown}); they are "
        "read without its labels and choices. Is the dictionary older than the export?"
    ]
