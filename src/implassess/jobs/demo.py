"""The demo job: the sample health system, scored and rendered end to end.

:func:`run_demo` writes the seeded Northbridge Health sample, copies the bundled
assessment next to it, runs that assessment (the board report), shows a built-in
instrument making the round trip through a survey tool (:func:`form_round_trip`) and,
unless told not to, renders the leadership cohort's 360 reports. It calls the same jobs
``implassess run``, ``instruments export``, ``score`` and ``participants`` call.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from implassess.formats.assessment import Assessment
    from implassess.ingest.columns import ColumnMapping
    from implassess.jobs.participants import ParticipantsSummary
    from implassess.jobs.run import RunSummary
    from implassess.jobs.score import ScoreSummary
    from implassess.outputs.instrument_export import Breakdown
    from implassess.sample import SampleData

#: The battery the sample fields, and the one its 360 is scored on.
SAMPLE_BATTERY = "implementation-leadership-diagnostic"
PARTICIPANTS_BATTERY = "implementation-leadership-360"
#: Bundled files copied next to the sample (from ``templates/demo``).
ASSESSMENT_FILES = ("assessment.toml", "targets.toml")
#: The cover of the demo's 360 reports: fixed, so that every demo shows the same reports.
CLIENT = "Northbridge Health"
CONSULTANCY = "Example Advisory"
REPORT_DATE = dt.date(2026, 11, 23)
#: The built-in instrument the demo exports as an XLSForm and reads back, the wave its form
#: records, the breakdown it is scored by, and the folder (in ``out_dir``) it all goes to.
FORM_INSTRUMENT = "clarity-gaps"
FORM_WAVE = "baseline"
FORM_BY = "site"
FORM_DIR = "form-roundtrip"


@attrs.frozen(kw_only=True)
class FormRoundTrip:
    """A built-in instrument exported as a form, answered, exported by the tool and scored."""

    form: Path
    """The XLSForm written by ``instruments export`` (with the assessment's breakdowns)."""
    export: Path
    """The sample's answers to it, as KoboToolbox exports them."""
    breakdowns: tuple[Breakdown, ...]
    """The breakdown questions the form asks."""
    wave: str
    """The wave the form records with every response."""
    columns: tuple[ColumnMapping, ...]
    """How each column of the export was read, with no mapping file."""
    score: ScoreSummary
    """The export scored by :data:`FORM_BY` (its files are in ``form.parent / "scores"``)."""

    @property
    def items_mapped(self) -> int:
        """Items of the instrument a column was read as."""
        return len({m.target for m in self.columns if m.role == "item"})

    @property
    def attributes_mapped(self) -> tuple[str, ...]:
        """Attributes a column was read as, in column order."""
        return tuple(m.target or "" for m in self.columns if m.role == "attribute")


@attrs.frozen(kw_only=True)
class DemoSummary:
    """What the demo wrote."""

    out_dir: Path
    """Folder holding everything."""
    seed: int
    """Seed of the sample data."""
    data_dir: Path
    """The sample exports (``out_dir/data``)."""
    assessment: Path
    """The bundled assessment file, copied into ``out_dir``."""
    sample_files: tuple[Path, ...]
    """Files of the sample data set, in the order written."""
    run: RunSummary
    """The assessment run (board report, profiles, CSVs)."""
    participants: ParticipantsSummary | None
    """The leadership cohort's 360 batch (None when not asked for)."""
    form_round_trip: FormRoundTrip
    """The built-in instrument read back from its exported form."""

    @property
    def complete(self) -> bool:
        """Every participant asked for has a report, and the cohort summary was written."""
        return self.participants is None or self.participants.complete


def run_demo(
    out_dir: Path,
    *,
    seed: int = 7,
    reproducible: bool = False,
    theme: str | None = None,
    participants: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Write the sample into ``out_dir/data``, run the bundled assessment on it, make the
    form round trip into ``out_dir/form-roundtrip`` and, with ``participants``, render the
    cohort's 360 reports (follow-up against baseline) into ``out_dir/participants``.

    ``theme`` (a name or theme TOML) overrides the assessment's theme and is used for the
    360 reports (default: ``default``). ``progress`` is passed to
    :func:`~implassess.jobs.participants.run_participants`.
    """
    from implassess import plugins
    from implassess.formats.assessment import load_assessment
    from implassess.jobs.participants import run_participants
    from implassess.jobs.run import run_assessment
    from implassess.resources import data_dir
    from implassess.sample import generate, write_sample

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = generate(plugins.get_batteries()[SAMPLE_BATTERY], seed=seed)
    sample_files = write_sample(data, out_dir / "data", ("generic", "qualtrics"))
    for name in ASSESSMENT_FILES:
        shutil.copyfile(data_dir("templates") / "demo" / name, out_dir / name)
    assessment = out_dir / ASSESSMENT_FILES[0]
    loaded = load_assessment(assessment)
    run = run_assessment(loaded, reproducible=reproducible or None, theme=theme)
    round_trip = form_round_trip(out_dir / FORM_DIR, loaded, data, reproducible=reproducible)
    batch = None
    if participants:
        batch = run_participants(
            out_dir / "data" / "leadership-360.csv",
            out_dir / "data" / "participants.csv",
            battery=PARTICIPANTS_BATTERY,
            out_dir=out_dir / "participants",
            workers=2,
            wave="follow-up",
            compare_wave="baseline",
            theme=theme or "default",
            reproducible=reproducible,
            client=CLIENT,
            consultancy=CONSULTANCY,
            date=REPORT_DATE,
            progress=progress,
        )
    return DemoSummary(
        out_dir=out_dir,
        seed=seed,
        data_dir=out_dir / "data",
        assessment=assessment,
        sample_files=tuple(sample_files),
        run=run,
        participants=batch,
        form_round_trip=round_trip,
    )


def form_round_trip(
    folder: Path, assessment: Assessment, data: SampleData, *, reproducible: bool = False
) -> FormRoundTrip:
    """Export :data:`FORM_INSTRUMENT` as an XLSForm asking the assessment's breakdowns, answer it
    with the sample's :data:`FORM_WAVE` answers as KoboToolbox exports them, and score that
    export by :data:`FORM_BY` with no mapping file, into ``folder``.

    The breakdowns' answers come from the assessment's response files, as with
    ``instruments export --assessment``.
    """
    from implassess import plugins
    from implassess.ingest import ingest
    from implassess.jobs.score import score_export
    from implassess.outputs.files import write_atomic
    from implassess.outputs.instrument_export import assessment_breakdowns, export_instrument
    from implassess.readers.xlsx import read_sheet
    from implassess.sample.forms import kobo_csv, kobo_export

    instrument = plugins.get_instrument(FORM_INSTRUMENT)
    breakdowns, _ = assessment_breakdowns(assessment, instrument)
    form = folder / f"{instrument.id}.xlsx"
    book = export_instrument(
        instrument, "xlsform", variables=assessment.variables or None, breakdowns=breakdowns, wave=FORM_WAVE
    )
    write_atomic(form, book)
    # Filled from the workbook as written, the way a form tool reads it.
    sheets = {
        name: [["" if v is None else str(v) for v in values] for _, values in read_sheet(form, name).rows]
        for name in ("survey", "choices")
    }
    export = folder / f"{instrument.id}-kobo-export.csv"
    write_atomic(export, kobo_csv(kobo_export(data, sheets["survey"], sheets["choices"], FORM_WAVE)))
    columns = ingest(export, instrument, keep_table=False).columns
    # The round trip publishes the board report's site groups again, from the same respondents.
    # It is a demonstration, so it is kept out of the release ledger: recorded there, it would
    # count as an earlier release in every later run of the assessment, and change its report.
    with tempfile.TemporaryDirectory(prefix="implassess-demo-ledger-") as ledger:
        score = score_export(
            export, instrument.id, folder / "scores", by=(FORM_BY,), reproducible=reproducible, ledger=Path(ledger)
        )
    return FormRoundTrip(
        form=form,
        export=export,
        breakdowns=tuple(breakdowns),
        wave=FORM_WAVE,
        columns=columns,
        score=score,
    )
