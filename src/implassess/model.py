"""Domain records: what an instrument is, independent of the file it came from.

Every record is a frozen attrs class. Field names are the Python spelling of the
instrument format's kebab-case keys (``min_answered`` is ``min-answered`` in TOML).
Derived values are methods, never stored state.
"""

from __future__ import annotations

import re
from typing import Literal

import attrs

#: Band edges are compared with this tolerance, so a score of exactly 20 computed as
#: 19.999999999999996 falls in the band it is printed in. The engine uses the same one.
BAND_TOLERANCE = 1e-9

#: Placeholders in item text, such as ``{intervention}``.
VARIABLE_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_-]*)\}")


@attrs.frozen
class Option:
    """One answer option of a response scale."""

    label: str
    """The text a respondent sees, e.g. ``"Strongly agree"``."""
    value: float | None = None
    """Numeric value used in scoring; ``None`` only for non-substantive options."""
    code: str | None = None
    """Code a survey tool may export instead of the label (e.g. ``"777"``)."""
    non_substantive: bool = False
    """True for "Don't know", "Not applicable": the answer counts as missing."""


@attrs.frozen
class Scale:
    """An ordered set of answer options."""

    id: str
    """Identifier items use to name their scale."""
    options: tuple[Option, ...]
    """Options in the order they are shown, lowest first."""
    name: str = ""
    """Human-readable name."""

    def substantive(self) -> tuple[Option, ...]:
        """The options that carry a value."""
        return tuple(o for o in self.options if not o.non_substantive)

    def numeric_range(self) -> tuple[float, float] | None:
        """The declared (min, max) of substantive values, or None if any lacks a value."""
        values = [o.value for o in self.substantive()]
        if not values or any(v is None for v in values):
            return None
        nums = [float(v) for v in values if v is not None]
        return (min(nums), max(nums))

    def n_options(self) -> int:
        """Number of substantive options (A in the rwg null variance)."""
        return len(self.substantive())


@attrs.frozen
class Facet:
    """A sub-scale of a dimension."""

    id: str
    """Identifier, unique within the instrument."""
    name: str
    """Display name."""
    description: str = ""
    """One or two sentences on what the facet covers."""


@attrs.frozen
class LevelText:
    """What a dimension looks like at one maturity level, and what to do about it."""

    level: int
    """The maturity level (1 = lowest) this text is for."""
    descriptor: str
    """One paragraph describing the dimension at this level."""
    actions: tuple[str, ...] = ()
    """Ids of recommended actions for a group at this level."""


@attrs.frozen(kw_only=True)
class Dimension:
    """A scored construct: a group of items (or KPIs) with one score."""

    id: str
    """Identifier, unique within the instrument."""
    name: str
    """Display name."""
    description: str = ""
    """What the dimension measures."""
    weight: float = 1.0
    """Weight in the overall score (must be > 0)."""
    facets: tuple[Facet, ...] = ()
    """Optional sub-scales."""
    levels: tuple[LevelText, ...] = ()
    """Narrative and actions per maturity level."""
    min_answered: float | None = None
    """Override of the instrument's missing-data rule for this dimension."""


@attrs.frozen(kw_only=True)
class Item:
    """One survey question."""

    id: str
    """Identifier, unique within the instrument and shared across forms."""
    text: str
    """Question text for the default form; may hold ``{variables}``."""
    dimension: str
    """Id of the dimension the item scores into."""
    facet: str | None = None
    """Id of the facet within that dimension."""
    scale: str | None = None
    """Id of the response scale; defaults to the instrument's first scale."""
    reverse: bool = False
    """Reverse-keyed: recoded as min + max − x on the scale's declared range."""
    weight: float = 1.0
    """Weight in the dimension mean (must be > 0)."""
    forms: dict[str, str] = attrs.field(factory=dict)
    """Text per form id where it differs from ``text`` (e.g. the self-rating form)."""

    def text_for(self, form: str | None) -> str:
        """The item text for a form (the default text when the form has none)."""
        if form is not None and form in self.forms:
            return self.forms[form]
        return self.text


@attrs.frozen
class Form:
    """A variant of the instrument sharing item ids (self-rating, other-rating)."""

    id: str
    """Identifier, e.g. ``self`` or ``rater``."""
    name: str
    """Display name."""
    description: str = ""
    """Who answers this form."""


@attrs.frozen
class Level:
    """A maturity level with its score band on the 0–100 scale."""

    level: int
    """Ordinal, 1 = lowest."""
    name: str
    """Name such as ``Initial`` or ``Optimising``."""
    min: float
    """Lower bound of the band (inclusive), percent of maximum possible."""
    max: float
    """Upper bound of the band (exclusive, except for the top level which includes 100)."""
    descriptor: str = ""
    """What an organisation at this level looks like, instrument-wide."""


