"""From a scored 360 export to one :class:`ParticipantReport` per participant and a cohort summary.

:func:`build_reports` then works participant by
participant: it keeps only that participant's rows, applies the rater minimums
(:func:`~implassess.participants.three_sixty.decide_visibility`) and fills a view-model
that holds nothing about anyone else. Cohort means and the baseline SD and α for the
RCI are the only figures computed across participants, and they are aggregates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np

from implassess.participants import three_sixty as t3
from implassess.participants.cohort import summarise
from implassess.participants.data import (
    Data360,
    Person,
    Rated,
    level_of,
    load_360,
    opt_float,
    rate,
    read_roster,
    unit_order,
)
from implassess.participants.masking import NameMasker
from implassess.participants.model import (
    ALL_OTHERS,
    GROUP_LABELS,
    RATER_GROUPS,
    SELF,
    AnonymityRules,
    ChangeRow,
    CohortSummary,
    GroupInfo,
    ItemRow,
    ParticipantReport,
    PlanEntry,
    UnitRow,
    Whose,
)
from implassess.participants.records import BuildOptions, MaskedComment, Outcome

__all__ = ["BuildOptions", "Outcome", "build_reports", "load_360", "read_roster"]

PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2}
#: Statistics a trigger may test that exist for one person's scores.
PERSONAL_STATISTICS = ("score", "level", "mean")


# -- building the reports -----------------------------------------------------------------


@attrs.frozen(eq=False)
class _Reference:
    """Cohort-level aggregates used in individual reports."""

    others_mean: np.ndarray
    self_mean: np.ndarray
    sd_others: np.ndarray
    sd_self: np.ndarray
    alpha_others: np.ndarray
    alpha_self: np.ndarray
    note: str


def _participants_rows(data: Data360, wave: str) -> dict[str, np.ndarray]:
    rows: dict[str, list[int]] = {}
    for r, (p, w) in enumerate(zip(data.participant, data.wave, strict=True)):
        if w == wave and p:
            rows.setdefault(p, []).append(r)
    return {p: np.array(v, dtype=np.intp) for p, v in rows.items()}


def _cohort_means(rated: Sequence[Rated], n_units: int, minimum: int) -> tuple[np.ndarray, np.ndarray]:
    if not rated:
        return np.full(n_units, np.nan), np.full(n_units, np.nan)
    o = np.array([r.others_units for r in rated])
    s = np.array([r.self_units for r in rated])
    return t3.group_mean(o, minimum), t3.group_mean(s, minimum)


def _baseline_stats(
    data: Data360, members: Sequence[str], base_rows: Mapping[str, np.ndarray], base_rated: Mapping[str, Rated]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SD across participants and Cohort α of items, for others and for self, at baseline."""
    n_units = len(data.units)
    others = np.array([base_rated[p].others_units for p in members if p in base_rated] or [np.full(n_units, np.nan)])
    selfs = np.array([base_rated[p].self_units for p in members if p in base_rated] or [np.full(n_units, np.nan)])
    rows = [r for p in members for r in base_rows.get(p, np.array([], dtype=np.intp)).tolist()]
    rel = [t3.relationship_group(data.relationship[r])[0] for r in rows]
    rater_rows = np.array([r for r, g in zip(rows, rel, strict=True) if g not in (None, SELF)], dtype=np.intp)
    self_rows = np.array([r for r, g in zip(rows, rel, strict=True) if g == SELF], dtype=np.intp)
    sd_o = np.array([t3.sample_sd(others[:, u]) for u in range(n_units)])
    sd_s = np.array([t3.sample_sd(selfs[:, u]) for u in range(n_units)])
    a_o = np.array(
        [t3.item_alpha(data.values[np.ix_(rater_rows, np.asarray(u.items, dtype=np.intp))]) for u in data.units]
    )
    a_s = np.array(
        [t3.item_alpha(data.values[np.ix_(self_rows, np.asarray(u.items, dtype=np.intp))]) for u in data.units]
    )
    return sd_o, sd_s, a_o, a_s


