"""Records of the participant reports: anonymity rules, the report view-models, the manifest.

Everything here is plain data (floats, strings, tuples) so a report can be pickled to a
worker process or a Dask worker and rendered there. Numbers stay raw and are rounded
only at display by :mod:`implassess.report.fmt`. Strings are plain text, never markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Final, Literal

import attrs

#: Rater groups in report order. ``self`` and ``all-others`` are not in this list.
RATER_GROUPS = ("manager", "peer", "direct-report", "other")
SELF: Final = "self"
ALL_OTHERS: Final = "all-others"
GROUP_LABELS = {
    SELF: "Self",
    "manager": "Manager",
    "peer": "Peers",
    "direct-report": "Direct reports",
    "other": "Others",
    ALL_OTHERS: "All others",
}
Flag = Literal["blind-spot", "hidden-strength"]
Whose = Literal["self", "all-others"]
Status = Literal["ok", "error"]


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(value)


@attrs.frozen
class AnonymityRules:
    """Minimum raters per group before the group is shown (CCL convention by default).

    A group below its minimum is dropped from the report, not folded into another group.
    Its raters count in "all others" only when the raters of all dropped groups together
    reach the largest minimum among those groups, so no dropped group can be worked out
    by subtracting the shown groups from "all others".
    """

    manager: int = 3
    """Managers needed to show the manager group (1 when shown alone by agreement)."""
    peer: int = 3
    """Peers needed to show the peer group."""
    direct_report: int = 3
    """Direct reports needed to show that group."""
    other: int = 3
    """Other raters needed to show that group."""
    all_others: int = 4
    """Raters (all groups pooled, self excluded) needed to show any rater result at all."""
    manager_alone: bool = False
    """The manager is shown alone by agreement with the programme (``--show-manager``)."""

    @classmethod
    def default(cls, *, show_manager: bool = False) -> AnonymityRules:
        """The CCL minimums; with ``show_manager`` a single manager is shown (by agreement)."""
        return cls(manager=1, manager_alone=True) if show_manager else cls()

    def minimum(self, group: str) -> int:
        """Minimum for a rater group key (``manager``, ``peer``, ``direct-report``, ``other``, ``all-others``)."""
        return int(getattr(self, group.replace("-", "_")))

    def with_minimums(self, **minimums: int) -> AnonymityRules:
        """A copy with some minimums replaced (keys as in :meth:`minimum`, ``-`` or ``_``)."""
        changes: dict[str, Any] = {k.replace("-", "_"): v for k, v in minimums.items()}
        return attrs.evolve(self, **changes)

    def lowered(self) -> tuple[tuple[str, int, int], ...]:
        """(group key, minimum, CCL default) of every minimum set below its default.

        A single manager shown by agreement (:attr:`manager_alone`) is not a lowered minimum.
        """
        base = AnonymityRules()
        out = []
        for key in (*RATER_GROUPS, ALL_OTHERS):
            if key == "manager" and self.manager_alone and self.manager == 1:
                continue
            if self.minimum(key) < base.minimum(key):
                out.append((key, self.minimum(key), base.minimum(key)))
        return tuple(out)


@attrs.frozen
class Visibility:
    """Which rater groups one participant's report shows, from the raters' counts."""

    shown: tuple[str, ...]
    """Rater groups shown separately, in report order."""
    dropped: tuple[str, ...]
    """Rater groups below their minimum (including groups with no raters)."""
    pooled: tuple[str, ...]
    """Groups whose raters make up "all others"."""
    all_others_shown: bool
    """Whether "all others" (and with it every rater result) is shown."""
    residual_pooled: bool
    """Whether the raters of dropped groups count in "all others"."""

    def excluded(self, counts: dict[str, int]) -> tuple[str, ...]:
        """Dropped groups with raters whose ratings appear nowhere in the report."""
        if not self.all_others_shown:
            return tuple(g for g in RATER_GROUPS if counts.get(g, 0) > 0)
        return tuple(g for g in self.dropped if counts.get(g, 0) > 0 and g not in self.pooled)


@attrs.frozen
class GroupInfo:
    """A rater group as the report lists it."""

    key: str
    """``self``, a rater group, or ``all-others``."""
    label: str
    """Display label."""
    shown: bool
    """Whether the group's results are shown."""
    n: int | None
    """Raters, printed only when the group is shown (None otherwise)."""
    note: str = ""
    """Why the group is not shown, or how its raters are used."""
    at_least: bool = False
    """:attr:`n` is a lower bound, not the count: All others includes raters of groups not
    shown, and its exact count minus the shown groups would give their size."""

    def count_text(self) -> str:
        """The Raters cell: the count, ``at least N``, or empty when the group is not shown."""
        if not self.shown or self.n is None:
            return ""
        return f"at least {self.n}" if self.at_least else str(self.n)


