"""The main job: ``implassess run assessment.toml``, in five phases.

- :func:`plan` resolves every path the assessment names, once, into a :class:`RunPlan`;
- :func:`read` reads each export once, maps it onto every instrument, reads the KPI
  sheet, targets and norms, and keeps the rows it rejects with their reasons;
- :func:`score` scores each instrument (and the comparison wave) and accounts for rows;
- :func:`write` writes every file through :mod:`implassess.outputs`;
- :func:`render` renders the PDF from what :func:`write` put in the folder, through
  :func:`implassess.jobs.report.render_run`, the code path of ``implassess report``.

Every row read is accounted for: scored, listed with its reasons in ``rejected-rows.csv``,
or left out as another wave.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from implassess import plugins
from implassess._version import __version__
from implassess.errors import ImplassessError, InputError
from implassess.formats.assessment import Assessment
from implassess.formats.mapping import load_mapping
from implassess.ingest.core import READER_OPTIONS
from implassess.model import Instrument
from implassess.outputs.lock import folder_lock
from implassess.outputs.manifest import discard_manifest, output_entries, write_manifest
from implassess.outputs.paths import inside
from implassess.outputs.provenance import input_record, instrument_sha256

if TYPE_CHECKING:
    from implassess.readers.kpi import KpiSheet
    from implassess.scoring.change import GroupChange
    from implassess.scoring.groups import ScoreSettings
    from implassess.scoring.norms import Norms
    from implassess.scoring.pipeline import ScoringResult

#: Report title when the assessment names no battery.
DEFAULT_TITLE = "Implementation diagnostic"


@attrs.frozen
class Member:
    """An instrument of the run with its battery weight and form."""

    instrument: Instrument
    """The instrument."""
    weight: float = 1.0
    """Weight in the battery's overall score."""
    form: str | None = None
    """Form fielded, when the battery names one."""
    file: Path | None = None
    """The instrument's TOML file when the assessment names it by path (None: by id)."""


@attrs.frozen(kw_only=True)
class ExportPlan:
    """One survey export of the assessment, its paths resolved."""

    path: Path
    """The export."""
    key: str
    """Its name in the manifests (relative to the assessment's folder when inside it)."""
    format: str | None
    """Reader to use (None: detect)."""
    options: dict[str, str] | None
    """Reader options (the data dictionary)."""
    mapping: Path | None
    """Mapping file."""
    form: str | None
    """Form answered (None: the battery's)."""
    duplicates: Literal["reject", "latest"]
    """Duplicate policy."""
    decimal: str | None
    """Decimal mark."""


@attrs.frozen(kw_only=True)
class RunPlan:
    """Everything a run needs, every path resolved once (the only caller of ``Assessment.resolve``)."""

    assessment: Assessment
    """The assessment (theme override applied)."""
    out_dir: Path
    """Output folder."""
    reproducible: bool
    """Fixed dates and IDs, byte-identical outputs."""
    members: tuple[Member, ...]
    """Instruments, in order."""
    exports: tuple[ExportPlan, ...]
    """Survey exports."""
    kpi_sheet: Path | None
    """KPI sheet."""
    targets: Path | None
    """Targets file."""
    norms: Path | None
    """Norm set."""
    theme: str | Path
    """Theme name, or the theme TOML."""
    templates: Path | None
    """Narrative templates folder."""
    settings: ScoreSettings
    """Breakdowns and minimum group size."""
    title: str
    """Report title (the battery's)."""
    ledger: Path | None = None
    """Release ledger folder (None: ``$IMPLASSESS_LEDGER`` or the user's data folder)."""

    def key(self, path: Path) -> str:
        """A path as the manifests name it: relative to the assessment's folder when inside it."""
        try:
            return path.resolve().relative_to(Path(self.assessment.base_dir)).as_posix()
        except ValueError:
            return str(path)


@attrs.frozen(kw_only=True)
class ReadResult:
    """What the exports and other inputs held, with row accounting."""

    inputs: dict[str, dict[str, Any]]
    """Provenance of every input, by manifest key."""
    mapped: dict[str, tuple[Any, str]]
    """Instrument id → (ingest result, export file name)."""
    rows_read: int
    """Data rows read from the survey exports."""
    rejected: dict[tuple[str, int], list[str]]
    """(export file name, row) → reasons, each prefixed with the instrument id."""
    kpi_sheet: KpiSheet | None
    """The KPI sheet read."""
    kpi_rejected: tuple[tuple[int, str], ...]
    """(row, reason) of KPI rows set aside."""
    targets: dict[str, tuple[Any, ...]]
    """Instrument id → its targets."""
    norms: Norms | None
    """The norm set."""
    warnings: tuple[str, ...]
    """Instruments no export holds."""


