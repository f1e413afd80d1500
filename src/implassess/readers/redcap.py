"""REDCap records exports, read with the project's data dictionary.

The first column is the record id, whatever its name (``record_id``, ``study_id``,
``participant_id`` …). A raw export holds choice codes; the data dictionary (option
``dictionary``, ``--dictionary``, or a file beside the export named as REDCap names it)
says what they mean, so code ``1`` reads as the label the dictionary declares
(``1, Strongly disagree | 2, …``) and columns can be matched by their field labels. Fields
the dictionary marks as identifiers, and text fields it validates as an e-mail address,
phone number or postcode, are personal data and are dropped.

REDCap's own columns: ``redcap_event_name`` is the wave (without its ``_arm_N``; the arm
becomes the attribute ``arm`` when the file has several), ``redcap_repeat_instrument`` and
``redcap_repeat_instance`` say which rows are instances of a repeating form (option
``repeats``: ``latest``, ``first`` or ``each``), ``redcap_data_access_group`` is an
attribute, ``redcap_survey_identifier`` is personal. Which row answers which form is
settled in the mapping step (:func:`implassess.ingest.rows.settle_record_rows`), which
knows the instrument's items.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from implassess.contracts import RawTable
from implassess.errors import InputError
from implassess.ingest.columns import loose
from implassess.readers._redcap_project import (
    CHECKBOX_CHOICES,
    CHECKBOX_SEP,
    COMPLETE,
    DATA_ACCESS_GROUP,
    DICTIONARY_COLUMNS,
    EVENT,
    REPEAT_INSTANCE,
    REPEAT_INSTRUMENT,
    SURVEY_IDENTIFIER,
    SYSTEM_COLUMNS,
    TIMESTAMP,
    Field,
    check_dictionary,
    describes,
    dictionary_candidates,
    layout,
    read_dictionary,
)
from implassess.readers._text import table_from_records
from implassess.readers.xlsx import any_head_rows, any_records

__all__ = ["DICTIONARY_COLUMNS", "REPEATS", "Field", "RedcapReader", "find_dictionary", "read_dictionary"]

#: How instances of a repeating form that holds the items are scored (option ``repeats``).
REPEATS = ("latest", "first", "each")
#: The column the reader adds for the arm of a multi-arm longitudinal project.
ARM_COLUMN = "redcap_arm"
#: Breakdown attributes (by header) that describe a record, not one of its rows, so one value
#: entered on one row (the enrolment event's) holds for the record's other rows.
RECORD_ATTRIBUTES = ("site", "role", "cohort", "team", "department")
#: What REDCap writes in a survey timestamp when the survey was started but not submitted.
NOT_COMPLETED = "[not completed]"
_ARM_RE = re.compile(r"^(?P<event>.+)_arm_(?P<arm>\d+)$")


def find_dictionary(path: Path, columns: tuple[str, ...], notes: list[str]) -> tuple[dict[str, Field], Path | None]:
    """The data dictionary beside ``path``, when a file there is named as its dictionary.

    Candidates are named as REDCap or people name them (see
    :func:`~implassess.readers._redcap_project.dictionary_candidates`). One that describes
    the export (its first field is the export's first column, its fields cover the other
    columns) is used. A file named as the dictionary that does not describe the export is an
    error, as it would be given with ``--dictionary``: scoring choice codes as values beside
    a dictionary that was meant to be used would give wrong numbers, and its identifier
    flags would be lost.
    """
    candidates = dictionary_candidates(path)
    if not candidates:
        return {}, None
    readable: list[tuple[Path, dict[str, Field]]] = []
    problems: list[str] = []
    for candidate in candidates:
        try:
            readable.append((candidate, read_dictionary(candidate)))
        except InputError as exc:
            problems.append(f"{candidate.name!r} ({exc.message})")
    fitting = [(c, f) for c, f in readable if describes(columns, f) is None]
    fix = (
        "Give the right one with --dictionary, or move the file(s) away to read the export without a dictionary "
        "(choice codes are then read as the instrument's own codes)."
    )
    if len(fitting) > 1:
        names = ", ".join(repr(p.name) for p, _ in fitting)
        raise InputError(
            str(path),
            f"{len(fitting)} data dictionaries beside the export describe it ({names}); which one is current is not "
            f"clear. {fix}",
        )
    if not fitting and len(candidates) == 1 and readable:
        # The one file named as this export's dictionary: judged as if it were given.
        found, fields = readable[0]
        try:
            notes += check_dictionary(path, found, columns, fields)
        except InputError as exc:
            raise InputError(str(path), f"{exc.message} (It was found beside the export.) {fix}") from None
        fitting = [(found, fields)]
    if not fitting:
        unused = problems + [f"{c.name!r} ({describes(columns, f)})" for c, f in readable]
        raise InputError(
            str(path),
            "The file(s) beside the export named as its data dictionary do not describe it: "
            + "; ".join(unused)
            + f". {fix}",
        )
    found, fields = fitting[0]
    notes.append(
        f"Read with the data dictionary found beside the export, {found.name!r} ({len(fields)} fields), so "
        "choice codes read as its labels; give --dictionary to use another."
    )
    return fields, found


class RedcapReader:
    """REDCap "Export data" CSV (raw codes or labels), read with the project's data dictionary."""

    name = "redcap"
    description = (
        "REDCap records (record id first; redcap_*, *_complete columns), codes read through the data dictionary "
        "(--dictionary, or one beside the export)."
    )

    def sniff(self, path: Path, head: bytes) -> float:
        rows = any_head_rows(path, head, 6)
        if not rows or not rows[0]:
            return 0.0
        header = rows[0]
        if any(h in SYSTEM_COLUMNS for h in header):
            return 0.9  # REDCap's own column names
        score = 0.8 if header[0] == "record_id" else 0.0
        complete = [i for i, h in enumerate(header) if h.endswith(COMPLETE) and len(h) > len(COMPLETE)]
        if complete:
            statuses = {str(row[i]).strip() for row in rows[1:] for i in complete if i < len(row)}
            # A form status is 0 (incomplete), 1 (unverified) or 2 (complete), or blank where a
            # form is not collected; anything else says the column is something else.
            if not statuses <= {"", "0", "1", "2"}:
                return max(score, 0.2)
            evidence = 0.35
            if header[-1].endswith(COMPLETE):
                evidence += 0.25  # every form's columns end with its status column
            names = {header[i][: -len(COMPLETE)] for i in complete}
            if any(h.endswith(TIMESTAMP) and h[: -len(TIMESTAMP)] in names for h in header):
                evidence += 0.15  # a survey's timestamp beside its status
            if len(complete) > 1:
                evidence += 0.1
            if any(CHECKBOX_SEP in h.strip("_") for h in header):
                evidence += 0.1
            score = max(score, min(evidence, 0.9))
        return score

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        source = str(path)
        repeats = options.get("repeats") or "latest"
        if repeats not in REPEATS:
            raise InputError(source, f"Option repeats is {repeats!r}; expected one of {', '.join(map(repr, REPEATS))}.")
        records, meta = any_records(path, options)
        table, _ = table_from_records(source, self.name, records, meta=meta)
        cols = table.columns
        notes: list[str] = table.meta["notes"]
        dictionary: Path | None = None
        if options.get("dictionary"):
            dictionary = Path(options["dictionary"])
            fields = read_dictionary(dictionary)
            notes += check_dictionary(path, dictionary, cols, fields)
        else:
            fields, dictionary = find_dictionary(path, cols, notes)
        if dictionary is not None:
            table.meta["dictionary"] = str(dictionary)
        lay = layout(cols, fields)

        roles: dict[str, str] = {cols[0]: "respondent-id"}  # REDCap's first column is always the record id
        if EVENT in cols:
            roles[EVENT] = "attribute:wave"
        for c in (REPEAT_INSTRUMENT, REPEAT_INSTANCE):
            if c in cols:
                roles[c] = "ignore"
        if DATA_ACCESS_GROUP in cols:
            roles[DATA_ACCESS_GROUP] = "attribute"
        if SURVEY_IDENTIFIER in cols:
            roles[SURVEY_IDENTIFIER] = "personal"
        for c in lay.status.values():
            roles[c] = "ignore"
        for c in lay.checkboxes:
            roles.setdefault(c, "ignore")
        # One survey timestamp is the submission date; with several (one per survey form) none
        # is, since which form a row answers is only known once the items are (and a record
        # appears once per event and instance, so no date is needed to settle duplicates).
        for c in lay.timestamps.values():
            roles[c] = "submitted-at" if len(lay.timestamps) == 1 else "ignore"

        choices: dict[str, dict[str, str]] = {}
        for c in cols:
            f = fields.get(c)
            if f is None and c in lay.checkboxes and (f := fields.get(c.partition(CHECKBOX_SEP)[0])) is not None:
                code = c.partition(CHECKBOX_SEP)[2]
                choices[c] = CHECKBOX_CHOICES
                table.labels[c] = f"{f.label} ({f.choices.get(code, code)})"
                if f.identifier:
                    roles[c] = "personal"
                continue
            if f is None:
                continue
            if f.identifier and c != cols[0]:
                roles[c] = "personal"
            if f.choices:
                choices[c] = f.choices
            if f.label:
                table.labels[c] = f.label

        table = _rewrite_rows(table, lay.timestamps.values(), roles, notes, tuple(options.get("breakdowns", ())))
        table.meta["roles"] = roles
        table.meta["choices"] = choices
        table.meta["record_rows"] = {
            "forms": lay.forms,
            "status": lay.status,
            "event": EVENT if EVENT in cols else None,
            "arm": ARM_COLUMN if ARM_COLUMN in table.columns and ARM_COLUMN not in cols else None,
            "repeat": (REPEAT_INSTRUMENT, REPEAT_INSTANCE)
            if REPEAT_INSTRUMENT in cols and REPEAT_INSTANCE in cols
            else None,
            "repeats": repeats,
            "codes_unknown": not fields,
            "dictionary_name": _dictionary_name(path),
        }
        return table