def build_reports(
    data: Data360, roster: Mapping[str, Person], options: BuildOptions
) -> tuple[list[Outcome], CohortSummary]:
    """One outcome per participant (roster order, then unknown ids) and the cohort summary."""
    rules = options.rules
    rows_now = _participants_rows(data, options.wave)
    rows_base = _participants_rows(data, options.compare_wave) if options.compare_wave else {}
    rated = {p: rate(data, rows, rules) for p, rows in rows_now.items()}
    rated_base = {p: rate(data, rows, rules) for p, rows in rows_base.items()}
    everyone = list(roster) + sorted(p for p in set(rows_now) | set(rows_base) if p not in roster)

    def cohort_of(p: str) -> str:
        if p in roster and roster[p].cohort:
            return roster[p].cohort
        rows = rows_now.get(p, rows_base.get(p))
        return next((data.cohort[r] for r in (rows.tolist() if rows is not None else []) if data.cohort[r]), "")

    cohorts: dict[str, list[str]] = {}
    for p in everyone:
        cohorts.setdefault(cohort_of(p), []).append(p)
    n_units = len(data.units)
    refs: dict[str, _Reference] = {}
    all_fallback: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    for label, members in cohorts.items():
        ok_members = [rated[p] for p in members if p in rated and rated[p].has_self]
        o_mean, s_mean = _cohort_means(ok_members, n_units, options.min_cohort)
        base_members = [p for p in members if p in rated_base and rated_base[p].has_self]
        note = ""
        if options.compare_wave:
            if len(base_members) >= options.min_cohort:
                stats_ = _baseline_stats(data, members, rows_base, rated_base)
                note = (
                    f"SD and Cronbach's alpha for the reliable change index come from cohort {label or '(none)'} at "
                    f"{options.compare_wave} ({len(base_members)} participants): SD of participants' scores, alpha of "
                    "the items on the same forms (rater forms for all others, self forms for self)."
                )
            else:
                if all_fallback is None:
                    all_fallback = _baseline_stats(data, list(rated_base), rows_base, rated_base)
                stats_ = all_fallback
                note = (
                    f"The cohort had fewer than {options.min_cohort} participants at {options.compare_wave}, so SD "
                    f"and Cronbach's alpha for the reliable change index come from all {len(rated_base)} participants "
                    "of the programme at that wave."
                )
        else:
            nan = np.full(n_units, np.nan)
            stats_ = (nan, nan, nan, nan)
        refs[label] = _Reference(o_mean, s_mean, *stats_, note)

    outcomes: list[Outcome] = []
    masker = NameMasker({pid: person.name for pid, person in roster.items()})
    for p in everyone:
        person = roster.get(p)
        try:
            outcomes.append(
                _outcome(data, p, person, rated.get(p), rated_base.get(p), refs[cohort_of(p)], options, masker)
            )
        except Exception as exc:  # one participant's data must not stop the batch
            outcomes.append(Outcome(p, None, f"Building the report failed: {type(exc).__name__}: {exc}"))
    summary = summarise(data, cohorts, rated, rated_base, outcomes, options)
    return outcomes, summary


def _outcome(
    data: Data360,
    pid: str,
    person: Person | None,
    now: Rated | None,
    base: Rated | None,
    ref: _Reference,
    options: BuildOptions,
    masker: NameMasker,
) -> Outcome:
    if person is None:
        return Outcome(
            pid,
            None,
            f"Participant {pid!r} has ratings but no row in the participants file; add a row with its "
            "participant id and name.",
        )
    if now is None:
        return Outcome(pid, None, f"No ratings for participant {pid!r} in wave {options.wave!r}.")
    if not now.has_self:
        return Outcome(
            pid,
            None,
            f"No self-assessment in wave {options.wave!r}: the report compares self with others, so it needs "
            "the participant's own ratings.",
            now.warnings,
        )
    report = _report(data, person, now, base, ref, options)
    report, masked = mask_names(report, masker)
    return Outcome(pid, report, "", now.warnings, masked)


def mask_names(report: ParticipantReport, masker: NameMasker) -> tuple[ParticipantReport, tuple[MaskedComment, ...]]:
    """The report with other participants' names masked in every comment, and the comments changed."""
    masked: list[MaskedComment] = []

    def each(texts: tuple[str, ...], source: Literal["raters", "self"]) -> tuple[str, ...]:
        out = []
        for text in texts:
            new, n = masker.mask(text, report.participant)
            if n:
                masked.append(MaskedComment(source, new, n))
            out.append(new)
        return tuple(out)

    comments = each(report.comments, "raters")
    own = each(report.self_comments, "self")
    return attrs.evolve(report, comments=comments, self_comments=own), tuple(masked)


