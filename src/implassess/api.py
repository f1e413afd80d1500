"""The Python API: load instruments, read responses, score and render from a notebook.

Example::

    import implassess as ia

    inst = ia.load_instrument("clarity-gaps")
    responses = ia.read_responses("org-survey.csv", inst)
    result = ia.score(responses, by=["site"], min_group_size=5)
    result.profile.organisation.dimensions[0].score_0_100
    ia.render_report([result], "report.pdf", client="Northbridge Health")

Every function raises :class:`implassess.errors.ImplassessError` subclasses with the
same messages the CLI prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from implassess import plugins
from implassess.jobs.participants import run_participants as run_participants

if TYPE_CHECKING:
    from implassess.jobs.run import RunSummary
    from implassess.model import Battery, Instrument
    from implassess.readers.kpi import KpiSheet
    from implassess.responses import ResponseSet
    from implassess.scoring.pipeline import ScoringResult


def list_instruments() -> list[str]:
    """Ids of every loaded instrument (built-in and from plugins)."""
    return sorted(plugins.get_instruments())


def load_instrument(ref: str | Path) -> Instrument:
    """An instrument by id, or loaded (and linted) from a TOML file."""
    return plugins.get_instrument(ref)


def load_battery(battery_id: str) -> Battery:
    """A battery by id."""
    from implassess.errors import NotFoundError

    batteries = plugins.get_batteries()
    if battery_id not in batteries:
        raise NotFoundError("battery", battery_id, list(batteries))
    return batteries[battery_id]


def read_responses(path: str | Path, instrument: Instrument | str, **options: Any) -> ResponseSet:
    """Read a survey export (any supported format) and map it onto an instrument.

    ``options`` are those of :func:`implassess.ingest.read_responses` (``form``,
    ``mapping``, ``format``, ``duplicates``, ``decimal``, ``variables`` …).
    """
    from implassess import ingest

    inst = load_instrument(instrument) if isinstance(instrument, str) else instrument
    return ingest.read_responses(Path(path), inst, **options)


def read_kpis(path: str | Path, instrument: Instrument | str | None = None, *, decimal: str | None = None) -> KpiSheet:
    """Read a KPI sheet (kpi, period, value[, unit, site]) with locale-safe numbers."""
    from implassess import ingest

    inst = load_instrument(instrument) if isinstance(instrument, str) else instrument
    return ingest.read_kpis(Path(path), inst, decimal=decimal)


def score(
    responses: ResponseSet,
    *,
    by: Sequence[str] = (),
    min_group_size: int = 5,
    kpis: KpiSheet | Iterable[Any] = (),
    targets: str | Path | None = None,
    norms: str | Path | None = None,
    reproducible: bool = False,
    small_groups: Literal["suppress", "combine"] = "suppress",
    accept_small_groups: bool = False,
    ledger: str | Path | None = None,
) -> ScoringResult:
    """Score responses into a profile (organisation, groups, KPIs, actions).

    ``by`` names attribute columns to break results down by (``"site,role"`` for a
    combination); groups smaller than ``min_group_size`` are suppressed, and so is whatever
    would reveal them by subtraction (``small_groups="combine"`` pools them into "Other").
    ``ledger`` names a release ledger folder: the result is then checked against, and
    recorded in, everything published from the same responses (as ``score`` and ``run``
    always do). Without it only this result's own groups are checked.
    """
    from implassess.formats.norms import load_norms
    from implassess.formats.targets import load_targets
    from implassess.outputs.ledger import Ledger, score_released
    from implassess.readers.kpi import KpiSheet
    from implassess.scoring import ScoreSettings

    values = kpis.values if isinstance(kpis, KpiSheet) else kpis
    inst = responses.instrument
    settings = ScoreSettings(
        by=ScoreSettings.parse_by(list(by)),
        min_group_size=min_group_size,
        small_groups=small_groups,
        accept_small_groups=accept_small_groups,
    )
    return score_released(
        responses,
        settings,
        ledger=Ledger(Path(ledger)) if ledger is not None else None,
        command="api",
        kpi_values=[v for v in values if getattr(v, "kpi", None) in {k.id for k in inst.kpis}],
        targets=load_targets(Path(targets), inst) if targets else (),
        norms=load_norms(Path(norms)) if norms else None,
        reproducible=reproducible,
        rule=plugins.scoring_rule_for(inst),
    )


def render_report(
    results: Sequence[ScoringResult],
    out_path: str | Path,
    *,
    client: str,
    engagement: str = "Diagnostic",
    consultancy: str = "",
    title: str = "Implementation diagnostic",
    date: dt.date | None = None,
    theme: str = "default",
    heatmap_by: str | None = None,
    variables: dict[str, str] | None = None,
    reproducible: bool = False,
) -> Path:
    """Render the organisation report of one or more scored instruments; returns the PDF path."""
    from implassess.report.model import ReportMeta
    from implassess.report.render import render_report as _render
    from implassess.report.viewmodel import ScoredInstrument, build_report_model

    scored = [ScoredInstrument(r.respondents.instrument, r.profile, form=r.respondents.responses.form) for r in results]
    meta = ReportMeta(
        client=client,
        engagement=engagement,
        consultancy=consultancy or "Prepared with implassess",
        date=date or dt.date.today(),
        title=title,
        author=consultancy or "implassess",
        subject=f"{engagement} for {client}",
        language="en-GB",
    )
    model = build_report_model(
        scored,
        meta,
        heatmap_by=heatmap_by,
        variables=variables,
        min_group_size=results[0].profile.settings.min_group_size,
    )
    return Path(_render(model, theme, Path(out_path), reproducible=reproducible).path)


def run_assessment(
    assessment_file: str | Path,
    *,
    out_dir: str | Path | None = None,
    reproducible: bool | None = None,
    theme: str | None = None,
) -> RunSummary:
    """Run a whole assessment file, as ``implassess run`` does; ``theme`` overrides the assessment's."""
    from implassess.formats.assessment import load_assessment
    from implassess.jobs.run import run_assessment as _run

    return _run(
        load_assessment(Path(assessment_file)),
        out_dir=Path(out_dir) if out_dir else None,
        reproducible=reproducible,
        theme=theme,
    )


def make_sample(
    out_dir: str | Path, *, battery: str = "implementation-leadership-diagnostic", seed: int = 7
) -> list[Path]:
    """Write the seeded sample data set (survey, 360, KPI sheets) into ``out_dir``."""
    from implassess.sample import generate, write_sample

    return write_sample(generate(load_battery(battery), seed=seed), Path(out_dir))
