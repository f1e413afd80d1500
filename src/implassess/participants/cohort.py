"""The cohort summary: aggregates across participants, never one participant's figures.

Each cohort (and all participants, when there are several) is summarised only with at
least ``min_cohort`` participants with a report, and each mean needs as many.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs
import numpy as np

from implassess.participants import three_sixty as t3
from implassess.participants.data import Data360, Rated, level_of, opt_float, unit_order
from implassess.participants.model import (
    ALL_OTHERS,
    GROUP_LABELS,
    RATER_GROUPS,
    CohortBlock,
    CohortSummary,
    CohortUnit,
    ParticipantReport,
)

if TYPE_CHECKING:
    from implassess.participants.records import BuildOptions, Outcome


def summarise(
    data: Data360,
    cohorts: Mapping[str, list[str]],
    rated: Mapping[str, Rated],
    rated_base: Mapping[str, Rated],
    outcomes: Sequence[Outcome],
    options: BuildOptions,
) -> CohortSummary:
    reports = {o.participant: o.report for o in outcomes if o.report is not None}
    blocks = [
        _block(data, label or "No cohort", members, rated, rated_base, reports, options)
        for label, members in cohorts.items()
    ]
    if len(cohorts) > 1:
        everyone = [p for m in cohorts.values() for p in m]
        total = _block(data, "All participants", everyone, rated, rated_base, reports, options)
        blocks.append(guard_total(total, blocks, options))
    maturity = data.instruments[0].maturity
    return CohortSummary(
        programme=options.programme,
        wave=options.wave,
        date=options.date,
        client=options.client,
        consultancy=options.consultancy,
        compare_wave=options.compare_wave,
        blocks=blocks,
        min_cohort=options.min_cohort,
        levels=[(lv.level, lv.name) for lv in maturity.levels],
        failed=sum(1 for o in outcomes if o.report is None),
    )


def guard_total(total: CohortBlock, cohorts: Sequence[CohortBlock], options: BuildOptions) -> CohortBlock:
    """The all-participants block, with whatever would reveal a cohort or figure not shown removed.

    All participants minus the cohorts shown is the cohorts not shown, together: with
    fewer than ``min_cohort`` participants among them, the whole block would reveal them
    (rater counts, means, levels), so it is not summarised. Per dimension and facet the
    same holds for the participants whose figures no shown cohort accounts for.
    """
    if not total.shown:
        return total
    m = options.min_cohort
    hidden = sum(b.participants for b in cohorts if not b.shown)
    if any(b.shown for b in cohorts) and 0 < hidden < m:
        return attrs.evolve(
            total,
            shown=False,
            units=(),
            raters=(),
            themes=(),
            note=(
                f"Not summarised: the cohorts not summarised have {hidden} participant(s) with a report together, "
                f"fewer than {m}, and All participants minus the cohorts shown would reveal their results."
            ),
        )
    units = []
    for k, u in enumerate(total.units):
        accounted = sum(b.units[k].n for b in cohorts if b.shown and b.units[k].mean_others is not None)
        units.append(u if not 0 < u.n - accounted < m else _hidden_unit(u))
    return attrs.evolve(total, units=units)


def _hidden_unit(u: CohortUnit) -> CohortUnit:
    return CohortUnit(key=u.key, name=u.name, kind=u.kind, n=u.n, mean_self=None, mean_others=None, mean_gap=None)


def _block(
    data: Data360,
    label: str,
    members: Sequence[str],
    rated: Mapping[str, Rated],
    rated_base: Mapping[str, Rated],
    reports: Mapping[str, ParticipantReport],
    options: BuildOptions,
) -> CohortBlock:
    with_report = [p for p in members if p in reports]
    if len(with_report) < options.min_cohort:
        return CohortBlock(label, len(with_report), False)
    now = [rated[p] for p in with_report]
    n_levels = max(len(inst.maturity.levels) for inst in data.instruments)
    units: list[CohortUnit] = []
    frac = options.gap_fraction
    for u in unit_order(data):
        unit = data.units[u]
        o = np.array([r.others_units[u] for r in now])
        s = np.array([r.self_units[u] for r in now])
        g = s - o
        has = ~np.isnan(o)
        flags = t3.flag_gaps(g, 100.0, frac)
        levels = [0] * n_levels
        for v in o[has].tolist():
            lv, _ = level_of(data, unit, v)
            if lv is not None and 1 <= lv <= n_levels:
                levels[lv - 1] += 1
        mean_change = improved = declined = None
        if options.compare_wave:
            pairs = [(rated_base[p].others_units[u], rated[p].others_units[u]) for p in with_report if p in rated_base]
            diffs = np.array([b2 - b1 for b1, b2 in pairs]) if pairs else np.array([])
            diffs = diffs[~np.isnan(diffs)]
            if diffs.size >= options.min_cohort:
                mean_change = float(diffs.mean())
            verdicts = [
                c.verdict
                for p in with_report
                for c in reports[p].change
                if c.key == unit.key and c.source == ALL_OTHERS
            ]
            if unit.kind == "dimension" and len(verdicts) >= options.min_cohort:
                improved = verdicts.count("improved")
                declined = verdicts.count("declined")
        enough = int(has.sum()) >= options.min_cohort
        units.append(
            CohortUnit(
                key=unit.key,
                name=unit.name,
                kind="dimension" if unit.kind == "dimension" else "facet",
                n=int(has.sum()),
                mean_self=opt_float(float(np.nanmean(s))) if enough else None,
                mean_others=opt_float(float(np.nanmean(o))) if enough else None,
                mean_gap=opt_float(float(np.nanmean(g))) if enough else None,
                blind_spots=sum(1 for f in flags if f == "blind-spot") if enough else 0,
                hidden_strengths=sum(1 for f in flags if f == "hidden-strength") if enough else 0,
                levels=levels if enough else (),
                mean_change=mean_change,
                improved=improved,
                declined=declined,
            )
        )
    raters = []
    for grp in RATER_GROUPS:
        raters.append(
            (
                GROUP_LABELS[grp],
                sum(r.counts.get(grp, 0) for r in now),
                sum(1 for r in now if grp in r.visibility.shown),
            )
        )
    raters.append(
        (
            GROUP_LABELS[ALL_OTHERS],
            sum(sum(r.counts.values()) for r in now),
            sum(1 for r in now if r.visibility.all_others_shown),
        )
    )
    themes: Counter[str] = Counter()
    titles: dict[str, str] = {}
    for p in with_report:
        for e in reports[p].plan:
            if e.priority:  # triggered actions only: level recommendations are the same for a level
                themes[e.action] += 1
                titles[e.action] = e.title
    top = sorted(themes.items(), key=lambda kv: (-kv[1], titles[kv[0]]))[:8]
    return CohortBlock(label, len(with_report), True, units, raters, [(titles[a], c) for a, c in top])
