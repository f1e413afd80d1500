"""``implassess report``: render the PDF of a run folder again."""

from __future__ import annotations

from pathlib import Path

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.command("report", context_settings=CONTEXT)
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--theme", default=None, help="Theme name or theme TOML, overriding the one the run used.")
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="PDF to write (default: RUN_DIR/report.pdf).",
)
@click.option("--reproducible", is_flag=True, help="Byte-identical output (fixed dates and IDs).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def report(run_dir: Path, theme: str | None, out: Path | None, reproducible: bool, as_json: bool) -> None:
    """Render the PDF report of a run folder again, from the profiles and manifest
    `implassess run` wrote there; the survey exports are not read.

    Example: implassess report engagements/northbridge/output --theme acme.toml -o draft-2.pdf
    """
    from implassess.jobs.report import render_run

    result = render_run(run_dir, out=out, theme=theme, reproducible=reproducible)
    if as_json:
        import json

        data = {"run_dir": str(run_dir), "pdf": str(result.path), "pages": result.pages, "theme": result.theme}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"Report: {result.path} ({result.pages} pages, theme {result.theme}).")
