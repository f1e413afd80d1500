"""From scoring profiles to the report's view-model.

The profiles may come straight from scoring or, as ``implassess run`` and ``implassess
report`` do, back from a run folder's profile.json files (:mod:`implassess.report.rundir`).
The adapter copies numbers from the profiles unchanged (the renderer rounds only at
display), so the PDF, the profile JSON and the CSVs show the same values. It adds the
words the instruments hold: level names and descriptors, item text, recommended
actions. Suppressed groups reach the heatmap only as ``None`` (drawn "suppressed").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from implassess.model import Instrument
from implassess.report.model import (
    ActionView,
    AppendixView,
    ChangeView,
    DimensionView,
    FacetScore,
    HeatmapView,
    ItemDistribution,
    KpiView,
    LevelBand,
    Overall,
    PlanItem,
    ReliabilityRow,
    ReportMeta,
    ReportModel,
)
from implassess.scoring.groups import UnitStats
from implassess.scoring.profile import Profile

if TYPE_CHECKING:
    from implassess.scoring.change import GroupChange

#: Instrument id → (the earlier wave's organisation score per dimension id, group changes).
Changes = Mapping[str, tuple[Mapping[str, "float | None"], Sequence["GroupChange"]]]

_PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@attrs.frozen
class ScoredInstrument:
    """One instrument's result as the adapter needs it."""

    instrument: Instrument
    """The instrument."""
    profile: Profile
    """Its profile (the scoring result's, or read back from profile.json)."""
    weight: float = 1.0
    """Weight in the battery's overall score."""
    form: str | None = None
    """Form fielded (for item text)."""