@attrs.frozen(kw_only=True)
class ScoreResult:
    """Every instrument scored, and which rows were."""

    results: tuple[tuple[Member, ScoringResult], ...]
    """Scored members in order."""
    changes: dict[str, tuple[ScoringResult, tuple[GroupChange, ...]]]
    """Instrument id → (the comparison wave's result, group changes)."""
    scored_rows: frozenset[tuple[str, int]]
    """(export file name, row) of every row scored."""
    warnings: tuple[str, ...]
    """Instruments left unscored."""


@attrs.frozen(kw_only=True)
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


def run_assessment(
    assessment: Assessment,
    *,
    out_dir: Path | None = None,
    reproducible: bool | None = None,
    theme: str | None = None,
    ledger: Path | None = None,
) -> RunSummary:
    """Read, score and render everything the assessment asks for.

    ``theme`` overrides the assessment's ``[report] theme`` (a name or a theme TOML path);
    ``ledger`` the release ledger folder (``[scoring] ledger``, ``$IMPLASSESS_LEDGER``).
    """
    the_plan = plan(assessment, out_dir, reproducible, theme, ledger)
    with folder_lock(the_plan.out_dir, "run"):
        the_read = read(the_plan)
        scored = score(the_plan, the_read)
        summary = write(the_plan, the_read, scored)
        return render(the_plan, summary) if the_plan.assessment.outputs.pdf else summary


# -- plan --------------------------------------------------------------------------------------------------------------


def plan(
    assessment: Assessment,
    out_dir: Path | None = None,
    reproducible: bool | None = None,
    theme: str | None = None,
    ledger: Path | None = None,
) -> RunPlan:
    """Resolve every path the assessment names, and its instruments, into one record."""
    from implassess.scoring.groups import ScoreSettings

    if theme is not None:
        assessment = attrs.evolve(assessment, report=attrs.evolve(assessment.report, theme=theme))
    a = assessment
    exports = tuple(
        ExportPlan(
            path=a.resolve(rf.path),
            key="",
            format=None if rf.format == "auto" else rf.format,
            options=reader_options(a, rf),
            mapping=a.resolve(rf.mapping) if rf.mapping else None,
            form=rf.form,
            duplicates=rf.duplicates,
            decimal=rf.decimal,
        )
        for rf in a.responses
    )
    the_plan = RunPlan(
        assessment=a,
        out_dir=out_dir or a.resolve(a.outputs.dir),
        reproducible=a.report.reproducible if reproducible is None else reproducible,
        members=tuple(members_of(a)),
        exports=exports,
        kpi_sheet=a.resolve(a.kpis.path) if a.kpis is not None else None,
        targets=a.resolve(a.scoring.targets) if a.scoring.targets else None,
        norms=a.resolve(a.scoring.norms) if a.scoring.norms else None,
        theme=a.resolve(a.report.theme) if a.report.theme.endswith(".toml") else a.report.theme,
        templates=a.resolve(a.report.templates) if a.report.templates else None,
        settings=ScoreSettings(
            by=ScoreSettings.parse_by(list(a.scoring.by)),
            min_group_size=a.scoring.min_group_size,
            small_groups=a.scoring.small_groups,
            accept_small_groups=a.scoring.accept_small_groups,
        ),
        title=plugins.get_batteries()[a.battery].title if a.battery else DEFAULT_TITLE,
        ledger=ledger or (a.resolve(a.scoring.ledger) if a.scoring.ledger else None),
    )
    return attrs.evolve(the_plan, exports=tuple(attrs.evolve(e, key=the_plan.key(e.path)) for e in exports))


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
        if ref.endswith(".toml"):
            path = assessment.resolve(ref)
            out.append(Member(plugins.get_instrument(path), file=path))
        else:
            out.append(Member(plugins.get_instrument(ref)))
    return out


# -- read --------------------------------------------------------------------------------------------------------------


