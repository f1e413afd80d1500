"""``implassess run`` and ``implassess demo``: the main job."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from implassess.jobs.run import RunSummary

CONTEXT = {"help_option_names": ["-h", "--help"]}


def _summary_dict(summary: RunSummary) -> dict[str, object]:
    return {
        "out_dir": str(summary.out_dir),
        "rows": {
            "read": summary.rows_read,
            "scored": summary.scored,
            "rejected": summary.rejected,
            "other_wave": summary.other_wave,
        },
        "instruments": [{"id": i, "respondents": n} for i, n in summary.instruments],
        "pages": summary.pages,
        "outputs": {name: str(path) for name, path in sorted(summary.outputs.items())},
        "warnings": list(summary.warnings),
    }


def _print_summary(summary: RunSummary, as_json: bool = False) -> None:
    if as_json:
        import json

        click.echo(json.dumps(_summary_dict(summary), indent=2, ensure_ascii=False))
        return
    other = f"; other wave: {summary.other_wave}" if summary.other_wave else ""
    click.echo(
        f"Rows read: {summary.rows_read}; scored: {summary.scored}; rejected: {summary.rejected} "
        f"(reasons in rejected-rows.csv){other}."
    )
    for inst, n in summary.instruments:
        click.echo(f"  {inst}: {n} respondents")
    for w in summary.warnings:
        click.echo(f"Note: {w}", err=True)
    pdf = summary.outputs.get("report.pdf")
    if pdf is not None:
        click.echo(f"Report: {pdf} ({summary.pages} pages)")
    click.echo(f"All outputs ({len(summary.outputs)} files, listed in manifest.json): {summary.out_dir}")


@click.command("run", context_settings=CONTEXT)
@click.argument("assessment_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: [outputs] dir of the assessment).",
)
@click.option("--reproducible", is_flag=True, default=None, help="Byte-identical outputs (fixed dates).")
@click.option("--theme", default=None, help="Theme name or theme TOML, overriding the assessment's.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def run(
    assessment_file: Path, out_dir: Path | None, reproducible: bool | None, theme: str | None, as_json: bool
) -> None:
    """Read, score and render everything an assessment file asks for: the PDF report,
    profile JSON, CSVs, manifest and rejected rows.

    Example: implassess run engagements/northbridge/assessment.toml
    """
    from implassess.formats.assessment import load_assessment
    from implassess.jobs.run import run_assessment

    summary = run_assessment(load_assessment(assessment_file), out_dir=out_dir, reproducible=reproducible, theme=theme)
    _print_summary(summary, as_json)


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
    _print_summary(summary)
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
