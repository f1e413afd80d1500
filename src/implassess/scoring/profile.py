"""The profile record, its JSON form (``docs/profile.schema.json``) and the output writers.

Writers are the I/O edge of scoring: ``profile.json``, ``groups.csv``,
``respondents_long.csv``, ``respondents_wide.csv`` and ``manifest.json``, each written
atomically (temporary file, then ``os.replace``). Numbers are written at full precision
(shortest round-trip repr); NaN becomes ``null`` in JSON and an empty cell in CSV.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from implassess.outputs.files import write_atomic
from implassess.scoring.groups import Breakdown, GroupResult, ScoreSettings, UnitStats
from implassess.scoring.kpis import KpiResult
from implassess.scoring.triggers import TriggeredAction

if TYPE_CHECKING:
    from implassess.scoring.engine import RespondentScores

PROFILE_SCHEMA = "implassess-profile/1"
MANIFEST_SCHEMA = "implassess-manifest/1"
#: Timestamp of reproducible outputs when SOURCE_DATE_EPOCH is not set.
FIXED_TIMESTAMP = "1970-01-01T00:00:00Z"


@attrs.frozen
class LevelInfo:
    """A maturity level and its band."""

    level: int
    """Ordinal."""
    name: str
    """Name."""
    min: float
    """Band lower bound (inclusive)."""
    max: float
    """Band upper bound (exclusive; the top band includes 100)."""


@attrs.frozen
class UnitInfo:
    """How a dimension or facet is scored (for readers of the profile)."""

    id: str
    """Id."""
    kind: str
    """``dimension`` or ``facet``."""
    name: str
    """Display name."""
    dimension: str
    """Parent dimension (itself for a dimension)."""
    weight: float
    """Weight in the overall score."""
    low: float
    """Lowest possible raw score; ``mean``/``sd`` are on low…high."""
    high: float
    """Highest possible raw score."""
    items: tuple[str, ...]
    """Item ids."""
    min_answered: float
    """Share of items needed for a score."""
    source: str
    """``items`` or ``kpis``."""


@attrs.frozen
class InstrumentInfo:
    """The instrument a profile belongs to."""

    id: str
    """Instrument id."""
    version: str
    """Version."""
    title: str
    """Title."""
    rule: str
    """Overall rule: ``weighted-mean`` or ``gating``."""
    method: str
    """Raw score: ``mean`` or ``sum``."""
    levels: tuple[LevelInfo, ...]
    """Maturity levels."""
    units: tuple[UnitInfo, ...]
    """Dimensions then facets."""
    scoring_rule: str | None = None
    """Python scoring rule (from a plugin) that computed the dimension scores; None for the built-in mean."""


@attrs.frozen
class DataSummary:
    """Accounting of the input."""

    source: str
    """File name of the responses."""
    sha256: str
    """Hash of the responses file."""
    rows_read: int
    """Data rows read."""
    accepted: int
    """Respondents scored."""
    rejected: int
    """Rows rejected by the reader (reasons in the manifest)."""
    scored_overall: int
    """Respondents with an overall score."""
    form: str | None = None
    """Instrument form answered."""
    warnings: tuple[str, ...] = ()
    """File-level notes from the reader."""


@attrs.frozen(kw_only=True)
class Profile:
    """Everything scoring found, ready for JSON, CSV and the report."""

    schema: str = PROFILE_SCHEMA
    """Format identifier."""
    generated: str
    """UTC timestamp (fixed in reproducible mode)."""
    instrument: InstrumentInfo
    """Instrument."""
    settings: ScoreSettings
    """Settings used."""
    data: DataSummary
    """Input accounting."""
    organisation: GroupResult
    """Organisation-level results."""
    breakdowns: tuple[Breakdown, ...] = ()
    """Group results per breakdown."""
    kpis: tuple[KpiResult, ...] = ()
    """KPI results."""
    actions: tuple[TriggeredAction, ...] = ()
    """Ranked actions from decision triggers."""
    norms: dict[str, str] | None = None
    """Name, sector, period and file of the norm set used."""


def timestamp(reproducible: bool) -> str:
    """Now in UTC, or the fixed time (SOURCE_DATE_EPOCH when set) for reproducible output."""
    if reproducible:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch and epoch.isdigit():
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return FIXED_TIMESTAMP
    return datetime.now(tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def instrument_info(scores: RespondentScores) -> InstrumentInfo:
    """The :class:`InstrumentInfo` of a scoring run."""
    inst = scores.instrument
    levels = tuple(LevelInfo(lv.level, lv.name, lv.min, lv.max) for lv in inst.maturity.levels)
    units = tuple(
        UnitInfo(
            u.id,
            u.kind,
            u.name,
            u.dimension,
            u.weight,
            u.low,
            u.high,
            tuple(inst.items[j].id for j in u.columns),
            u.min_answered,
            u.source,
        )
        for u in scores.units
    )
    return InstrumentInfo(
        inst.id, inst.version, inst.title, inst.maturity.rule, inst.scoring.method, levels, units, inst.scoring.rule
    )


def clean(value: Any) -> Any:
    """JSON-ready: NaN/inf → None, numpy scalars → Python, tuples → lists, keys → str."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _trim_suppressed(d: dict[str, Any]) -> dict[str, Any]:
    """A suppressed record shows its identity and ``suppressed: true``, no statistic (not even n)."""
    keep = {"id", "kind", "dimension", "key", "label", "suppressed", "reverse"}
    return {k: v for k, v in d.items() if k in keep}


