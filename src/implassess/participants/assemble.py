"""From a 360 export to one :class:`ParticipantReport` per participant and a cohort summary.

:func:`load_360` reads and scores the export once per instrument of the battery and lines
the rows up by respondent id. :func:`build_reports` then works participant by
participant: it keeps only that participant's rows, applies the rater minimums
(:func:`~implassess.participants.three_sixty.decide_visibility`) and fills a view-model
that holds nothing about anyone else. Cohort means and the baseline SD and α for the
RCI are the only figures computed across participants, and they are aggregates.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from implassess.errors import InputError
from implassess.participants import three_sixty as t3
from implassess.participants.model import (
    ALL_OTHERS,
    GROUP_LABELS,
    RATER_GROUPS,
    SELF,
    AnonymityRules,
    ChangeRow,
    CohortBlock,
    CohortSummary,
    CohortUnit,
    GroupInfo,
    ItemRow,
    ParticipantReport,
    PlanEntry,
    UnitRow,
    Visibility,
)

if TYPE_CHECKING:
    from implassess.model import Instrument, MaturityModel

PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2}
#: Statistics a trigger may test that exist for one person's scores.
PERSONAL_STATISTICS = ("score", "level", "mean")


# -- the scored export ----------------------------------------------------------------------


@attrs.frozen(eq=False)
class UnitRef:
    """A dimension or facet of one instrument of the battery."""

    key: str
    """``instrument-id/unit-id``."""
    id: str
    """Unit id within its instrument."""
    name: str
    """Display name."""
    kind: str
    """``dimension`` or ``facet``."""
    dimension: str
    """Key of its dimension."""
    instrument: int
    """Index of the instrument in the battery."""
    items: tuple[int, ...]
    """Columns of its items in :attr:`Data360.values`."""
    low: float
    """Lowest raw score."""
    high: float
    """Highest raw score."""


@attrs.frozen(eq=False)
class ItemRef:
    """An item of the battery."""

    id: str
    """Item id."""
    text: str
    """Rater-form text."""
    dimension: str
    """Key of its dimension."""
    low: float
    """Scale minimum."""
    high: float
    """Scale maximum."""
    reverse: bool
    """Reverse-keyed."""


@attrs.frozen(eq=False)
class Data360:
    """Every accepted rating of the export, scored, one row per rater form."""

    instruments: tuple[Instrument, ...]
    """The battery's instruments, in order."""
    respondent_ids: tuple[str, ...]
    """One per row."""
    rows: tuple[int, ...]
    """Source row number of each row."""
    participant: tuple[str, ...]
    """Participant rated."""
    relationship: tuple[str, ...]
    """Relationship as written in the file."""
    wave: tuple[str, ...]
    """Wave ("" when the file has no wave column)."""
    cohort: tuple[str, ...]
    """Cohort column of the export ("" when absent)."""
    comment: tuple[str, ...]
    """Free text ("" when none)."""
    units: tuple[UnitRef, ...]
    """Dimensions then facets of each instrument."""
    items: tuple[ItemRef, ...]
    """Items of each instrument."""
    pomp: np.ndarray
    """rows × units 0–100 scores (NaN: not scored)."""
    values: np.ndarray
    """rows × items recoded answers (higher is better; NaN: missing)."""
    warnings: tuple[str, ...] = ()
    """File-level notes (rejected rows)."""

    def waves(self) -> tuple[str, ...]:
        """Waves in order of first appearance."""
        return tuple(dict.fromkeys(self.wave))

    def maturity(self, unit: UnitRef) -> MaturityModel:
        """The maturity model of a unit's instrument."""
        return self.instruments[unit.instrument].maturity


