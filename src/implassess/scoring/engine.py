"""Per-respondent scoring: recode, weighted means with the missing-data rule, POMP, levels.

The engine is vectorised: respondents are processed in chunks of rows with matrix
products, never one by one. Layers follow ``docs/methodology.md``:

1. item recode ``x' = a·x + b`` (reverse keying ``min + max − x`` on the declared range;
   items of a dimension that mixes scale ranges are put on 0–100 first);
2. weighted mean (or prorated weighted sum) per dimension and facet, only where the
   share of items answered reaches ``min_answered``;
3. POMP 0–100 and the maturity level;
4. overall score and level by the instrument's rule.

An instrument may name a Python scoring rule (``[scoring] rule``) that replaces steps 2–3
for its dimensions. The engine does not look rules up: the caller resolves the rule
(:func:`implassess.plugins.scoring_rule_for`) and passes it in.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import attrs
import numpy as np

from implassess.errors import Finding, ImplassessError, InputError, InstrumentError
from implassess.model import BAND_TOLERANCE

if TYPE_CHECKING:
    from implassess.contracts import ScoringRule
    from implassess.model import Instrument, MaturityModel
    from implassess.responses import ResponseSet

#: Rows per chunk: big enough for fast matrix products, small enough to bound memory.
CHUNK_ROWS = 1 << 15


@attrs.frozen(kw_only=True)
class ScoreUnit:
    """A dimension or facet as the engine scores it."""

    id: str
    """Dimension or facet id."""
    kind: Literal["dimension", "facet"]
    """Which of the two."""
    dimension: str
    """Id of the dimension (itself for a dimension)."""
    name: str
    """Display name."""
    columns: tuple[int, ...]
    """Item columns (indices into ``instrument.items``) scoring into the unit."""
    low: float
    """Lowest possible raw score (after recoding)."""
    high: float
    """Highest possible raw score."""
    min_answered: float
    """Share of the unit's items that must be answered for a score."""
    weight: float = 1.0
    """Weight in the overall score (dimensions only)."""
    source: Literal["items", "kpis"] = "items"
    """``kpis`` for a dimension scored from KPI levels only (no items)."""

    def needed(self) -> int:
        """Items that must be answered: ⌈share × items⌉."""
        return max(1, math.ceil(self.min_answered * len(self.columns) - 1e-9))


@attrs.frozen(eq=False)
class ItemCoding:
    """How raw answers become scoring values, one entry per item column."""

    a: np.ndarray
    """Multiplier: −1 for reverse keying (times 100/range when put on 0–100)."""
    b: np.ndarray
    """Offset: min + max for reverse keying."""
    raw_low: np.ndarray
    """Declared minimum of the item's scale (raw values)."""
    raw_high: np.ndarray
    """Declared maximum of the item's scale."""
    n_options: np.ndarray
    """Substantive options A of the item's scale."""
    step: np.ndarray
    """Distance between adjacent options on the recoded scale (for rwg null variances)."""


