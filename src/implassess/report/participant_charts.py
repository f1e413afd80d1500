"""The 360 dot chart: self, all others and the cohort on one 0–100 axis per dimension and facet.

Each series is encoded twice (marker shape and colour) and the legend names it, so the
chart reads in greyscale. Labels are drawn with ``String`` (never parsed as markup).
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.shapes import Circle, Drawing, Line
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from implassess.report.charts import band_fill, canvas, diamond, fit, rect, text_at, triangle
from implassess.report.fmt import is_missing
from implassess.report.styles import GREY, INK, LIGHT_GREY, Look

#: Series keys, their legend words and marker shapes, in drawing order (last on top).
SERIES = (("cohort", "Cohort mean (others)"), ("others", "All others"), ("self", "Self"))


def _marker(look: Look, kind: str, x: float, y: float) -> list[object]:
    white = colors.white
    if kind == "self":
        return [triangle(x, y - 0.5, 4.2, fillColor=look.accent, strokeColor=white, strokeWidth=0.6)]
    if kind == "others":
        return [Circle(x, y, 3.6, fillColor=look.series(0), strokeColor=white, strokeWidth=0.6)]
    return [diamond(x, y, 3.4, fillColor=colors.white, strokeColor=look.series(2), strokeWidth=1.2)]


def score_dots(
    look: Look,
    rows: Sequence[tuple[str, bool, dict[str, float | None]]],
    levels: Sequence[tuple[int, str, float, float]],
    width: float = 480,
) -> Drawing:
    """One row per unit (label, is a facet, series → 0–100 value) over shaded level bands."""
    row_h, label_w, top_pad, bottom = 15.0, 170.0, 14.0, 30.0
    height = bottom + row_h * len(rows) + top_pad
    d = canvas(look, width, height)
    x0, x1 = label_w, width - 8

    def x(v: float) -> float:
        return x0 + (x1 - x0) * max(0.0, min(100.0, v)) / 100

    plot_top = height - top_pad + 4
    n_levels = len(levels)
    for lv, name, lo, hi in levels:
        fill = band_fill(look, lv, n_levels)
        light = colors.Color(fill.red, fill.green, fill.blue, alpha=0.35)
        d.add(rect(x(lo), bottom, x(hi) - x(lo), plot_top - bottom, fillColor=light, strokeColor=None))
        label = fit(f"{lv} {name}", look.font, 6.5, x(hi) - x(lo) - 2)
        d.add(text_at((x(lo) + x(hi)) / 2, plot_top + 2, label, look.font, 6.5, GREY, "middle"))
    for tick in (0, 20, 40, 60, 80, 100):
        d.add(Line(x(tick), bottom, x(tick), plot_top, strokeColor=colors.white, strokeWidth=0.8))
        d.add(text_at(x(tick), bottom - 9, str(tick), look.font, 6.5, GREY, "middle"))
    for i, (label, facet, values) in enumerate(rows):
        y = plot_top - (i + 0.5) * row_h - 2
        font = look.font if facet else look.bold
        indent = 10.0 if facet else 0.0
        d.add(text_at(indent, y - 3, fit(label, font, 8, label_w - indent - 8), font, 8, INK))
        d.add(Line(x0, y, x1, y, strokeColor=colors.Color(1, 1, 1, alpha=0.9), strokeWidth=0.4))
        present = [v for k, _ in SERIES if (v := values.get(k)) is not None and not is_missing(v)]
        if len(present) >= 2:
            lo, hi = min(present), max(present)
            d.add(Line(x(lo), y, x(hi), y, strokeColor=colors.HexColor(GREY), strokeWidth=0.8))
        for key, _ in SERIES:
            v = values.get(key)
            if not is_missing(v):
                assert v is not None
                for shape in _marker(look, key, x(v), y):
                    d.add(shape)  # type: ignore[arg-type]
    d.add(Line(x0, bottom, x1, bottom, strokeColor=colors.HexColor(LIGHT_GREY), strokeWidth=0.6))
    lx = x0
    for key, word in reversed(SERIES):
        for shape in _marker(look, key, lx + 4, 4.5):
            d.add(shape)  # type: ignore[arg-type]
        d.add(text_at(lx + 11, 2, word, look.font, 7.5, INK))
        lx += 11 + stringWidth(word, look.font, 7.5) + 16
    return d
