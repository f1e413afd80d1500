"""KPI values → latest value, level, RAG, distance to target and trend; KPI-only dimensions."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

from implassess.contracts import KpiValue
from implassess.errors import InputError
from implassess.scoring.groups import GroupResult, UnitStats

Trend = Literal["improving", "worsening", "flat"]

if TYPE_CHECKING:
    from implassess.model import Instrument, Kpi


@attrs.frozen(kw_only=True)
class KpiResult:
    """A KPI's standing: latest value against thresholds and target."""

    id: str
    """KPI id."""
    name: str
    """Display name."""
    unit: str
    """Unit."""
    direction: Literal["higher", "lower"]
    """Which way is better."""
    site: str | None
    """Site, or None for the organisation."""
    dimension: str | None
    """Dimension the KPI scores into."""
    target: float
    """Target value."""
    period: str | None = None
    """Period of the latest value."""
    value: float | None = None
    """Latest value."""
    level: int | None = None
    """Level of the latest value (``Kpi.level_for``)."""
    level_name: str | None = None
    """Name of that level."""
    score_0_100: float | None = None
    """(level − 1)/(levels − 1)·100."""
    rag: Literal["green", "amber", "red"] | None = None
    """Red/amber/green of the latest value (``Kpi.rag``)."""
    distance_to_target: float | None = None
    """How far the latest value is short of target in the good direction (≤ 0: target met)."""
    previous: float | None = None
    """Value of the period before the latest."""
    change: float | None = None
    """latest − previous."""
    trend: Trend | None = None
    """Direction of the last change, honouring ``direction``; None with a single period."""
    history: tuple[tuple[str, float], ...] = ()
    """(period, value) in period order."""


_PERCENT = {"%", "percent", "pct", "percentage"}


def _unit_key(unit: str) -> str:
    u = unit.strip().casefold()
    return "%" if u in _PERCENT else u


def _check(inst: Instrument, values: list[KpiValue], source: str) -> None:
    known = {k.id: k for k in inst.kpis}
    seen: set[tuple[str, str, str | None]] = set()
    for n, v in enumerate(values, start=1):
        i = v.row or n
        if v.kpi not in known:
            raise InputError(
                source,
                f"Found KPI {v.kpi!r}, which instrument {inst.id!r} does not declare; expected one of: "
                + (", ".join(repr(k) for k in sorted(known)) or "none")
                + ".",
                row=i,
                column="kpi",
            )
        unit = known[v.kpi].unit
        if v.unit is not None and _unit_key(v.unit) != _unit_key(unit):
            raise InputError(
                source,
                f"Found unit {v.unit!r} for KPI {v.kpi!r}; the instrument declares {unit!r}.",
                row=i,
                column="unit",
            )
        if not math.isfinite(v.value):
            raise InputError(
                source, f"Found {v.value!r} for KPI {v.kpi!r}; expected a finite number.", row=i, column="value"
            )
        key = (v.kpi, v.period, v.site)
        if key in seen:
            raise InputError(
                source,
                f"KPI {v.kpi!r} has two values for period {v.period!r}"
                + (f" at site {v.site!r}" if v.site else "")
                + "; expected one.",
                row=i,
                column="period",
            )
        seen.add(key)


def _result(inst: Instrument, kpi: Kpi, site: str | None, rows: list[KpiValue]) -> KpiResult:
    rows = sorted(rows, key=lambda r: r.period)
    base = KpiResult(
        id=kpi.id,
        name=kpi.name,
        unit=kpi.unit,
        direction=kpi.direction,
        site=site,
        dimension=kpi.dimension,
        target=kpi.target,
    )
    if not rows:
        return base
    last = rows[-1]
    level = kpi.level_for(last.value)
    n_levels = len(kpi.thresholds) + 1
    sign = 1.0 if kpi.direction == "higher" else -1.0
    prev = rows[-2].value if len(rows) > 1 else None
    change = last.value - prev if prev is not None else None
    trend: Trend | None = None
    if change is not None:
        trend = "flat" if change == 0 else ("improving" if sign * change > 0 else "worsening")
    name = next((lv.name for lv in inst.maturity.levels if lv.level == level), None)
    return attrs.evolve(
        base,
        period=last.period,
        value=last.value,
        level=level,
        level_name=name,
        score_0_100=100.0 * (level - 1) / (n_levels - 1) if n_levels > 1 else None,
        rag=kpi.rag(last.value),
        distance_to_target=sign * (kpi.target - last.value),
        previous=prev,
        change=change,
        trend=trend,
        history=tuple((r.period, r.value) for r in rows),
    )


def evaluate_kpis(
    inst: Instrument, values: Iterable[KpiValue | Mapping[str, Any]], source: str = "KPI sheet"
) -> tuple[KpiResult, ...]:
    """One result per declared KPI for the organisation (even without values), plus one per
    (KPI, site) that has site values. Raises :class:`~implassess.errors.InputError` for an
    undeclared KPI, a unit that differs from the declared one, or a duplicate period."""
    rows = [v if isinstance(v, KpiValue) else KpiValue.from_mapping(v) for v in values]
    _check(inst, rows, source)
    out = []
    for kpi in inst.kpis:
        mine = [r for r in rows if r.kpi == kpi.id]
        out.append(_result(inst, kpi, None, [r for r in mine if r.site is None]))
        for site in sorted({r.site for r in mine if r.site is not None}):
            out.append(_result(inst, kpi, site, [r for r in mine if r.site == site]))
    return tuple(out)


def apply_kpis(group: GroupResult, inst: Instrument, results: tuple[KpiResult, ...]) -> GroupResult:
    """Score KPI-only dimensions: mean of their KPIs' (level − 1)/(levels − 1)·100 at organisation level."""
    if group.suppressed:
        return group
    dims = []
    for d in group.dimensions:
        if d.source != "kpis":
            dims.append(d)
            continue
        got = [r.score_0_100 for r in results if r.site is None and r.dimension == d.id and r.score_0_100 is not None]
        if not got:
            dims.append(d)
            continue
        score = sum(got) / len(got)
        from implassess.scoring.engine import level_for

        lvl = level_for(inst.maturity, score)
        name = inst.maturity.by_number(lvl).name if lvl else None
        dims.append(attrs.evolve(d, n=len(got), score_0_100=score, level=lvl, level_name=name))
    return attrs.evolve(group, dimensions=tuple(dims))


__all__ = ["KpiResult", "KpiValue", "UnitStats", "apply_kpis", "evaluate_kpis"]
