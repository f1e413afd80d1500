"""The main job: ``implassess run assessment.toml``.

Read every export once, map it onto each instrument of the battery, score, write the
profile JSON, CSVs and manifests, and render the branded PDF. Every row read is
accounted for: scored, or listed with its reasons in ``rejected-rows.csv``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import attrs

from implassess import __version__, plugins
from implassess.errors import ImplassessError, InputError
from implassess.formats.assessment import Assessment
from implassess.model import Instrument
from implassess.outputs.files import sha256_file, write_atomic

#: Date used in reproducible mode when the assessment names none.
FIXED_DATE = dt.date(2026, 1, 1)


@attrs.frozen
class Member:
    """An instrument of the run with its battery weight and form."""

    instrument: Instrument
    weight: float = 1.0
    form: str | None = None


@attrs.frozen
class RunSummary:
    """What a run wrote and how the rows were accounted for."""

    out_dir: Path
    """Output folder."""
    outputs: dict[str, Path]
    """Name → path of every file written."""
    rows_read: int
    """Data rows read from the survey exports."""
    scored: int
    """Rows scored on at least one instrument and rejected by none."""
    rejected: int
    """Rows set aside (see rejected-rows.csv)."""
    other_wave: int
    """Rows read but left out because they belong to another wave."""
    instruments: tuple[tuple[str, int], ...]
    """(instrument id, respondents scored)."""
    warnings: tuple[str, ...] = ()
    """Things the user should know (unmapped instruments, excluded waves …)."""
    pages: int = 0
    """Pages of the PDF report."""


def members_of(assessment: Assessment) -> list[Member]:
    """The instruments the assessment names, resolved through the plugins."""
    if assessment.battery is not None:
        batteries = plugins.get_batteries()
        if assessment.battery not in batteries:
            from implassess.errors import NotFoundError

            raise NotFoundError("battery", assessment.battery, list(batteries))
        return [
            Member(plugins.get_instrument(m.id), m.weight, m.form) for m in batteries[assessment.battery].instruments
        ]
    out = []
    for ref in assessment.instruments:
        target: str | Path = assessment.resolve(ref) if ref.endswith(".toml") else ref
        out.append(Member(plugins.get_instrument(target)))
    return out


def _rel(path: Path, assessment: Assessment) -> str:
    """A path as the assessment file names it (relative to its folder when inside it)."""
    try:
        return path.resolve().relative_to(Path(assessment.base_dir)).as_posix()
    except ValueError:
        return str(path)


def _wave_slice(rs: Any, wave: str) -> Any:
    import numpy as np

    waves = rs.attributes.get("wave")
    if waves is None:
        raise ImplassessError(f"{rs.source}: the assessment scores wave {wave!r}, but the file has no 'wave' column.")
    keep = np.array([w == wave for w in waves], dtype=bool)
    if not keep.any():
        found = sorted({w for w in waves if w})
        raise ImplassessError(f"{rs.source}: no respondent is in wave {wave!r}; the file has waves {found}.")
    return rs.subset(keep, f"not in wave {wave!r}")


def _check_breakdowns(rs: Any, assessment: Assessment) -> None:
    """Every breakdown column must be an attribute of the export; the error names the assessment key."""
    from implassess.errors import Finding, InstrumentError

    available = sorted(rs.attributes)
    findings = []
    for i, spec in enumerate(assessment.scoring.by):
        for column in (c.strip() for c in spec.split(",")):
            if column not in rs.attributes:
                findings.append(
                    Finding(
                        assessment.source or "assessment",
                        f"scoring.by[{i}]",
                        f"Found {column!r}, which is not an attribute column of {Path(rs.source).name}; "
                        f"expected one of: {', '.join(map(repr, available)) or '(none)'}.",
                        code="unknown-column",
                    )
                )
    if findings:
        raise InstrumentError(findings)


def _refuse_pooled_waves(rs: Any) -> None:
    """Scoring two waves as one sample would mix before and after; the user must choose."""
    waves = sorted({w for w in rs.attributes.get("wave", ()) if w})
    if len(waves) > 1:
        shown = ", ".join(repr(w) for w in waves)
        raise ImplassessError(
            f"{rs.source}: the 'wave' column holds {len(waves)} waves ({shown}); scoring them together would mix "
            f"before and after. Set [scoring] wave = {waves[0]!r} in the assessment (and compare-wave to compare)."
        )


def _targets_by_instrument(path: Path, members: list[Member]) -> dict[str, tuple[Any, ...]]:
    """Split one targets file between the instruments whose dimensions or facets it names."""
    from implassess.scoring.targets import parse_targets, read_structured

    raw = read_structured(path)
    rows = raw.get("targets") if isinstance(raw.get("targets"), list) else []
    out: dict[str, tuple[Any, ...]] = {}
    claimed: set[int] = set()
    for m in members:
        inst = m.instrument
        ids = {d.id for d in inst.dimensions} | {f.id for d in inst.dimensions for f in d.facets}
        mine = [
            (i, r) for i, r in enumerate(rows) if isinstance(r, dict) and (r.get("dimension") or r.get("facet")) in ids
        ]
        claimed |= {i for i, _ in mine}
        if mine:
            out[inst.id] = parse_targets({**raw, "targets": [r for _, r in mine]}, inst, str(path))
    unclaimed = [i for i in range(len(rows)) if i not in claimed]
    if unclaimed:
        from implassess.errors import Finding, InstrumentError

        known = sorted(
            {d.id for m in members for d in m.instrument.dimensions}
            | {f.id for m in members for d in m.instrument.dimensions for f in d.facets}
        )
        findings = []
        for i in unclaimed:
            row = rows[i] if isinstance(rows[i], dict) else {}
            key = "facet" if "facet" in row else "dimension"
            findings.append(
                Finding(
                    str(path),
                    f"targets[{i}].{key}",
                    f"Found {row.get(key)!r}, which no instrument of the assessment has; expected one of: "
                    + ", ".join(map(repr, known))
                    + ".",
                    code="unknown-dimension",
                )
            )
        raise InstrumentError(findings)
    return out


def run_assessment(
    assessment: Assessment,
    *,
    out_dir: Path | None = None,
    reproducible: bool | None = None,
    theme: str | None = None,
) -> RunSummary:
    """Read, score and render everything the assessment asks for.

    ``theme`` overrides the assessment's ``[report] theme`` (a name or a theme TOML path).
    """
    if theme is not None:
        assessment = attrs.evolve(assessment, report=attrs.evolve(assessment.report, theme=theme))
    from implassess import ingest
    from implassess.responses import ResponseSet
    from implassess.scoring import ScoreSettings, score
    from implassess.scoring.norms import load_norms

    reproducible = assessment.report.reproducible if reproducible is None else reproducible
    out = out_dir or assessment.resolve(assessment.outputs.dir)
    out.mkdir(parents=True, exist_ok=True)
    members = members_of(assessment)
    warnings: list[str] = []
    inputs: dict[str, dict[str, Any]] = {}

    # KPI sheet: read once, values split by the instrument that declares them.
    kpi_sheet = None
    kpi_rejected: list[tuple[int, str]] = []
    if assessment.kpis is not None:
        kpath = assessment.resolve(assessment.kpis.path)
        kpi_sheet = ingest.read_kpis(kpath, decimal=assessment.kpis.decimal)
        declared = {k.id for m in members for k in m.instrument.kpis}
        kpi_rejected = [(r.row, "; ".join(r.reasons)) for r in kpi_sheet.rejected]
        kpi_rejected += [
            (v.row, f"column 'kpi': found {v.kpi!r}, which no instrument of this assessment declares")
            for v in kpi_sheet.values
            if v.kpi not in declared
        ]
        inputs[_rel(kpath, assessment)] = {
            "sha256": kpi_sheet.sha256,
            "kind": "kpi sheet",
            "rows_read": kpi_sheet.rows_read,
            "rejected": len(kpi_rejected),
        }

    # Survey exports: each read once, then mapped onto every instrument with items.
    mapped: dict[str, tuple[Any, Path]] = {}
    rows_read = 0
    rejected_rows: dict[tuple[str, int], list[str]] = {}
    scored_rows: set[tuple[str, int]] = set()
    for rf in assessment.responses:
        path = assessment.resolve(rf.path)
        options = {"dictionary": str(assessment.resolve(rf.data_dictionary))} if rf.data_dictionary else None
        raw = ingest.read_table(path, format=None if rf.format == "auto" else rf.format, options=options)
        mapping = ingest.load_mapping(assessment.resolve(rf.mapping)) if rf.mapping else None
        sha = sha256_file(path)
        file_rows = len(raw.rows) + len(raw.rejected)
        rows_read += file_rows
        inputs[_rel(path, assessment)] = {
            "sha256": sha,
            "kind": "responses",
            "reader": raw.format,
            "rows_read": file_rows,
        }
        for m in members:
            if not m.instrument.items or m.instrument.id in mapped:
                continue
            try:
                result = ingest.map_table(
                    raw,
                    m.instrument,
                    form=rf.form or m.form,
                    mapping=mapping,
                    duplicates=rf.duplicates,
                    decimal=rf.decimal,
                    variables=assessment.variables or None,
                    sha256=sha,
                )
            except InputError as exc:
                warnings.append(f"{m.instrument.id}: not in {path.name} ({exc.message})")
                continue
            rs = result.responses
            for rr in rs.rejected:
                rejected_rows.setdefault((path.name, rr.row), []).extend(f"{m.instrument.id}: {r}" for r in rr.reasons)
            inputs[_rel(path, assessment)].setdefault("instruments", {})[m.instrument.id] = {
                "accepted": rs.n,
                "rejected": len(rs.rejected),
                "personal_columns_dropped": list(result.personal),
            }
            mapped[m.instrument.id] = (result, path)

    settings = ScoreSettings(
        by=ScoreSettings.parse_by(list(assessment.scoring.by)), min_group_size=assessment.scoring.min_group_size
    )
    targets = (
        _targets_by_instrument(assessment.resolve(assessment.scoring.targets), members)
        if assessment.scoring.targets
        else {}
    )
    norms = load_norms(assessment.resolve(assessment.scoring.norms)) if assessment.scoring.norms else None

    from implassess.report.viewmodel import ScoredInstrument

    scored: list[ScoredInstrument] = []
    outputs: dict[str, Path] = {}
    changes: dict[str, tuple[Any, Any]] = {}
    for m in members:
        inst = m.instrument
        if inst.id in mapped:
            rs = mapped[inst.id][0].responses
        elif not inst.items and inst.kpis:
            rs = ResponseSet(instrument=inst, respondent_ids=(), values=_empty(len(inst.items)))
        else:
            warnings.append(f"{inst.id}: no export holds its items, so it is not scored.")
            continue
        if inst.items:
            _check_breakdowns(rs, assessment)
        if assessment.scoring.wave and inst.items:
            rs = _wave_slice(rs, assessment.scoring.wave)
        elif inst.items:
            _refuse_pooled_waves(rs)
        if inst.id in mapped:
            scored_rows.update((mapped[inst.id][1].name, r) for r in rs.rows)
        kpi_values = [v for v in kpi_sheet.values if v.kpi in {k.id for k in inst.kpis}] if kpi_sheet else []
        result = score(
            rs,
            settings,
            kpi_values=kpi_values,
            kpi_source=str(assessment.kpis.path) if assessment.kpis else "KPI sheet",
            targets=targets.get(inst.id, ()),
            norms=norms if norms is not None and norms.instrument == inst.id else None,
            reproducible=reproducible,
        )
        written = result.write(out / inst.id, inputs)
        outputs.update({f"{inst.id}/{name}": p for name, p in written.items()})
        scored.append(ScoredInstrument(inst, result, m.weight, m.form))
        if assessment.scoring.compare_wave and inst.items:
            full = mapped[inst.id][0].responses
            written_change, changes[inst.id] = _write_change(full, result, assessment, settings, out, reproducible)
            outputs.update(written_change)
            compared = _wave_slice(full, assessment.scoring.compare_wave)
            scored_rows.update((mapped[inst.id][1].name, r) for r in compared.rows)

    if not scored:
        raise ImplassessError("Nothing was scored: no export holds the items of any instrument in the assessment.")

    rejected_path = out / "rejected-rows.csv"
    _write_rejected(rejected_path, rejected_rows, kpi_rejected, assessment)
    outputs["rejected-rows.csv"] = rejected_path
    rejected_keys = set(rejected_rows)
    n_scored = len(scored_rows - rejected_keys)
    left_out = rows_read - n_scored - len(rejected_keys)
    waves = ", ".join(repr(w) for w in (assessment.scoring.wave, assessment.scoring.compare_wave) if w)
    if left_out:
        warnings.append(f"{left_out} row(s) were read but belong to another wave than {waves}; they are not scored.")
    summary_rows = (rows_read, n_scored, len(rejected_keys))

    pages = 0
    if assessment.outputs.pdf:
        excluded = [(f"Other waves than {waves}", left_out)] if left_out else []
        pdf, pages = _render(
            assessment, scored, summary_rows, rejected_rows, excluded, out, reproducible, warnings, changes
        )
        outputs["report.pdf"] = pdf

    from implassess.report.viewmodel import battery_overall, overall_basis

    overall = battery_overall(scored)
    manifest = {
        "implassess": __version__,
        "overall": {
            "score_0_100": overall,
            "level": members[0].instrument.maturity.level_for(overall) if overall is not None else None,
            "basis": overall_basis(scored) or "the instrument's overall score",
        },
        "generated": "reproducible" if reproducible else dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "assessment": {"client": assessment.client.name, "engagement": assessment.client.engagement},
        "inputs": inputs,
        "rows": {"read": rows_read, "scored": n_scored, "rejected": len(rejected_keys), "other_wave": left_out},
        "instruments": [
            {"id": s.instrument.id, "version": s.instrument.version, "respondents": s.result.profile.data.accepted}
            for s in scored
        ],
        "settings": {
            "by": list(assessment.scoring.by),
            "min_group_size": assessment.scoring.min_group_size,
            "wave": assessment.scoring.wave,
            "theme": assessment.report.theme,
        },
        "outputs": {
            name: {"path": str(p.relative_to(out)), "sha256": sha256_file(p)} for name, p in sorted(outputs.items())
        },
        "warnings": warnings,
    }
    write_atomic(out / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    outputs["manifest.json"] = out / "manifest.json"
    return RunSummary(
        out_dir=out,
        outputs=outputs,
        rows_read=rows_read,
        scored=n_scored,
        rejected=len(rejected_keys),
        other_wave=left_out,
        instruments=tuple((s.instrument.id, s.result.profile.data.accepted) for s in scored),
        warnings=tuple(warnings),
        pages=pages,
    )


def _empty(n_items: int) -> Any:
    import numpy as np

    return np.empty((0, n_items))


def _write_change(
    rs: Any, after: Any, assessment: Assessment, settings: Any, out: Path, reproducible: bool
) -> tuple[dict[str, Path], tuple[Any, Any]]:
    """Score the comparison wave, write the group-level change against ``after`` (this
    wave's result) and return (outputs, (earlier result, changes)) for the report."""
    from implassess.scoring import score
    from implassess.scoring.change import compare_profiles
    from implassess.scoring.profile import dumps, profile_to_dict

    wave, other = assessment.scoring.wave, assessment.scoring.compare_wave
    assert other is not None
    if not wave:
        raise ImplassessError("scoring.compare-wave needs scoring.wave: name the wave to compare against it.")
    before = score(_wave_slice(rs, other), settings, reproducible=reproducible)
    changes = compare_profiles(profile_to_dict(before.profile), profile_to_dict(after.profile))
    path = out / rs.instrument.id / "change.json"
    write_atomic(path, dumps({"from": other, "to": wave, "changes": [attrs.asdict(c) for c in changes]}))
    return {f"{rs.instrument.id}/change.json": path}, (before, changes)


def _write_rejected(
    path: Path, rejected: dict[tuple[str, int], list[str]], kpi_rejected: list[tuple[int, str]], assessment: Assessment
) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["file", "row", "reasons"])
    for (name, row), reasons in sorted(rejected.items()):
        w.writerow([name, row, " | ".join(dict.fromkeys(reasons))])
    if assessment.kpis is not None:
        kname = Path(assessment.kpis.path).name
        for row, reason in sorted(kpi_rejected):
            w.writerow([kname, row, reason])
    write_atomic(path, buf.getvalue())


