"""The scored 360 export and one participant's ratings in one wave, after the rater minimums.

:func:`load_360` reads and scores the export once per instrument of the battery and lines
the rows up by respondent id; :func:`rate` keeps one participant's rows of one wave and
applies :func:`~implassess.participants.three_sixty.decide_visibility`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import numpy as np

from implassess.errors import InputError
from implassess.outputs.rejected import file_reasons
from implassess.participants import three_sixty as t3
from implassess.participants.model import RATER_GROUPS, SELF, AnonymityRules, Visibility

if TYPE_CHECKING:
    from implassess.model import Instrument, MaturityModel


# -- the scored export ----------------------------------------------------------------------


@attrs.frozen(eq=False, kw_only=True)
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


@attrs.frozen(eq=False, kw_only=True)
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
    source: str = ""
    """The export's file name."""
    rows_read: int = 0
    """Data rows read from the export (every instrument reads the same rows)."""
    rejections: tuple[tuple[str, int, tuple[str, ...]], ...] = ()
    """(instrument id, row, reasons) for every row an instrument's reading rejected."""

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
    """Read and score a 360 export for every instrument, rows lined up by their row in the file."""
    from implassess.ingest import read_responses
    from implassess.plugins import scoring_rule_for
    from implassess.scoring.engine import score_respondents

    scored = []
    for inst in instruments:
        forms = {f.id for f in inst.forms}
        rs = read_responses(
            path, inst, form="rater" if "rater" in forms else None, format=format, mapping=mapping, all_waves=True
        )
        for needed in ("participant", "relationship"):
            if needed not in rs.attributes and any(
                "personal" in w.lower() and repr(needed) in w.lower() for w in rs.warnings
            ):
                raise InputError(
                    str(path),
                    f"The 360 export's {needed!r} column was dropped because its values look like personal data "
                    "(e-mail addresses, phone numbers or the like), so reports could not be matched to people. "
                    f'If it only identifies whom each form is about, say so in a mapping file: "{needed}" = '
                    f'"attribute:{needed}" under [columns] (or list it under [privacy] not-personal), and pass '
                    "--mapping.",
                    column=needed,
                )
            if needed not in rs.attributes:
                raise InputError(
                    str(path),
                    f"The 360 export has no {needed!r} column; expected columns participant, relationship "
                    "(self, manager, peer, direct-report, other) and optionally wave, then the item columns.",
                )
        scored.append((inst, rs, score_respondents(rs, scoring_rule_for(inst))))

    # One record per line of the export, keyed by its row number: a rater id can appear
    # in several waves (or for several participants), and those rows must never merge.
    order: dict[int, int] = {}
    for _, rs, _ in scored:
        for row in rs.rows:
            order.setdefault(row, len(order))
    n = len(order)
    attrs_by: dict[str, list[str]] = {k: [""] * n for k in ("participant", "relationship", "wave", "cohort")}
    comment = [""] * n
    rownum = [0] * n
    ids = [""] * n
    units: list[UnitRef] = []
    items: list[ItemRef] = []
    pomp_cols: list[np.ndarray] = []
    value_cols: list[np.ndarray] = []
    warnings: list[str] = []
    rejections = [
        (inst.id, rr.row, file_reasons(rr.reasons, rr.respondent)) for inst, rs, _ in scored for rr in rs.rejected
    ]
    for k, (inst, rs, sc) in enumerate(scored):
        where = np.array([order[r] for r in rs.rows], dtype=np.intp)
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
            if not ids[i]:
                ids[i] = rs.respondent_ids[r]
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
                    key=f"{inst.id}/{u.id}",
                    id=u.id,
                    name=u.name,
                    kind=u.kind,
                    dimension=f"{inst.id}/{u.dimension}",
                    instrument=k,
                    items=tuple(base + j for j in u.columns),
                    low=float(u.low),
                    high=float(u.high),
                )
            )
        if rs.rejected:
            warnings.append(f"{len(rs.rejected)} row(s) of {path.name} were not scored for {inst.id!r}.")
    if n == 0:
        first = min(rejections, key=lambda r: r[1], default=None)
        detail = f" Row {first[1]}: {'; '.join(first[2])}" if first else ""
        raise InputError(
            str(path),
            f"The 360 export has no accepted rows ({max((rs.rows_read for _, rs, _ in scored), default=0)} read, "
            f"all rejected).{detail}",
        )
    return Data360(
        instruments=tuple(instruments),
        respondent_ids=tuple(ids),
        rows=tuple(rownum),
        participant=tuple(attrs_by["participant"]),
        relationship=tuple(attrs_by["relationship"]),
        wave=tuple(attrs_by["wave"]),
        cohort=tuple(attrs_by["cohort"]),
        comment=tuple(comment),
        units=tuple(units),
        items=tuple(items),
        pomp=np.concatenate(pomp_cols, axis=1),
        values=np.concatenate(value_cols, axis=1),
        warnings=tuple(warnings),
        source=path.name,
        rows_read=max((rs.rows_read for _, rs, _ in scored), default=0),
        rejections=tuple(rejections),
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
    reader = csv.DictReader(io.StringIO(text, newline=""))
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


@attrs.frozen(eq=False, kw_only=True)
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
        floor = max(rules.minimum(g) for g in groups)
        shown_u = [(data.pomp[np.array(groups[g], dtype=np.intp)], g_units[g]) for g in vis.shown]
        shown_i = [(data.values[np.array(groups[g], dtype=np.intp)], g_items[g]) for g in vis.shown]
        o_units = t3.hide_small_remainders(
            data.pomp[pooled], t3.group_mean(data.pomp[pooled], rules.all_others), shown_u, floor
        )
        o_items = t3.hide_small_remainders(
            data.values[pooled], t3.group_mean(data.values[pooled], rules.all_others), shown_i, floor
        )
        comments = [data.comment[r] for r in pooled.tolist() if data.comment[r]]
    else:
        o_units, o_items, comments = nan_u, nan_i, []
    key = f"{data.participant[rows[0]]}|{data.wave[rows[0]]}" if rows.size else ""
    return Rated(
        counts=counts,
        visibility=vis,
        self_units=self_u,
        others_units=o_units,
        group_units=g_units,
        self_items=self_i,
        others_items=o_items,
        group_items=g_items,
        comments=t3.shuffled(comments, key),
        self_comments=tuple(data.comment[r] for r in self_rows[-1:] if data.comment[r]),
        has_self=s is not None,
        warnings=tuple(warnings),
    )


# -- helpers ----------------------------------------------------------------------------------


def opt_float(x: float | None) -> float | None:
    """``x`` as a float, None for None and NaN."""
    return None if x is None or math.isnan(x) else float(x)


def level_of(data: Data360, unit: UnitRef, score: float | None) -> tuple[int | None, str]:
    """Maturity level and its name of a 0–100 score on a unit (None, "" for no score)."""
    from implassess.scoring.engine import level_for

    if score is None:
        return None, ""
    maturity = data.maturity(unit)
    lv = level_for(maturity, score)
    return lv, (maturity.by_number(lv).name if lv is not None else "")


def unit_order(data: Data360) -> list[int]:
    """Dimension then its facets, instrument by instrument."""
    out: list[int] = []
    for u, unit in enumerate(data.units):
        if unit.kind == "dimension":
            out.append(u)
            out += [f for f, fu in enumerate(data.units) if fu.kind == "facet" and fu.dimension == unit.key]
    return out
