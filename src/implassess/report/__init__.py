"""The organisation report: view-model, charts, sections and the PDF renderer.

This package is the only place reportlab is imported. :mod:`implassess.report.model`,
:mod:`~implassess.report.fmt` and :mod:`~implassess.report.sample_model` do not import
it, so adapters can build a model cheaply; ``render_report`` loads reportlab on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RenderResult", "render_report"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from implassess.report import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
