"""The records aggregation produces: settings, group results, breakdowns, and the cells between the two steps.

:mod:`implassess.scoring.groups` computes grouped arrays (:class:`Cells`);
:mod:`implassess.scoring.assemble` turns them into these records, applying the anonymity
decisions. Both import this module and neither imports the other back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np

from implassess.errors import ImplassessError
from implassess.scoring import stats

#: Label of respondents without a value in a breakdown column.
MISSING = "(missing)"
#: Label of the group that pools a breakdown's small groups (``small_groups="combine"``).
OTHER = "Other"
#: The smallest minimum group size allowed without ``accept_small_groups``.
SAFE_MINIMUM = 3


@attrs.frozen(kw_only=True)
class ScoreSettings:
    """Choices that change aggregated results; written to the manifest."""

    by: tuple[tuple[str, ...], ...] = ()
    """Breakdowns: each a tuple of attribute columns (one column, or a combination)."""
    min_group_size: int = 5
    """Groups (and measures) with fewer respondents show no statistic at all."""
    small_groups: Literal["suppress", "combine"] = "suppress"
    """``combine``: a breakdown's groups under the minimum are pooled into one "Other" group."""
    accept_small_groups: bool = False
    """The user acknowledged the risk of a minimum under :data:`SAFE_MINIMUM`."""
    confidence: float = 0.95
    """Confidence level of t intervals."""
    rwg_null: str = "uniform"
    """Null distribution of rwg(j): ``uniform`` or a LeBreton & Senter (2008) shape."""
    icc_k: Literal["mean", "adjusted"] = "mean"
    """Group size in ICC(1): N/J (R multilevel) or the adjusted k₀."""
    min_reliable_n: int = 10
    """Below this n a shown group is flagged ``insufficient-n``."""
    low_agreement: float = 0.70
    """rwg(j) below this flags ``low-agreement``."""
    low_reliability: float = 0.70
    """α below this flags ``low-reliability``."""

    def __attrs_post_init__(self) -> None:
        if self.min_group_size < SAFE_MINIMUM and not self.accept_small_groups:
            raise ImplassessError(
                f"A minimum group size of {self.min_group_size} lets readers recognise individual answers; "
                f"the smallest allowed is {SAFE_MINIMUM}. To go lower, acknowledge the risk with "
                "--accept-small-groups (or accept-small-groups = true under [scoring] in the assessment file)."
            )

    @staticmethod
    def parse_by(by: Sequence[str | Sequence[str]]) -> tuple[tuple[str, ...], ...]:
        """``["site", ("site", "role"), "team,role"]`` → breakdown tuples (a comma joins columns)."""
        out: list[tuple[str, ...]] = []
        for b in by:
            cols = tuple(c.strip() for c in b.split(",")) if isinstance(b, str) else tuple(b)
            if cols and cols not in out:
                out.append(cols)
        return tuple(out)


@attrs.frozen
class LevelShare:
    """Share of respondents at one level."""

    level: int
    """Level number."""
    name: str
    """Level name."""
    percent: float
    """Percent of the scored respondents of the group at this level."""


@attrs.frozen(kw_only=True)
class UnitStats:
    """Statistics of one dimension, facet or the overall score in one group."""

    id: str
    """Dimension or facet id, or ``overall``."""
    kind: Literal["dimension", "facet", "overall"]
    """What the unit is."""
    dimension: str | None = None
    """Parent dimension of a facet."""
    source: Literal["items", "kpis"] = "items"
    """``kpis``: scored from KPI levels at organisation level."""
    suppressed: bool = False
    """True: too few respondents answered; no statistic is given."""
    n: int | None = None
    """Respondents with a score."""
    mean: float | None = None
    """Mean raw score (scale units; 0–100 for the overall)."""
    sd: float | None = None
    """Standard deviation (n − 1)."""
    ci_low: float | None = None
    """Lower bound of the t CI of the mean."""
    ci_high: float | None = None
    """Upper bound of the t CI of the mean."""
    median: float | None = None
    """Median raw score."""
    score_0_100: float | None = None
    """Mean 0–100 (POMP) score; for the overall, the weighted mean of dimension scores."""
    score_ci_low: float | None = None
    """CI of the 0–100 score, lower bound."""
    score_ci_high: float | None = None
    """CI of the 0–100 score, upper bound."""
    level: int | None = None
    """Maturity level of ``score_0_100`` (gating overall: lowest dimension level)."""
    level_name: str | None = None
    """Name of that level."""
    level_distribution: tuple[LevelShare, ...] = ()
    """Percent of respondents at each level."""
    alpha: float | None = None
    """Cronbach's α on complete cases."""
    alpha_n: int | None = None
    """Complete cases used for α."""
    alpha_if_deleted: dict[str, float | None] = attrs.field(factory=dict)
    """Item id → α without that item."""
    item_total: dict[str, float | None] = attrs.field(factory=dict)
    """Item id → corrected item–total correlation."""
    rwg_j: float | None = None
    """Within-group agreement rwg(j)."""
    flags: tuple[str, ...] = ()
    """``low-agreement``, ``low-reliability``, ``insufficient-n``."""
    kpis: tuple[str, ...] = ()
    """KPIs scoring a KPI-only dimension."""
    target: float | None = None
    """Target 0–100 score, when a targets file gives one."""
    importance: float | None = None
    """Importance weight of the target."""
    gap: float | None = None
    """target − score_0_100."""
    priority: float | None = None
    """gap × importance."""
    norm_z: float | None = None
    """(score − norm mean)/norm SD."""
    norm_percentile: float | None = None
    """Percentile of the score in the norm."""
    norm_basis: str | None = None
    """How the percentile was found: ``interpolated``, ``below-table``, ``above-table``, ``normal``."""