def _walk(d: Any) -> Any:
    if isinstance(d, dict):
        if d.get("suppressed") is True:
            return _trim_suppressed(d)
        return {k: _walk(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_walk(v) for v in d]
    return d


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The profile as the JSON document described by ``docs/profile.schema.json``."""
    return _walk(clean(attrs.asdict(profile)))


def dumps(data: Any) -> str:
    """JSON text: UTF-8, two-space indent, full-precision floats, no NaN."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _num(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)):
        return "" if not math.isfinite(float(v)) else repr(float(v))
    return str(v)


def _csv_text(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


GROUP_COLUMNS = [
    "breakdown",
    "group",
    "unit",
    "kind",
    "suppressed",
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "median",
    "score_0_100",
    "score_ci_low",
    "score_ci_high",
    "level",
    "level_name",
    "alpha",
    "alpha_n",
    "rwg_j",
    "flags",
    "target",
    "gap",
    "priority",
    "norm_z",
    "norm_percentile",
]


def _group_rows(name: str, g: GroupResult) -> Iterator[list[str]]:
    if g.suppressed:
        yield [name, g.label, "", "", "true"] + [""] * (len(GROUP_COLUMNS) - 5)
        return
    units: list[UnitStats] = [u for u in (g.overall, *g.dimensions, *g.facets) if u is not None]
    for u in units:
        if u.suppressed:
            yield [name, g.label, u.id, u.kind, "true"] + [""] * (len(GROUP_COLUMNS) - 5)
            continue
        yield [name, g.label, u.id, u.kind, "false"] + [
            _num(getattr(u, c)) if c != "flags" else ";".join(u.flags) for c in GROUP_COLUMNS[5:]
        ]


def groups_csv(profile: Profile) -> str:
    """Long CSV: one row per breakdown × group × unit (suppressed groups carry no numbers)."""
    rows: list[list[str]] = list(_group_rows("organisation", profile.organisation))
    for b in profile.breakdowns:
        for g in b.groups:
            rows.extend(_group_rows("+".join(b.by), g))
    return _csv_text(GROUP_COLUMNS, rows)


def _fmt_column(values: np.ndarray) -> np.ndarray:
    """Shortest round-trip text of each value ("" for NaN); each distinct value formatted once."""
    uniq, inv = np.unique(values, return_inverse=True)
    text = np.array(["" if math.isnan(v) else repr(v) for v in uniq.tolist()], dtype=object)
    return text[inv.reshape(-1)]


def _int_column(values: np.ndarray, zero: str = "0") -> np.ndarray:
    uniq, inv = np.unique(values, return_inverse=True)
    text = np.array([zero if v == 0 else str(v) for v in uniq.tolist()], dtype=object)
    return text[inv.reshape(-1)]


def _quote(text: str) -> str:
    """A CSV field (RFC 4180): quoted when it holds a comma, quote or line break."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


@attrs.frozen(eq=False)
class _Formatted:
    """Respondent-level columns as CSV-ready text, shared by the long and wide files."""

    ids: np.ndarray
    rows: np.ndarray
    units: list[tuple[str, str, str, dict[str, np.ndarray]]]

    @classmethod
    def build(cls, scores: RespondentScores) -> _Formatted:
        rs = scores.responses
        n = rs.n
        ids = np.array([_quote(i) for i in rs.respondent_ids], dtype=object)
        rows = np.array([str(r) for r in rs.rows] if rs.rows else [""] * n, dtype=object)
        units = []
        for u, unit in enumerate(scores.units):
            if unit.source == "kpis":
                continue
            answered = scores.answered[:, u]
            # the reason depends only on how many items were answered: format each once
            reasons = {
                int(a): _quote(scores.reason(int(i), u) or "")
                for a, i in zip(*np.unique(answered, return_index=True), strict=True)
            }
            reason = np.array([reasons[a] for a in answered.tolist()], dtype=object)
            reason[~np.isnan(scores.raw[:, u])] = ""
            units.append(
                (
                    unit.id,
                    unit.kind,
                    str(len(unit.columns)),
                    {
                        "raw": _fmt_column(scores.raw[:, u]),
                        "score": _fmt_column(scores.pomp[:, u]),
                        "level": _int_column(scores.level[:, u], ""),
                        "answered": _int_column(answered),
                        "reason": reason,
                    },
                )
            )
        dims = [j for j in scores.dimensions() if scores.units[j].source == "items"]
        missing = np.isnan(scores.raw[:, dims]) if dims else np.zeros((n, 0), dtype=bool)
        key = missing @ (1 << np.arange(missing.shape[1], dtype=np.int64)) if dims else np.zeros(n, dtype=np.int64)
        texts = {
            int(k): _quote(scores.overall_reason(int(i)) or "")
            for k, i in zip(*np.unique(key, return_index=True), strict=True)
        }
        units.append(
            (
                "overall",
                "overall",
                "",
                {
                    "raw": np.full(n, "", dtype=object),
                    "score": _fmt_column(scores.overall),
                    "level": _int_column(scores.overall_level, ""),
                    "answered": np.full(n, "", dtype=object),
                    "reason": np.array([texts[k] for k in key.tolist()], dtype=object),
                },
            )
        )
        return cls(ids, rows, units)


def _join(columns: list[np.ndarray]) -> list[str]:
    return [",".join(row) for row in zip(*(c.tolist() for c in columns), strict=True)]


def respondents_wide_csv(scores: RespondentScores, fmt: _Formatted | None = None) -> str:
    """One row per respondent: raw, 0–100, level, items answered and reason per unit; overall.

    No attribute columns: respondent-level files must not be regrouped around the
    minimum group size. Treat them as confidential working files.
    """
    fmt = fmt or _Formatted.build(scores)
    header = ["respondent_id", "row"]
    cols = [fmt.ids, fmt.rows]
    for uid, _, _, c in fmt.units:
        if uid == "overall":
            header += ["overall.score_0_100", "overall.level", "overall.reason"]
            cols += [c["score"], c["level"], c["reason"]]
            continue
        header += [f"{uid}.raw", f"{uid}.score_0_100", f"{uid}.level", f"{uid}.answered", f"{uid}.reason"]
        cols += [c["raw"], c["score"], c["level"], c["answered"], c["reason"]]
    lines = _join(cols) if len(fmt.ids) else []
    return "".join(line + "\n" for line in [",".join(header), *lines])


def respondents_long_csv(scores: RespondentScores, fmt: _Formatted | None = None) -> str:
    """One row per respondent × unit (and overall): raw, 0–100, level, answered, items, reason."""
    fmt = fmt or _Formatted.build(scores)
    header = "respondent_id,row,unit,kind,raw,score_0_100,level,answered,items,reason"
    n = len(fmt.ids)
    blocks = []
    for uid, kind, k, c in fmt.units:
        const = np.full(n, f"{_quote(uid)},{kind},", dtype=object)
        blocks.append(
            _join(
                [
                    fmt.ids,
                    fmt.rows,
                    const + c["raw"],
                    c["score"],
                    c["level"],
                    c["answered"],
                    np.full(n, k, dtype=object),
                    c["reason"],
                ]
            )
        )
    # respondent-major order: all units of a respondent together
    lines = [blocks[b][i] for i in range(n) for b in range(len(blocks))]
    return "".join(line + "\n" for line in [header, *lines])


def manifest_dict(
    profile: Profile, scores: RespondentScores, outputs: dict[str, str], inputs: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The manifest: instrument, input hashes and accounting, settings, output hashes."""
    from implassess import __version__

    rs = scores.responses
    return clean(
        {
            "schema": MANIFEST_SCHEMA,
            "implassess_version": __version__,
            "generated": profile.generated,
            "instrument": {
                "id": profile.instrument.id,
                "version": profile.instrument.version,
                "source": Path(scores.instrument.source).name if scores.instrument.source else "",
            },
            "responses": {
                "file": Path(rs.source).name if rs.source else "",
                "sha256": rs.sha256,
                "rows_read": rs.rows_read,
                "accepted": rs.n,
                "rejected": len(rs.rejected),
                "reconciles": rs.reconciles(),
                "rejected_rows": [
                    {"row": r.row, "respondent": r.respondent, "reasons": list(r.reasons)} for r in rs.rejected
                ],
                "warnings": list(rs.warnings),
            },
            "inputs": inputs or {},
            "settings": attrs.asdict(profile.settings),
            "outputs": [{"file": k, "sha256": v} for k, v in outputs.items()],
        }
    )


def write_outputs(
    profile: Profile, scores: RespondentScores, outdir: Path, inputs: dict[str, dict[str, Any]] | None = None
) -> dict[str, Path]:
    """Write every output file into ``outdir``; returns name → path (manifest last)."""
    fmt = _Formatted.build(scores)
    texts = {
        "profile.json": dumps(profile_to_dict(profile)),
        "groups.csv": groups_csv(profile),
        "respondents_long.csv": respondents_long_csv(scores, fmt),
        "respondents_wide.csv": respondents_wide_csv(scores, fmt),
    }
    hashes = {name: write_atomic(outdir / name, text) for name, text in texts.items()}
    write_atomic(outdir / "manifest.json", dumps(manifest_dict(profile, scores, hashes, inputs)))
    return {name: outdir / name for name in [*texts, "manifest.json"]}