def _reason_counts(rejected: dict[tuple[str, int], list[str]]) -> list[tuple[str, int]]:
    """Rejected rows per kind of reason (a row counts once per kind)."""
    from implassess.ingest.rows import rejection_kind

    counts: dict[str, int] = {}
    for reasons in rejected.values():
        for kind in {rejection_kind(r.split(": ", 1)[-1]) for r in reasons}:
            counts[kind] = counts.get(kind, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _render(
    assessment: Assessment,
    scored: list[Any],
    rows: tuple[int, int, int],
    rejected: dict[tuple[str, int], list[str]],
    excluded: list[tuple[str, int]],
    out: Path,
    reproducible: bool,
    warnings: list[str],
    changes: dict[str, tuple[Any, Any]],
) -> tuple[Path, int]:
    from implassess.formats.theme import load_theme
    from implassess.report.model import ReportMeta
    from implassess.report.render import render_report
    from implassess.report.viewmodel import build_report_model

    client = assessment.client
    date = dt.date.fromisoformat(client.date) if client.date else (FIXED_DATE if reproducible else dt.date.today())
    title = "Implementation diagnostic"
    if assessment.battery:
        title = plugins.get_batteries()[assessment.battery].title
    meta = ReportMeta(
        client=client.name,
        engagement=client.engagement,
        consultancy=client.consultancy or "Prepared with implassess",
        date=date,
        title=title,
        author=client.consultancy or "implassess",
        subject=f"{client.engagement} for {client.name}",
        keywords=("maturity", "diagnostic", *(s.instrument.id for s in scored)),
        language=client.language,
        confidentiality=client.confidentiality,
    )
    heatmap_by = assessment.report.heatmap_by or (
        assessment.scoring.by[0].split(",")[0] if assessment.scoring.by else None
    )
    model = build_report_model(
        scored,
        meta,
        heatmap_by=heatmap_by,
        variables=dict(assessment.variables),
        rejection_reasons=_reason_counts(rejected),
        rows=rows,
        excluded=excluded,
        min_group_size=assessment.scoring.min_group_size,
        changes=changes,
        change_labels=(assessment.scoring.compare_wave or "", assessment.scoring.wave or ""),
        notes=tuple(warnings),
    )
    theme_ref = assessment.report.theme
    theme = load_theme(assessment.resolve(theme_ref)) if theme_ref.endswith(".toml") else theme_ref
    templates = [assessment.resolve(assessment.report.templates)] if assessment.report.templates else []
    result = render_report(model, theme, out / "report.pdf", template_dirs=templates, reproducible=reproducible)
    return Path(result.path), result.pages