@attrs.frozen
class OptionCount:
    """Answers given for one option of an item."""

    label: str
    """Option label."""
    value: float
    """Option value (raw, as answered)."""
    count: int
    """Respondents who chose it."""


@attrs.frozen(kw_only=True)
class ItemStats:
    """An item in one group: answer distribution and mean of recoded values."""

    id: str
    """Item id."""
    dimension: str
    """Dimension of the item."""
    reverse: bool
    """Reverse-keyed (the distribution shows answers as given, the mean is recoded)."""
    suppressed: bool = False
    """True: too few answers to show."""
    n: int | None = None
    """Respondents who answered with a substantive option."""
    mean: float | None = None
    """Mean of recoded values."""
    sd: float | None = None
    """SD of recoded values."""
    distribution: tuple[OptionCount, ...] = ()
    """Counts per substantive option, lowest first."""
    missing: int | None = None
    """Blank or non-substantive answers (both count as missing in scoring)."""
    set_apart: dict[str, int] = attrs.field(factory=dict)
    """Non-substantive answers per option label ("Don't know" …), counted apart from blanks."""


@attrs.frozen(kw_only=True)
class GroupResult:
    """One group: the organisation or a group of a breakdown."""

    key: dict[str, str]
    """Breakdown column → value (empty for the organisation)."""
    label: str
    """Display label, e.g. ``site=North, role=Nurse``."""
    suppressed: bool = False
    """True: fewer respondents than the minimum (or hidden to protect another group)."""
    n: int | None = None
    """Respondents in the group."""
    overall: UnitStats | None = None
    """Overall score."""
    dimensions: tuple[UnitStats, ...] = ()
    """Per dimension, in instrument order."""
    facets: tuple[UnitStats, ...] = ()
    """Per facet."""
    items: tuple[ItemStats, ...] = ()
    """Per item."""


@attrs.frozen(kw_only=True)
class IccStats:
    """ICC of one dimension across the shown groups of a breakdown."""

    dimension: str
    """Dimension id."""
    icc1: float | None
    """ICC(1)."""
    icc2: float | None
    """ICC(2)."""
    msb: float
    """Mean square between."""
    msw: float
    """Mean square within."""
    k: float
    """Group size used in ICC(1)."""
    n: int
    """Respondents."""
    groups: int
    """Groups."""


@attrs.frozen
class Breakdown:
    """All groups of one breakdown."""

    by: tuple[str, ...]
    """Columns."""
    groups: tuple[GroupResult, ...]
    """Groups, shown or suppressed (small groups of missing values are left out)."""
    icc: tuple[IccStats, ...] = ()
    """Per dimension; computed on shown groups only, "(missing)" excluded."""


@attrs.frozen(eq=False)
class Cells:
    """Grouped statistics of one breakdown (or the organisation) as arrays over its cells."""

    groups: stats.Groups
    """Which cell each respondent falls in."""
    keys: list[tuple[str, ...]]
    """Breakdown values of each cell, in cell order."""
    n: np.ndarray
    """Respondents per cell."""
    units: list[dict[str, Any]]
    """Per unit (dimension then facet) the statistic name → array over cells; empty for a KPI-scored unit."""
    overall: dict[str, Any]
    """The same for the overall score."""
    items: list[dict[str, Any]]
    """Per item: answered n, mean and SD of recoded values, counts per option, over cells."""


@attrs.frozen(eq=False)
class Prior:
    """What earlier releases published about the respondents of this run (from the ledger).

    Coordinates are this run's rows, then ``extra`` respondents of earlier data sets who are
    not in this run.
    """

    extra: int
    """Respondents of earlier data sets absent from this run."""
    published: Mapping[str, np.ndarray]
    """Measure key → (rows + extra) × k int array: for each earlier breakdown (and earlier
    organisation total) the published cell each respondent counted in, −1 for none."""


@attrs.frozen(eq=False)
class Release:
    """What this run publishes, per measure, for the ledger and the release summary."""

    cells: np.ndarray
    """rows × (1 + breakdowns) int32: column 0 the organisation (0), then each respondent's
    cell in each breakdown (−1: in no cell)."""
    visible: dict[str, list[np.ndarray]]
    """Measure key → per column of ``cells``, a boolean per cell: published for this measure."""
    hidden_because_earlier: int = 0
    """Cells hidden because they would combine with earlier releases."""
    inherited: int = 0
    """Small sets earlier releases had already made derivable (nothing this run can undo)."""
    conservative: int = 0
    """Cells hidden by the search-budget fallback."""
    exposed_by_totals: int = 0
    """Small sets this run's organisation totals would expose with earlier releases (refuse)."""