def _group_infos(rated: Rated, rules: AnonymityRules) -> tuple[GroupInfo, ...]:
    vis, counts = rated.visibility, rated.counts
    infos = [GroupInfo(SELF, GROUP_LABELS[SELF], True, 1, "Your own ratings.")]
    for g in RATER_GROUPS:
        label = GROUP_LABELS[g]
        if g in vis.shown:
            infos.append(GroupInfo(g, label, True, counts[g]))
            continue
        m = rules.minimum(g)
        if not vis.all_others_shown:
            note = "Not shown: too few raters in total for any rater result."
        elif m <= 1:
            note = "Not shown: no ratings from this group."  # a minimum of 1 drops only an empty group
        elif vis.residual_pooled:
            note = f"Not shown: fewer than {m} raters. Any ratings from this group are included in All others."
        else:
            note = (
                f"Not shown: fewer than {m} raters. Any ratings from this group are left out of this report, so "
                "they cannot be worked out from All others."
            )
        infos.append(GroupInfo(g, label, False, None, note))
    if vis.all_others_shown:
        n, at_least = t3.all_others_count(counts, vis, rules)
        note = (
            "Includes raters of groups not shown, so only a lower bound is given: the exact number would reveal "
            "how many of them there are."
            if at_least
            else "Everyone who rated you, except you."
        )
        infos.append(GroupInfo(ALL_OTHERS, GROUP_LABELS[ALL_OTHERS], True, n, note, at_least=at_least))
    else:
        infos.append(
            GroupInfo(
                ALL_OTHERS,
                GROUP_LABELS[ALL_OTHERS],
                False,
                None,
                f"Not shown: fewer than {rules.all_others} raters in total, so no rater result is shown.",
            )
        )
    return tuple(infos)


def _report(
    data: Data360,
    person: Person,
    now: Rated,
    base: Rated | None,
    ref: _Reference,
    options: BuildOptions,
) -> ParticipantReport:
    from implassess.report.fmt import fmt_observed, fmt_score

    cols = now.visibility.shown
    frac = options.gap_fraction
    unit_gap = t3.gap(now.self_units, now.others_units)
    flags = t3.flag_gaps(unit_gap, 100.0, frac)
    units: list[UnitRow] = []
    for u in unit_order(data):
        unit = data.units[u]
        inst = data.instruments[unit.instrument]
        others, mine = opt_float(now.others_units[u]), opt_float(now.self_units[u])
        olv, oname = level_of(data, unit, others)
        slv, sname = level_of(data, unit, mine)
        units.append(
            UnitRow(
                key=unit.key,
                name=unit.name,
                kind="dimension" if unit.kind == "dimension" else "facet",
                dimension=unit.dimension,
                instrument=inst.title,
                self_score=mine,
                others=others,
                others_level=olv,
                others_level_name=oname,
                self_level=slv,
                self_level_name=sname,
                groups=tuple(opt_float(now.group_units[g][u]) for g in cols),
                cohort_others=opt_float(ref.others_mean[u]),
                cohort_self=opt_float(ref.self_mean[u]),
                gap=opt_float(unit_gap[u]),
                flag=flags[u],
            )
        )
    spans = np.array([it.high - it.low for it in data.items])
    lows = np.array([it.low for it in data.items])
    item_gap = t3.gap(now.self_items, now.others_items)
    item_rows = [
        ItemRow(
            id=it.id,
            text=it.text,
            dimension=it.dimension,
            low=it.low,
            high=it.high,
            self_value=opt_float(now.self_items[j]),
            others=opt_float(now.others_items[j]),
            groups=tuple(opt_float(now.group_items[g][j]) for g in cols),
            gap=opt_float(item_gap[j]),
            reverse=it.reverse,
        )
        for j, it in enumerate(data.items)
    ]
    # Items on different scales are ranked by the share of their range.
    pos, neg = t3.top_gaps(item_gap / spans, options.top)
    high, low = t3.extremes((now.others_items - lows) / spans, options.top)

    change: list[ChangeRow] = []
    change_note = ""
    if options.compare_wave:
        if base is None or not (base.has_self or base.visibility.all_others_shown):
            change_note = f"There are no ratings of you at {options.compare_wave}, so change cannot be shown."
        else:
            change_note = ref.note
            for u, unit in enumerate(data.units):
                if unit.kind != "dimension":
                    continue
                pairs: tuple[tuple[Whose, Any, Any, Any, Any], ...] = (
                    (ALL_OTHERS, base.others_units[u], now.others_units[u], ref.sd_others[u], ref.alpha_others[u]),
                    (SELF, base.self_units[u], now.self_units[u], ref.sd_self[u], ref.alpha_self[u]),
                )
                for source, b, a, sd, al in pairs:
                    change.append(
                        ChangeRow(
                            key=unit.key,
                            name=unit.name,
                            source=source,
                            before=opt_float(b),
                            after=opt_float(a),
                            rci=t3.rci(opt_float(b), opt_float(a), sd, al),
                            sd=opt_float(sd),
                            alpha=opt_float(al),
                        )
                    )

    plan, basis = _plan(data, now, options, fmt_observed, fmt_score)
    notes = []
    if ref.others_mean.size and np.isnan(ref.others_mean).all():
        notes.append(
            f"Cohort means are not shown: your cohort has fewer than {options.min_cohort} participants with ratings."
        )
    return ParticipantReport(
        participant=person.participant,
        name=person.name,
        programme=options.programme,
        wave=options.wave,
        date=options.date,
        client=options.client,
        consultancy=options.consultancy,
        cohort=person.cohort,
        site=person.site,
        compare_wave=options.compare_wave,
        groups=_group_infos(now, options.rules),
        group_columns=cols,
        units=units,
        items=item_rows,
        top_positive=[item_rows[i] for i in pos],
        top_negative=[item_rows[i] for i in neg],
        highest=[item_rows[i] for i in high],
        lowest=[item_rows[i] for i in low],
        comments=now.comments,
        self_comments=now.self_comments,
        change=change,
        change_note=change_note,
        plan=plan,
        plan_basis=basis,
        gap_fraction=frac,
        levels=[(lv.level, lv.name, lv.min, lv.max) for lv in data.instruments[0].maturity.levels],
        rules=options.rules,
        notes=notes,
        warnings=now.warnings,
    )


