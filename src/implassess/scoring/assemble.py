"""Turn grouped arrays into records, applying the anonymity decisions measure by measure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from implassess.scoring import privacy, stats
from implassess.scoring.engine import level_for
from implassess.scoring.results import (
    MISSING,
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
    from implassess.model import Instrument
    from implassess.scoring.engine import RespondentScores


def _f(v: Any) -> float | None:
    v = float(v)
    return None if np.isnan(v) else v


def _flags(n: int, alpha: float | None, rwg: float | None, s: ScoreSettings) -> tuple[str, ...]:
    out = []
    if rwg is not None and rwg < s.low_agreement:
        out.append("low-agreement")
    if alpha is not None and alpha < s.low_reliability:
        out.append("low-reliability")
    if n < s.min_reliable_n:
        out.append("insufficient-n")
    return tuple(out)


def _distribution(inst: Instrument, counts: np.ndarray, n: int) -> tuple[LevelShare, ...]:
    if n <= 0:
        return ()
    return tuple(
        LevelShare(lv.level, lv.name, 100.0 * float(counts[i]) / n) for i, lv in enumerate(inst.maturity.levels)
    )


def _unit(scores: RespondentScores, d: dict[str, Any], i: int, u: int, s: ScoreSettings, hidden: bool) -> UnitStats:
    unit = scores.units[u]
    parent = unit.dimension if unit.kind == "facet" else None
    if unit.source == "kpis":
        kpis = tuple(k.id for k in scores.instrument.kpis if k.dimension == unit.id)
        return UnitStats(id=unit.id, kind="dimension", source="kpis", kpis=kpis)
    if hidden:
        return UnitStats(id=unit.id, kind=unit.kind, dimension=parent, suppressed=True)
    inst = scores.instrument
    n = int(d["n"][i])
    score = _f(d["score"][i])
    alpha = aid = itc = None
    alpha_n = None
    if "alpha" in d:
        a = d["alpha"]
        alpha, alpha_n = _f(a.alpha[i]), int(a.n_complete[i])
        ids = [inst.items[j].id for j in unit.columns]
        aid = {k: _f(v) for k, v in zip(ids, a.alpha_if_deleted[i], strict=False)}
        itc = {k: _f(v) for k, v in zip(ids, a.item_total[i], strict=False)}
    rwg = _f(d["rwg"][i]) if "rwg" in d else None
    lvl = level_for(inst.maturity, score if score is not None else float("nan"))
    return UnitStats(
        id=unit.id,
        kind=unit.kind,
        dimension=parent,
        source="items",
        suppressed=False,
        n=n,
        mean=_f(d["mean"][i]),
        sd=_f(d["sd"][i]),
        ci_low=_f(d["ci_low"][i]),
        ci_high=_f(d["ci_high"][i]),
        median=_f(d["median"][i]),
        score_0_100=score,
        score_ci_low=_f(d["score_ci_low"][i]),
        score_ci_high=_f(d["score_ci_high"][i]),
        level=lvl,
        level_name=inst.maturity.by_number(lvl).name if lvl else None,
        level_distribution=_distribution(inst, d["levels"][i], n),
        alpha=alpha,
        alpha_n=alpha_n,
        alpha_if_deleted=aid or {},
        item_total=itc or {},
        rwg_j=rwg,
        flags=_flags(n, alpha, rwg, s),
    )


def finish_overall(group: GroupResult, inst: Instrument) -> GroupResult:
    """Set the overall 0–100 score and level from the group's dimension scores.

    Weighted mean of dimension ``score_0_100`` (``Dimension.weight``); level by the
    maturity rule (``gating``: the lowest dimension level). Hidden when any dimension
    is suppressed or unscored, so no hidden dimension can be solved for.
    """
    ov = group.overall
    if ov is None or ov.suppressed:
        return group
    scores = [d.score_0_100 for d in group.dimensions]
    if any(d.suppressed for d in group.dimensions):
        return attrs.evolve(group, overall=UnitStats(id="overall", kind="overall", suppressed=True))
    if any(v is None for v in scores):
        return attrs.evolve(group, overall=attrs.evolve(ov, score_0_100=None, level=None, level_name=None))
    w = np.array([dim.weight for dim in inst.dimensions])
    score = float(np.dot(w, np.array(scores, dtype=np.float64)) / w.sum())
    if inst.maturity.rule == "gating":
        lvl: int | None = min(int(d.level or 0) for d in group.dimensions) or None
    else:
        lvl = level_for(inst.maturity, score)
    name = inst.maturity.by_number(lvl).name if lvl else None
    return attrs.evolve(group, overall=attrs.evolve(ov, score_0_100=score, level=lvl, level_name=name))


def _overall(scores: RespondentScores, d: dict[str, Any], i: int, s: ScoreSettings, hidden: bool) -> UnitStats:
    if hidden:
        return UnitStats(id="overall", kind="overall", suppressed=True)
    n = int(d["n"][i])
    return UnitStats(
        id="overall",
        kind="overall",
        dimension=None,
        source="items",
        suppressed=False,
        n=n,
        mean=_f(d["mean"][i]),
        sd=_f(d["sd"][i]),
        ci_low=_f(d["ci_low"][i]),
        ci_high=_f(d["ci_high"][i]),
        median=_f(d["median"][i]),
        score_ci_low=_f(d["ci_low"][i]),
        score_ci_high=_f(d["ci_high"][i]),
        level_distribution=_distribution(scores.instrument, d["levels"][i], n),
        flags=("insufficient-n",) if n < s.min_reliable_n else (),
    )


def _item(scores: RespondentScores, d: dict[str, Any], i: int, j: int, group_n: int, hidden: bool) -> ItemStats:
    item = scores.instrument.items[j]
    if hidden:
        return ItemStats(id=item.id, dimension=item.dimension, reverse=item.reverse, suppressed=True)
    m = d["m"]
    dist = tuple(
        OptionCount(o.label, float(o.value or 0), int(c)) for o, c in zip(d["opts"], d["counts"][i], strict=False)
    )
    answered = int(d["answered"][i])
    return ItemStats(
        id=item.id,
        dimension=item.dimension,
        reverse=item.reverse,
        suppressed=False,
        n=answered,
        mean=_f(m["mean"][i]),
        sd=_f(m["sd"][i]),
        distribution=dist,
        missing=group_n - answered,
        set_apart={label: int(counts[i]) for label, counts in d["set_apart"]},
    )


def _group(
    scores: RespondentScores, c: Cells, i: int, s: ScoreSettings, key: dict[str, str], hid: dict[str, Any], k: int
) -> GroupResult:
    label = ", ".join(f"{a}={v}" for a, v in key.items()) or "organisation"
    if hid["resp"][k]:
        return GroupResult(key=key, label=label, suppressed=True)
    n = int(c.n[i])
    units = [_unit(scores, c.units[u], i, u, s, bool(hid["units"][u][k])) for u in range(len(scores.units))]
    dims = tuple(x for x in units if x.kind == "dimension")
    facets = tuple(x for x in units if x.kind == "facet")
    items = tuple(
        _item(scores, c.items[j], i, j, n, bool(hid["items"][j][k])) for j in range(len(scores.instrument.items))
    )
    overall = _overall(scores, c.overall, i, s, bool(hid["overall"][k]))
    group = GroupResult(
        key=key, label=label, suppressed=False, n=n, overall=overall, dimensions=dims, facets=facets, items=items
    )
    return finish_overall(group, scores.instrument)


def measure_masks(scores: RespondentScores) -> Iterator[tuple[str, int | None, np.ndarray]]:
    """(measure key, unit index or None, who answered) for every measure a run publishes.

    Keys: ``respondents``, ``<kind>:<unit id>``, ``overall``, ``item:<item id>``.
    """
    yield "respondents", None, np.ones(scores.responses.n, dtype=bool)
    for u, unit in enumerate(scores.units):
        if unit.source != "kpis":
            yield f"{unit.kind}:{unit.id}", u, ~np.isnan(scores.raw[:, u])
    yield "overall", None, ~np.isnan(scores.overall)
    values = scores.responses.values
    for j, item in enumerate(scores.instrument.items):
        yield f"item:{item.id}", j, ~np.isnan(values[:, j])


def assemble(
    scores: RespondentScores,
    s: ScoreSettings,
    org: Cells,
    cells: list[Cells],
    layout: privacy.Layout,
    atom_inv: np.ndarray,
    n_atoms: int,
    where: np.ndarray,
    prior: Prior | None = None,
) -> tuple[GroupResult, tuple[Breakdown, ...], Release]:
    """Decide visibility for every measure, then build the organisation and breakdown records.

    Each measure (respondent count, each dimension, facet, the overall score, each item) is
    checked on its own, over the respondents who answered it, starting from the cells
    hidden for respondents; ``prior`` adds what earlier runs published about them.
    """
    m = s.min_group_size
    widths = [1, *(len(c.keys) for c in cells)]
    offsets = np.cumsum([0, *widths])
    cache: dict[bytes, privacy.Decision] = {}
    counts = {"because_earlier": 0, "inherited": 0, "conservative": 0, "exposed": 0}

    def decide(key: str, mask: np.ndarray, initial: np.ndarray | None, use_prior: bool = True) -> np.ndarray:
        """Hidden flags: index 0 the organisation, then every breakdown cell.

        With earlier releases, first what this run needs on its own, then what they add: a
        rerun of the same command then hides exactly what the first run hid.
        """
        earlier = prior.published.get(key) if prior is not None and use_prior else None
        first = None
        if earlier is not None:
            first = initial = decide(key, mask, initial, use_prior=False)
        sig = np.where(mask, atom_inv, -1)[:, None]
        if earlier is not None:
            sig = np.vstack([sig, np.full((prior.extra if prior else 0, 1), -1)])
            sig = np.hstack([sig, earlier])
        used = (sig >= 0).any(axis=1)
        if int(mask.sum()) < m or not used.any():
            return np.ones(1 + layout.atoms.shape[0], dtype=bool)
        if layout.atoms.shape[0] == 0 and earlier is None:
            return np.zeros(1, dtype=bool)  # the organisation alone, with enough respondents
        uniq, atom_n = _unique_rows(sig[used])
        memo = None
        if earlier is None:
            memo = np.packbits(mask).tobytes() + (b"" if initial is None else np.packbits(initial).tobytes())
            if memo in cache:
                return _flags_of(cache[memo], int(mask.sum()), m)
        mine = uniq[:, 0] >= 0
        cur = np.zeros((layout.atoms.shape[0], len(uniq)), dtype=bool)
        cur[:, mine] = layout.atoms[:, uniq[mine, 0]]
        fixed = [mine]
        for col in range(1, uniq.shape[1]):
            for v in np.unique(uniq[:, col]):
                if v >= 0:
                    fixed.append(uniq[:, col] == v)
        org_n = int(mask.sum())
        if org_n < m:
            fixed = fixed[1:]
        problem = privacy.Problem(
            atom_n, cur, np.array(fixed, dtype=bool).reshape(len(fixed), len(uniq)), len(fixed) - (org_n >= m)
        )
        decision = privacy.decide(problem, m, None if initial is None else initial[1:])
        if memo is not None:
            cache[memo] = decision
        flags = _flags_of(decision, org_n, m)
        counts["because_earlier"] += int((flags & ~first).sum()) if first is not None else 0
        counts["inherited"] += decision.inherited
        counts["conservative"] += decision.conservative
        counts["exposed"] += decision.exposed_by_totals
        return flags

    flags_of: dict[str, np.ndarray] = {}
    visible: dict[str, list[np.ndarray]] = {}

    def split(flags: np.ndarray) -> list[np.ndarray]:
        return [~flags[offsets[i] : offsets[i + 1]] for i in range(len(widths))]

    resp = np.zeros(1 + layout.atoms.shape[0], dtype=bool)
    for measure, _index, mask in measure_masks(scores):
        if measure == "respondents":
            resp = flags_of[measure] = decide(measure, mask, None)
        else:
            flags_of[measure] = resp | decide(measure, mask, resp)
        visible[measure] = split(flags_of[measure])
    hid: dict[str, Any] = {
        "resp": resp,
        "units": [flags_of.get(f"{unit.kind}:{unit.id}", resp) for unit in scores.units],
        "overall": flags_of["overall"],
        "items": [flags_of[f"item:{item.id}"] for item in scores.instrument.items],
    }

    organisation = _group(scores, org, 0, s, {}, hid, 0)
    breakdowns = []
    k = 1
    for cols, c in zip(s.by, cells, strict=False):
        groups = []
        for i, key in enumerate(c.keys):
            if not (MISSING in key and c.n[i] < m):
                groups.append(_group(scores, c, i, s, dict(zip(cols, key, strict=False)), hid, k))
            k += 1
        breakdowns.append(Breakdown(cols, tuple(groups), _icc(scores, cols, groups, s)))
    release = Release(
        where,
        visible,
        hidden_because_earlier=counts["because_earlier"],
        inherited=counts["inherited"],
        conservative=counts["conservative"],
        exposed_by_totals=counts["exposed"],
    )
    return organisation, tuple(breakdowns), release


def _unique_rows(sig: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a small-integer matrix and their counts (one sort of one key, not a row sort)."""
    if sig.shape[1] == 1:
        values, counts = np.unique(sig[:, 0], return_counts=True)
        return values[:, None], counts
    shifted = sig.astype(np.int64) + 1  # −1 (none) becomes 0
    dims = shifted.max(axis=0) + 1
    if float(np.prod(dims.astype(np.float64))) < 2**62:
        keys = np.ravel_multi_index(shifted.T, dims)
        _, first, counts = np.unique(keys, return_index=True, return_counts=True)
        return sig[first], counts
    values, counts = np.unique(sig, axis=0, return_counts=True)
    return values, counts


