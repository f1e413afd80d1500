"""Aggregation to the organisation and to groups, with diagnostics and anonymity.

For the organisation and every group of every breakdown (``by``), per dimension, facet
and the overall score: n, mean, SD, t CI, median, 0–100 score, level and level
distribution; per dimension and facet α (listwise), α-if-item-deleted, corrected
item–total correlations and rwg(j); per breakdown ICC(1)/ICC(2); per item the answer
distribution. Groups are computed all at once with grouped sums (no loop over
respondents); :mod:`implassess.scoring.privacy` decides what may be shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from implassess.errors import ImplassessError, InputError
from implassess.scoring import privacy, stats
from implassess.scoring.assemble import assemble, measure_masks
from implassess.scoring.engine import level_for
from implassess.scoring.results import (
    MISSING,
    OTHER,
    Breakdown,
    Cells,
    GroupResult,
    IccStats,
    ItemStats,
    LevelShare,
    OptionCount,
    Prior,
    Release,
    ScoreSettings,
    UnitStats,
)

if TYPE_CHECKING:
    from implassess.scoring.engine import RespondentScores


def _moments(values: np.ndarray, g: stats.Groups, conf: float, median: bool = True) -> dict[str, Any]:
    n, mean, sd = stats.grouped_moments(values, g)
    lo, hi = stats.t_interval(mean, sd, n, conf)
    out = {"n": n, "mean": mean, "sd": sd, "ci_low": lo, "ci_high": hi}
    if median:
        out["median"] = stats.grouped_median(values, g)
    return out


def _level_counts(levels: np.ndarray, g: stats.Groups, n_levels: int) -> np.ndarray:
    ok = levels > 0
    idx = g.inv[ok] * n_levels + (levels[ok].astype(np.int64) - 1)
    return np.bincount(idx, minlength=g.size * n_levels).reshape(g.size, n_levels)


def _compute(
    scores: RespondentScores,
    g: stats.Groups,
    keys: list[tuple[str, ...]],
    settings: ScoreSettings,
    null_vars: np.ndarray,
) -> Cells:
    inst = scores.instrument
    conf = settings.confidence
    n_levels = len(inst.maturity.levels)
    units: list[dict[str, Any]] = []
    for u, unit in enumerate(scores.units):
        if unit.source == "kpis":
            units.append({})
            continue
        d = _moments(scores.raw[:, u], g, conf)
        p = _moments(scores.pomp[:, u], g, conf, median=False)
        d.update(score=p["mean"], score_ci_low=p["ci_low"], score_ci_high=p["ci_high"])
        d["levels"] = _level_counts(scores.level[:, u], g, n_levels)
        if len(unit.columns) >= 2:
            x = scores.recoded(columns=list(unit.columns))
            d["alpha"] = stats.grouped_alpha(x, g)
            d["rwg"], _ = stats.grouped_rwg_j(x, g, null_vars[list(unit.columns)])
        units.append(d)
    overall = _moments(scores.overall, g, conf)
    overall["levels"] = _level_counts(scores.overall_level, g, n_levels)
    return Cells(g, keys, np.bincount(g.inv, minlength=g.size), units, overall, _items(scores, g))


def _items(scores: RespondentScores, g: stats.Groups) -> list[dict[str, Any]]:
    """Per item and group: answered n, mean and SD of recoded values, counts per option.

    All items at once, in chunks of rows (a column-by-column loop over a row-major
    matrix would be slow); sums are taken about the recoded scale midpoint.
    """
    inst, c = scores.instrument, scores.coding
    values = scores.responses.values
    n_items = len(inst.items)
    opts = [sorted(inst.scale_for(it).substantive(), key=lambda o: float(o.value or 0)) for it in inst.items]
    width = max((len(o) for o in opts), default=1)
    by_scale: dict[tuple[float, ...], list[int]] = {}
    for j, o in enumerate(opts):
        by_scale.setdefault(tuple(float(x.value or 0) for x in o), []).append(j)
    centre = (c.raw_low + c.raw_high) / 2 * c.a + c.b
    s0, s1, s2 = (np.zeros((g.size, n_items)) for _ in range(3))
    counts = np.zeros(g.size * n_items * width, dtype=np.int64)
    for rows in stats.row_chunks(len(values)):
        x = values[rows]
        gc = g.rows(rows)
        ok = ~np.isnan(x)
        d = np.where(ok, x * c.a + c.b - centre, 0.0)
        s0 += gc.count(ok)
        s1 += gc.sum(d)
        s2 += gc.sum(d * d)
        for ov_t, cols in by_scale.items():
            ov = np.array(ov_t)
            xs, oks = x[:, cols], ok[:, cols]
            code = np.clip(np.searchsorted(ov, np.where(oks, xs, ov[0])), 0, len(ov) - 1)
            hit = oks & (ov[code] == xs)
            flat = (gc.inv[:, None] * n_items + np.asarray(cols)[None, :]) * width + code
            counts += np.bincount(flat[hit], minlength=counts.size)
    set_apart = _set_apart_counts(scores, g)
    mean = np.where(s0 > 0, s1 / np.maximum(s0, 1), np.nan) + centre
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.maximum(s2 - s1 * s1 / np.maximum(s0, 1), 0.0) / (s0 - 1))
    sd = np.where(s0 > 1, sd, np.nan)
    counts3 = counts.reshape(g.size, n_items, width)
    return [
        {
            "m": {"mean": mean[:, j], "sd": sd[:, j]},
            "opts": opts[j],
            "counts": counts3[:, j, : len(opts[j])],
            "answered": s0[:, j].astype(np.int64),
            "set_apart": set_apart[j],
        }
        for j in range(n_items)
    ]


def _set_apart_counts(scores: RespondentScores, g: stats.Groups) -> list[list[tuple[str, np.ndarray]]]:
    """Per item: (label, count per group) of each non-substantive option of its scale."""
    inst = scores.instrument
    codes = scores.responses.non_substantive
    out: list[list[tuple[str, np.ndarray]]] = []
    for j, item in enumerate(inst.items):
        options = [(i, o.label) for i, o in enumerate(inst.scale_for(item).options) if o.non_substantive]
        per_item = []
        for i, label in options:
            if codes is None:
                counts = np.zeros(g.size, dtype=np.int64)
            else:
                counts = np.bincount(g.inv[codes[:, j] == i + 1], minlength=g.size)
            per_item.append((label, counts))
        out.append(per_item)
    return out


def _null_variances(scores: RespondentScores, shape: str) -> np.ndarray:
    c = scores.coding
    out = np.empty(len(c.a))
    for j in range(len(c.a)):
        try:
            out[j] = stats.null_variance(int(c.n_options[j]), shape, float(c.step[j]))
        except ValueError as exc:
            item = scores.instrument.items[j]
            raise ImplassessError(f"rwg(j) null {shape!r} cannot be used for item {item.id!r}: {exc}.") from None
    return out


def _breakdown_cells(
    scores: RespondentScores, settings: ScoreSettings
) -> tuple[np.ndarray, int, list[tuple[np.ndarray, list[tuple[str, ...]], np.ndarray]]]:
    """Atom of each respondent and, per breakdown, (respondent→cell, cell keys, cell→atoms).

    With ``small_groups="combine"`` a breakdown's groups under the minimum become one
    "Other" cell (its last), which is then checked like any other group.
    """
    rs = scores.responses
    by = settings.by
    cols = sorted({c for b in by for c in b})
    codes, labels = [], {}
    for c in cols:
        if c not in rs.attributes:
            raise InputError(
                rs.source or "responses",
                f"There is no attribute column {c!r} to break results down by; the responses have: "
                + (", ".join(repr(a) for a in sorted(rs.attributes)) or "none")
                + ".",
                column=c,
            )
        vals = np.array(
            [MISSING if v is None or str(v).strip() == "" else str(v) for v in rs.attributes[c]], dtype=object
        ).reshape(rs.n)
        uniq, inv = np.unique(vals, return_inverse=True) if rs.n else (np.array([], dtype=object), np.zeros(0, int))
        labels[c] = uniq
        codes.append(inv)
    if not cols or rs.n == 0:
        return (
            np.zeros(rs.n, dtype=np.int64),
            1 if rs.n else 0,
            [(np.zeros(rs.n, dtype=np.int64), [], np.zeros(0, dtype=np.int64)) for _ in by],
        )
    atom_keys, atom_inv = np.unique(np.stack(codes, axis=1), axis=0, return_inverse=True)
    atom_inv = atom_inv.reshape(-1)
    atom_n = np.bincount(atom_inv, minlength=len(atom_keys))
    out = []
    for b in by:
        idx = [cols.index(c) for c in b]
        cell_codes, atom_to_cell = np.unique(atom_keys[:, idx], axis=0, return_inverse=True)
        atom_to_cell = atom_to_cell.reshape(-1)
        keys = [tuple(str(labels[c][k]) for c, k in zip(b, row, strict=False)) for row in cell_codes]
        if settings.small_groups == "combine":
            keys, atom_to_cell = _combine_small(keys, atom_to_cell, atom_n, settings.min_group_size)
        out.append((atom_to_cell[atom_inv], keys, atom_to_cell))
    return atom_inv, len(atom_keys), out


def _combine_small(
    keys: list[tuple[str, ...]], atom_to_cell: np.ndarray, atom_n: np.ndarray, minimum: int
) -> tuple[list[tuple[str, ...]], np.ndarray]:
    """Pool the cells under ``minimum`` into one "Other" cell, placed last."""
    cell_n = np.bincount(atom_to_cell, weights=atom_n, minlength=len(keys))
    small = cell_n < minimum
    if small.sum() < 1:
        return keys, atom_to_cell
    kept = np.nonzero(~small)[0]
    new_index = np.full(len(keys), len(kept), dtype=np.int64)
    new_index[kept] = np.arange(len(kept))
    width = len(keys[0]) if keys else 1
    return [keys[i] for i in kept] + [(OTHER,) * width], new_index[atom_to_cell]


def aggregate(
    scores: RespondentScores, settings: ScoreSettings | None = None, prior: Prior | None = None
) -> tuple[GroupResult, tuple[Breakdown, ...], Release]:
    """Organisation and breakdown results, with suppression applied, and what was released.

    ``prior`` carries what earlier runs published about these respondents (the ledger).
    """
    settings = settings or ScoreSettings()
    null_vars = _null_variances(scores, settings.rwg_null)
    n = scores.responses.n
    org = _compute(scores, stats.Groups.single(n), [()], settings, null_vars)
    atom_inv, n_atoms, parts = _breakdown_cells(scores, settings)
    cells = [_compute(scores, stats.Groups(inv, len(keys)), keys, settings, null_vars) for inv, keys, _ in parts]
    cell_atoms = [np.nonzero(a2c == k)[0] for _, keys, a2c in parts for k in range(len(keys))]
    layout = privacy.Layout.build(cell_atoms, n_atoms)
    where = np.zeros((n, 1 + len(parts)), dtype=np.int32)
    for b, (inv, _, _) in enumerate(parts):
        where[:, 1 + b] = inv
    return assemble(scores, settings, org, cells, layout, atom_inv, n_atoms, where, prior)


__all__ = [
    "MISSING",
    "Breakdown",
    "GroupResult",
    "IccStats",
    "ItemStats",
    "LevelShare",
    "OptionCount",
    "Prior",
    "Release",
    "ScoreSettings",
    "UnitStats",
    "aggregate",
    "level_for",
    "measure_masks",
]