def _plan(
    data: Data360, now: Rated, options: BuildOptions, fmt_observed: Any, fmt_score: Any
) -> tuple[list[PlanEntry], str]:
    """Triggers on the participant's scores, then the actions recommended at each dimension's level."""
    use_others = now.visibility.all_others_shown
    scores = now.others_units if use_others else now.self_units
    whose = "All others'" if use_others else "Your own"
    basis = (
        "The plan applies the instruments' decision triggers and level recommendations to all others' ratings of you."
        if use_others
        else "Too few raters to base the plan on others' ratings, so it is based on your self-assessment."
    )
    by_key = {u.key: (i, u) for i, u in enumerate(data.units)}
    fired: list[tuple[int, int, PlanEntry]] = []
    order = 0
    for k, inst in enumerate(data.instruments):
        for trig in inst.triggers:
            order += 1
            c = trig.when
            uid = c.facet if c.facet is not None else c.dimension
            if uid is None or c.statistic not in PERSONAL_STATISTICS:
                continue
            found = by_key.get(f"{inst.id}/{uid}")
            if found is None:
                continue
            i, unit = found
            score = opt_float(scores[i])
            if score is None:
                continue
            observed: float | None
            if c.statistic == "score":
                observed = score
            elif c.statistic == "level":
                observed = float(level_of(data, unit, score)[0] or 0)
            else:
                observed = unit.low + score / 100.0 * (unit.high - unit.low)
            if not c.holds(observed):
                continue
            action = inst.action(trig.action)
            reason = (
                f"{whose} {c.statistic} on {unit.name} is {fmt_observed(observed, c.statistic)} "
                f"(recommended when {c.statistic} {c.op} {c.value})."
            )
            fired.append(
                (
                    PRIORITY_RANK.get(trig.priority, 3),
                    order,
                    PlanEntry(
                        rank=0,
                        title=action.title if action else trig.action,
                        description=action.description if action else "",
                        horizon=action.horizon if action else "",
                        priority=trig.priority,
                        reason=reason,
                        rationale=trig.rationale,
                        action=f"{inst.id}/{trig.action}",
                    ),
                )
            )
        del k
    fired.sort(key=lambda f: (f[0], f[1]))
    entries = [e for _, _, e in fired]
    seen = {e.action for e in entries}
    for unit_i, unit in enumerate(data.units):
        if unit.kind != "dimension":
            continue
        score = opt_float(scores[unit_i])
        lv, lname = level_of(data, unit, score)
        if lv is None:
            continue
        inst = data.instruments[unit.instrument]
        dim = inst.dimension(unit.id)
        text = next((t for t in dim.levels if t.level == lv), None)
        for aid in text.actions if text else ():
            key = f"{inst.id}/{aid}"
            action = inst.action(aid)
            if key in seen or action is None:
                continue
            seen.add(key)
            entries.append(
                PlanEntry(
                    rank=0,
                    title=action.title,
                    description=action.description,
                    horizon=action.horizon,
                    priority="",
                    reason=(
                        f"Recommended for {unit.name} at level {lv} {lname} ({whose.lower()} score {fmt_score(score)})."
                    ),
                    rationale="",
                    action=key,
                )
            )
    return [attrs.evolve(e, rank=i) for i, e in enumerate(entries, start=1)], basis