def _flags_of(decision: privacy.Decision, org_n: int, m: int) -> np.ndarray:
    return np.concatenate(([decision.org_hidden or org_n < m], decision.hidden))


def _icc(
    scores: RespondentScores, cols: tuple[str, ...], groups: list[GroupResult], s: ScoreSettings
) -> tuple[IccStats, ...]:
    out = []
    for d, dim in enumerate(scores.instrument.dimensions):
        shown = [
            g.dimensions[d]
            for g in groups
            if not g.suppressed
            and MISSING not in g.key.values()
            and not g.dimensions[d].suppressed
            and g.dimensions[d].source == "items"
        ]
        if len(shown) < 2:
            continue
        icc = stats.icc_oneway(
            np.array([x.n for x in shown], dtype=float),
            np.array([x.mean for x in shown], dtype=float),
            np.array([np.nan if x.sd is None else x.sd for x in shown], dtype=float),
            s.icc_k,
        )
        if icc is not None:
            out.append(
                IccStats(
                    dimension=dim.id,
                    icc1=_f(icc.icc1),
                    icc2=_f(icc.icc2),
                    msb=icc.msb,
                    msw=icc.msw,
                    k=icc.k,
                    n=icc.n,
                    groups=icc.groups,
                )
            )
    return tuple(out)
