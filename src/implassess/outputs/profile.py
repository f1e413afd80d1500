"""The files of one scored instrument: ``profile.json``, ``groups.csv``,
``respondents_long.csv``, ``respondents_wide.csv`` and ``manifest.json``.

Each is written atomically into a folder checked to stay inside the output folder.
Numbers are written at full precision (shortest round-trip repr); NaN becomes ``null``
in JSON and an empty cell in CSV; text cells are made safe for spreadsheets.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from implassess.outputs.cells import csv_text, safe_cell
from implassess.outputs.files import write_atomic, write_files
from implassess.outputs.paths import inside
from implassess.outputs.rejected import file_reasons
from implassess.scoring.groups import GroupResult, UnitStats
from implassess.scoring.profile import Profile, clean, dumps, profile_to_dict

if TYPE_CHECKING:
    from implassess.scoring.change import GroupChange
    from implassess.scoring.engine import RespondentScores
    from implassess.scoring.pipeline import ScoringResult

MANIFEST_SCHEMA = "implassess-manifest/1"

#: The files :func:`write_outputs` writes, in order (the manifest last).
FILES = ("profile.json", "groups.csv", "respondents_long.csv", "respondents_wide.csv", "manifest.json")


def _num(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)):
        return "" if not math.isfinite(float(v)) else repr(float(v))
    return str(v)


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
    return csv_text(GROUP_COLUMNS, rows)


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
    """A safe CSV field (RFC 4180): quoted when it holds a comma, quote or line break."""
    text = safe_cell(text)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


@attrs.frozen(eq=False)
class _Formatted:
    """Respondent-level columns as CSV-ready text, shared by the long and wide files."""

    rows: np.ndarray
    """The row of each respondent in the export (files carry rows, never the export's respondent ids)."""
    units: list[tuple[str, str, str, dict[str, np.ndarray]]]

    @classmethod
    def build(cls, scores: RespondentScores) -> _Formatted:
        rs = scores.responses
        n = rs.n
        rows = np.array([str(r) for r in rs.rows] if rs.rows else [""] * n, dtype=object)
        units: list[tuple[str, str, str, dict[str, np.ndarray]]] = []
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
        return cls(rows, units)


def _join(columns: list[np.ndarray]) -> list[str]:
    return [",".join(row) for row in zip(*(c.tolist() for c in columns), strict=True)]


def respondents_wide_csv(scores: RespondentScores, fmt: _Formatted | None = None) -> str:
    """One row per respondent: raw, 0–100, level, items answered and reason per unit; overall.

    No attribute columns: respondent-level files must not be regrouped around the
    minimum group size. Treat them as confidential working files.
    """
    fmt = fmt or _Formatted.build(scores)
    header = ["row"]
    cols = [fmt.rows]
    for uid, _, _, c in fmt.units:
        if uid == "overall":
            header += ["overall.score_0_100", "overall.level", "overall.reason"]
            cols += [c["score"], c["level"], c["reason"]]
            continue
        header += [f"{uid}.raw", f"{uid}.score_0_100", f"{uid}.level", f"{uid}.answered", f"{uid}.reason"]
        cols += [c["raw"], c["score"], c["level"], c["answered"], c["reason"]]
    lines = _join(cols) if len(fmt.rows) else []
    return "".join(line + "\n" for line in [",".join(_quote(h) for h in header), *lines])


def respondents_long_csv(scores: RespondentScores, fmt: _Formatted | None = None) -> str:
    """One row per respondent × unit (and overall): raw, 0–100, level, answered, items, reason."""
    fmt = fmt or _Formatted.build(scores)
    header = "row,unit,kind,raw,score_0_100,level,answered,items,reason"
    n = len(fmt.rows)
    blocks = []
    for uid, kind, k, c in fmt.units:
        const = np.full(n, f"{_quote(uid)},{kind},", dtype=object)
        blocks.append(
            _join(
                [
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
    from implassess._version import __version__

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
                # Rows, not ids: the row number finds a row in the export, and ids are personal data.
                "rejected_rows": [
                    {"row": r.row, "reasons": list(file_reasons(r.reasons, r.respondent))} for r in rs.rejected
                ],
                "warnings": list(rs.warnings),
            },
            "inputs": inputs or {},
            "settings": attrs.asdict(profile.settings),
            # What the release ledger changed (docs/privacy.md): earlier releases of these
            # respondents checked against, and cells hidden because of them.
            "ledger": attrs.asdict(profile.release),
            "outputs": [{"file": k, "sha256": v} for k, v in outputs.items()],
        }
    )


def write_outputs(
    profile: Profile, scores: RespondentScores, outdir: Path, inputs: dict[str, dict[str, Any]] | None = None
) -> dict[str, Path]:
    """Write every output file into ``outdir`` as one (see :func:`~implassess.outputs.files.write_files`);
    returns name → path (manifest last)."""
    paths = {name: inside(outdir, name, owner="A scoring output") for name in FILES}
    fmt = _Formatted.build(scores)
    texts = {
        "profile.json": dumps(profile_to_dict(profile)),
        "groups.csv": groups_csv(profile),
        "respondents_long.csv": respondents_long_csv(scores, fmt),
        "respondents_wide.csv": respondents_wide_csv(scores, fmt),
    }
    hashes = {name: hashlib.sha256(text.encode("utf-8")).hexdigest() for name, text in texts.items()}
    texts["manifest.json"] = dumps(manifest_dict(profile, scores, hashes, inputs))
    # All or nothing: a full disk leaves the old files and manifest as they were, and the old
    # manifest goes before any new file takes its place, so it never describes new files.
    write_files([(paths[name], text) for name, text in texts.items()], invalidate=paths["manifest.json"])
    return paths


def write_scoring(
    result: ScoringResult, outdir: Path, inputs: dict[str, dict[str, Any]] | None = None
) -> dict[str, Path]:
    """Write a scoring result's files (profile, CSVs, manifest) into ``outdir``; name → path."""
    return write_outputs(result.profile, result.respondents, outdir, inputs)


def write_change(
    folder: Path, before: Profile, changes: Iterable[GroupChange], earlier: str | None, later: str | None
) -> Path:
    """Write ``change.json``: the group-level change from wave ``earlier`` to ``later``, and the
    earlier wave's organisation dimension scores (what the report's change section shows)."""
    path = inside(folder, "change.json", owner="The change file")
    doc = {
        "from": earlier,
        "to": later,
        "changes": [attrs.asdict(c) for c in changes],
        "before": {"organisation": {u.id: clean(u.score_0_100) for u in before.organisation.dimensions}},
    }
    write_atomic(path, dumps(doc))
    return path