@attrs.frozen(eq=False, kw_only=True)
class RespondentScores:
    """Scores of every respondent: respondents × units arrays plus the overall."""

    responses: ResponseSet
    """The input."""
    units: tuple[ScoreUnit, ...]
    """Dimensions (instrument order) then facets; the columns of the arrays below."""
    coding: ItemCoding
    """Item recoding used."""
    raw: np.ndarray
    """respondents × units raw score (mean or prorated sum of recoded items); NaN if not scored."""
    pomp: np.ndarray
    """respondents × units 0–100 score; NaN if not scored."""
    level: np.ndarray
    """respondents × units maturity level (int8); 0 if not scored."""
    answered: np.ndarray
    """respondents × units number of the unit's items answered."""
    overall: np.ndarray
    """Overall 0–100 score per respondent (weighted mean of item-scored dimensions)."""
    overall_level: np.ndarray
    """Overall level per respondent (int8; 0 if not scored), by the maturity rule."""

    @property
    def instrument(self) -> Instrument:
        """The instrument scored."""
        return self.responses.instrument

    def unit_index(self, unit_id: str) -> int:
        """Column of a dimension or facet id."""
        return next(i for i, u in enumerate(self.units) if u.id == unit_id)

    def dimensions(self) -> list[int]:
        """Columns of the dimensions."""
        return [i for i, u in enumerate(self.units) if u.kind == "dimension"]

    def recoded(self, rows: slice | np.ndarray = slice(None), columns: list[int] | None = None) -> np.ndarray:
        """Recoded item values (respondents × items) for some rows and columns."""
        cols = slice(None) if columns is None else np.asarray(columns, dtype=np.intp)
        x = self.responses.values[rows][:, cols]
        if columns is None or np.shares_memory(x, self.responses.values):
            x = x.copy()  # recoded in place below; never touch the input
        x *= self.coding.a[cols]
        x += self.coding.b[cols]
        return x

    def reason(self, row: int, unit: int) -> str | None:
        """Why respondent ``row`` has no score on ``unit`` (None when scored)."""
        u = self.units[unit]
        if u.source == "kpis":
            return "scored from KPIs at organisation level"
        if not np.isnan(self.raw[row, unit]):
            return None
        return (
            f"answered {int(self.answered[row, unit])} of {len(u.columns)} items, "
            f"needs {u.min_answered:.0%} ({u.needed()} item{'s' if u.needed() != 1 else ''})"
        )

    def overall_reason(self, row: int) -> str | None:
        """Why respondent ``row`` has no overall score (None when scored)."""
        if not np.isnan(self.overall[row]):
            return None
        missing = [
            self.units[j].id
            for j in self.dimensions()
            if self.units[j].source == "items" and np.isnan(self.raw[row, j])
        ]
        return "no score on " + ", ".join(missing)


def levels_for(maturity: MaturityModel, scores: np.ndarray) -> np.ndarray:
    """Vectorised :meth:`MaturityModel.level_for` (int8, 0 where the score is NaN)."""
    edges = np.array([lv.max for lv in maturity.levels[:-1]], dtype=np.float64)
    numbers = np.array([lv.level for lv in maturity.levels], dtype=np.int8)
    s = np.asarray(scores, dtype=np.float64)
    idx = np.searchsorted(edges, s + BAND_TOLERANCE, side="right")
    out = numbers[np.minimum(idx, len(numbers) - 1)]
    return np.where(np.isnan(s), np.int8(0), out).astype(np.int8)


def level_for(maturity: MaturityModel, score: float) -> int | None:
    """Level of one 0–100 score with the engine's band tolerance (None for NaN)."""
    if score is None or math.isnan(score):
        return None
    return int(levels_for(maturity, np.array([score]))[0])


def build_units(instrument: Instrument) -> tuple[tuple[ScoreUnit, ...], ItemCoding]:
    """The units to score and the item coding, from the instrument's declarations."""
    items = instrument.items
    n = len(items)
    a, b = np.ones(n), np.zeros(n)
    lo, hi, n_opt, step = np.zeros(n), np.zeros(n), np.zeros(n), np.ones(n)
    problems: list[Finding] = []
    for j, item in enumerate(items):
        scale = instrument.scale_for(item)
        rng = scale.numeric_range()
        if rng is None:
            problems.append(
                Finding(
                    instrument.source or instrument.id,
                    f"items[{j}].scale",
                    f"Item {item.id!r} is on scale {scale.id!r}, whose options have no numeric values; "
                    "scoring needs a value on every substantive option.",
                    code="unscorable-scale",
                )
            )
            continue
        lo[j], hi[j] = rng
        n_opt[j] = scale.n_options()
        step[j] = (hi[j] - lo[j]) / (n_opt[j] - 1) if n_opt[j] > 1 else 1.0
        if item.reverse:
            a[j], b[j] = -1.0, lo[j] + hi[j]
    if problems:
        raise InstrumentError(problems)

    default_share = instrument.scoring.min_answered
    units: list[ScoreUnit] = []
    facet_units: list[ScoreUnit] = []
    for dim in instrument.dimensions:
        cols = tuple(j for j, it in enumerate(items) if it.dimension == dim.id)
        share = dim.min_answered if dim.min_answered is not None else default_share
        if not cols:
            units.append(
                ScoreUnit(
                    id=dim.id,
                    kind="dimension",
                    dimension=dim.id,
                    name=dim.name,
                    columns=(),
                    low=0.0,
                    high=100.0,
                    min_answered=share,
                    weight=dim.weight,
                    source="kpis",
                )
            )
            continue
        ranges = {(lo[j], hi[j]) for j in cols}
        if len(ranges) > 1:
            # Mixed ranges: put each item on 0–100 first so a mean is meaningful.
            for j in cols:
                f = 100.0 / (hi[j] - lo[j])
                a[j], b[j] = a[j] * f, (b[j] - lo[j]) * f
                step[j] = step[j] * f
            low, high = 0.0, 100.0
        else:
            low, high = next(iter(ranges))

        def span(c: tuple[int, ...], low: float = low, high: float = high) -> tuple[float, float]:
            if instrument.scoring.method == "sum":
                w = sum(items[j].weight for j in c)
                return low * w, high * w
            return low, high

        d_low, d_high = span(cols)
        units.append(
            ScoreUnit(
                id=dim.id,
                kind="dimension",
                dimension=dim.id,
                name=dim.name,
                columns=cols,
                low=d_low,
                high=d_high,
                min_answered=share,
                weight=dim.weight,
            )
        )
        for facet in dim.facets:
            fcols = tuple(j for j in cols if items[j].facet == facet.id)
            if fcols:
                f_low, f_high = span(fcols)
                facet_units.append(
                    ScoreUnit(
                        id=facet.id,
                        kind="facet",
                        dimension=dim.id,
                        name=facet.name,
                        columns=fcols,
                        low=f_low,
                        high=f_high,
                        min_answered=share,
                    )
                )
    return tuple(units + facet_units), ItemCoding(a, b, lo, hi, n_opt, step)


