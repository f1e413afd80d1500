"""Breakdown attributes named on the command line are read from the file by name.

``--by education`` on a file with an ``education`` column should simply work: the column
is read as the attribute although no built-in rule knows it. When the column is there but
already means something else (an item, the respondent id, personal data), or is not there
at all, the error says which, and how to map it.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from implassess.contracts import RawTable
from implassess.errors import InputError
from implassess.ingest.columns import ROLE_IGNORE, ROLE_PERSONAL, ColumnMapping, last_segment, loose

_FREE = ("unknown", ROLE_IGNORE)


class BreakdownError(InputError):
    """A breakdown attribute asked for cannot be read from the file (absent, personal, or taken)."""


def _role_words(m: ColumnMapping) -> str:
    if m.role == "item":
        return f"the instrument's item {m.target!r}"
    return {
        "respondent-id": "the respondent id",
        "submitted-at": "the submission date",
        "comment": "a free-text comment",
        "attribute": f"the attribute {m.target!r}",
    }.get(m.role, m.role)


def wanted_attributes(raw: RawTable, plan: list[ColumnMapping], names: Sequence[str]) -> list[ColumnMapping]:
    """``plan`` with a column read as each attribute in ``names`` that no column provides yet.

    A column matches by its header, its last group segment or its exported question text,
    ignoring case, spaces and punctuation. Raises :class:`InputError` when the matching
    column is personal data or already means something else, or when no column matches
    (:class:`BreakdownError`).
    """
    out = list(plan)
    have = {m.target for m in out if m.role == "attribute"}
    cols = raw.columns
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        if name in have:
            continue
        key = loose(name)
        hits = [
            i for i, c in enumerate(cols) if key in (loose(c), loose(last_segment(c)), loose(raw.labels.get(c, "")))
        ]
        free = [i for i in hits if out[i].role in _FREE]
        if free:
            i = free[0]
            out[i] = ColumnMapping(cols[i], "attribute", name, "--by")
            have.add(name)
            continue
        if hits:
            m = out[hits[0]]
            if m.role == ROLE_PERSONAL:
                raise BreakdownError(
                    raw.source,
                    f"Results cannot be broken down by {name!r}: column {m.column!r} holds personal data, and groups "
                    "named by personal data would identify people. If it is not personal, list it under "
                    "[privacy] not-personal in a mapping file (--mapping).",
                    column=m.column,
                )
            raise BreakdownError(
                raw.source,
                f"Results cannot be broken down by {name!r}: column {m.column!r} is read as {_role_words(m)}. "
                f'To break down by another column, map it in a mapping file: [columns] "<column>" = '
                f'"attribute:{name}".',
                column=m.column,
            )
        unmapped = [m.column for m in out if m.role in _FREE]
        close = difflib.get_close_matches(name, unmapped, n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise BreakdownError(
            raw.source,
            f"Results cannot be broken down by {name!r}: the file has no column of that name.{hint} Columns "
            f"not used for anything else: {_few(unmapped)}. Map one in a mapping file: [columns] "
            f'"<column>" = "attribute:{name}".',
        )
    return out


def _few(columns: Sequence[str]) -> str:
    if not columns:
        return "none"
    shown = [repr(c if len(c) <= 60 else c[:57] + "...") for c in columns[:10]]
    return ", ".join(shown) + (f" and {len(columns) - 10} more" if len(columns) > 10 else "")
