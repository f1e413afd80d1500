"""Row accounting: duplicate submissions, rows of records with events and repeats, the kinds of rejection.

Every row read is either accepted or rejected with reasons; this module holds the rules
that reject whole rows for who sent them (duplicates), that say which row of a record
answers the instrument (REDCap events and repeating forms), and the kinds reports count
rejections by. The rejected-rows CSV is written by :mod:`implassess.outputs.rejected`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from implassess.ingest.answers import parse_dates
from implassess.ingest.personal import shown


def find_duplicates(
    ids: list[str],
    raw_ids: Sequence[Any],
    rownums: list[int],
    reasons: dict[int, list[str]],
    policy: str,
    id_header: str,
    date_column: Callable[[], Sequence[Any]] | None,
    date_header: str | None,
    wave_column: Callable[[], Sequence[Any]] | None,
    notes: list[str],
    participant_column: Callable[[], Sequence[Any]] | None = None,
) -> None:
    """Reject all but one row per respondent id (and wave, when there is a wave column).

    In a 360 export (a ``participant`` column) one rater rates several colleagues under one
    rater id, so the key is the id, the wave and the participant rated.
    """
    if len(set(ids)) == len(ids):
        return
    dates = date_column() if date_column is not None else None
    waves = wave_column() if wave_column is not None else None
    rated = participant_column() if participant_column is not None else None
    groups: dict[tuple[str, Any, Any], list[int]] = {}
    for r, rid in enumerate(ids):
        if r in reasons or (rid.startswith("row-") and not (raw_ids[r] or "").strip()):
            continue
        key = (
            rid,
            (waves[r] or "").strip() if waves is not None else None,
            str(rated[r] or "").strip() if rated is not None else None,
        )
        groups.setdefault(key, []).append(r)
    dup_groups = [g for g in groups.values() if len(g) > 1]
    if not dup_groups:
        return
    for g in dup_groups:
        wave = f" in wave {shown((waves[g[0]] or '').strip())}" if waves is not None else ""
        if rated is not None:
            wave += " for the same participant"
        if policy == "reject":
            first = g[0]
            for r in g[1:]:
                reasons[r] = [
                    f"Column {id_header!r}: found {shown(ids[r])} again{wave}; respondent ids must be unique and row "
                    f"{rownums[first]} already has it (duplicates='reject' keeps the first)."
                ]
            continue
        parsed: list[Any] = [None] * len(g)
        problem = "there is no submission date column"
        if dates is not None:
            parsed, problem = parse_dates([dates[r] for r in g])  # type: ignore[assignment]
        if problem is None and all(p is not None for p in parsed):
            kept_pos = max(range(len(g)), key=lambda p: (parsed[p], p))
            kept = g[kept_pos]
            for r in g:
                if r != kept:
                    reasons[r] = [
                        f"Column {id_header!r}: found {shown(ids[r])} again{wave}; row {rownums[kept]} holds a "
                        f"later response ({date_header!r} {shown(dates[kept])}, this row {shown(dates[r])}), and "
                        "duplicates='latest' keeps it."
                    ]
        else:
            kept = g[-1]
            notes.append(
                f"Respondent {shown(ids[kept])}: duplicates='latest' kept the last row in the file "
                f"(row {rownums[kept]}) because {problem}."
            )
            for r in g[:-1]:
                reasons[r] = [
                    f"Column {id_header!r}: found {shown(ids[r])} again{wave}; row {rownums[kept]} comes later in "
                    f"the file, and duplicates='latest' keeps it ({problem})."
                ]


# -- records with events and repeating forms -------------------------------------------------------

#: The reason the mapping step gives a row with no answer (see ``ingest.core._convert``).
_UNANSWERED = "No item answered: all "
_CODE_RE = re.compile(r"-?\d+")


def settle_record_rows(
    layout: Mapping[str, Any],
    item_columns: Sequence[str],
    ids: list[str],
    rownums: Sequence[int],
    reasons: dict[int, list[str]],
    column: Callable[[str], Sequence[Any]],
    notes: list[str],
) -> None:
    """Say which rows of a record answer the instrument, in an export whose records span several rows.

    ``layout`` comes from the reader (``RawTable.meta["record_rows"]``; the REDCap reader
    writes it): ``forms`` (column → form), ``status`` (form → its status column), and the
    columns ``event``, ``arm`` and ``repeat`` (repeating form, instance number) where the
    file has them, the policy ``repeats`` and ``codes_unknown`` (no data dictionary read).

    - Item columns holding bare choice codes read without a dictionary get a warning.
    - A row of a repeating form that holds none of the items is not a response: rejected.
    - Of the answered instances of the items' repeating form, one per record and event is
      scored (``repeats="latest"``, the highest instance number, or ``"first"``); the
      others are rejected. ``"each"`` scores every instance as its own respondent,
      ``<record>#<instance>``. Every instance not scored says ``(repeat instance)``.
    - A row with no item answered says why when the export shows it: the items' form is
      not collected at the row's event (its status column is blank), or the items are on
      a repeating form and the row holds the forms that do not repeat.

    ``ids`` is changed in place (``each``); ``reasons`` gets the rows rejected.
    """
    forms: Mapping[str, str] = layout.get("forms", {})
    item_forms = list(dict.fromkeys(forms[c] for c in item_columns if c in forms))
    if layout.get("codes_unknown"):
        _warn_bare_codes(layout, item_columns, column, notes)
    n = len(ids)
    events = list(column(layout["event"])) if layout.get("event") else None
    arms = list(column(layout["arm"])) if layout.get("arm") else None

    def at(r: int) -> str:
        if events is None:
            return ""
        arm = f" (arm {_text(arms[r])})" if arms is not None and _text(arms[r]) else ""
        return f" at event {shown(_text(events[r]))}{arm}"

    repeated: set[int] = set()
    if layout.get("repeat"):
        form_col, instance_col = layout["repeat"]
        repeating = [_text(v) for v in column(form_col)]
        instances = [_text(v) for v in column(instance_col)]
        repeats = str(layout.get("repeats") or "latest")
        if any(c not in forms for c in item_columns):
            # Forms unknown (no dictionary and no status columns): the forms whose rows hold answers
            # hold the items ("" for the record's row of the forms that do not repeat).
            answered = (r for r in range(n) if not (r in reasons and _unanswered(reasons[r])))
            item_forms = list(dict.fromkeys([*item_forms, *(repeating[r] for r in answered)]))
        repeating_forms = {f for f in repeating if f}
        on_repeating = [f for f in item_forms if f in repeating_forms]
        if on_repeating and len(on_repeating) < len(item_forms):
            others = [f for f in item_forms if f not in on_repeating and f]
            notes.append(
                f"The instrument's items are on the repeating form(s) {_names(on_repeating)} and on form(s) that do "
                f"not repeat{f' ({_names(others)})' if others else ''}; REDCap keeps them on "
                "separate rows, so each row is scored with the items it holds. Score each form's items as an "
                "instrument of its own."
            )
        groups: dict[tuple[str, str | None, str], list[int]] = {}
        for r in range(n):
            form, instance = repeating[r], instances[r]
            if not form:
                if r in reasons and _unanswered(reasons[r]) and on_repeating and len(on_repeating) == len(item_forms):
                    reasons[r] = [
                        f"No item answered: the row holds the forms of record {shown(ids[r])}{at(r)} that do not "
                        f"repeat; the instrument's items are on the repeating form {_names(on_repeating)}, whose "
                        "instances are rows of their own."
                    ]
                continue
            repeated.add(r)
            what = f"instance {instance or '?'} of the repeating form {form!r} for record {shown(ids[r])}{at(r)}"
            if form not in item_forms:
                where = _names([f for f in item_forms if f]) or "other rows"
                reasons[r] = [
                    f"Column {form_col!r}: the row is {what} (repeat instance); that form holds none of the "
                    f"instrument's items (they are on {where}), so the row is not a response to this instrument."
                ]
                continue
            if r in reasons:
                if _unanswered(reasons[r]):
                    reasons[r] = [f"{reasons[r][0]} The row is {what} (repeat instance)."]
                continue
            groups.setdefault((ids[r], _text(events[r]) if events is not None else None, form), []).append(r)
        if repeats == "each":
            for r in repeated:
                if repeating[r] in item_forms:
                    ids[r] = f"{ids[r]}#{instances[r]}"
        else:
            for members in groups.values():
                if len(members) < 2:
                    continue
                order = sorted(members, key=lambda r: (_instance_key(instances[r]), r))
                kept = order[-1] if repeats == "latest" else order[0]
                which = "the latest" if repeats == "latest" else "the first"
                for r in members:
                    if r == kept:
                        continue
                    reasons[r] = [
                        f"Column {instance_col!r}: instance {instances[r]} of the repeating form {repeating[r]!r} for "
                        f"record {shown(ids[r])}{at(r)} (repeat instance); one instance per record and event is "
                        f"scored, {which} answered one (repeats={repeats!r}): instance {instances[kept]}, row "
                        f"{rownums[kept]}. Read with repeats='each' to score every instance."
                    ]
    if events is not None:
        _explain_events(layout, item_forms, ids, reasons, column, repeated, at)


def _explain_events(
    layout: Mapping[str, Any],
    item_forms: list[str],
    ids: list[str],
    reasons: dict[int, list[str]],
    column: Callable[[str], Sequence[Any]],
    repeated: set[int],
    at: Callable[[int], str],
) -> None:
    """A row with no item answered whose items' forms have a blank status at its event: not collected there."""
    status_cols = [layout.get("status", {}).get(f) for f in item_forms]
    if not item_forms or None in status_cols:
        return
    statuses = [list(column(c)) for c in status_cols if c is not None]
    for r, why in reasons.items():
        if r in repeated or not _unanswered(why) or any(_text(s[r]) for s in statuses):
            continue
        if len(item_forms) == 1:
            held = f"the form {item_forms[0]!r}, which holds the instrument's items, is not collected at that event"
            blank = f"its status column {status_cols[0]!r} is blank"
        else:
            held = f"the forms {_names(item_forms)}, which hold the instrument's items, are not collected at that event"
            blank = f"their status columns {_names([c for c in status_cols if c])} are blank"
        reasons[r] = [f"No item answered: the row is record {shown(ids[r])}{at(r)}, and {held} ({blank})."]