def load_360(
    path: Path,
    instruments: Sequence[Instrument],
    *,
    format: str | None = None,
    mapping: Path | None = None,
) -> Data360:
    """Read and score a 360 export for every instrument, rows lined up by respondent id."""
    from implassess.ingest import read_responses
    from implassess.scoring import score_respondents

    scored = []
    for inst in instruments:
        forms = {f.id for f in inst.forms}
        rs = read_responses(path, inst, form="rater" if "rater" in forms else None, format=format, mapping=mapping)
        for needed in ("participant", "relationship"):
            if needed not in rs.attributes:
                raise InputError(
                    str(path),
                    f"The 360 export has no {needed!r} column; expected columns participant, relationship "
                    "(self, manager, peer, direct-report, other) and optionally wave, then the item columns.",
                )
        scored.append((inst, rs, score_respondents(rs)))

    order: dict[str, int] = {}
    for _, rs, _ in scored:
        for rid in rs.respondent_ids:
            order.setdefault(rid, len(order))
    n = len(order)
    attrs_by: dict[str, list[str]] = {k: [""] * n for k in ("participant", "relationship", "wave", "cohort")}
    comment = [""] * n
    rownum = [0] * n
    units: list[UnitRef] = []
    items: list[ItemRef] = []
    pomp_cols: list[np.ndarray] = []
    value_cols: list[np.ndarray] = []
    warnings: list[str] = []
    for k, (inst, rs, sc) in enumerate(scored):
        where = np.array([order[r] for r in rs.respondent_ids], dtype=np.intp)
        for name, col in attrs_by.items():
            got = rs.attributes.get(name)
            if got is None:
                continue
            for i, v in zip(where.tolist(), got, strict=True):
                if v and not col[i]:
                    col[i] = str(v).strip()
        texts = [c for c in rs.comments.values()]
        for r, i in enumerate(where.tolist()):
            if not comment[i]:
                parts = [str(c[r]).strip() for c in texts if c[r] and str(c[r]).strip()]
                comment[i] = "\n".join(parts)
            if rs.rows and not rownum[i]:
                rownum[i] = rs.rows[r]
        base = len(items)
        rater_form = "rater" if "rater" in {f.id for f in inst.forms} else None
        for j, item in enumerate(inst.items):
            items.append(
                ItemRef(
                    item.id,
                    inst.render_text(item, rater_form),
                    f"{inst.id}/{item.dimension}",
                    float(sc.coding.raw_low[j]),
                    float(sc.coding.raw_high[j]),
                    bool(item.reverse),
                )
            )
        recoded = np.full((n, len(inst.items)), np.nan)
        recoded[where] = sc.recoded()
        value_cols.append(recoded)
        p = np.full((n, len(sc.units)), np.nan)
        p[where] = sc.pomp
        pomp_cols.append(p)
        for u in sc.units:
            units.append(
                UnitRef(
                    f"{inst.id}/{u.id}",
                    u.id,
                    u.name,
                    u.kind,
                    f"{inst.id}/{u.dimension}",
                    k,
                    tuple(base + j for j in u.columns),
                    float(u.low),
                    float(u.high),
                )
            )
        if rs.rejected:
            warnings.append(f"{len(rs.rejected)} row(s) of {path.name} were not scored for {inst.id!r}.")
    if n == 0:
        raise InputError(str(path), "The 360 export has no accepted rows.")
    return Data360(
        tuple(instruments),
        tuple(order),
        tuple(rownum),
        tuple(attrs_by["participant"]),
        tuple(attrs_by["relationship"]),
        tuple(attrs_by["wave"]),
        tuple(attrs_by["cohort"]),
        tuple(comment),
        tuple(units),
        tuple(items),
        np.concatenate(pomp_cols, axis=1),
        np.concatenate(value_cols, axis=1),
        tuple(warnings),
    )


# -- the roster ------------------------------------------------------------------------------


@attrs.frozen
class Person:
    """A row of the participants file."""

    participant: str
    """Participant id, as in the 360 export."""
    name: str
    """Name printed on the report."""
    site: str = ""
    """Site."""
    cohort: str = ""
    """Cohort."""


