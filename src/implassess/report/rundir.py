"""A run folder read back into the report's view-model.

``implassess run`` writes every instrument's ``profile.json``, ``change.json`` (when a
wave is compared), ``rejected-rows.csv`` and a top-level ``manifest.json`` whose
``report`` block holds the rest (client, title, heatmap breakdown, variables, theme,
instruments with their version and content hash …). This module reads those files —
never the survey exports — and builds the :class:`~implassess.report.model.ReportModel`,
so the PDF of a run and a later ``implassess report`` of its folder are the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import attrs
import cattrs

from implassess import plugins
from implassess.errors import ImplassessError
from implassess.model import Instrument
from implassess.report.model import ReportMeta, ReportModel
from implassess.report.viewmodel import Changes, ScoredInstrument, build_report_model
from implassess.scoring.change import GroupChange
from implassess.scoring.profile import Profile

#: Date of a reproducible report when the assessment names none (as ``implassess run``).
FIXED_DATE = dt.date(2026, 1, 1)


@attrs.frozen(kw_only=True)
class RunFolder:
    """What a run folder holds for the report."""

    path: Path
    """The run folder."""
    manifest: dict[str, Any]
    """Its manifest.json."""
    scored: tuple[ScoredInstrument, ...]
    """Each instrument with its profile, weight and form."""
    changes: dict[str, tuple[dict[str, float | None], tuple[GroupChange, ...]]]
    """Instrument id → (earlier wave's organisation scores, group changes), from change.json."""
    rejection_reasons: tuple[tuple[str, int], ...]
    """Rejected rows per kind of reason, from rejected-rows.csv."""

    @property
    def report(self) -> dict[str, Any]:
        """The manifest's ``report`` block."""
        return self.manifest["report"]

    def path_of(self, ref: str) -> Path:
        """A path the manifest records: relative to the run folder, or absolute."""
        p = Path(ref)
        return p if p.is_absolute() else self.path / p


def _json(path: Path, what: str) -> Any:
    if not path.is_file():
        raise ImplassessError(f"{path}: {what} is missing; expected the file `implassess run` wrote there.")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ImplassessError(
            f"{path}: {what} is damaged ({exc}); run the assessment again to write it anew."
        ) from None


def read_run(run_dir: Path) -> RunFolder:
    """Read a run folder: its manifest, each instrument's profile and change, the rejected rows."""
    run_dir = Path(run_dir)
    manifest_path = run_dir / "manifest.json"
    if not run_dir.is_dir() or not manifest_path.is_file():
        raise ImplassessError(
            f"{run_dir} is not a run folder: it has no manifest.json. Expected the output folder of `implassess run`."
        )
    manifest = _json(manifest_path, "the run manifest")
    report = manifest.get("report") if isinstance(manifest, dict) else None
    if not isinstance(report, dict) or not isinstance(report.get("instruments"), list):
        raise ImplassessError(
            f"{manifest_path} has no 'report' block with the run's instruments, so the report cannot be rendered "
            "from it; run the assessment again with this version of implassess."
        )
    scored, changes = [], {}
    for entry in report["instruments"]:
        inst = installed_instrument(entry, run_dir, manifest_path)
        folder = run_dir / inst.id
        profile = load_profile(folder / "profile.json")
        scored.append(ScoredInstrument(inst, profile, float(entry.get("weight", 1.0)), entry.get("form")))
        if (folder / "change.json").exists():
            changes[inst.id] = _change(folder / "change.json")
    ids = [s.instrument.id for s in scored]
    reasons = _rejection_reasons(run_dir / "rejected-rows.csv", report.get("kpi_file"), ids)
    return RunFolder(path=run_dir, manifest=manifest, scored=tuple(scored), changes=changes, rejection_reasons=reasons)


def installed_instrument(entry: dict[str, Any], run_dir: Path, manifest_path: Path) -> Instrument:
    """The installed instrument a manifest entry names, checked to be the one the run used."""
    from implassess.errors import NotFoundError
    from implassess.outputs.provenance import instrument_sha256

    iid, version = entry.get("id"), entry.get("version")
    try:
        if entry.get("file"):
            file = Path(entry["file"]) if Path(entry["file"]).is_absolute() else run_dir / entry["file"]
            inst = plugins.get_instrument(file)
        else:
            inst = plugins.get_instrument(str(iid))
    except NotFoundError:
        where = f" from {entry['file']}" if entry.get("file") else ""
        raise ImplassessError(
            f"{manifest_path}: the run used instrument {iid!r} version {version}{where}, which is not installed; "
            "install the plugin (or restore the file) that provides it to render this run."
        ) from None
    if inst.id != iid or inst.version != version:
        raise ImplassessError(
            f"{manifest_path}: the run used instrument {iid!r} version {version}, but the installed one is "
            f"{inst.id!r} version {inst.version}; install version {version} to render this run."
        )
    if entry.get("sha256") != instrument_sha256(inst):
        raise ImplassessError(
            f"{manifest_path}: the installed instrument {iid!r} version {version} differs from the one the run was "
            "scored with (its content hash changed); run the assessment again, or install the instrument the run used."
        )
    return inst


def _converter() -> cattrs.Converter:
    """Structures profile.json back into records; numbers stay as JSON gave them (an int stays an int)."""
    c = cattrs.Converter()

    def number(value: Any, _: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, found {value!r}")
        return value

    def number_or_text(value: Any, _: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"expected a number or text, found {value!r}")
        return value

    c.register_structure_hook(float, number)
    c.register_structure_hook_func(lambda t: t == (float | str), number_or_text)
    return c


_CONVERTER = _converter()


def load_profile(path: Path) -> Profile:
    """A profile.json back as a :class:`Profile` (suppressed records keep only their identity)."""
    doc = _json(path, "the profile")
    try:
        return _CONVERTER.structure(doc, Profile)
    except Exception as exc:  # cattrs raises several kinds; each means the file is not a profile
        problems = "; ".join(cattrs.transform_error(exc)) if isinstance(exc, cattrs.BaseValidationError) else str(exc)
        raise ImplassessError(
            f"{path}: the profile is damaged ({problems}); run the assessment again to write it anew."
        ) from None


def _change(path: Path) -> tuple[dict[str, float | None], tuple[GroupChange, ...]]:
    doc = _json(path, "the change file")
    try:
        before = doc["before"]["organisation"]
        return dict(before), tuple(_CONVERTER.structure(c, GroupChange) for c in doc["changes"])
    except Exception as exc:
        raise ImplassessError(
            f"{path}: the change file is damaged or from an older implassess ({type(exc).__name__}: {exc}); "
            "run the assessment again to write it anew."
        ) from None


def _rejection_reasons(path: Path, kpi_file: str | None, ids: list[str]) -> tuple[tuple[str, int], ...]:
    """Rejected export rows per kind of reason (a row counts once per kind); KPI rows are not counted."""
    from implassess.ingest.rows import rejection_kind
    from implassess.outputs.cells import safe_cell
    from implassess.outputs.rejected import COLUMNS, REASON_SEPARATOR

    if not path.is_file():
        raise ImplassessError(f"{path}: the rejected rows are missing; expected the file `implassess run` wrote there.")
    # Reasons are joined with " | "; each starts with "<instrument id>: ", so split only there.
    split = re.compile(re.escape(REASON_SEPARATOR) + "(?=(?:" + "|".join(map(re.escape, ids)) + "): )")
    counts: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ImplassessError(f"{path}: expected the columns {', '.join(COLUMNS)}; found {reader.fieldnames!r}.")
        for row in reader:
            if kpi_file is not None and row["file"] == safe_cell(kpi_file):
                continue
            reasons = split.split(row["reasons"]) if ids else [row["reasons"]]
            for kind in {rejection_kind(r.split(": ", 1)[-1]) for r in reasons}:
                counts[kind] = counts.get(kind, 0) + 1
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def report_model(run: RunFolder, *, reproducible: bool = False) -> ReportModel:
    """The view-model of a run folder, as the run's own render built it."""
    report, client = run.report, run.report["client"]
    date = dt.date.fromisoformat(client["date"]) if client.get("date") else None
    meta = ReportMeta(
        client=client["name"],
        engagement=client["engagement"],
        consultancy=client.get("consultancy") or "Prepared with implassess",
        date=date or (FIXED_DATE if reproducible else dt.date.today()),
        title=report["title"],
        author=client.get("consultancy") or "implassess",
        subject=f"{client['engagement']} for {client['name']}",
        keywords=("maturity", "diagnostic", *(s.instrument.id for s in run.scored)),
        language=client["language"],
        confidentiality=client["confidentiality"],
    )
    rows = run.manifest["rows"]
    changes: Changes = run.changes
    return build_report_model(
        run.scored,
        meta,
        heatmap_by=report.get("heatmap_by"),
        variables=dict(report.get("variables") or {}),
        rejection_reasons=run.rejection_reasons,
        rows=(rows["read"], rows["scored"], rows["rejected"]),
        excluded=[(label, n) for label, n in report.get("excluded", [])],
        min_group_size=run.manifest["settings"]["min_group_size"],
        changes=changes,
        change_labels=(report["change"]["from"], report["change"]["to"]),
        notes=tuple(run.manifest.get("warnings", ())),
    )
