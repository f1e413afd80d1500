"""Hook implementations of the Northstar Advisory brand pack.

Loading the plugin imports neither reportlab nor the section module: the "About"
section's layout code is imported the first time a report is laid out, so
``implassess --help`` stays light.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from implassess import hookimpl
from implassess.contracts import ReportSection

HERE = Path(__file__).parent
THEME = HERE / "northstar.theme.toml"
TEMPLATES = HERE / "templates"

#: Id, title and position of the pack's section: after the methodology appendix (700).
ABOUT_ID = "about-northstar"
ABOUT_TITLE = "About Northstar Advisory"
ABOUT_ORDER = 950


def _render_about(ctx: Any) -> list[Any]:
    return importlib.import_module("implassess_brand_northstar.about").render_about(ctx)


@hookimpl
def register_themes(register: Callable[[Path], None]) -> None:
    register(THEME)


@hookimpl
def register_report_sections(register: Callable[[ReportSection], None]) -> None:
    register(ReportSection(id=ABOUT_ID, title=ABOUT_TITLE, order=ABOUT_ORDER, render=_render_about))


@hookimpl
def prepare_jinja2_environment(env: jinja2.Environment, purpose: str) -> None:
    # The folder holds the section's own templates (northstar/) and the branded
    # executive summary (report/executive_summary.md.j2), which a client folder passed as
    # template_dirs can still override.
    if purpose == "report":
        env.loader.add_plugin_folder(TEMPLATES)  # type: ignore[union-attr]
