"""The built-in sections of the organisation report.

Registered through ``register_report_sections`` like a plugin's. Orders are multiples
of 100 so a plugin can slot a section in between (e.g. ``order=350`` after the
dimension pages). The render functions import reportlab only when a report is laid
out, so loading plugins (``implassess --help``) stays light.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from implassess.contracts import ReportSection
from implassess.hookspecs import hookimpl

#: (id, title, order, module, function) of each built-in section.
BUILTIN_SECTIONS: tuple[tuple[str, str, int, str, str], ...] = (
    ("executive-summary", "Executive summary", 100, "sections", "executive_summary"),
    ("maturity-radar", "Maturity profile", 200, "sections", "maturity_radar"),
    ("change", "Change since the last assessment", 250, "scorecards", "change_since"),
    ("dimensions", "Dimension results", 300, "sections", "dimensions"),
    ("group-heatmap", "Results by group", 400, "scorecards", "group_heatmap"),
    ("kpi-scorecard", "KPI scorecard", 500, "scorecards", "kpi_scorecard"),
    ("action-plan", "Action plan", 600, "scorecards", "action_plan"),
    ("appendix", "Methodology and data quality", 700, "scorecards", "appendix"),
)


def _lazy(module: str, function: str) -> Callable[[Any], list[Any]]:
    def render(ctx: Any) -> list[Any]:
        mod = importlib.import_module(f"implassess.report.{module}")
        return getattr(mod, function)(ctx)

    render.__name__ = function
    render.__qualname__ = function
    return render


@hookimpl
def register_report_sections(register: Callable[[ReportSection], None]) -> None:
    for sid, title, order, module, function in BUILTIN_SECTIONS:
        register(ReportSection(id=sid, title=title, order=order, render=_lazy(module, function)))
