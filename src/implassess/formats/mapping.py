"""The mapping file: a TOML file that says which column is which and how answers read.

```toml
[columns]            # column header (or exported question text) -> item id or role
"Q5_1" = "p1"
"Employee no" = "respondent-id"
"Division" = "attribute:department"
[answers]            # answer label -> value, or "missing"
"Totally agree" = 5
"Unsure" = "missing"
[options]            # format, form, decimal, duplicates, invalid, delimiter, encoding, sheet, dictionary
duplicates = "latest"
[variables]          # item-text variables as the survey showed them
intervention = "the new triage pathway"
[privacy]            # for the rare column the personal-data test gets wrong
personal = ["Staff ref"]            # personal although neither header nor values say so
not-personal = ["Latency (IP hops)"]  # not personal although the header or values look so
```
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import attrs

from implassess.errors import InputError, InstrumentError
from implassess.formats.document import read_document
from implassess.model import Instrument
from implassess.responses import KNOWN_ATTRIBUTES

# -- the vocabulary a mapping file speaks (ingest.columns uses it too) -------------------

ROLE_ID = "respondent-id"
ROLE_DATE = "submitted-at"
ROLE_COMMENT = "comment"
ROLE_IGNORE = "ignore"
ROLE_PERSONAL = "personal"
#: Roles a column can be given besides an item id or ``attribute:NAME``.
ROLES = (ROLE_ID, ROLE_DATE, ROLE_COMMENT, ROLE_IGNORE, ROLE_PERSONAL)

#: Curly quotes and dashes read as their plain forms when labels and question text are compared.
STRAIGHT_QUOTES = str.maketrans({"’": "'", "‘": "'", "‛": "'", "`": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def answer_key(text: str) -> str:
    """An answer label compared case- and spacing-insensitively, with straight quotes."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(STRAIGHT_QUOTES).casefold().split())


def parse_role(value: str, instrument: Instrument | None) -> tuple[str, str | None] | None:
    """A mapping-file or reader role string as (role, target); None if not understood."""
    v = value.strip()
    if v in ROLES:
        return v, None
    if v.startswith("attribute:") and v[len("attribute:") :].strip():
        return "attribute", v[len("attribute:") :].strip()
    if v.startswith("item:"):
        v = v[len("item:") :].strip()
        return ("item", v) if instrument is None or any(i.id == v for i in instrument.items) else None
    if instrument is not None and any(i.id == v for i in instrument.items):
        return "item", v
    if v in KNOWN_ATTRIBUTES:
        return "attribute", v
    if v == "attribute":
        return "attribute", None
    return None


# -- the mapping file ------------------------------------------------------------------

OPTION_CHOICES: dict[str, tuple[str, ...] | type] = {
    "format": str,
    "form": str,
    "decimal": (",", "."),
    "duplicates": ("reject", "latest"),
    "invalid": ("reject-row", "missing"),
    "delimiter": str,
    "encoding": str,
    "sheet": str,
    "dictionary": str,
    "review": ("exclude-rejected", "keep"),
    "test-responses": ("exclude", "keep"),
    "repeats": ("latest", "first", "each"),
}


@attrs.frozen
class MappingFile:
    """A parsed mapping file (TOML): column roles, answer labels, options, variables."""

    source: str
    """The file read."""
    columns: dict[str, str] = attrs.field(factory=dict)
    """Column header (or exported question text) → item id or role."""
    answers: dict[str, float | None] = attrs.field(factory=dict)
    """Answer label (compared loosely) → value; None means missing."""
    item_answers: dict[str, dict[str, float | None]] = attrs.field(factory=dict)
    """Item id → answer label → value, for labels that differ per item."""
    options: dict[str, Any] = attrs.field(factory=dict)
    """Reading options (format, decimal, duplicates, invalid, form, delimiter, encoding, sheet, dictionary)."""
    variables: dict[str, str] = attrs.field(factory=dict)
    """Values of item-text variables as the survey showed them."""
    personal: tuple[str, ...] = ()
    """Columns (header or exported question text) to drop as personal data (``[privacy] personal``)."""
    not_personal: tuple[str, ...] = ()
    """Columns that are not personal although their header or values look so (``[privacy] not-personal``)."""


def _answer_value(v: Any, where: str, problems: list[str]) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        problems.append(f"{where}: found {v!r}; expected a number or 'missing'.")
        return None
    if isinstance(v, str):
        if v.strip().casefold() == "missing":
            return None
        problems.append(f"{where}: found {v!r}; expected a number or 'missing'.")
        return None
    return float(v)


