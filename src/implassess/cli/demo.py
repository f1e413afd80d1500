"""``implassess demo``: the sample health system, scored and rendered end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from implassess.cli.run import print_summary

CONTEXT = {"help_option_names": ["-h", "--help"]}


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
    from implassess import plugins
    from implassess.formats.assessment import load_assessment
    from implassess.jobs.run import run_assessment
    from implassess.resources import data_dir
    from implassess.sample import generate, write_sample

    out_dir.mkdir(parents=True, exist_ok=True)
    data = generate(plugins.get_batteries()["implementation-leadership-diagnostic"], seed=seed)
    write_sample(data, out_dir / "data", ("generic", "qualtrics"))
    for name in ("assessment.toml", "targets.toml"):
        shutil.copyfile(data_dir("templates") / "demo" / name, out_dir / name)
    click.echo(f"Sample data (seed {seed}) written to {out_dir / 'data'}; assessment: {out_dir / 'assessment.toml'}")
    summary = run_assessment(
        load_assessment(out_dir / "assessment.toml"), reproducible=reproducible or None, theme=theme
    )
    print_summary(summary)
    if participants_too:
        from implassess.cli.participants import participants

        click.echo("\nLeadership programme: one private 360 report per participant (follow-up against baseline).")
        click.get_current_context().invoke(
            participants,
            responses=out_dir / "data" / "leadership-360.csv",
            roster_path=out_dir / "data" / "participants.csv",
            battery="implementation-leadership-360",
            out_dir=out_dir / "participants",
            workers=2,
            wave="follow-up",
            compare_wave="baseline",
            theme=theme or "default",
            reproducible=reproducible,
            client="Northbridge Health",
            consultancy="Example Advisory",
            date_text="2026-11-23",
        )