def _check_range(values: np.ndarray, coding: ItemCoding, start: int, responses: ResponseSet) -> None:
    bad = (values < coding.raw_low) | (values > coding.raw_high)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        row = start + int(r)
        item = responses.instrument.items[int(c)]
        where = responses.rows[row] if responses.rows else None
        raise InputError(
            responses.source or "responses",
            f"Found {float(values[r, c]):g} for item {item.id!r} of respondent {responses.respondent_ids[row]!r}; "
            f"expected a value from {coding.raw_low[c]:g} to {coding.raw_high[c]:g} (the scale's declared range) "
            "or a blank.",
            row=where,
            column=item.id,
        )


def score_respondents(responses: ResponseSet, rule: ScoringRule | None = None) -> RespondentScores:
    """Score every respondent on every dimension and facet, and overall.

    ``rule`` is the scoring rule the instrument names with ``[scoring] rule``, resolved by
    the caller (:func:`implassess.plugins.scoring_rule_for`); None scores with the
    built-in weighted mean. Raises :class:`~implassess.errors.InputError` when a value
    lies outside its scale's declared range (naming the row and column),
    :class:`~implassess.errors.InstrumentError` when an item cannot be scored, and
    :class:`~implassess.errors.ImplassessError` when ``rule`` is not the one the
    instrument names.
    """
    inst = responses.instrument
    _check_rule(inst, rule)
    units, coding = build_units(inst)
    n, n_items = responses.values.shape if responses.values.ndim == 2 else (0, len(inst.items))
    if n_items != len(inst.items):
        raise InputError(
            responses.source or "responses",
            f"The response matrix has {n_items} columns; instrument {inst.id!r} has {len(inst.items)} items.",
        )
    n_units = len(units)
    weights = np.zeros((n_items, n_units))
    member = np.zeros((n_items, n_units))
    for u, unit in enumerate(units):
        for j in unit.columns:
            weights[j, u] = inst.items[j].weight
            member[j, u] = 1.0
    stacked = np.concatenate([weights, member], axis=1)
    needed = np.array([unit.needed() if unit.columns else np.iinfo(np.int32).max for unit in units])
    low = np.array([u.low for u in units])
    high = np.array([u.high for u in units])
    total_w = weights.sum(axis=0)
    is_sum = inst.scoring.method == "sum"

    raw = np.empty((n, n_units))
    pomp = np.empty((n, n_units))
    level = np.empty((n, n_units), dtype=np.int8)
    answered = np.empty((n, n_units), dtype=np.int16 if n_items < 2**15 else np.int32)
    span = np.where(high > low, high - low, 1.0)
    for start in range(0, n, CHUNK_ROWS):
        x = responses.values[start : start + CHUNK_ROWS]
        _check_range(x, coding, start, responses)
        xr = x * coding.a + coding.b
        ok = ~np.isnan(xr)
        np.nan_to_num(xr, copy=False, nan=0.0)
        s = xr @ weights
        wc = ok.astype(np.float64) @ stacked
        wsum, cnt = wc[:, :n_units], wc[:, n_units:]
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = s / wsum
        if is_sum:
            mean = mean * total_w
        rows = slice(start, start + len(x))
        raw[rows] = np.where(cnt >= needed, mean, np.nan)
        pomp[rows] = 100.0 * (raw[rows] - low) / span
        level[rows] = levels_for(inst.maturity, pomp[rows])
        answered[rows] = cnt
    if rule is not None:
        _apply_rule(rule, inst, units, responses, coding, raw, pomp)
        level = levels_for(inst.maturity, pomp)

    dims = [i for i, u in enumerate(units) if u.kind == "dimension" and u.source == "items"]
    if dims:
        w = np.array([units[i].weight for i in dims])
        overall = (pomp[:, dims] @ w) / w.sum()  # NaN in any dimension makes the overall NaN
        if inst.maturity.rule == "gating":
            lv = level[:, dims].min(axis=1)
            overall_level = np.where(np.isnan(overall), 0, lv).astype(np.int8)
        else:
            overall_level = levels_for(inst.maturity, overall)
    else:
        overall = np.full(n, np.nan)
        overall_level = np.zeros(n, dtype=np.int8)
    return RespondentScores(
        responses=responses,
        units=units,
        coding=coding,
        raw=raw,
        pomp=pomp,
        level=level,
        answered=answered,
        overall=overall,
        overall_level=overall_level,
    )