def _warn_bare_codes(
    layout: Mapping[str, Any], item_columns: Sequence[str], column: Callable[[str], Sequence[Any]], notes: list[str]
) -> None:
    coded = []
    for c in item_columns:
        distinct = {_text(v) for v in set(column(c))} - {""}
        if distinct and all(_CODE_RE.fullmatch(v) for v in distinct):
            coded.append(c)
    if not coded:
        return
    beside = layout.get("dictionary_name") or "<name>_dictionary.csv"
    notes.append(
        f"No data dictionary was read, so the bare choice codes in {_names(coded)} are scored as the instrument's "
        "values of the same number. REDCap codes each choice as the project chose (0, 1, 2 …), so this is right "
        "only if the project's codes are the instrument's values (as in a project built from `implassess "
        "instruments export --format redcap`). Give the project's data dictionary with --dictionary PATH (in "
        f"REDCap: Project Setup, Data Dictionary), or put it beside the export as {beside!r}."
    )


def _unanswered(why: list[str]) -> bool:
    return len(why) == 1 and why[0].startswith(_UNANSWERED)


def _text(v: Any) -> str:
    return "" if v is None else str(v).strip()


def _instance_key(v: str) -> tuple[int, int, str]:
    return (0, int(v), "") if _CODE_RE.fullmatch(v) else (1, 0, v)


