"""``implassess run`` and ``implassess demo``: the main job."""

from __future__ import annotations

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


def print_summary(summary: RunSummary, as_json: bool = False) -> None:
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
@click.option(
    "--ledger",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Release ledger folder (default: [scoring] ledger, $IMPLASSESS_LEDGER, else the user's data folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def run(
    assessment_file: Path,
    out_dir: Path | None,
    reproducible: bool | None,
    theme: str | None,
    ledger: Path | None,
    as_json: bool,
) -> None:
    """Read, score and render everything an assessment file asks for: the PDF report,
    profile JSON, CSVs, manifest and rejected rows.

    Example: implassess run engagements/northbridge/assessment.toml
    """
    from implassess.formats.assessment import load_assessment
    from implassess.jobs.run import run_assessment

    summary = run_assessment(
        load_assessment(assessment_file), out_dir=out_dir, reproducible=reproducible, theme=theme, ledger=ledger
    )
    print_summary(summary, as_json)