def reader_options(a: Assessment, rf: Any) -> dict[str, Any]:
    """The reader options of one ``[[responses]]`` entry; its mapping file's ``[options]`` fill the gaps."""
    options: dict[str, Any] = {}
    if rf.mapping:
        mf = load_mapping(a.resolve(rf.mapping))
        options = {k: mf.options[k] for k in READER_OPTIONS if k in mf.options}
    given = {
        "encoding": rf.encoding,
        "delimiter": rf.delimiter,
        "sheet": rf.sheet,
        "review": rf.review,
        "test_responses": rf.test_responses,
        "repeats": rf.repeats,
    }
    options.update({k: v for k, v in given.items() if v})
    if rf.data_dictionary:
        options["dictionary"] = str(a.resolve(rf.data_dictionary))
    return options


def read(the_plan: RunPlan) -> ReadResult:
    """Read the KPI sheet, each export once (mapped onto every instrument with items), targets and norms."""
    from implassess import ingest
    from implassess.formats.norms import load_norms
    from implassess.ingest.attributes import BreakdownError

    inputs: dict[str, dict[str, Any]] = {}
    kpi_sheet, kpi_rejected = _read_kpi_sheet(the_plan, inputs)
    mapped: dict[str, tuple[Any, str]] = {}
    rejected: dict[tuple[str, int], list[str]] = {}
    warnings: list[str] = []
    rows_read = 0
    by_columns = list(dict.fromkeys(c.strip() for spec in the_plan.assessment.scoring.by for c in spec.split(",")))
    for export in the_plan.exports:
        raw = ingest.read_table(
            export.path, format=export.format, options={**(export.options or {}), "breakdowns": tuple(by_columns)}
        )
        mapping = load_mapping(export.mapping) if export.mapping else None
        record = input_record(
            export.path, kind="responses", reader=raw.format, rows_read=len(raw.rows) + len(raw.rejected)
        )
        rows_read += record["rows_read"]
        inputs[export.key] = record
        for m in the_plan.members:
            if not m.instrument.items or m.instrument.id in mapped:
                continue
            try:
                result = ingest.map_table(
                    raw,
                    m.instrument,
                    form=export.form or m.form,
                    mapping=mapping,
                    duplicates=export.duplicates,
                    decimal=export.decimal,
                    variables=the_plan.assessment.variables or None,
                    sha256=record["sha256"],
                    # A breakdown column the file has is read as such, even one no rule knows.
                    breakdowns=[c for c in by_columns if c in raw.columns],
                )
            except BreakdownError:
                raise
            except InputError as exc:
                warnings.append(f"{m.instrument.id}: not in {export.path.name} ({exc.message})")
                continue
            _account(result, m.instrument.id, export.path.name, record, rejected)
            mapped[m.instrument.id] = (result, export.path.name)
    return ReadResult(
        inputs=inputs,
        mapped=mapped,
        rows_read=rows_read,
        rejected=rejected,
        kpi_sheet=kpi_sheet,
        kpi_rejected=tuple(kpi_rejected),
        targets=_targets_by_instrument(the_plan.targets, list(the_plan.members)) if the_plan.targets else {},
        norms=load_norms(the_plan.norms) if the_plan.norms else None,
        warnings=tuple(warnings),
    )


def _read_kpi_sheet(the_plan: RunPlan, inputs: dict[str, dict[str, Any]]) -> tuple[Any, list[tuple[int, str]]]:
    """The KPI sheet, read once (values are split by instrument when scoring), and its rejected rows."""
    from implassess import ingest

    if the_plan.kpi_sheet is None or the_plan.assessment.kpis is None:
        return None, []
    sheet = ingest.read_kpis(the_plan.kpi_sheet, decimal=the_plan.assessment.kpis.decimal)
    declared = {k.id for m in the_plan.members for k in m.instrument.kpis}
    rejected = [(r.row, "; ".join(r.reasons)) for r in sheet.rejected]
    rejected += [
        (v.row, f"column 'kpi': found {v.kpi!r}, which no instrument of this assessment declares")
        for v in sheet.values
        if v.kpi not in declared
    ]
    inputs[the_plan.key(the_plan.kpi_sheet)] = input_record(
        the_plan.kpi_sheet, sha256=sheet.sha256, kind="kpi sheet", rows_read=sheet.rows_read, rejected=len(rejected)
    )
    return sheet, rejected


