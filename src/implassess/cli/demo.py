"""``implassess demo``: the sample health system, scored and rendered end to end."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from implassess.cli.output import CONTEXT
from implassess.cli.participants import print_participants, progress_bar
from implassess.cli.run import print_summary


@click.command("demo", context_settings=CONTEXT)
@click.option(
    "--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-output"), show_default=True
)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the sample data.")
@click.option("--reproducible", is_flag=True, help="Byte-identical outputs.")
@click.option("--theme", default=None, help="Theme name or theme TOML (default: the bundled assessment's).")
@click.option(
    "--participants/--no-participants",
    "participants_too",
    default=True,
    show_default=True,
    help="Also render the leadership cohort's 360 reports.",
)
def demo(out_dir: Path, seed: int, reproducible: bool, theme: str | None, participants_too: bool) -> None:
    """Generate the sample health system, run the bundled assessment on it (the board
    report) and render the leadership cohort's 360 reports.

    Example: implassess demo --out-dir demo-output
    """
    from implassess.jobs.demo import run_demo

    with progress_bar(participants_too and sys.stderr.isatty()) as progress:
        summary = run_demo(
            out_dir, seed=seed, reproducible=reproducible, theme=theme, participants=participants_too, progress=progress
        )
    click.echo(f"Sample data (seed {seed}) written to {summary.data_dir}; assessment: {summary.assessment}")
    print_summary(summary.run)
    if summary.participants is not None:
        click.echo("\nLeadership programme: one private 360 report per participant (follow-up against baseline).")
        print_participants(summary.participants)
    if not summary.complete:
        click.get_current_context().exit(1)