def load_mapping(path: Path) -> MappingFile:
    """Read and check a mapping file; every problem is reported at once in one :class:`InputError`."""
    source = str(path)
    try:
        raw = read_document(path)
    except InstrumentError as exc:
        # The guarded reader's one finding (unreadable, too large, not UTF-8, bad syntax, too deep)
        # becomes the InputError every other mapping problem is.
        raise InputError(source, "; ".join(f.message for f in exc.findings)) from None
    problems: list[str] = []
    for key in raw:
        if key not in ("columns", "answers", "options", "variables", "privacy"):
            problems.append(
                f"{key}: unknown table; expected [columns], [answers], [options], [variables] or [privacy]."
            )
    columns: dict[str, str] = {}
    for k, v in _table(raw, "columns", problems).items():
        if not isinstance(v, str) or not v.strip():
            problems.append(f"columns.{k!r}: found {v!r}; expected an item id or a role such as 'respondent-id'.")
        elif parse_role(v, None) is None and not re.fullmatch(r"[A-Za-z0-9_.\-]+", v.strip()):
            problems.append(
                f"columns.{k!r}: found {v!r}; expected an item id, 'attribute:NAME' or one of "
                + ", ".join(repr(r) for r in ROLES)
                + "."
            )
        else:
            columns[str(k)] = v.strip()
    answers: dict[str, float | None] = {}
    item_answers: dict[str, dict[str, float | None]] = {}
    for k, v in _table(raw, "answers", problems).items():
        if isinstance(v, dict):
            item_answers[str(k)] = {
                answer_key(str(lk)): _answer_value(lv, f"answers.{k}.{lk!r}", problems) for lk, lv in v.items()
            }
        else:
            answers[answer_key(str(k))] = _answer_value(v, f"answers.{k!r}", problems)
    options: dict[str, Any] = {}
    for k, v in _table(raw, "options", problems).items():
        allowed = OPTION_CHOICES.get(k)
        if allowed is None:
            problems.append(f"options.{k}: unknown option; expected one of {', '.join(OPTION_CHOICES)}.")
        elif isinstance(allowed, tuple) and v not in allowed:
            problems.append(f"options.{k}: found {v!r}; expected one of {', '.join(map(repr, allowed))}.")
        elif allowed is str and not isinstance(v, (str, int)):
            problems.append(f"options.{k}: found {v!r}; expected text.")
        else:
            options[k] = str(v) if allowed is str else v
    if "dictionary" in options:
        options["dictionary"] = str((path.parent / options["dictionary"]).resolve())
    if "test-responses" in options:  # the reader's name for it
        options["test_responses"] = options.pop("test-responses")
    variables: dict[str, str] = {}
    for k, v in _table(raw, "variables", problems).items():
        if not isinstance(v, str):
            problems.append(f"variables.{k}: found {v!r}; expected text.")
        else:
            variables[str(k)] = v
    personal, not_personal = _privacy(_table(raw, "privacy", problems), columns, problems)
    if problems:
        raise InputError(source, "The mapping file has problems:\n" + "\n".join("  " + p for p in problems))
    return MappingFile(source, columns, answers, item_answers, options, variables, personal, not_personal)


def _privacy(
    table: dict[str, Any], columns: dict[str, str], problems: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ``[privacy]`` lists: columns that are personal, and columns that are not."""
    lists: dict[str, tuple[str, ...]] = {"personal": (), "not-personal": ()}
    for key, value in table.items():
        if key not in lists:
            problems.append(f"privacy.{key}: unknown key; expected personal or not-personal.")
        elif not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            problems.append(
                f'privacy.{key}: found {value!r}; expected a list of column headers, e.g. {key} = ["Site name"].'
            )
        else:
            lists[key] = tuple(v.strip() for v in value)
    for col in sorted(set(lists["personal"]) & set(lists["not-personal"])):
        problems.append(f"privacy: column {col!r} is listed both as personal and as not-personal; expected one.")
    for col in lists["personal"]:
        role = columns.get(col)
        if role is not None and role != ROLE_PERSONAL:
            problems.append(
                f"privacy.personal: column {col!r} is also mapped to {role!r} in [columns]; expected one or the other."
            )
    for col in lists["not-personal"]:
        if columns.get(col) == ROLE_PERSONAL:
            problems.append(
                f"privacy.not-personal: column {col!r} is mapped to 'personal' in [columns]; expected one or the other."
            )
    return lists["personal"], lists["not-personal"]


def _table(raw: dict[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        problems.append(f"{key}: found {value!r}; expected a table [{key}].")
        return {}
    return value


def check_mapping_targets(mapping: MappingFile, instrument: Instrument) -> None:
    """Item ids named by the mapping file must exist in the instrument."""
    ids = {i.id for i in instrument.items}
    example = instrument.items[0].id if instrument.items else "q1"
    problems = []
    for col, target in mapping.columns.items():
        if parse_role(target, instrument) is None:
            problems.append(
                f"columns.{col!r}: found {target!r}, which is neither an item of {instrument.id!r} nor a role; "
                f"expected an item id (e.g. {example!r}), 'attribute:NAME' or one of "
                + ", ".join(repr(r) for r in ROLES)
                + "."
            )
    for item_id in mapping.item_answers:
        if item_id not in ids:
            problems.append(f"answers.{item_id}: {item_id!r} is not an item of {instrument.id!r}.")
    if problems:
        raise InputError(mapping.source, "The mapping file has problems:\n" + "\n".join("  " + p for p in problems))
