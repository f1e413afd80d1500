"""``implassess report RUN_DIR``: render the PDF of a run folder, without reading the exports.

The one code path from a run folder to its PDF: ``implassess run`` calls
:func:`render_run` after writing the folder, and ``implassess report`` calls it later —
for example with another theme after the client has seen a draft.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from implassess.errors import ImplassessError


@attrs.frozen
class ReportSummary:
    """The PDF a render wrote."""

    path: Path
    """The PDF."""
    pages: int
    """Its pages."""
    theme: str
    """Theme used (a name, or the theme TOML's path)."""


def render_run(
    run_dir: Path, *, out: Path | None = None, theme: str | None = None, reproducible: bool = False
) -> ReportSummary:
    """Render the report of the run folder ``run_dir`` to ``out`` (default ``run_dir/report.pdf``).

    ``theme`` (a name, or a theme TOML path relative to the working folder) overrides the
    theme the run recorded. With ``reproducible`` the PDF has fixed dates and IDs, so it is
    byte-identical to the one ``implassess run --reproducible`` wrote into the folder.
    """
    from implassess.formats.theme import load_theme
    from implassess.outputs.lock import folder_lock
    from implassess.report.render import render_report
    from implassess.report.rundir import read_run, report_model

    run = read_run(Path(run_dir))
    try:
        model = report_model(run, reproducible=reproducible)
        recorded_theme, templates = run.report["theme"], run.report.get("templates")
    except (KeyError, TypeError, ValueError) as exc:
        raise ImplassessError(
            f"{run.path / 'manifest.json'}: the 'report' block is damaged ({type(exc).__name__}: {exc}); "
            "run the assessment again to write it anew."
        ) from None
    if theme is not None:
        ref, path = theme, Path(theme)
    else:
        ref, path = recorded_theme, run.path_of(recorded_theme)
    used = load_theme(path) if ref.endswith(".toml") else ref
    dirs = [run.path_of(templates)] if templates else []
    with folder_lock(run.path, "report"):  # re-entrant: `run` already holds it
        result = render_report(
            model, used, out or run.path / "report.pdf", template_dirs=dirs, reproducible=reproducible
        )
    return ReportSummary(Path(result.path), result.pages, str(path) if ref.endswith(".toml") else ref)
