"""The report view-model: what a report shows, as raw numbers.

The scoring engine's profile is turned into a :class:`ReportModel` by an adapter; the
renderer only reads these records. Numbers stay raw floats (``None`` or NaN when
missing) and are rounded only at display by :mod:`implassess.report.fmt`, so the PDF
shows exactly the numbers of the JSON output. Strings are plain text, never markup:
the renderer escapes them. This module does not import reportlab.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import attrs

Rag = Literal["green", "amber", "red"]
Direction = Literal["higher", "lower"]


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value)


def _pairs(value: Any) -> tuple[tuple[Any, Any], ...]:
    return tuple((a, b) for a, b in value)


@attrs.frozen(kw_only=True)
class ReportMeta:
    """Who the report is for and how the PDF describes itself."""

    client: str
    """The client organisation, e.g. ``Northfield Health``."""
    engagement: str
    """The engagement or programme name shown on the cover and in the header."""
    consultancy: str
    """The consultancy issuing the report."""
    date: dt.date
    """Report date (shown on the cover)."""
    title: str = "Implementation maturity baseline"
    """Report title; also the PDF title."""
    author: str = ""
    """PDF author (a person or the consultancy)."""
    subject: str = ""
    """PDF subject line."""
    keywords: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """PDF keywords."""
    language: str = "en-GB"
    """BCP 47 language tag written to the PDF catalogue (``/Lang``)."""
    confidentiality: str = "Confidential"
    """Marking printed on the cover and on every page."""


@attrs.frozen
class LevelBand:
    """One maturity level and its band on the 0–100 scale."""

    level: int
    """Ordinal, 1 = lowest."""
    name: str
    """Name such as ``Defined``."""
    min: float
    """Lower bound (inclusive)."""
    max: float
    """Upper bound (exclusive, except the top level)."""


@attrs.frozen
class Overall:
    """The organisation's overall result."""

    score_0_100: float | None
    """Overall score, percent of maximum possible."""
    level: int | None
    """Overall maturity level."""
    level_name: str = ""
    """Name of that level."""
    descriptor: str = ""
    """What an organisation at that level looks like."""
    basis: str = ""
    """How the overall score is formed, as a phrase (e.g. "the mean of 7 instruments' overall scores")."""


@attrs.frozen
class FacetScore:
    """A facet (sub-scale) score of a dimension."""

    name: str
    """Facet name."""
    score_0_100: float | None
    """Facet score, 0–100."""


@attrs.frozen
class ItemDistribution:
    """How respondents answered one item, option by option."""

    text: str
    """Item text as respondents saw it."""
    option_labels: tuple[str, ...] = attrs.field(converter=_tuple)
    """Every option in scale order, substantive first, e.g. ``Strongly disagree`` … ``Don't know``."""
    counts: tuple[int, ...] = attrs.field(converter=_tuple)
    """Number of respondents per option, parallel to :attr:`option_labels`."""
    non_substantive: tuple[bool, ...] = attrs.field(default=(), converter=_tuple)
    """Per option, True for "Don't know" and the like; empty means all substantive."""
    reverse: bool = False
    """Reverse-keyed: agreement lowers the score."""

    @counts.validator
    def _check_counts(self, _: Any, value: tuple[int, ...]) -> None:
        if len(value) != len(self.option_labels):
            raise ValueError(f"{len(value)} counts for {len(self.option_labels)} option labels.")

    @non_substantive.validator
    def _check_flags(self, _: Any, value: tuple[bool, ...]) -> None:
        if value and len(value) != len(self.option_labels):
            raise ValueError(f"{len(value)} non-substantive flags for {len(self.option_labels)} option labels.")

    def is_substantive(self, i: int) -> bool:
        """Whether option ``i`` carries a value."""
        return not (self.non_substantive and self.non_substantive[i])

    def substantive(self) -> list[tuple[str, int]]:
        """(label, count) of the substantive options, in scale order."""
        return [
            (lab, c)
            for i, (lab, c) in enumerate(zip(self.option_labels, self.counts, strict=True))
            if self.is_substantive(i)
        ]

    def set_apart(self) -> list[tuple[str, int]]:
        """(label, count) of the non-substantive options, shown apart from the bar."""
        return [
            (lab, c)
            for i, (lab, c) in enumerate(zip(self.option_labels, self.counts, strict=True))
            if not self.is_substantive(i)
        ]


@attrs.frozen
class ActionView:
    """A recommended action."""

    title: str
    """Short imperative title."""
    description: str = ""
    """What to do, concretely."""
    horizon: str = ""
    """When, e.g. ``30 days``."""