def _dictionary_name(path: Path) -> str:
    """The name a dictionary beside ``path`` is looked for under (for messages)."""
    m = re.match(r"^(?P<project>.+?)_DATA_(?:LABELS_)?(?P<date>\d{4}-\d{2}-\d{2})_\d{4}$", path.stem, re.IGNORECASE)
    if m:
        return f"{m['project']}_DataDictionary_{m['date']}.csv"
    if path.stem.casefold().endswith("_data"):
        return f"{path.stem[: -len('_data')]}_dictionary.csv"
    return f"{path.stem}_dictionary.csv"


def _rewrite_rows(
    table: RawTable,
    timestamps: Iterable[str],
    roles: dict[str, str],
    notes: list[str],
    breakdowns: Sequence[str] = (),
) -> RawTable:
    """The rows as the mapping step needs them.

    - Events without their arm, and the arm as a column of its own when there are several.
    - Survey timestamps REDCap marks ``[not completed]`` read as blank.
    - A breakdown attribute (``site``, ``role`` … by its header) entered once per record,
      on the enrolment event's row or the record's row of forms that do not repeat, is
      filled into the record's other rows, which hold the answers of later events and
      repeating forms; only when the record has one value for it.
    """
    cols = table.columns
    stamp_at = [cols.index(c) for c in timestamps]
    event_at = cols.index(EVENT) if EVENT in cols else None
    split: dict[Any, tuple[Any, str | None]] = {}
    if event_at is not None:
        for v in {cells[event_at] for _, cells in table.rows}:
            m = _ARM_RE.match(str(v).strip()) if v is not None else None
            split[v] = (m["event"], m["arm"]) if m else (v, None)
    arms = sorted({a for _, a in split.values() if a is not None}, key=int)
    add_arm = len(arms) > 1 and "arm" not in cols
    if len(arms) > 1 and not add_arm:
        notes.append(
            f"The events belong to {len(arms)} arms, but the file already has a column 'arm'; the arm of an "
            f"event is not added as an attribute (see {EVENT!r} for it)."
        )
    fills = _record_values(table, notes, breakdowns) if event_at is not None or REPEAT_INSTRUMENT in cols else {}
    changes_event = any(e != v for v, (e, _) in split.items())
    blanks = any(str(cells[i]).strip().casefold() == NOT_COMPLETED for _, cells in table.rows for i in stamp_at)
    if not (changes_event or add_arm or blanks or fills):
        return table
    rows = []
    for rownum, cells in table.rows:
        new = list(cells)
        for i in stamp_at:
            if str(new[i]).strip().casefold() == NOT_COMPLETED:
                new[i] = ""
        for i, values in fills.items():
            if _blank(new[i]) and (v := values.get(_text(cells[0]))) is not None:
                new[i] = v
        if event_at is not None:
            event, arm = split[cells[event_at]]
            new[event_at] = event
            if add_arm:
                new.append(arm or "")
        rows.append((rownum, tuple(new)))
    columns = cols
    if add_arm:
        columns = (*cols, ARM_COLUMN)
        roles[ARM_COLUMN] = "attribute:arm"
        table.labels[ARM_COLUMN] = "Arm (from the event name)"
        # Rows the text reader set aside keep their cells for naming the record; one more cell.
        kept = table.meta.get("rejected_cells", {})
        for k, v in kept.items():
            kept[k] = (*v, None)
    return attrs.evolve(table, columns=columns, rows=rows)


