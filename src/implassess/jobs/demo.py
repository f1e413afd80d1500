"""The demo job: the sample health system, scored and rendered end to end.

:func:`run_demo` writes the seeded Northbridge Health sample, copies the bundled
assessment next to it, runs that assessment (the board report) and, unless told not
to, the leadership cohort's 360 reports. It calls the same jobs ``implassess run`` and
``implassess participants`` call.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from implassess.jobs.participants import ParticipantsSummary
    from implassess.jobs.run import RunSummary

#: The battery the sample fields, and the one its 360 is scored on.
SAMPLE_BATTERY = "implementation-leadership-diagnostic"
PARTICIPANTS_BATTERY = "implementation-leadership-360"
#: Bundled files copied next to the sample (from ``templates/demo``).
ASSESSMENT_FILES = ("assessment.toml", "targets.toml")
#: The cover of the demo's 360 reports: fixed, so that every demo shows the same reports.
CLIENT = "Northbridge Health"
CONSULTANCY = "Example Advisory"
REPORT_DATE = dt.date(2026, 11, 23)


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
    """Write the sample into ``out_dir/data``, run the bundled assessment on it and, with
    ``participants``, render the cohort's 360 reports (follow-up against baseline) into
    ``out_dir/participants``.

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
    run = run_assessment(load_assessment(assessment), reproducible=reproducible or None, theme=theme)
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
    )