@attrs.frozen(kw_only=True)
class DimensionView:
    """One dimension's result and the evidence behind it."""

    id: str
    """Dimension id (unique in the report)."""
    name: str
    """Display name."""
    group: str
    """Instrument (or group) title the dimension belongs to."""
    n: int
    """Respondents with a score."""
    mean: float | None
    """Mean score on the answer scale."""
    sd: float | None
    """Standard deviation on the answer scale."""
    ci_low: float | None
    """Lower bound of the 95 % confidence interval of :attr:`score_0_100`."""
    ci_high: float | None
    """Upper bound of that interval."""
    score_0_100: float | None
    """Score, percent of maximum possible."""
    level: int | None
    """Maturity level."""
    level_name: str = ""
    """Name of that level."""
    descriptor: str = ""
    """What the dimension looks like at that level."""
    alpha: float | None = None
    """Cronbach's α of the dimension's items."""
    rwg_j: float | None = None
    """Within-group agreement rwg(j) (≥ 0.70 supports aggregation)."""
    flags: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Data-quality flags such as ``low-agreement`` or ``insufficient-n``."""
    target: float | None = None
    """Target score, 0–100."""
    benchmark: float | None = None
    """Benchmark (norm) score, 0–100."""
    facets: tuple[FacetScore, ...] = attrs.field(default=(), converter=_tuple)
    """Facet scores."""
    items: tuple[ItemDistribution, ...] = attrs.field(default=(), converter=_tuple)
    """Answer distributions per item."""
    actions: tuple[ActionView, ...] = attrs.field(default=(), converter=_tuple)
    """Recommended actions for this dimension at its level."""

    def gap_to_target(self) -> float | None:
        """Target minus score (positive: short of target); None when either is missing."""
        from implassess.report.fmt import is_missing

        if is_missing(self.target) or is_missing(self.score_0_100):
            return None
        assert self.target is not None and self.score_0_100 is not None
        return self.target - self.score_0_100


@attrs.frozen
class HeatmapView:
    """Scores by group (rows) and dimension (columns), with small groups suppressed."""

    row_label: str
    """What a row is, e.g. ``Site``."""
    rows: tuple[str, ...] = attrs.field(converter=_tuple)
    """Group names."""
    columns: tuple[str, ...] = attrs.field(converter=_tuple)
    """Dimension names."""
    cells: tuple[tuple[float | None, ...], ...] = attrs.field(converter=lambda v: tuple(tuple(r) for r in v))
    """Score per row and column; ``None`` = suppressed (group below the minimum size),
    NaN = no data."""
    row_n: tuple[int | None, ...] = attrs.field(default=(), converter=_tuple)
    """Respondents per group, or empty; a ``None`` entry is not printed."""

    @cells.validator
    def _check_shape(self, _: Any, value: tuple[tuple[float | None, ...], ...]) -> None:
        if len(value) != len(self.rows) or any(len(r) != len(self.columns) for r in value):
            raise ValueError(f"cells must be {len(self.rows)} rows of {len(self.columns)} columns.")


@attrs.frozen
class ChangeView:
    """One dimension's change between two waves (organisation level)."""

    name: str
    """Dimension name."""
    before: float | None
    """Score in the earlier wave, 0–100."""
    after: float | None
    """Score in this wave, 0–100."""
    diff: float | None
    """after − before, in points on 0–100."""
    ci_low: float | None
    """Lower bound of the 95 % (Welch) confidence interval of the difference."""
    ci_high: float | None
    """Upper bound of that interval."""

    def clear(self) -> bool:
        """Whether the interval excludes zero (a change beyond sampling noise)."""
        return self.ci_low is not None and self.ci_high is not None and (self.ci_low > 0 or self.ci_high < 0)


@attrs.frozen(kw_only=True)
class KpiView:
    """One KPI on the scorecard."""

    name: str
    """Display name."""
    unit: str
    """Unit, e.g. ``%`` or ``days``."""
    value: float | None
    """Latest value."""
    target: float | None
    """Target value."""
    level: int | None = None
    """Maturity level of the value."""
    rag: Rag | None = None
    """Red/amber/green status."""
    trend: tuple[tuple[str, float | None], ...] = attrs.field(default=(), converter=_pairs)
    """(period, value) oldest first."""
    direction: Direction = "higher"
    """Whether higher or lower values are better."""
    deadline: dt.date | None = None
    """Date by which the target should be met."""


