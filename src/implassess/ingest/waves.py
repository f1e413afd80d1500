"""Waves are never pooled: one export may hold several survey waves, and every command scores one.

A baseline and a follow-up scored together would mix before and after into one number that
describes neither. So a file whose ``wave`` attribute holds more than one wave is refused
until the user names the wave to score (``--wave`` for ``score`` and ``responses check``,
``wave=`` in Python, ``[scoring] wave`` in an assessment file). The rows of the other waves
are then listed as rejected with the reason, so every row read is still accounted for.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import attrs

from implassess.errors import InputError
from implassess.ingest.personal import shown

if TYPE_CHECKING:
    from implassess.responses import ResponseSet

#: The attribute that holds the wave.
WAVE = "wave"


def wave_counts(rs: ResponseSet) -> dict[str, int]:
    """Accepted respondents per wave, in the order waves first appear (blank waves left out)."""
    return dict(Counter(w for w in rs.attributes.get(WAVE, ()) if w))


def _listed(counts: dict[str, int]) -> str:
    shown_waves = [f"{w!r} ({n} row{'s' if n != 1 else ''})" for w, n in sorted(counts.items())]
    return ", ".join(shown_waves[:12]) + (f" and {len(shown_waves) - 12} more" if len(shown_waves) > 12 else "")


def refuse_pooled_waves(rs: ResponseSet, how_to_choose: str) -> None:
    """Raise :class:`InputError` when the responses hold more than one wave.

    ``how_to_choose`` completes the sentence "Choose one wave: …", in the caller's words
    (``--wave 'baseline'``, ``wave='baseline'``, ``[scoring] wave = 'baseline'``); ``{wave}``
    in it is replaced by the first wave's name.
    """
    counts = wave_counts(rs)
    if len(counts) <= 1:
        return
    first = sorted(counts)[0]
    blank = sum(1 for w in rs.attributes.get(WAVE, ()) if not w)
    blanks = f", and {blank} row(s) have no wave (blank)" if blank else ""
    raise InputError(
        rs.source,
        f"The 'wave' column holds {len(counts)} waves: {_listed(counts)}{blanks}. Scoring them together would mix "
        f"before and after into one number that describes neither, so waves are never pooled. Choose one wave: "
        f"{how_to_choose.format(wave=repr(first))}.",
    )


def select_wave(rs: ResponseSet, wave: str, *, set_aside: bool = True) -> ResponseSet:
    """The respondents of ``wave``.

    With ``set_aside`` (``score``, ``responses check``, the API) the rows of other waves are
    listed as rejected, with a reason that says which wave they belong to; without it (``run``,
    which scores a comparison wave from the same rows) they leave the set and ``rows_read``
    with them. Raises :class:`InputError` when the file has no wave column or no row in
    ``wave``.
    """
    import numpy as np

    from implassess.contracts import RejectedRow

    if not wave.strip():
        raise InputError(rs.source, "The wave to score is blank; expected the name of a wave in the 'wave' column.")
    waves = rs.attributes.get(WAVE)
    if waves is None:
        raise InputError(
            rs.source,
            f"Wave {wave!r} was asked for, but the file has no 'wave' column (nor a column mapped to the 'wave' "
            "attribute); expected a column of wave names, such as REDCap's redcap_event_name. Map one with "
            '`wave = "<column>"` under [columns] in a mapping file, or leave the wave out.',
        )
    keep = np.array([w == wave for w in waves], dtype=bool)
    if not keep.any():
        counts = wave_counts(rs)
        raise InputError(
            rs.source,
            f"No accepted respondent is in wave {wave!r}; the accepted rows' waves are "
            f"{_listed(counts) or 'all blank'}. If the file has rows of wave {wave!r}, each was rejected (see the "
            "rejected rows: `implassess responses check` lists them with their reasons).",
        )
    if not set_aside:
        return rs.subset(keep, f"not in wave {wave!r}")
    out = np.flatnonzero(~keep)
    rows = rs.rows or tuple(range(rs.n))
    extra = tuple(
        RejectedRow(
            rows[r],
            (
                f"Column 'wave': found {shown(waves[r])} (another wave); this run scores wave {wave!r} only, and "
                "waves are never pooled."
                if waves[r]
                else f"Column 'wave' is blank, so the row is in no wave (another wave than {wave!r}, which this run "
                "scores; waves are never pooled).",
            ),
            rs.respondent_ids[r],
        )
        for r in out
    )
    kept = rs.subset(keep)
    return attrs.evolve(
        kept,
        rejected=tuple(sorted(rs.rejected + extra, key=lambda rr: rr.row)),
        rows_read=rs.rows_read,
    )


def one_wave(rs: ResponseSet, wave: str | None) -> ResponseSet:
    """``rs`` cut to ``wave`` when one is named, else ``rs`` itself, refused if it holds several waves."""
    if wave is not None:
        return select_wave(rs, wave)
    refuse_pooled_waves(rs, "pass --wave {wave} on the command line, or wave={wave} in Python")
    return rs