@attrs.frozen(kw_only=True)
class UnitRow:
    """A dimension or facet: self, all others, each shown group, cohort, gap."""

    key: str
    """``instrument-id/unit-id``."""
    name: str
    """Display name."""
    kind: Literal["dimension", "facet"]
    """Which of the two."""
    dimension: str
    """Key of the dimension (itself for a dimension)."""
    instrument: str
    """Title of the instrument."""
    self_score: float | None
    """Self-rating, 0–100."""
    others: float | None
    """Mean of all others' scores, 0–100 (None when not shown)."""
    others_level: int | None = None
    """Maturity level of :attr:`others`."""
    others_level_name: str = ""
    """Name of that level."""
    self_level: int | None = None
    """Maturity level of the self-rating."""
    self_level_name: str = ""
    """Name of that level."""
    groups: tuple[float | None, ...] = attrs.field(default=(), converter=_tuple)
    """Score per shown rater group, parallel to :attr:`ParticipantReport.group_columns`."""
    cohort_others: float | None = None
    """Cohort mean of participants' all-others scores (None when the cohort is too small)."""
    cohort_self: float | None = None
    """Cohort mean of self-ratings."""
    gap: float | None = None
    """Self − all others, 0–100 points."""
    flag: Flag | None = None
    """Blind spot (self far above others) or hidden strength (far below)."""


@attrs.frozen(kw_only=True)
class ItemRow:
    """One item: self, all others, each shown group, gap, on the answer scale (after reverse keying)."""

    id: str
    """Item id."""
    text: str
    """Item text as raters saw it."""
    dimension: str
    """Key of its dimension."""
    low: float
    """Lowest value of its answer scale."""
    high: float
    """Highest value of its answer scale."""
    self_value: float | None
    """The self-rating (recoded: higher is better)."""
    others: float | None
    """Mean of all others' ratings."""
    groups: tuple[float | None, ...] = attrs.field(default=(), converter=_tuple)
    """Mean per shown rater group."""
    gap: float | None = None
    """Self − all others."""
    reverse: bool = False
    """Reverse-keyed: values are recoded, so agreement with the text lowers them."""


@attrs.frozen(kw_only=True)
class ChangeRow:
    """Reliable change of one dimension between two waves, for self or all others."""

    key: str
    """Unit key."""
    name: str
    """Display name."""
    source: Whose
    """Whose ratings."""
    before: float | None
    """Score in the comparison wave, 0–100."""
    after: float | None
    """Score in the report wave, 0–100."""
    rci: float | None
    """Reliable change index (None when it cannot be computed)."""
    sd: float | None = None
    """Baseline SD used (0–100)."""
    alpha: float | None = None
    """Baseline Cronbach's α used."""

    @property
    def change(self) -> float | None:
        """after − before."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def verdict(self) -> str:
        """``improved``, ``declined``, ``no reliable change`` or ``not computed``."""
        if self.rci is None:
            return "not computed"
        if abs(self.rci) <= 1.96:
            return "no reliable change"
        return "improved" if self.rci > 0 else "declined"


@attrs.frozen(kw_only=True)
class PlanEntry:
    """One entry of the development plan."""

    rank: int
    """1 = first."""
    title: str
    """Action title."""
    description: str = ""
    """What to do."""
    horizon: str = ""
    """When."""
    priority: str = ""
    """``high``, ``medium``, ``low``; empty for a level recommendation."""
    reason: str = ""
    """Why it is recommended, as a sentence with the observed value."""
    rationale: str = ""
    """The instrument's rationale for the trigger."""
    action: str = ""
    """Action id (for the cohort's development themes)."""


@attrs.frozen(kw_only=True)
class ParticipantReport:
    """Everything one participant's private report shows (and nothing about anyone else)."""

    participant: str
    """Participant id."""
    name: str
    """Participant name."""
    programme: str
    """Programme (battery) title."""
    wave: str
    """Wave the report shows."""
    date: dt.date
    """Report date."""
    client: str = ""
    """Client organisation."""
    consultancy: str = ""
    """Who issues the report."""
    cohort: str = ""
    """Cohort label."""
    site: str = ""
    """Site."""
    compare_wave: str | None = None
    """Earlier wave compared with, if any."""
    groups: tuple[GroupInfo, ...] = attrs.field(default=(), converter=_tuple)
    """Self, each rater group and all others, with what is shown."""
    group_columns: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Rater groups shown separately, the columns of the ``groups`` values of rows."""
    units: tuple[UnitRow, ...] = attrs.field(default=(), converter=_tuple)
    """Dimensions and their facets, in instrument order (dimension, then its facets)."""
    items: tuple[ItemRow, ...] = attrs.field(default=(), converter=_tuple)
    """Items in instrument order."""
    top_positive: tuple[ItemRow, ...] = attrs.field(default=(), converter=_tuple)
    """Up to five items where self is furthest above others."""
    top_negative: tuple[ItemRow, ...] = attrs.field(default=(), converter=_tuple)
    """Up to five items where self is furthest below others."""
    highest: tuple[ItemRow, ...] = attrs.field(default=(), converter=_tuple)
    """Up to five items others rated highest."""
    lowest: tuple[ItemRow, ...] = attrs.field(default=(), converter=_tuple)
    """Up to five items others rated lowest."""
    comments: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Raters' comments, unattributed, in a shuffled order."""
    self_comments: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """The participant's own comments."""
    change: tuple[ChangeRow, ...] = attrs.field(default=(), converter=_tuple)
    """Reliable change per dimension (empty without a comparison wave)."""
    change_note: str = ""
    """Where SD and α for the RCI come from, or why change is not shown."""
    plan: tuple[PlanEntry, ...] = attrs.field(default=(), converter=_tuple)
    """Development plan, ranked."""
    plan_basis: str = ""
    """Whose scores the plan is based on."""
    gap_fraction: float = 1 / 3
    """Blind-spot threshold as a share of the scale range."""
    levels: tuple[tuple[int, str, float, float], ...] = attrs.field(
        default=(), converter=lambda v: tuple(map(tuple, v))
    )
    """(level, name, min, max) of the maturity bands on 0–100."""
    rules: AnonymityRules = attrs.field(factory=AnonymityRules)
    """The minimums applied."""
    notes: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Methodology notes (one paragraph each)."""
    warnings: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Data problems met while building the report (also in the manifest)."""

    @property
    def others_shown(self) -> bool:
        """Whether any rater result is shown."""
        return any(g.key == ALL_OTHERS and g.shown for g in self.groups)


