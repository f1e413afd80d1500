"""Row accounting: duplicate submissions and the kinds of rejection.

Every row read is either accepted or rejected with reasons; this module holds the rules
that reject whole rows for who sent them (duplicates) and the kinds reports count them by.
The rejected-rows CSV is written by :mod:`implassess.outputs.rejected`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