def _num(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def battery_overall(scored: Sequence[ScoredInstrument]) -> float | None:
    """Weighted mean of the instruments' overall scores (instruments without one are left out)."""
    pairs: list[tuple[float, float]] = []
    for s in scored:
        overall = s.profile.organisation.overall
        value = _num(overall.score_0_100) if overall is not None else None
        if value is not None:
            pairs.append((s.weight, value))
    if not pairs:
        return None
    return sum(w * v for w, v in pairs) / sum(w for w, _ in pairs)


def overall_basis(scored: Sequence[ScoredInstrument]) -> str:
    """How :func:`battery_overall` is formed, in words for the report and the manifest."""
    if len(scored) == 1:
        return ""
    weights = {s.weight for s in scored}
    how = "mean" if len(weights) == 1 else "weighted mean"
    return f"the {how} of the overall scores of {len(scored)} instruments"


def _dimension_view(s: ScoredInstrument, unit: UnitStats, variables: dict[str, str], dim_id: str) -> DimensionView:
    inst = s.instrument
    org = s.profile.organisation
    dim = inst.dimension(unit.id)
    level_text = next((lt for lt in dim.levels if lt.level == unit.level), None)
    actions = tuple(
        ActionView(a.title, a.description, a.horizon)
        for a in (inst.action(aid) for aid in (level_text.actions if level_text else ()))
        if a is not None
    )
    facets = tuple(
        FacetScore(next(f.name for f in dim.facets if f.id == fu.id), _num(fu.score_0_100))
        for fu in org.facets
        if fu.dimension == dim.id and not fu.suppressed
    )
    items = []
    by_id = {it.id: it for it in org.items}
    for item in inst.items_in(dim.id):
        stats = by_id.get(item.id)
        if stats is None or stats.suppressed:
            continue
        scale = inst.scale_for(item)
        counts = {oc.label: oc.count for oc in stats.distribution} | dict(stats.set_apart)
        items.append(
            ItemDistribution(
                text=inst.render_text(item, s.form, variables),
                option_labels=tuple(o.label for o in scale.options),
                counts=tuple(counts.get(o.label, 0) for o in scale.options),
                non_substantive=tuple(o.non_substantive for o in scale.options),
                reverse=item.reverse,
            )
        )
    return DimensionView(
        id=dim_id,
        name=dim.name,
        group=inst.title,
        n=unit.n or 0,
        mean=_num(unit.mean),
        sd=_num(unit.sd),
        ci_low=_num(unit.score_ci_low),
        ci_high=_num(unit.score_ci_high),
        score_0_100=_num(unit.score_0_100),
        level=unit.level,
        level_name=unit.level_name or "",
        descriptor=level_text.descriptor if level_text else "",
        alpha=_num(unit.alpha),
        rwg_j=_num(unit.rwg_j),
        flags=unit.flags,
        target=_num(unit.target),
        benchmark=None,
        facets=facets,
        items=tuple(items),
        actions=actions,
    )


def _heatmap(scored: Sequence[ScoredInstrument], by: str) -> HeatmapView | None:
    """Groups of one breakdown × item-scored dimensions; ``None`` marks a suppressed cell."""
    columns: list[tuple[str, str, str]] = []  # (instrument id, dimension id, name)
    groups: dict[str, dict[tuple[str, str], float | None]] = {}
    for s in scored:
        breakdown = next((b for b in s.profile.breakdowns if b.by == (by,)), None)
        if breakdown is None:
            continue
        dims = [u.id for u in s.profile.organisation.dimensions if u.source == "items"]
        columns += [(s.instrument.id, d, s.instrument.dimension(d).name) for d in dims]
        for g in breakdown.groups:
            row = groups.setdefault(g.key.get(by, g.label), {})
            units = {u.id: u for u in g.dimensions}
            for d in dims:
                unit = units.get(d)
                if g.suppressed or (unit is not None and unit.suppressed):
                    row[(s.instrument.id, d)] = None
                else:
                    score = _num(unit.score_0_100) if unit is not None else None
                    row[(s.instrument.id, d)] = math.nan if score is None else score
    if not groups or not columns:
        return None
    labels = sorted(groups)
    return HeatmapView(
        row_label=by.replace("_", " ").capitalize(),
        rows=tuple(labels),
        columns=tuple(name for _, _, name in columns),
        cells=tuple(tuple(groups[r].get((i, d), math.nan) for i, d, _ in columns) for r in labels),
    )


def _plan(scored: Sequence[ScoredInstrument]) -> tuple[PlanItem, ...]:
    entries: list[tuple[Any, ...]] = []
    for order, s in enumerate(scored):
        inst = s.instrument
        names = {d.id: d.name for d in inst.dimensions}
        names.update({f.id: f.name for d in inst.dimensions for f in d.facets})
        names.update({k.id: k.name for k in inst.kpis})
        units = {k.id: k.unit for k in inst.kpis}
        for a in s.profile.actions:
            gap = a.gap if a.gap is not None else -math.inf
            entries.append((_PRIORITY_ORDER.get(a.priority, 3), -gap, order, a.rank, a, names, units))
    entries.sort(key=lambda e: e[:4])
    plan = []
    for rank, (_, _, _, _, a, names, units) in enumerate(entries, start=1):
        threshold = f"{a.threshold:g}" if isinstance(a.threshold, float) else str(a.threshold)
        plan.append(
            PlanItem(
                rank=rank,
                priority=a.priority,
                title=a.title,
                description=a.description,
                trigger=f"{a.statistic} {a.op} {threshold}",
                rationale=a.rationale,
                target_label=names.get(a.target, a.target),
                observed=a.observed,
                horizon=a.horizon,
                statistic=a.statistic,
                unit=units.get(a.target, "") if a.statistic == "value" else "",
            )
        )
    return tuple(plan)


def _kpis(scored: Sequence[ScoredInstrument]) -> tuple[KpiView, ...]:
    views = []
    for s in scored:
        declared = {k.id: k for k in s.instrument.kpis}
        for k in s.profile.kpis:
            deadline = declared[k.id].deadline if k.id in declared else None
            views.append(
                KpiView(
                    name=k.name,
                    unit=k.unit,
                    value=_num(k.value),
                    target=k.target,
                    level=k.level,
                    rag=k.rag,
                    trend=k.history,
                    direction=k.direction,
                    deadline=dt.date.fromisoformat(deadline) if deadline else None,
                )
            )
    return tuple(views)


def _change(scored: Sequence[ScoredInstrument], changes: Changes) -> tuple[ChangeView, ...]:
    """Organisation-level change per item-scored dimension, from the earlier wave's scores
    and the group changes computed by :func:`implassess.scoring.change.compare_profiles`."""
    out = []
    for s in scored:
        if s.instrument.id not in changes:
            continue
        earlier, group_changes = changes[s.instrument.id]
        by_unit = {c.unit: c for c in group_changes if c.group == "organisation"}
        for unit in s.profile.organisation.dimensions:
            c = by_unit.get(unit.id)
            if unit.source != "items" or c is None or unit.id not in earlier:
                continue
            out.append(
                ChangeView(
                    name=s.instrument.dimension(unit.id).name,
                    before=_num(earlier[unit.id]),
                    after=_num(unit.score_0_100),
                    diff=_num(c.score_diff),
                    ci_low=_num(c.score_ci_low),
                    ci_high=_num(c.score_ci_high),
                )
            )
    return tuple(out)


def suppression_rule(scored: Sequence[ScoredInstrument], minimum: int) -> str:
    """The anonymity rule as the appendix states it, with what this run changed about it."""
    settings = scored[0].profile.settings
    text = (
        f"Results of a group with fewer than {minimum} respondents are suppressed in every output, and so is "
        "any further group that would let a small group be worked out by adding and subtracting the groups "
        "shown, here or in any earlier release from the same responses."
    )
    if settings.small_groups == "combine":
        text += f' In each breakdown, groups under {minimum} are combined into one group labelled "Other".'
    earlier = sum(s.profile.release.hidden_because_earlier for s in scored)
    if earlier:
        text += (
            f" {earlier} further result(s) are suppressed because, together with an earlier release from the "
            "same responses, they would expose a small group."
        )
    if minimum < 3:
        text += (
            f" Caution: the minimum group size was lowered to {minimum}, below the safe minimum of 3, at the "
            "request of whoever ran this assessment; with groups this small, readers may recognise individual "
            "answers."
        )
    return text


def build_report_model(
    scored: Sequence[ScoredInstrument],
    meta: ReportMeta,
    *,
    heatmap_by: str | None = None,
    variables: dict[str, str] | None = None,
    rejection_reasons: Sequence[tuple[str, int]] = (),
    rows: tuple[int, int, int] | None = None,
    excluded: Sequence[tuple[str, int]] = (),
    min_group_size: int = 5,
    notes: Sequence[str] = (),
    changes: Changes | None = None,
    change_labels: tuple[str, str] = ("", ""),
) -> ReportModel:
    """The report view-model of one or more scored instruments (a battery).

    ``changes`` gives, per instrument id, the earlier wave's organisation dimension scores
    and the group changes; ``change_labels`` names the (earlier, later) waves.
    """
    variables = variables or {}
    first = scored[0].instrument
    levels = tuple(LevelBand(lv.level, lv.name, lv.min, lv.max) for lv in first.maturity.levels)
    dims: list[DimensionView] = []
    seen: set[str] = set()
    for s in scored:
        for unit in s.profile.organisation.dimensions:
            if unit.suppressed or unit.source != "items":
                continue
            vid = unit.id if unit.id not in seen else f"{s.instrument.id}.{unit.id}"
            seen.add(vid)
            dims.append(_dimension_view(s, unit, variables, vid))
    score = battery_overall(scored)
    level = first.maturity.level_for(score) if score is not None else None
    band = first.maturity.by_number(level) if level is not None else None
    basis = overall_basis(scored)
    scored_dims = [d for d in dims if d.score_0_100 is not None]
    ranked = sorted(scored_dims, key=lambda d: (-(d.score_0_100 or 0), d.id))
    strengths = tuple(d.id for d in ranked[:3])
    gaps = tuple(d.id for d in sorted(scored_dims, key=lambda d: (d.score_0_100 or 0, d.id))[:3])
    reliability = tuple(ReliabilityRow(d.name, d.alpha, d.rwg_j, d.n) for d in dims)
    data = scored[0].profile.data
    read, accepted, rejected = rows if rows is not None else (data.rows_read, data.accepted, data.rejected)
    share = first.scoring.min_answered
    appendix = AppendixView(
        rows_read=read,
        accepted=accepted,
        rejected=rejected,
        rejection_reasons=tuple(rejection_reasons),
        excluded=tuple(excluded),
        min_group_size=min_group_size,
        missing_data_rule=(
            f"A dimension is scored for a respondent only when at least {share:.0%} of its items are answered; "
            '"Don\'t know", "Not applicable" and blank answers count as missing, never as a value.'
        ),
        suppression_rule=suppression_rule(scored, min_group_size),
        instruments=tuple((s.instrument.id, s.instrument.version, s.instrument.title) for s in scored),
        reliability=reliability,
        notes=tuple(notes),
    )
    return ReportModel(
        meta=meta,
        overall=Overall(score, level, band.name if band else "", band.descriptor if band else "", basis),
        levels=levels,
        dimensions=tuple(dims),
        strengths=strengths,
        gaps=gaps,
        heatmap=_heatmap(scored, heatmap_by) if heatmap_by else None,
        kpis=_kpis(scored),
        action_plan=_plan(scored),
        appendix=appendix,
        change=_change(scored, changes or {}),
        change_from=change_labels[0],
        change_to=change_labels[1],
    )