def _account(
    result: Any, inst_id: str, file: str, record: dict[str, Any], rejected: dict[tuple[str, int], list[str]]
) -> None:
    """Note the rows one instrument's mapping rejected, and its accounting in the export's input record."""
    rs = result.responses
    from implassess.outputs.rejected import file_reasons

    for rr in rs.rejected:
        rejected.setdefault((file, rr.row), []).extend(
            f"{inst_id}: {r}" for r in file_reasons(rr.reasons, rr.respondent)
        )
    record.setdefault("instruments", {})[inst_id] = {
        "accepted": rs.n,
        "rejected": len(rs.rejected),
        "personal_columns_dropped": list(result.personal),
    }


def _targets_by_instrument(path: Path, members: list[Member]) -> dict[str, tuple[Any, ...]]:
    """Split one targets file between the instruments whose dimensions or facets it names."""
    from implassess.errors import Finding, InstrumentError
    from implassess.formats.targets import parse_targets, read_structured

    raw = read_structured(path)
    rows: list[Any] = raw["targets"] if isinstance(raw.get("targets"), list) else []
    out: dict[str, tuple[Any, ...]] = {}
    claimed: set[int] = set()
    for m in members:
        ids = _unit_ids(m.instrument)
        mine = [
            (i, r) for i, r in enumerate(rows) if isinstance(r, dict) and (r.get("dimension") or r.get("facet")) in ids
        ]
        claimed |= {i for i, _ in mine}
        if mine:
            out[m.instrument.id] = parse_targets({**raw, "targets": [r for _, r in mine]}, m.instrument, str(path))
    unclaimed = [i for i in range(len(rows)) if i not in claimed]
    if not unclaimed:
        return out
    known = ", ".join(map(repr, sorted(set().union(*(_unit_ids(m.instrument) for m in members)))))
    findings = []
    for i in unclaimed:
        row = rows[i] if isinstance(rows[i], dict) else {}
        key = "facet" if "facet" in row else "dimension"
        message = f"Found {row.get(key)!r}, which no instrument of the assessment has; expected one of: {known}."
        findings.append(Finding(str(path), f"targets[{i}].{key}", message, code="unknown-dimension"))
    raise InstrumentError(findings)


def _unit_ids(inst: Instrument) -> set[str]:
    return {d.id for d in inst.dimensions} | {f.id for d in inst.dimensions for f in d.facets}


# -- score -------------------------------------------------------------------------------------------------------------


def score(the_plan: RunPlan, the_read: ReadResult) -> ScoreResult:
    """Score every instrument some export holds (or that has only KPIs), and the comparison wave."""
    from implassess.outputs.ledger import Ledger, location, release_lines, score_released

    a = the_plan.assessment
    ledger = Ledger(location(the_plan.ledger))
    results: list[tuple[Member, ScoringResult]] = []
    changes: dict[str, tuple[ScoringResult, tuple[GroupChange, ...]]] = {}
    scored_rows: set[tuple[str, int]] = set()
    warnings: list[str] = []
    for m in the_plan.members:
        inst = m.instrument
        rs = _responses_of(the_plan, the_read, inst)
        if rs is None:
            warnings.append(f"{inst.id}: no export holds its items, so it is not scored.")
            continue
        file = the_read.mapped[inst.id][1] if inst.id in the_read.mapped else ""
        if file:
            scored_rows.update((file, r) for r in rs.rows)
        sheet = the_read.kpi_sheet
        result = score_released(
            rs,
            the_plan.settings,
            ledger=ledger,
            command="run",
            kpi_values=[v for v in sheet.values if v.kpi in {k.id for k in inst.kpis}] if sheet else [],
            kpi_source=str(a.kpis.path) if a.kpis else "KPI sheet",
            targets=the_read.targets.get(inst.id, ()),
            norms=the_read.norms if the_read.norms is not None and the_read.norms.instrument == inst.id else None,
            reproducible=the_plan.reproducible,
            rule=plugins.scoring_rule_for(inst),
        )
        results.append((m, result))
        warnings += [
            f"{inst.id}: {line}"
            for line in release_lines(result.profile.release, the_plan.settings.min_group_size, lowered=False)
        ]
        if a.scoring.compare_wave and inst.items:
            full = the_read.mapped[inst.id][0].responses
            changes[inst.id] = _compare(the_plan, full, result, ledger)
            scored_rows.update((file, r) for r in _wave_slice(full, a.scoring.compare_wave).rows)
    if not results:
        raise ImplassessError("Nothing was scored: no export holds the items of any instrument in the assessment.")
    if the_plan.settings.accept_small_groups:
        warnings[:0] = release_lines(None, the_plan.settings.min_group_size, lowered=True)
    return ScoreResult(
        results=tuple(results), changes=changes, scored_rows=frozenset(scored_rows), warnings=tuple(warnings)
    )


