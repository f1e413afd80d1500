"""The ``implassess sample`` command: write the Northbridge Health sample data set.

The job is :func:`implassess.jobs.sample.run_sample`; the generator (and numpy) load
only when the command runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

FORMATS = {"generic": ("generic",), "qualtrics": ("qualtrics",), "both": ("generic", "qualtrics")}


@click.command("sample", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--battery",
    "ref",
    default="implementation-leadership-diagnostic",
    show_default=True,
    help="Battery or instrument to field: an id, or a path to its TOML file.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed; the same seed gives the same files.")
@click.option(
    "--respondents",
    type=click.IntRange(min=40),
    default=400,
    show_default=True,
    help="Organisation-survey respondents over both waves.",
)
@click.option(
    "--participants",
    type=click.IntRange(min=1),
    default=24,
    show_default=True,
    help="Leadership-programme participants in the 360.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATS)),
    default="both",
    show_default=True,
    help="Layout of the organisation survey: a plain CSV, a Qualtrics export, or both.",
)
@click.option(
    "-o",
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write into (created if missing; existing sample files are overwritten).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the files written as JSON.")
def sample(ref: str, seed: int, respondents: int, participants: int, fmt: str, out_dir: Path, as_json: bool) -> None:
    """Write a reproducible sample data set for a fictional health system, Northbridge Health.

    Writes an organisation survey (two waves, with the blanks, malformed rows and
    duplicates real exports have), a leadership 360, a KPI sheet (also with decimal
    commas) and a README describing them.

    Example: implassess sample --seed 7 -o sample-data
    """
    from implassess.jobs.sample import run_sample

    paths = run_sample(
        ref, out_dir, seed=seed, respondents=respondents, participants=participants, formats=FORMATS[fmt]
    )
    if as_json:
        click.echo(json.dumps({"seed": seed, "files": [str(p) for p in paths]}, indent=2))
        return
    for path in paths:
        click.echo(str(path))