def _check_rule(inst: Instrument, rule: ScoringRule | None) -> None:
    """The rule passed must be the one the instrument names: scoring with another would go unnoticed."""
    named = inst.scoring.rule
    given = rule.name if rule is not None else None
    if named == given:
        return
    where = inst.source or inst.id
    if given is None:
        raise ImplassessError(
            f"{where}: instrument {inst.id!r} names scoring rule {named!r} ([scoring] rule), but none was passed "
            "to the engine; resolve it with implassess.plugins.scoring_rule_for(instrument) and pass it as rule=."
        )
    if named is None:
        raise ImplassessError(
            f"{where}: scoring rule {given!r} was passed to the engine, but instrument {inst.id!r} names no "
            "scoring rule; pass rule=None to score with the weighted mean."
        )
    raise ImplassessError(
        f"{where}: scoring rule {given!r} was passed to the engine, but instrument {inst.id!r} names "
        f"{named!r} ([scoring] rule)."
    )


def _apply_rule(
    rule: ScoringRule,
    inst: Instrument,
    units: tuple[ScoreUnit, ...],
    responses: ResponseSet,
    coding: ItemCoding,
    raw: np.ndarray,
    pomp: np.ndarray,
) -> None:
    """Let a Python scoring rule replace the dimension scores.

    The rule gets the recoded respondents × items array and returns respondents ×
    dimensions 0–100; raw scores of those dimensions are then on 0–100 too.
    """
    recoded = responses.values * coding.a + coding.b
    name = getattr(rule, "name", type(rule).__name__)
    expected = (responses.n, len(inst.dimensions))
    try:
        out = np.asarray(rule.score(inst, recoded), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ImplassessError(
            f"Scoring rule {name!r} returned something that is not an array of numbers ({exc}); expected "
            f"respondents × dimensions = {expected[0]} × {expected[1]} scores from 0 to 100."
        ) from None
    if out.shape != expected:
        raise ImplassessError(
            f"Scoring rule {name!r} returned an array of shape {out.shape}; expected respondents × dimensions = "
            f"{expected[0]} × {expected[1]} scores from 0 to 100 (instrument {inst.id!r})."
        )
    for d, dim in enumerate(inst.dimensions):
        u = next(i for i, unit in enumerate(units) if unit.id == dim.id and unit.kind == "dimension")
        pomp[:, u] = out[:, d]
        raw[:, u] = out[:, d]