@attrs.frozen
class MaturityModel:
    """Levels, bands and the rule for the overall level."""

    levels: tuple[Level, ...]
    """Ordered levels, lowest first."""
    rule: Literal["weighted-mean", "gating"] = "weighted-mean"
    """``weighted-mean``: overall score is the weighted mean of dimensions and its band
    gives the level. ``gating``: a level counts only if every dimension reaches it."""

    def level_for(self, score_0_100: float) -> int:
        """The level whose band holds a 0–100 score (edges within :data:`BAND_TOLERANCE`)."""
        for lvl in self.levels[:-1]:
            if score_0_100 + BAND_TOLERANCE < lvl.max:
                return lvl.level
        return self.levels[-1].level

    def by_number(self, level: int) -> Level:
        """The level record with ordinal ``level``."""
        for lvl in self.levels:
            if lvl.level == level:
                return lvl
        raise KeyError(level)


@attrs.frozen(kw_only=True)
class Kpi:
    """An organisation-level indicator with thresholds and a target."""

    id: str
    """Identifier, matched against the KPI sheet's ``kpi`` column."""
    name: str
    """Display name."""
    unit: str
    """Unit of the value, e.g. ``%``, ``days``, ``count``."""
    direction: Literal["higher", "lower"]
    """Whether higher or lower values are better."""
    thresholds: tuple[float, ...]
    """Ascending boundaries between levels (one fewer than the number of levels)."""
    target: float
    """The value the organisation aims for."""
    dimension: str | None = None
    """Dimension the KPI's level scores into, if any."""
    description: str = ""
    """How the KPI is defined and measured."""
    deadline: str | None = None
    """ISO date by which the target should be met."""
    amber: float | None = None
    """Value from which a KPI short of target is amber rather than red; by default
    the lower bound of the middle level."""

    def level_for(self, value: float) -> int:
        """Maturity level (1…len(thresholds)+1) for a value, honouring direction."""
        above = sum(1 for t in self.thresholds if value >= t)
        if self.direction == "higher":
            return above + 1
        below = sum(1 for t in self.thresholds if value <= t)
        return below + 1

    def amber_bound(self) -> float:
        """The amber boundary actually used."""
        if self.amber is not None:
            return self.amber
        mid = len(self.thresholds) // 2
        if self.direction == "higher":
            return self.thresholds[mid - 1] if mid > 0 else self.thresholds[0]
        return self.thresholds[len(self.thresholds) - mid] if mid > 0 else self.thresholds[-1]

    def rag(self, value: float) -> Literal["green", "amber", "red"]:
        """Red/amber/green: green meets target; amber within the amber bound."""
        if self.direction == "higher":
            if value >= self.target:
                return "green"
            return "amber" if value >= self.amber_bound() else "red"
        if value <= self.target:
            return "green"
        return "amber" if value <= self.amber_bound() else "red"


@attrs.frozen
class Action:
    """A recommended action."""

    id: str
    """Identifier, named by level texts and triggers."""
    title: str
    """Short imperative title."""
    description: str
    """What to do, concretely."""
    horizon: str = ""
    """When, e.g. ``30 days`` or ``90 days``."""


@attrs.frozen
class Condition:
    """A test on a dimension or KPI statistic."""

    statistic: Literal["score", "level", "mean", "rwg-j", "alpha", "gap", "value", "kpi-level", "rag"]
    """The statistic tested."""
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    """Comparison operator."""
    value: float | str
    """The value compared against (a string only for ``rag``)."""
    dimension: str | None = None
    """Dimension whose statistic is tested."""
    facet: str | None = None
    """Facet whose statistic is tested (``score``, ``level``, ``mean`` or ``gap``)."""
    kpi: str | None = None
    """KPI whose statistic is tested."""

    def holds(self, observed: float | str | None) -> bool:
        """Whether the condition holds for an observed value (None never holds)."""
        if observed is None:
            return False
        ops = {
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
        }
        try:
            return bool(ops[self.op](observed, self.value))
        except TypeError:
            return False


@attrs.frozen
class Trigger:
    """A decision trigger: when a condition holds, recommend an action."""

    id: str
    """Identifier."""
    when: Condition
    """The condition."""
    action: str
    """Id of the recommended action."""
    priority: Literal["high", "medium", "low"] = "medium"
    """How urgent the action is when the trigger fires."""
    rationale: str = ""
    """Why this condition calls for this action."""