def _names(items: Sequence[str]) -> str:
    return ", ".join(repr(x) for x in items)


# -- kinds of rejection --------------------------------------------------------------------------

#: (phrase in a reason this package writes, kind shown in reports), most specific first.
_KINDS = (
    ("(survey preview)", "Survey preview"),
    ("(offline survey preview)", "Survey preview"),
    ("(survey test)", "Test response"),
    ("spam)", "Spam response"),
    ("(review state)", "Not approved in review"),
    ("(another wave)", "Another wave"),
    ("(repeat instance)", "Repeat instance"),
    ("duplicates=", "Duplicate submission"),
    ("No item answered", "No item answered"),
    ("which is outside scale", "Answer out of range"),
    ("neither a value nor an answer label", "Unreadable answer"),
    ("not a choice of the data dictionary", "Unreadable answer"),
    ("which is not an answer label", "Unreadable answer"),
    ("cells but the header has", "Malformed row"),
    ("not valid JSON", "Malformed row"),
    ("expected an object of column", "Malformed row"),
)


def rejection_kind(reason: str) -> str:
    """The kind of a rejection reason written by the readers or the mapping step (``Other``
    for a reason from a plugin reader), for counts in reports."""
    return next((kind for phrase, kind in _KINDS if phrase in reason), "Other")