def _responses_of(the_plan: RunPlan, the_read: ReadResult, inst: Instrument) -> Any:
    """The responses to score for an instrument (the chosen wave), an empty set for a KPI-only
    instrument, or None when no export holds its items."""
    import numpy as np

    from implassess.responses import ResponseSet

    a = the_plan.assessment
    if inst.id not in the_read.mapped:
        if not inst.items and inst.kpis:
            return ResponseSet(instrument=inst, respondent_ids=(), values=np.empty((0, len(inst.items))))
        return None
    rs = the_read.mapped[inst.id][0].responses
    if inst.items:
        _check_breakdowns(rs, a)
        if a.scoring.wave:
            return _wave_slice(rs, a.scoring.wave)
        _refuse_pooled_waves(rs)
    return rs


def _compare(
    the_plan: RunPlan, rs: Any, after: ScoringResult, ledger: Any
) -> tuple[ScoringResult, tuple[GroupChange, ...]]:
    """Score the comparison wave and its group-level change to ``after`` (this wave's result)."""
    from implassess.outputs.ledger import score_released
    from implassess.scoring.change import compare_profiles
    from implassess.scoring.profile import profile_to_dict

    wave, other = the_plan.assessment.scoring.wave, the_plan.assessment.scoring.compare_wave
    assert other is not None
    if not wave:
        raise ImplassessError("scoring.compare-wave needs scoring.wave: name the wave to compare against it.")
    rule = plugins.scoring_rule_for(rs.instrument)
    before = score_released(
        _wave_slice(rs, other),
        the_plan.settings,
        ledger=ledger,
        command="run (comparison wave)",
        reproducible=the_plan.reproducible,
        rule=rule,
    )
    return before, compare_profiles(profile_to_dict(before.profile), profile_to_dict(after.profile))


def _wave_slice(rs: Any, wave: str) -> Any:
    from implassess.ingest.waves import select_wave

    return select_wave(rs, wave, set_aside=False)


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
    from implassess.ingest.waves import refuse_pooled_waves

    refuse_pooled_waves(rs, "set [scoring] wave = {wave} in the assessment (and compare-wave to compare)")


# -- write -------------------------------------------------------------------------------------------------------------


def write(the_plan: RunPlan, the_read: ReadResult, scored: ScoreResult) -> RunSummary:
    """Write each instrument's files, the changes, the rejected rows and the run manifest."""
    from implassess.outputs.profile import write_change, write_scoring
    from implassess.outputs.rejected import write_rejected_rows

    out = the_plan.out_dir
    out.mkdir(parents=True, exist_ok=True)
    discard_manifest(out)  # until the new one is written, the folder is visibly unfinished
    outputs: dict[str, Path] = {}
    for m, result in scored.results:
        folder = inside(out, m.instrument.id, owner=f"Instrument id {m.instrument.id!r}")
        outputs.update({f"{m.instrument.id}/{n}": p for n, p in write_scoring(result, folder, the_read.inputs).items()})
        if m.instrument.id in scored.changes:
            before, changes = scored.changes[m.instrument.id]
            a = the_plan.assessment.scoring
            outputs[f"{m.instrument.id}/change.json"] = write_change(
                folder, before.profile, changes, a.compare_wave, a.wave
            )
    kname = the_plan.kpi_sheet.name if the_plan.kpi_sheet else ""
    rows = [(name, row, reasons) for (name, row), reasons in sorted(the_read.rejected.items())]
    rows += [(kname, row, [reason]) for row, reason in sorted(the_read.kpi_rejected)]
    write_rejected_rows(out / "rejected-rows.csv", rows)
    outputs["rejected-rows.csv"] = out / "rejected-rows.csv"
    n_rejected = len(the_read.rejected)
    n_scored = len(scored.scored_rows - set(the_read.rejected))
    left_out = the_read.rows_read - n_scored - n_rejected
    warnings = [*the_read.warnings, *scored.warnings]
    if left_out:
        warnings.append(
            f"{left_out} row(s) were read but belong to another wave than {_waves(the_plan)}; they are not scored."
        )
    summary = RunSummary(
        out_dir=out,
        outputs=outputs,
        rows_read=the_read.rows_read,
        scored=n_scored,
        rejected=n_rejected,
        other_wave=left_out,
        instruments=tuple((m.instrument.id, r.profile.data.accepted) for m, r in scored.results),
        warnings=tuple(warnings),
    )
    manifest = run_manifest(the_plan, the_read, scored, summary)
    outputs["manifest.json"] = write_manifest(out, manifest)
    return summary