def read_roster(path: Path) -> dict[str, Person]:
    """Read ``participants.csv`` (participant, name, optional site and cohort)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(str(path), f"Cannot read the participants file: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "The participants file is not UTF-8 text; save it as UTF-8 CSV.") from None
    reader = csv.DictReader(text.splitlines())
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [h for h in ("participant", "name") if h not in headers]
    if missing:
        raise InputError(
            str(path),
            f"Found columns {reader.fieldnames!r}; expected participant and name (site and cohort are optional). "
            f"Missing: {', '.join(missing)}.",
        )
    out: dict[str, Person] = {}
    for row_no, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        pid = row.get("participant", "")
        if not pid:
            continue
        if pid in out:
            raise InputError(str(path), f"Participant {pid!r} appears twice; ids must be unique.", row=row_no)
        out[pid] = Person(pid, row.get("name", "") or pid, row.get("site", ""), row.get("cohort", ""))
    return out


# -- one participant in one wave ---------------------------------------------------------


@attrs.frozen(eq=False)
class Rated:
    """One participant's ratings in one wave, after the rater minimums."""

    counts: dict[str, int]
    """Raters per group."""
    visibility: Visibility
    """What may be shown."""
    self_units: np.ndarray
    """Self 0–100 per unit (NaN without a self-rating)."""
    others_units: np.ndarray
    """All others per unit (NaN when not shown)."""
    group_units: dict[str, np.ndarray]
    """Per shown group."""
    self_items: np.ndarray
    """Self per item."""
    others_items: np.ndarray
    """All others per item."""
    group_items: dict[str, np.ndarray]
    """Per shown group."""
    comments: tuple[str, ...]
    """Comments of the raters in all others."""
    self_comments: tuple[str, ...]
    """The participant's own comments."""
    has_self: bool
    """Whether a self-rating exists."""
    warnings: tuple[str, ...]
    """Problems with this participant's rows."""


def rate(data: Data360, rows: np.ndarray, rules: AnonymityRules) -> Rated:
    """Apply the rater minimums to one participant's rows of one wave."""
    warnings: list[str] = []
    groups: dict[str, list[int]] = {g: [] for g in (SELF, *RATER_GROUPS)}
    for r in rows.tolist():
        group, known = t3.relationship_group(data.relationship[r])
        if group is None:
            warnings.append(f"Row {data.rows[r]}: blank relationship; the row is not used.")
            continue
        if not known:
            warnings.append(
                f"Row {data.rows[r]}: relationship {data.relationship[r]!r} is not one of self, manager, peer, "
                "direct-report, other; it is counted with Others."
            )
        groups[group].append(r)
    self_rows = groups.pop(SELF)
    if len(self_rows) > 1:
        warnings.append(
            f"{len(self_rows)} self-assessments in one wave; the last one in the file (row "
            f"{data.rows[self_rows[-1]]}) is used."
        )
    counts = {g: len(rs) for g, rs in groups.items()}
    vis = t3.decide_visibility(counts, rules)
    n_units, n_items = data.pomp.shape[1], data.values.shape[1]
    nan_u, nan_i = np.full(n_units, np.nan), np.full(n_items, np.nan)
    s = self_rows[-1] if self_rows else None
    self_u = data.pomp[s].copy() if s is not None else nan_u
    self_i = data.values[s].copy() if s is not None else nan_i
    g_units: dict[str, np.ndarray] = {}
    g_items: dict[str, np.ndarray] = {}
    for g in vis.shown:
        idx = np.array(groups[g], dtype=np.intp)
        g_units[g] = t3.group_mean(data.pomp[idx], rules.minimum(g))
        g_items[g] = t3.group_mean(data.values[idx], rules.minimum(g))
    pooled = np.array([r for g in vis.pooled for r in groups[g]], dtype=np.intp)
    if vis.all_others_shown:
        o_units = t3.group_mean(data.pomp[pooled], rules.all_others)
        o_items = t3.group_mean(data.values[pooled], rules.all_others)
        comments = [data.comment[r] for r in pooled.tolist() if data.comment[r]]
    else:
        o_units, o_items, comments = nan_u, nan_i, []
    key = f"{data.participant[rows[0]]}|{data.wave[rows[0]]}" if rows.size else ""
    return Rated(
        counts,
        vis,
        self_u,
        o_units,
        g_units,
        self_i,
        o_items,
        g_items,
        t3.shuffled(comments, key),
        tuple(data.comment[r] for r in self_rows[-1:] if data.comment[r]),
        s is not None,
        tuple(warnings),
    )


