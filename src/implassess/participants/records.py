"""What :func:`~implassess.participants.assemble.build_reports` takes and gives: options and outcomes.

In a module of their own so the cohort summary (:mod:`implassess.participants.cohort`)
can read them without importing the assembly that calls it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import attrs

from implassess.participants.model import AnonymityRules, ParticipantReport


@attrs.frozen
class BuildOptions:
    """How reports are built."""

    wave: str
    """Wave the reports show."""
    compare_wave: str | None = None
    """Earlier wave to show change from."""
    rules: AnonymityRules = attrs.field(factory=AnonymityRules)
    """Rater minimums."""
    gap_fraction: float = 1 / 3
    """Blind-spot threshold as a share of the scale range."""
    min_cohort: int = 5
    """Participants a cohort needs before its means are shown."""
    programme: str = ""
    """Programme title."""
    client: str = ""
    """Client organisation."""
    consultancy: str = ""
    """Who issues the reports."""
    date: dt.date = attrs.field(factory=dt.date.today)
    """Report date."""
    top: int = 5
    """How many gaps and extreme items to list."""


@attrs.frozen
class MaskedComment:
    """A comment of a report in which other participants' names were replaced (for the programme lead).

    It holds nothing about who wrote it: not the rater, not the rater group, not the row.
    """

    source: Literal["raters", "self"]
    """A rater's comment or the participant's own."""
    text: str
    """The comment as printed, with the names masked (the original is never kept)."""
    names: int
    """How many names were masked."""


@attrs.frozen(eq=False)
class Outcome:
    """A participant's report, or why there is none."""

    participant: str
    """Participant id."""
    report: ParticipantReport | None
    """The view-model (None on error)."""
    reason: str = ""
    """Why there is no report."""
    warnings: tuple[str, ...] = ()
    """Problems that did not stop the report."""
    masked: tuple[MaskedComment, ...] = ()
    """Comments of the report in which names were masked, in the report's order."""