def _record_values(table: RawTable, notes: list[str], breakdowns: Sequence[str] = ()) -> dict[int, dict[str, Any]]:
    """Column position → {record id: its one value}, for the breakdown attributes known by header
    (and those the caller breaks down by, reader option ``breakdowns``) whose record holds one
    value on some rows and blanks on others."""
    wanted = {loose(a) for a in (*RECORD_ATTRIBUTES, *breakdowns)}
    out: dict[int, dict[str, Any]] = {}
    for i, c in enumerate(table.columns):
        if i == 0 or loose(c) not in wanted:
            continue
        seen: dict[str, set[Any]] = {}
        blank = False
        for _, cells in table.rows:
            if _blank(cells[i]):
                blank = True
            else:
                seen.setdefault(_text(cells[0]), set()).add(cells[i])
        values = {record: next(iter(vs)) for record, vs in seen.items() if len(vs) == 1}
        if blank and values:
            out[i] = values
            notes.append(
                f"Column {c!r} holds one value per record, entered on one of the record's rows (an event's or the "
                "forms that do not repeat); it is read on the record's other rows too, so their answers can be "
                "broken down by it."
            )
    return out


def _blank(v: Any) -> bool:
    return v is None or not str(v).strip()


def _text(v: Any) -> str:
    return "" if v is None else str(v).strip()