# -- building the reports -----------------------------------------------------------------


@attrs.frozen
class BuildOptions:
    """How reports are built."""

    wave: str
    """Wave the reports show."""
    compare_wave: str | None = None
    """Earlier wave to show change from."""
    rules: AnonymityRules = attrs.field(factory=AnonymityRules)
    """Rater minimums."""
    gap_fraction: float = 1 / 3
    """Blind-spot threshold as a share of the scale range."""
    min_cohort: int = 5
    """Participants a cohort needs before its means are shown."""
    programme: str = ""
    """Programme title."""
    client: str = ""
    """Client organisation."""
    consultancy: str = ""
    """Who issues the reports."""
    date: dt.date = attrs.field(factory=dt.date.today)
    """Report date."""
    top: int = 5
    """How many gaps and extreme items to list."""


@attrs.frozen(eq=False)
class Outcome:
    """A participant's report, or why there is none."""

    participant: str
    """Participant id."""
    report: ParticipantReport | None
    """The view-model (None on error)."""
    reason: str = ""
    """Why there is no report."""
    warnings: tuple[str, ...] = ()
    """Problems that did not stop the report."""


def _f(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def _level(data: Data360, unit: UnitRef, score: float | None) -> tuple[int | None, str]:
    from implassess.scoring.engine import level_for

    if score is None:
        return None, ""
    maturity = data.maturity(unit)
    lv = level_for(maturity, score)
    return lv, (maturity.by_number(lv).name if lv is not None else "")


def _unit_order(data: Data360) -> list[int]:
    """Dimension then its facets, instrument by instrument."""
    out: list[int] = []
    for u, unit in enumerate(data.units):
        if unit.kind == "dimension":
            out.append(u)
            out += [f for f, fu in enumerate(data.units) if fu.kind == "facet" and fu.dimension == unit.key]
    return out


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
    a_o = np.array([t3.item_alpha(data.values[np.ix_(rater_rows, u.items)]) for u in data.units])
    a_s = np.array([t3.item_alpha(data.values[np.ix_(self_rows, u.items)]) for u in data.units])
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
    all_fallback: tuple[np.ndarray, ...] | None = None
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
    for p in everyone:
        person = roster.get(p)
        try:
            outcomes.append(_outcome(data, p, person, rated.get(p), rated_base.get(p), refs[cohort_of(p)], options))
        except Exception as exc:  # one participant's data must not stop the batch
            outcomes.append(Outcome(p, None, f"Building the report failed: {type(exc).__name__}: {exc}"))
    summary = _summary(data, cohorts, rated, rated_base, outcomes, options)
    return outcomes, summary


def _outcome(
    data: Data360,
    pid: str,
    person: Person | None,
    now: Rated | None,
    base: Rated | None,
    ref: _Reference,
    options: BuildOptions,
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
    return Outcome(pid, _report(data, person, now, base, ref, options), "", now.warnings)


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
        elif vis.residual_pooled:
            note = f"Not shown: fewer than {m} raters. Any ratings from this group are included in All others."
        else:
            note = (
                f"Not shown: fewer than {m} raters. Any ratings from this group are left out of this report, so "
                "they cannot be worked out from All others."
            )
        infos.append(GroupInfo(g, label, False, None, note))
    if vis.all_others_shown:
        n = sum(counts[g] for g in vis.pooled)
        infos.append(GroupInfo(ALL_OTHERS, GROUP_LABELS[ALL_OTHERS], True, n, "Everyone who rated you, except you."))
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
    for u in _unit_order(data):
        unit = data.units[u]
        inst = data.instruments[unit.instrument]
        others, mine = _f(now.others_units[u]), _f(now.self_units[u])
        olv, oname = _level(data, unit, others)
        slv, sname = _level(data, unit, mine)
        units.append(
            UnitRow(
                unit.key,
                unit.name,
                "dimension" if unit.kind == "dimension" else "facet",
                unit.dimension,
                inst.title,
                mine,
                others,
                olv,
                oname,
                slv,
                sname,
                tuple(_f(now.group_units[g][u]) for g in cols),
                _f(ref.others_mean[u]),
                _f(ref.self_mean[u]),
                _f(unit_gap[u]),
                flags[u],
            )
        )
    spans = np.array([it.high - it.low for it in data.items])
    lows = np.array([it.low for it in data.items])
    item_gap = t3.gap(now.self_items, now.others_items)
    item_rows = [
        ItemRow(
            it.id,
            it.text,
            it.dimension,
            it.low,
            it.high,
            _f(now.self_items[j]),
            _f(now.others_items[j]),
            tuple(_f(now.group_items[g][j]) for g in cols),
            _f(item_gap[j]),
            it.reverse,
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
                for source, b, a, sd, al in (
                    (ALL_OTHERS, base.others_units[u], now.others_units[u], ref.sd_others[u], ref.alpha_others[u]),
                    (SELF, base.self_units[u], now.self_units[u], ref.sd_self[u], ref.alpha_self[u]),
                ):
                    change.append(
                        ChangeRow(
                            unit.key, unit.name, source, _f(b), _f(a), t3.rci(_f(b), _f(a), sd, al), _f(sd), _f(al)
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
            score = _f(scores[i])
            if score is None:
                continue
            observed: float | None
            if c.statistic == "score":
                observed = score
            elif c.statistic == "level":
                observed = float(_level(data, unit, score)[0] or 0)
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
                        0,
                        action.title if action else trig.action,
                        action.description if action else "",
                        action.horizon if action else "",
                        trig.priority,
                        reason,
                        trig.rationale,
                        f"{inst.id}/{trig.action}",
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
        score = _f(scores[unit_i])
        lv, lname = _level(data, unit, score)
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
                    0,
                    action.title,
                    action.description,
                    action.horizon,
                    "",
                    f"Recommended for {unit.name} at level {lv} {lname} ({whose.lower()} score {fmt_score(score)}).",
                    "",
                    key,
                )
            )
    return [attrs.evolve(e, rank=i) for i, e in enumerate(entries, start=1)], basis


# -- the cohort summary ------------------------------------------------------------------


def _summary(
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
        blocks.append(
            _block(
                data, "All participants", [p for m in cohorts.values() for p in m], rated, rated_base, reports, options
            )
        )
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
    for u in _unit_order(data):
        unit = data.units[u]
        o = np.array([r.others_units[u] for r in now])
        s = np.array([r.self_units[u] for r in now])
        g = s - o
        has = ~np.isnan(o)
        flags = t3.flag_gaps(g, 100.0, frac)
        levels = [0] * n_levels
        for v in o[has].tolist():
            lv, _ = _level(data, unit, v)
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
                unit.key,
                unit.name,
                "dimension" if unit.kind == "dimension" else "facet",
                int(has.sum()),
                _f(float(np.nanmean(s))) if enough else None,
                _f(float(np.nanmean(o))) if enough else None,
                _f(float(np.nanmean(g))) if enough else None,
                sum(1 for f in flags if f == "blind-spot") if enough else 0,
                sum(1 for f in flags if f == "hidden-strength") if enough else 0,
                levels if enough else (),
                mean_change,
                improved,
                declined,
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