@attrs.frozen(kw_only=True)
class CohortUnit:
    """One dimension or facet across a cohort: means and counts, no individual's data."""

    key: str
    """Unit key."""
    name: str
    """Display name."""
    kind: Literal["dimension", "facet"]
    """Dimension or facet."""
    n: int
    """Participants with an all-others score on the unit."""
    mean_self: float | None
    """Mean self-rating, 0–100."""
    mean_others: float | None
    """Mean of participants' all-others scores."""
    mean_gap: float | None
    """Mean self − others gap."""
    blind_spots: int = 0
    """Participants with a blind spot on the unit."""
    hidden_strengths: int = 0
    """Participants with a hidden strength on the unit."""
    levels: tuple[int, ...] = attrs.field(default=(), converter=_tuple)
    """Participants per others' level 1…L."""
    mean_change: float | None = None
    """Mean change of all-others scores since the comparison wave."""
    improved: int | None = None
    """Participants with a reliable improvement (|RCI| > 1.96)."""
    declined: int | None = None
    """Participants with a reliable decline."""


@attrs.frozen
class CohortBlock:
    """One cohort (or the whole programme) in the cohort summary."""

    label: str
    """Cohort label, or ``All participants``."""
    participants: int
    """Participants with a report."""
    shown: bool
    """False when the cohort is below the minimum size: nothing else is printed."""
    units: tuple[CohortUnit, ...] = attrs.field(default=(), converter=_tuple)
    """Per dimension and facet."""
    raters: tuple[tuple[str, int, int], ...] = attrs.field(default=(), converter=lambda v: tuple(map(tuple, v)))
    """(group label, raters in total, participants for whom the group was shown)."""
    themes: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=lambda v: tuple(map(tuple, v)))
    """(action title, participants whose plan includes it), most frequent first."""
    note: str = ""
    """Why a block with enough participants is not summarised (empty otherwise)."""


@attrs.frozen(kw_only=True)
class CohortSummary:
    """The cohort summary PDF: aggregates only."""

    programme: str
    """Programme title."""
    wave: str
    """Wave summarised."""
    date: dt.date
    """Report date."""
    client: str = ""
    """Client organisation."""
    consultancy: str = ""
    """Who issues the report."""
    compare_wave: str | None = None
    """Comparison wave, if any."""
    blocks: tuple[CohortBlock, ...] = attrs.field(default=(), converter=_tuple)
    """Each cohort, then all participants."""
    min_cohort: int = 5
    """Smallest cohort summarised."""
    levels: tuple[tuple[int, str], ...] = attrs.field(default=(), converter=lambda v: tuple(map(tuple, v)))
    """(level, name) of the maturity levels."""
    notes: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Methodology notes."""
    failed: int = 0
    """Participants without a report (their reasons are in the manifest)."""


@attrs.frozen(kw_only=True)
class ManifestEntry:
    """One output of a batch: a participant's report or the cohort summary."""

    participant: str
    """Participant id (``cohort-summary`` for the summary)."""
    file: str
    """File name inside the output folder (empty when nothing was written)."""
    status: Status
    """``ok`` or ``error``."""
    sha256: str = ""
    """SHA-256 of the PDF."""
    pages: int = 0
    """Pages."""
    warnings: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Data problems that did not stop the report."""
    reason: str = ""
    """Why there is no report (status ``error``)."""
    model_sha256: str = ""
    """Hash of the report's content before rendering: a rerun re-renders when it changes."""
    resumed: bool = False
    """True when the file was kept from an earlier run."""

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        d = attrs.asdict(self)
        d["warnings"] = list(self.warnings)
        return d
