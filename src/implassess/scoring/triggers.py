"""Decision triggers evaluated on the organisation profile → a ranked action list."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from implassess.model import Instrument, Trigger
    from implassess.scoring.groups import GroupResult, UnitStats
    from implassess.scoring.kpis import KpiResult

PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2}
_UNIT_FIELDS = {
    "score": "score_0_100",
    "level": "level",
    "mean": "mean",
    "rwg-j": "rwg_j",
    "alpha": "alpha",
    "gap": "gap",
}
_KPI_FIELDS = {"value": "value", "kpi-level": "level", "rag": "rag"}


@attrs.frozen(kw_only=True)
class TriggeredAction:
    """A trigger that fired, with what was observed and what to do."""

    rank: int
    """1 = do first."""
    trigger: str
    """Trigger id."""
    priority: str
    """high, medium or low."""
    target_kind: str
    """``dimension``, ``facet`` or ``kpi``."""
    target: str
    """Id of the dimension, facet or KPI tested."""
    statistic: str
    """Statistic tested."""
    op: str
    """Operator."""
    threshold: float | str
    """Value compared against."""
    observed: float | str
    """Observed value that made the condition hold."""
    action: str
    """Action id."""
    title: str
    """Action title."""
    description: str
    """Action description."""
    horizon: str = ""
    """When."""
    rationale: str = ""
    """Why (from the trigger)."""
    gap: float | None = None
    """Gap of the dimension or facet, used to rank within a priority."""


def _observed(
    trigger: Trigger, org: GroupResult, kpis: tuple[KpiResult, ...]
) -> tuple[str, str, object, UnitStats | None]:
    c = trigger.when
    if c.kpi is not None:
        res = next((k for k in kpis if k.id == c.kpi and k.site is None), None)
        value = getattr(res, _KPI_FIELDS.get(c.statistic, ""), None) if res else None
        return "kpi", c.kpi, value, None
    kind, uid = ("facet", c.facet) if c.facet is not None else ("dimension", c.dimension)
    pool = org.facets if kind == "facet" else org.dimensions
    unit = next((u for u in pool if u.id == uid), None)
    if unit is None or unit.suppressed:
        return kind, str(uid), None, None
    return kind, str(uid), getattr(unit, _UNIT_FIELDS.get(c.statistic, ""), None), unit


def evaluate_triggers(
    inst: Instrument, org: GroupResult, kpis: tuple[KpiResult, ...] = ()
) -> tuple[TriggeredAction, ...]:
    """Triggers whose condition holds on the organisation, ranked.

    Order: priority (high, medium, low), then larger gap first (a trigger without a gap
    comes after those with one), then the order triggers are declared. A statistic that
    is unavailable (suppressed, not computed) never fires.
    """
    fired = []
    for order, t in enumerate(inst.triggers):
        kind, target, observed, unit = _observed(t, org, kpis)
        if observed is None or not t.when.holds(observed):  # type: ignore[arg-type]
            continue
        action = inst.action(t.action)
        gap = unit.gap if unit is not None else None
        fired.append((order, t, kind, target, observed, action, gap))
    fired.sort(key=lambda f: (PRIORITY_RANK[f[1].priority], f[6] is None, -(f[6] or 0.0), f[0]))
    return tuple(
        TriggeredAction(
            rank=rank,
            trigger=t.id,
            priority=t.priority,
            target_kind=kind,
            target=target,
            statistic=t.when.statistic,
            op=t.when.op,
            threshold=t.when.value,
            observed=observed,  # type: ignore[arg-type]
            action=t.action,
            title=action.title if action else t.action,
            description=action.description if action else "",
            horizon=action.horizon if action else "",
            rationale=t.rationale,
            gap=gap,
        )
        for rank, (_, t, kind, target, observed, action, gap) in enumerate(fired, start=1)
    )