def _waves(the_plan: RunPlan) -> str:
    s = the_plan.assessment.scoring
    return ", ".join(repr(w) for w in (s.wave, s.compare_wave) if w)


def run_manifest(the_plan: RunPlan, the_read: ReadResult, scored: ScoreResult, summary: RunSummary) -> dict[str, Any]:
    """The top-level manifest.json: accounting, settings, output hashes, and what rendering needs."""
    from implassess.report.viewmodel import ScoredInstrument, battery_overall, overall_basis

    a = the_plan.assessment
    views = [ScoredInstrument(m.instrument, r.profile, m.weight, m.form) for m, r in scored.results]
    overall = battery_overall(views)
    first = the_plan.members[0].instrument
    return {
        "implassess": __version__,
        "overall": {
            "score_0_100": overall,
            "level": first.maturity.level_for(overall) if overall is not None else None,
            "basis": overall_basis(views) or "the instrument's overall score",
        },
        "generated": "reproducible"
        if the_plan.reproducible
        else dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "assessment": {"client": a.client.name, "engagement": a.client.engagement},
        "inputs": the_read.inputs,
        "rows": {
            "read": summary.rows_read,
            "scored": summary.scored,
            "rejected": summary.rejected,
            "other_wave": summary.other_wave,
        },
        "instruments": [
            {"id": m.instrument.id, "version": m.instrument.version, "respondents": r.profile.data.accepted}
            for m, r in scored.results
        ],
        "settings": {
            "by": list(a.scoring.by),
            "min_group_size": a.scoring.min_group_size,
            "wave": a.scoring.wave,
            "theme": a.report.theme,
        },
        "outputs": output_entries(summary.out_dir, summary.outputs),
        "warnings": list(summary.warnings),
        "report": _report_block(the_plan, scored, summary),
    }


def _report_block(the_plan: RunPlan, scored: ScoreResult, summary: RunSummary) -> dict[str, Any]:
    """What :mod:`implassess.report.rundir` needs besides the profiles to render the PDF again."""
    a, out = the_plan.assessment, the_plan.out_dir
    c = a.client
    return {
        "title": the_plan.title,
        "client": {
            "name": c.name,
            "engagement": c.engagement,
            "consultancy": c.consultancy,
            "date": c.date,
            "language": c.language,
            "confidentiality": c.confidentiality,
        },
        "heatmap_by": a.report.heatmap_by or (a.scoring.by[0].split(",")[0] if a.scoring.by else None),
        "variables": dict(a.variables),
        "theme": _ref(the_plan.theme, out),
        "templates": _ref(the_plan.templates, out) if the_plan.templates else None,
        "excluded": [[f"Other waves than {_waves(the_plan)}", summary.other_wave]] if summary.other_wave else [],
        "change": {"from": a.scoring.compare_wave or "", "to": a.scoring.wave or ""},
        "kpi_file": the_plan.kpi_sheet.name if the_plan.kpi_sheet else None,
        "instruments": [
            {
                "id": m.instrument.id,
                "version": m.instrument.version,
                "sha256": instrument_sha256(m.instrument),
                "weight": m.weight,
                "form": m.form,
                "file": _ref(m.file, out) if m.file else None,
            }
            for m, _ in scored.results
        ],
    }


def _ref(ref: str | Path, out: Path) -> str:
    """A theme name as is; a path relative to the run folder when inside it, else absolute."""
    if isinstance(ref, str):
        return ref
    try:
        return ref.resolve().relative_to(out.resolve()).as_posix()
    except ValueError:
        return str(ref.resolve())


# -- render ------------------------------------------------------------------------------------------------------------


def render(the_plan: RunPlan, summary: RunSummary) -> RunSummary:
    """Render the PDF from the run folder (as ``implassess report`` does) and add it to the manifest."""
    from implassess.jobs.report import render_run
    from implassess.outputs.manifest import add_outputs

    out = summary.out_dir
    pdf = render_run(out, reproducible=the_plan.reproducible)
    outputs = {**summary.outputs, "report.pdf": pdf.path}
    add_outputs(out, {"report.pdf": pdf.path})
    return attrs.evolve(summary, outputs=outputs, pages=pdf.pages)