@attrs.frozen
class Variable:
    """A text variable usable as ``{name}`` in item text."""

    description: str
    """What the variable stands for."""
    default: str
    """Text used when an assessment does not set it."""


@attrs.frozen
class Citation:
    """The source an instrument is written from."""

    title: str
    """Title of the source."""
    author: str = ""
    """Author(s)."""
    year: int | None = None
    """Year of publication."""
    publisher: str = ""
    """Publisher, journal or organisation."""
    url: str = ""
    """Where to find it."""
    note: str = ""
    """How the instrument relates to the source."""


@attrs.frozen
class ChangelogEntry:
    """One version's changes."""

    version: str
    """The version."""
    date: str
    """ISO date."""
    changes: str
    """What changed."""


@attrs.frozen
class Scoring:
    """Instrument-wide scoring settings."""

    min_answered: float = 0.5
    """Share of a dimension's items that must be answered for a score (0 < x ≤ 1)."""
    method: Literal["mean", "sum"] = "mean"
    """How item values combine into a raw dimension score."""
    rule: str | None = None
    """Name of a Python scoring rule (from a plugin's ``register_scoring_rules``) that
    computes the dimension scores instead of the built-in weighted mean."""


@attrs.frozen(kw_only=True)
class Instrument:
    """An assessment instrument: items or KPIs, dimensions, maturity model, actions."""

    id: str
    """Identifier, unique among loaded instruments."""
    version: str
    """Version; waves are compared only on the same version."""
    title: str
    """Display title."""
    description: str
    """What the instrument is for."""
    licence: str
    """Licence statement for the instrument content."""
    maturity: MaturityModel
    """Levels, bands and the overall rule."""
    dimensions: tuple[Dimension, ...]
    """Scored dimensions."""
    authors: tuple[str, ...] = ()
    """Who wrote it."""
    citation: Citation | None = None
    """The source."""
    scales: tuple[Scale, ...] = ()
    """Response scales."""
    items: tuple[Item, ...] = ()
    """Survey items."""
    kpis: tuple[Kpi, ...] = ()
    """Organisation-level indicators."""
    actions: tuple[Action, ...] = ()
    """Recommended actions."""
    triggers: tuple[Trigger, ...] = ()
    """Decision triggers."""
    forms: tuple[Form, ...] = ()
    """Variants sharing item ids; empty means a single form."""
    variables: dict[str, Variable] = attrs.field(factory=dict)
    """Text variables used in item text."""
    scoring: Scoring = Scoring()
    """Scoring settings."""
    changelog: tuple[ChangelogEntry, ...] = ()
    """Version history."""
    conformance: str | None = None
    """Path (relative to the instrument file) of its conformance cases: answers with
    the scores, levels and KPI states they must produce (``instruments verify``)."""
    source: str = ""
    """Where the instrument was loaded from (file path or plugin name); not in TOML."""

    def scale_for(self, item: Item) -> Scale:
        """The scale an item is answered on."""
        sid = item.scale or self.scales[0].id
        return next(s for s in self.scales if s.id == sid)

    def dimension(self, dim_id: str) -> Dimension:
        """The dimension with id ``dim_id``."""
        return next(d for d in self.dimensions if d.id == dim_id)

    def items_in(self, dim_id: str) -> tuple[Item, ...]:
        """Items scoring into a dimension, in file order."""
        return tuple(i for i in self.items if i.dimension == dim_id)

    def action(self, action_id: str) -> Action | None:
        """The action with id ``action_id``, if any."""
        return next((a for a in self.actions if a.id == action_id), None)

    def render_text(self, item: Item, form: str | None = None, values: dict[str, str] | None = None) -> str:
        """Item text for a form with variables filled from ``values`` or defaults."""
        values = values or {}

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name in values:
                return values[name]
            var = self.variables.get(name)
            return var.default if var else m.group(0)

        return VARIABLE_RE.sub(sub, item.text_for(form))


@attrs.frozen
class BatteryMember:
    """One instrument in a battery."""

    id: str
    """Instrument id."""
    weight: float = 1.0
    """Weight of this instrument in the battery's overall score."""
    form: str | None = None
    """Form to field, when the instrument has several."""


@attrs.frozen(kw_only=True)
class Battery:
    """Several instruments fielded together as one diagnostic."""

    id: str
    """Identifier."""
    version: str
    """Version."""
    title: str
    """Display title."""
    description: str
    """What the diagnostic is for."""
    instruments: tuple[BatteryMember, ...]
    """The instruments, in report order."""
    licence: str = ""
    """Licence statement."""
    source: str = ""
    """Where the battery was loaded from; not in TOML."""
