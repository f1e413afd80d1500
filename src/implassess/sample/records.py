"""The records of the sample data set: tables of strings, survey submissions, the whole set.

:mod:`implassess.sample.generate` builds them and :mod:`implassess.sample.text` renders
some of them (the Qualtrics export, the README); both import this module.
"""

from __future__ import annotations

from datetime import datetime

import attrs

#: A site answered by fewer respondents than any anonymity threshold.
SMALL_SITE = "Harbourside Hospice"


def iso_seconds(t: datetime) -> str:
    """A timestamp as the exports write it: ISO 8601 to the second."""
    return t.isoformat(timespec="seconds")


@attrs.define(kw_only=True)
class Submission:
    """One organisation-survey submission while it is being built (mutable: flaws are added)."""

    respondent_id: str
    submitted_at: datetime
    site: str
    role: str
    wave: str
    email: str
    comment: str
    values: list[str]
    """Answers as scale values and codes (the generic file)."""
    labels: list[str]
    """Answers as option labels (the Qualtrics choice-text file)."""
    first_name: str
    last_name: str

    def generic_row(self) -> tuple[str, ...]:
        """The row of ``org-survey.csv``."""
        at = iso_seconds(self.submitted_at)
        return (self.respondent_id, at, self.site, self.role, self.wave, self.email, self.comment, *self.values)


@attrs.frozen
class Table:
    """A CSV-shaped table of strings."""

    columns: tuple[str, ...]
    """Column ids (the first header row)."""
    rows: tuple[tuple[str, ...], ...]
    """Data rows; a row may be shorter than ``columns`` when it is deliberately ragged."""
    header_rows: tuple[tuple[str, ...], ...] = ()
    """Further header rows after the column ids (Qualtrics has two)."""

    def column(self, name: str) -> list[str]:
        """The values of one column (``""`` where a ragged row stops short)."""
        j = self.columns.index(name)
        return [r[j] if j < len(r) else "" for r in self.rows]

    def records(self) -> list[dict[str, str]]:
        """Rows as dicts keyed by column id."""
        return [dict(zip(self.columns, r, strict=False)) for r in self.rows]


@attrs.frozen(eq=False, kw_only=True)
class SampleData:
    """A generated data set, held in memory until :func:`write_sample` writes it."""

    seed: int
    """The seed it was generated from."""
    instruments: tuple[str, ...]
    """Ids of the instruments it covers."""
    survey: Table
    """The organisation survey, one row per submission (``org-survey.csv``)."""
    qualtrics: Table
    """The same survey as a Qualtrics choice-text export (``org-survey-qualtrics.csv``)."""
    survey_items: tuple[str, ...]
    """Item columns of the survey."""
    rater360: Table | None = None
    """The leadership 360 (``leadership-360.csv``); None without an instrument with a self form."""
    participants: Table | None = None
    """The 360 participants with names (``participants.csv``)."""
    kpis: Table | None = None
    """One value per KPI per period (``kpis.csv``); None without KPIs."""
    anomalies: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    """Kind of flaw (``duplicate``, ``out-of-range``, ``non-numeric``, ``all-blank``) →
    respondent ids of the survey rows that carry it."""
    changes: dict[str, float] = attrs.field(factory=dict)
    """``instrument/dimension`` → true change at follow-up in the survey (latent SD)."""
    changes_360: dict[str, float] = attrs.field(factory=dict)
    """``instrument/dimension`` → true change of others' ratings after the programme."""
    few_peers: tuple[str, ...] = ()
    """Participants rostered with fewer than three peers."""
    self_gaps: tuple[tuple[str, str, str], ...] = ()
    """Built-in 360 gaps: (participant, ``instrument/dimension``, ``blind-spot`` or
    ``hidden-strength``), self rating far above or below the others'."""
    small_site: str = SMALL_SITE
    """The site with fewer than five respondents."""
