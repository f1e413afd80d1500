"""``implassess demo``: the sample health system, scored and rendered end to end."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from implassess.cli.output import CONTEXT
from implassess.cli.participants import print_participants, progress_bar
from implassess.cli.run import print_summary

if TYPE_CHECKING:
    from implassess.jobs.demo import FormRoundTrip


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
    report), read a built-in instrument back from its exported XLSForm, and render the
    leadership cohort's 360 reports.

    Example: implassess demo --out-dir demo-output
    """
    from implassess.jobs.demo import run_demo

    with progress_bar(participants_too and sys.stderr.isatty()) as progress:
        summary = run_demo(
            out_dir, seed=seed, reproducible=reproducible, theme=theme, participants=participants_too, progress=progress
        )
    click.echo(f"Sample data (seed {seed}) written to {summary.data_dir}; assessment: {summary.assessment}")
    print_summary(summary.run)
    print_round_trip(summary.form_round_trip)
    if summary.participants is not None:
        click.echo("\nLeadership programme: one private 360 report per participant (follow-up against baseline).")
        print_participants(summary.participants)
    if not summary.complete:
        click.get_current_context().exit(1)


def print_round_trip(trip: FormRoundTrip) -> None:
    """What the form round trip wrote, how the export mapped, and the scores by site."""
    rs, profile = trip.score.responses, trip.score.result.profile
    asked = " and ".join(f"{b.name} ({len(b.choices)} answers)" for b in trip.breakdowns)
    click.echo(
        f"\nForm round trip: {rs.instrument.id} exported as an XLSForm asking {asked}, recording wave {trip.wave!r}."
    )
    click.echo(f"  Form: {trip.form}")
    click.echo(f"  Answered with the sample's {trip.wave} answers as KoboToolbox exports them: {trip.export}")
    click.echo(
        f"  Read back with no mapping file: {trip.items_mapped} of {len(rs.instrument.items)} items and "
        f"{', '.join(trip.attributes_mapped)} mapped; rows read: {rs.rows_read}; scored: {rs.n}; "
        f"rejected: {len(rs.rejected)}."
    )
    by = profile.breakdowns[0]
    click.echo(f"  Scores by {', '.join(by.by)} (0-100) in {trip.score.outputs['profile.json'].parent}:")
    names = [", ".join(str(v) for v in g.key.values()) for g in by.groups]
    width = max(map(len, names), default=0)
    for name, g in zip(names, by.groups, strict=True):
        if g.suppressed or g.overall is None or g.overall.score_0_100 is None:
            click.echo(
                f"    {name:<{width}}  suppressed (too small, or it would reveal a smaller group by subtraction)"
            )
        else:
            click.echo(f"    {name:<{width}}  n {g.n:>3}  overall {g.overall.score_0_100:.1f}")