@attrs.frozen(kw_only=True)
class PlanItem:
    """One ranked entry of the action plan, with the trigger that raised it."""

    rank: int
    """1 = do first."""
    priority: str
    """``high``, ``medium`` or ``low``."""
    title: str
    """Action title."""
    description: str = ""
    """What to do."""
    trigger: str = ""
    """The condition that fired, as declared (e.g. ``score < 40``)."""
    rationale: str = ""
    """Why the condition calls for the action."""
    target_label: str = ""
    """What the trigger tested, e.g. ``Decision clarity``."""
    observed: float | str | None = None
    """The observed value that fired the trigger (a string only for a RAG status)."""
    horizon: str = ""
    """When, e.g. ``30 days``."""
    statistic: str = "score"
    """The statistic tested, as in the instrument's trigger (``score``, ``rwg-j``, ``value`` …);
    it decides how :attr:`observed` is printed."""
    unit: str = ""
    """Unit of :attr:`observed` when the statistic is a KPI ``value``."""


@attrs.frozen
class ReliabilityRow:
    """Reliability and agreement of one dimension."""

    dimension: str
    """Dimension name."""
    alpha: float | None
    """Cronbach's α."""
    rwg_j: float | None
    """rwg(j)."""
    n: int
    """Respondents."""


@attrs.frozen(kw_only=True)
class AppendixView:
    """Methodology and data quality."""

    rows_read: int
    """Rows read from the exports."""
    accepted: int
    """Rows scored."""
    rejected: int
    """Rows set aside."""
    rejection_reasons: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=_pairs)
    """(reason, rows) for the rejected rows."""
    excluded: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=_pairs)
    """(why, rows) for rows read but deliberately not in this report, e.g. another wave;
    rows read = scored + set aside + excluded."""
    min_group_size: int = 5
    """Smallest group shown."""
    missing_data_rule: str = ""
    """The missing-data policy, as a sentence."""
    suppression_rule: str = ""
    """The small-group suppression policy, as a sentence."""
    instruments: tuple[tuple[str, str, str], ...] = attrs.field(default=(), converter=lambda v: tuple(map(tuple, v)))
    """(id, version, title) of each instrument scored."""
    reliability: tuple[ReliabilityRow, ...] = attrs.field(default=(), converter=_tuple)
    """Reliability per dimension."""
    notes: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Further notes (one paragraph each)."""


@attrs.frozen(kw_only=True)
class ReportModel:
    """Everything an organisation report shows."""

    meta: ReportMeta
    """Cover and PDF metadata."""
    overall: Overall
    """Overall result."""
    levels: tuple[LevelBand, ...] = attrs.field(converter=_tuple)
    """The maturity levels, lowest first."""
    dimensions: tuple[DimensionView, ...] = attrs.field(converter=_tuple)
    """Every dimension, in report order."""
    strengths: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Ids of the top strengths, strongest first."""
    gaps: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Ids of the top gaps, largest first."""
    heatmap: HeatmapView | None = None
    """Group heatmap, if groups were scored."""
    kpis: tuple[KpiView, ...] = attrs.field(default=(), converter=_tuple)
    """KPI scorecard rows."""
    action_plan: tuple[PlanItem, ...] = attrs.field(default=(), converter=_tuple)
    """Ranked actions."""
    appendix: AppendixView | None = None
    """Methodology and data quality."""
    change: tuple[ChangeView, ...] = attrs.field(default=(), converter=_tuple)
    """Change per dimension since an earlier wave; empty when only one wave was scored."""
    change_from: str = ""
    """Label of the earlier wave, e.g. ``baseline``."""
    change_to: str = ""
    """Label of this wave."""
    extras: Mapping[str, Any] = attrs.field(factory=dict)
    """Data for plugin sections, keyed by plugin."""

    @strengths.validator
    @gaps.validator
    def _check_refs(self, attribute: Any, value: tuple[str, ...]) -> None:
        known = {d.id for d in self.dimensions}
        unknown = [v for v in value if v not in known]
        if unknown:
            raise ValueError(f"{attribute.name} name unknown dimension ids: {', '.join(map(repr, unknown))}.")

    def dimension(self, dimension_id: str) -> DimensionView:
        """The dimension with this id."""
        for d in self.dimensions:
            if d.id == dimension_id:
                return d
        raise KeyError(dimension_id)

    def band(self, level: int | None) -> LevelBand | None:
        """The level band with this ordinal."""
        return next((b for b in self.levels if b.level == level), None)
