"""Charts as reportlab Drawings, legible in greyscale and for colour-blind readers.

This module holds the drawing helpers, the level gauge, the radar, facet bars and the
KPI marks; :mod:`~implassess.report.likert` draws answer distributions and
:mod:`~implassess.report.heatmap` the group heatmap.

Every chart encodes its series twice: colour plus line style, marker shape, hatching,
position or a printed label. Chart text is drawn with ``String`` (never parsed as
markup), so untrusted labels need no escaping here; long labels are wrapped or
shortened to fit. Numbers are printed through :mod:`implassess.report.fmt`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, TypedDict

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from implassess.report.fmt import fmt_score, is_missing
from implassess.report.model import LevelBand
from implassess.report.styles import GREY, INK, LIGHT_GREY, RAG_COLOURS, Look, hex_colour, tint

if TYPE_CHECKING:
    from typing_extensions import Unpack

Anchor = Literal["start", "middle", "end", "numeric"]


class ShapeStyle(TypedDict, total=False):
    """Fill and stroke of a shape, as reportlab's shape keywords."""

    fillColor: colors.Color | None
    strokeColor: colors.Color | None
    strokeWidth: float


class Dash(TypedDict, total=False):
    """A line's dash pattern, as reportlab's keyword; empty for a solid line."""

    strokeDashArray: Sequence[float]


ELLIPSIS = "…"


# -- text and pattern helpers -------------------------------------------------------


def fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` shortened with an ellipsis to fit ``width``."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + ELLIPSIS, font, size) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def wrap(text: str, font: str, size: float, width: float, max_lines: int = 2) -> list[str]:
    """Greedy word wrap to ``width``; the last allowed line is shortened with an ellipsis."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for i, word in enumerate(words):
        trial = f"{current} {word}".strip()
        if stringWidth(trial, font, size) <= width or not current:
            current = trial
            continue
        lines.append(current)
        current = word
        if len(lines) == max_lines - 1:
            current = " ".join(words[i:])
            break
    if current:
        lines.append(current)
    return [fit(line, font, size, width) for line in lines[:max_lines]] or [""]


def hatch(
    x: float, y: float, w: float, h: float, colour: colors.Color, spacing: float = 4.0, stroke: float = 0.6
) -> Group:
    """Diagonal lines clipped to a rectangle: a pattern that survives greyscale printing."""
    g = Group()
    c = -h
    while c < w:
        t0, t1 = max(0.0, -c), min(h, w - c)
        if t1 > t0:
            g.add(Line(x + c + t0, y + t0, x + c + t1, y + t1, strokeColor=colour, strokeWidth=stroke))
        c += spacing
    return g


def dashed(dash: Sequence[float] | None) -> Dash:
    """The dash keyword for a pattern; none for a solid line (reportlab's default, ``None``)."""
    return {} if dash is None else {"strokeDashArray": dash}


def canvas(look: Look, width: float, height: float) -> Drawing:
    """A drawing whose initial font is the theme's (otherwise reportlab adds Helvetica to the page)."""
    return Drawing(width, height, initialFontName=look.font)


def text_at(
    x: float, y: float, text: str, font: str, size: float, colour: colors.Color | str = INK, anchor: Anchor = "start"
) -> String:
    fill = hex_colour(colour) if isinstance(colour, str) else colour
    return String(x, y, text, fontName=font, fontSize=size, fillColor=fill, textAnchor=anchor)


def triangle(cx: float, cy: float, r: float, down: bool = False, **kw: Unpack[ShapeStyle]) -> Polygon:
    s = -1 if down else 1
    return Polygon([cx - r, cy - s * r * 0.8, cx + r, cy - s * r * 0.8, cx, cy + s * r], **kw)


def diamond(cx: float, cy: float, r: float, **kw: Unpack[ShapeStyle]) -> Polygon:
    return Polygon([cx, cy + r, cx + r, cy, cx, cy - r, cx - r, cy], **kw)


def square(cx: float, cy: float, r: float, **kw: Unpack[ShapeStyle]) -> Rect:
    return rect(cx - r, cy - r, 2 * r, 2 * r, **kw)


def rect(x: float, y: float, width: float, height: float, **style: Unpack[ShapeStyle]) -> Rect:
    """reportlab's ``Rect`` with typed style keywords."""
    # types-reportlab declares Rect's keywords as ``**kw: _SolidShapeKwArgs`` (each value a
    # whole TypedDict) instead of ``Unpack[...]``, so every real keyword is reported wrongly.
    return Rect(x, y, width, height, **style)  # type: ignore[arg-type]


# -- level gauge ----------------------------------------------------------------------


def band_fill(look: Look, level: int, n_levels: int) -> colors.Color:
    """Fill for a maturity level: a light-to-dark ramp of the primary colour (monotonic in grey)."""
    step = (level - 1) / max(1, n_levels - 1)
    return tint(look.theme.primary, 0.88 - 0.78 * step)


def level_gauge(
    look: Look,
    levels: Sequence[LevelBand],
    score: float | None,
    *,
    ci: tuple[float | None, float | None] = (None, None),
    target: float | None = None,
    benchmark: float | None = None,
    width: float = 440,
) -> Drawing:
    """The 0–100 scale divided into level bands, with the score, its CI, the target and the benchmark."""
    height = 64
    d = canvas(look, width, height)
    x0, x1 = 4.0, width - 4.0
    bar_y, bar_h = 28.0, 14.0

    def x(v: float) -> float:
        return x0 + (x1 - x0) * max(0.0, min(100.0, v)) / 100

    for band in levels:
        fill = band_fill(look, band.level, len(levels))
        bx, bw = x(band.min), x(band.max) - x(band.min)
        d.add(rect(bx, bar_y, bw, bar_h, fillColor=fill, strokeColor=colors.white, strokeWidth=1))
        label = fit(f"{band.level} {band.name}", look.font, 6.5, bw - 2)
        d.add(text_at(bx + bw / 2, bar_y - 9, label, look.font, 6.5, GREY, "middle"))
    lo, hi = ci
    if not is_missing(lo) and not is_missing(hi):
        assert lo is not None and hi is not None
        cy = bar_y + bar_h / 2
        for colour, w in ((colors.white, 3.2), (hex_colour(INK), 1.2)):
            d.add(Line(x(lo), cy, x(hi), cy, strokeColor=colour, strokeWidth=w))
            for v in (lo, hi):
                d.add(Line(x(v), cy - 4, x(v), cy + 4, strokeColor=colour, strokeWidth=w))
    if not is_missing(target):
        assert target is not None
        d.add(Line(x(target), bar_y, x(target), bar_y + bar_h + 4, strokeColor=colors.white, strokeWidth=3.2))
        d.add(
            Line(
                x(target),
                bar_y,
                x(target),
                bar_y + bar_h + 4,
                strokeColor=look.accent,
                strokeWidth=1.6,
                strokeDashArray=[3, 1.5],
            )
        )
    if not is_missing(benchmark):
        assert benchmark is not None
        d.add(
            diamond(
                x(benchmark), bar_y + bar_h, 3.6, fillColor=look.series(2), strokeColor=colors.white, strokeWidth=0.8
            )
        )
    if not is_missing(score):
        assert score is not None
        sx = x(score)
        d.add(Line(sx, bar_y, sx, bar_y + bar_h, strokeColor=hex_colour(INK), strokeWidth=1.4))
        d.add(triangle(sx, bar_y + bar_h + 2.5, 4.5, down=True, fillColor=hex_colour(INK), strokeColor=None))
        d.add(text_at(sx, bar_y + bar_h + 10, fmt_score(score), look.bold, 9, INK, "middle"))
    # Legend row: shape + word for each mark, so no mark depends on colour.
    lx, ly = x0, 3.0
    items: list[tuple[str, object]] = [] if is_missing(score) else [("Score", "score")]
    if not is_missing(target):
        items.append((f"Target {fmt_score(target)}", "target"))
    if not is_missing(benchmark):
        items.append((f"Benchmark {fmt_score(benchmark)}", "benchmark"))
    if not is_missing(lo) and not is_missing(hi):
        items.append((f"95% CI {fmt_score(lo)}–{fmt_score(hi)}", "ci"))
    for label, kind in items:
        if kind == "score":
            d.add(triangle(lx + 4, ly + 2.5, 3.5, down=True, fillColor=hex_colour(INK), strokeColor=None))
        elif kind == "target":
            d.add(
                Line(lx + 4, ly - 2, lx + 4, ly + 7, strokeColor=look.accent, strokeWidth=1.6, strokeDashArray=[3, 1.5])
            )
        elif kind == "benchmark":
            d.add(diamond(lx + 4, ly + 2.5, 3.5, fillColor=look.series(2), strokeColor=None))
        else:
            d.add(Line(lx, ly + 2.5, lx + 8, ly + 2.5, strokeColor=hex_colour(INK), strokeWidth=1.2))
            for v in (lx, lx + 8):
                d.add(Line(v, ly - 0.5, v, ly + 5.5, strokeColor=hex_colour(INK), strokeWidth=1.2))
        d.add(text_at(lx + 11, ly, label, look.font, 7, INK))
        lx += 11 + stringWidth(label, look.font, 7) + 14
    return d


# -- radar --------------------------------------------------------------------------


def _segments(points: list[tuple[float, float] | None]) -> tuple[bool, list[list[tuple[float, float]]]]:
    """Runs of consecutive present points; (closed, runs). Closed when none is missing."""
    if all(p is not None for p in points):
        return True, [[p for p in points if p is not None]]
    runs: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for p in points:
        if p is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(p)
    if current:
        runs.append(current)
    return False, runs


def radar(
    look: Look,
    scores: Sequence[float | None],
    targets: Sequence[float | None],
    benchmarks: Sequence[float | None],
    size: float = 300,
) -> Drawing:
    """A radar of 0–100 scores on numbered spokes, with target and benchmark overlays.

    Spokes carry numbers (a table beside the chart names them): seventeen names around
    a circle do not fit at a legible size. Score = solid line, circles, light fill;
    target = dashed line, triangles; benchmark = dotted line, squares.
    """
    n = len(scores)
    d = canvas(look, size, size)
    cx = cy = size / 2
    r = size / 2 - 18

    def point(i: int, v: float | None, radius: float = r) -> tuple[float, float] | None:
        if is_missing(v):
            return None
        assert v is not None
        a = math.pi / 2 - 2 * math.pi * i / n
        k = radius * max(0.0, min(100.0, v)) / 100
        return cx + k * math.cos(a), cy + k * math.sin(a)

    for ring in (20, 40, 60, 80, 100):
        pts = [c for i in range(n) for c in (point(i, ring) or (cx, cy))]
        d.add(Polygon(pts, fillColor=None, strokeColor=hex_colour(LIGHT_GREY), strokeWidth=0.6 if ring < 100 else 1))
    for i in range(n):
        p = point(i, 100)
        assert p is not None
        d.add(Line(cx, cy, p[0], p[1], strokeColor=hex_colour(LIGHT_GREY), strokeWidth=0.5))
        lp = point(i, 100, r + 9)
        assert lp is not None
        d.add(text_at(lp[0], lp[1] - 3, str(i + 1), look.bold, 7.5, GREY, "middle"))
    for ring in (20, 40, 60, 80, 100):
        p = point(0, ring)
        assert p is not None
        d.add(text_at(p[0] + 3, p[1] - 7, str(ring), look.font, 5.5, GREY))

    def series(
        values: Sequence[float | None],
        colour: colors.Color,
        width: float,
        dash: list[float] | None,
        marker: str,
        fill: bool,
    ) -> None:
        points = [point(i, v) for i, v in enumerate(values)]
        closed, runs = _segments(points)
        for run in runs:
            flat = [c for p in run for c in p]
            if closed and len(run) > 2:
                fill_colour = colors.Color(colour.red, colour.green, colour.blue, alpha=0.14) if fill else None
                d.add(
                    Polygon(
                        flat,
                        fillColor=fill_colour,
                        strokeColor=colour,
                        strokeWidth=width,
                        strokeLineJoin=1,
                        **dashed(dash),
                    )
                )
            elif len(run) > 1:
                d.add(PolyLine(flat, strokeColor=colour, strokeWidth=width, **dashed(dash)))
        for p in points:
            if p is None:
                continue
            kw: ShapeStyle = {"fillColor": colour, "strokeColor": colors.white, "strokeWidth": 0.6}
            if marker == "circle":
                d.add(Circle(p[0], p[1], 2.6, **kw))
            elif marker == "triangle":
                d.add(triangle(p[0], p[1], 3.0, **kw))
            else:
                d.add(square(p[0], p[1], 2.3, **kw))

    series(benchmarks, look.series(2), 1.2, [1.2, 2.0], "square", False)
    series(targets, look.accent, 1.3, [4, 2], "triangle", False)
    series(scores, look.series(0), 1.9, None, "circle", True)
    return d


def radar_legend(look: Look, width: float, has_target: bool, has_benchmark: bool) -> Drawing:
    """Legend for :func:`radar`: line style, marker and word for each series."""
    d = canvas(look, width, 14)
    x = 0.0
    entries: list[tuple[str, colors.Color, list[float] | None, str, float]] = [
        ("Score", look.series(0), None, "circle", 1.9)
    ]
    if has_target:
        entries.append(("Target", look.accent, [4, 2], "triangle", 1.3))
    if has_benchmark:
        entries.append(("Benchmark", look.series(2), [1.2, 2.0], "square", 1.2))
    for label, colour, dash, marker, w in entries:
        d.add(Line(x, 5, x + 22, 5, strokeColor=colour, strokeWidth=w, **dashed(dash)))
        kw: ShapeStyle = {"fillColor": colour, "strokeColor": colors.white, "strokeWidth": 0.6}
        if marker == "circle":
            d.add(Circle(x + 11, 5, 2.6, **kw))
        elif marker == "triangle":
            d.add(triangle(x + 11, 5, 3.0, **kw))
        else:
            d.add(square(x + 11, 5, 2.3, **kw))
        d.add(text_at(x + 27, 2, label, look.font, 8, INK))
        x += 27 + stringWidth(label, look.font, 8) + 18
    return d


# -- facet bars ------------------------------------------------------------------------


def facet_bars(
    look: Look, facets: Sequence[tuple[str, float | None]], target: float | None, width: float = 440
) -> Drawing:
    """Horizontal 0–100 bars per facet with printed values and the dimension target."""
    row, label_w, value_w = 17.0, 150.0, 30.0
    height = row * len(facets) + 14
    d = canvas(look, width, height)
    x0, x1 = label_w, width - value_w

    def x(v: float) -> float:
        return x0 + (x1 - x0) * max(0.0, min(100.0, v)) / 100

    for tick in (0, 20, 40, 60, 80, 100):
        d.add(Line(x(tick), 10, x(tick), height, strokeColor=hex_colour(LIGHT_GREY), strokeWidth=0.4))
        d.add(text_at(x(tick), 2, str(tick), look.font, 6, GREY, "middle"))
    if not is_missing(target):
        assert target is not None
        d.add(
            Line(x(target), 10, x(target), height, strokeColor=look.accent, strokeWidth=1.4, strokeDashArray=[3, 1.5])
        )
    for i, (name, score) in enumerate(facets):
        y = height - (i + 1) * row + 3
        d.add(text_at(0, y + 3, fit(name, look.font, 8, label_w - 6), look.font, 8, INK))
        d.add(rect(x0, y, x1 - x0, row - 6, fillColor=colors.Color(0.95, 0.95, 0.95, alpha=0.6), strokeColor=None))
        if is_missing(score):
            d.add(text_at(x0 + 3, y + 3, "no data", look.font, 7, GREY))
            continue
        assert score is not None
        d.add(rect(x0, y, x(score) - x0, row - 6, fillColor=look.series(0), strokeColor=None))
        label = fmt_score(score)
        lw = stringWidth(label, look.bold, 7.5)
        d.add(rect(x(score) + 1.5, y, lw + 3, row - 6, fillColor=colors.white, strokeColor=None))
        d.add(text_at(x(score) + 3, y + 3, label, look.bold, 7.5, INK))
    return d


# -- KPI marks --------------------------------------------------------------------------------


def rag_mark(look: Look, rag: str | None, size: float = 9) -> Drawing:
    """Status shape: circle = green, triangle = amber, square = red (shape and word, not colour alone)."""
    d = canvas(look, size + 2, size + 2)
    c = size / 2 + 1
    if rag == "green":
        d.add(Circle(c, c, size / 2, fillColor=hex_colour(RAG_COLOURS["green"]), strokeColor=None))
    elif rag == "amber":
        d.add(triangle(c, c - 0.6, size / 2 + 0.4, fillColor=hex_colour(RAG_COLOURS["amber"]), strokeColor=None))
    elif rag == "red":
        d.add(square(c, c, size / 2 - 0.5, fillColor=hex_colour(RAG_COLOURS["red"]), strokeColor=None))
    else:
        d.add(Circle(c, c, size / 2 - 0.5, fillColor=None, strokeColor=hex_colour(GREY), strokeWidth=0.8))
    return d


def sparkline(
    look: Look, trend: Sequence[tuple[str, float | None]], target: float | None, width: float = 92, height: float = 26
) -> Drawing:
    """Trend line with the latest point marked and the target as a dashed line; first and last periods labelled."""
    d = canvas(look, width, height)
    values = [v for _, v in trend if v is not None and not is_missing(v)]
    if not values:
        d.add(text_at(0, height / 2 - 3, "no trend", look.font, 7, GREY))
        return d
    span = [*values] + ([target] if target is not None and not is_missing(target) else [])
    lo, hi = min(span), max(span)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.12
    lo, hi = lo - pad, hi + pad
    top, bottom = height - 2, 9.0
    n = len(trend)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = 3 + (width - 6) * (i / max(1, n - 1))
        return x, bottom + (top - bottom) * (v - lo) / (hi - lo)

    if not is_missing(target):
        assert target is not None
        ty = xy(0, target)[1]
        d.add(Line(2, ty, width - 2, ty, strokeColor=look.accent, strokeWidth=0.9, strokeDashArray=[2.5, 1.5]))
    points = [xy(i, v) if v is not None and not is_missing(v) else None for i, (_, v) in enumerate(trend)]
    _, runs = _segments(points)
    for run in runs:
        if len(run) > 1:
            d.add(PolyLine([c for p in run for c in p], strokeColor=look.series(0), strokeWidth=1.3))
    for p in points:
        if p is not None:
            d.add(Circle(p[0], p[1], 1.1, fillColor=look.series(0), strokeColor=None))
    last = next((p for p in reversed(points) if p is not None), None)
    if last is not None:
        d.add(Circle(last[0], last[1], 2.4, fillColor=look.series(0), strokeColor=colors.white, strokeWidth=0.6))
    d.add(text_at(1, 0, fit(trend[0][0], look.font, 5.5, width / 2 - 2), look.font, 5.5, GREY))
    d.add(text_at(width - 1, 0, fit(trend[-1][0], look.font, 5.5, width / 2 - 2), look.font, 5.5, GREY, "end"))
    return d
