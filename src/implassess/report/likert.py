"""Diverging stacked bars of item answer distributions (Likert charts).

Disagreement extends left of the centre line and is hatched, agreement extends right,
the neutral answer is centred on the line; non-substantive answers are not in the bar
(the dimension page lists them apart). Shades are darker at the extremes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reportlab.graphics.shapes import Drawing, Line
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from implassess.report.charts import Anchor, canvas, fit, hatch, rect, text_at
from implassess.report.fmt import fmt_pct
from implassess.report.model import ItemDistribution
from implassess.report.styles import GREY, INK, LIGHT_GREY, Look, hex_colour, text_on, tint

#: The neutral answer: lighter than any agree or disagree shade, so it stays apart in greyscale.
NEUTRAL = "#E3E3E3"
#: Hatching on disagreement: dark enough to show on the lightest tint and in greyscale.
HATCH = colors.Color(0, 0, 0, alpha=0.32)


def _sides(k: int) -> tuple[list[int], int | None, list[int]]:
    """Indices of the disagree options, the neutral option (odd k) and the agree options."""
    half = k // 2
    neutral = half if k % 2 else None
    return list(range(half)), neutral, list(range(k - half, k))


def diverging_colours(look: Look, k: int) -> list[colors.Color]:
    """Fill per substantive option: darker at the extremes, grey in the middle."""
    left, neutral, right = _sides(k)
    out: list[colors.Color] = [hex_colour(LIGHT_GREY)] * k
    for pos, i in enumerate(left):  # pos 0 = most extreme
        out[i] = tint(look.palette[1], 0.5 * pos / max(1, len(left) - 1))
    for pos, i in enumerate(reversed(right)):
        out[i] = tint(look.palette[0], 0.5 * pos / max(1, len(right) - 1))
    if neutral is not None:
        out[neutral] = hex_colour(NEUTRAL)
    return out


def diverging_extent(items: Sequence[ItemDistribution]) -> float:
    """Half-width of a shared scale for ``items``, in percent: the widest side, rounded up to 25."""
    widest = 0.0
    for item in items:
        subst = item.substantive()
        total = sum(c for _, c in subst)
        if not total:
            continue
        pct = [100 * c / total for _, c in subst]
        left, neutral, right = _sides(len(pct))
        half = pct[neutral] / 2 if neutral is not None else 0.0
        widest = max(widest, half + sum(pct[i] for i in left), half + sum(pct[i] for i in right))
    return min(100.0, max(50.0, 25.0 * math.ceil(widest / 25.0)))


def diverging_bar(
    look: Look, item: ItemDistribution, width: float, height: float = 15, extent: float = 100.0
) -> Drawing:
    """One item: disagree to the left of the centre line, agree to the right, neutral centred.

    Widths are percent of substantive answers on a scale of ±``extent`` percent shared by
    the items of a dimension (see :func:`diverging_extent`); disagree segments are
    hatched, and segments wide enough carry their percentage.
    """
    d = canvas(look, width, height)
    subst = item.substantive()
    k = len(subst)
    total = sum(c for _, c in subst)
    mid = width / 2
    scale = (width / 2 - 2) / extent
    if total == 0 or k == 0:
        d.add(Line(mid, 0, mid, height, strokeColor=hex_colour(INK), strokeWidth=0.8))
        d.add(text_at(mid + 4, height / 2 - 3, "no substantive answers", look.font, 7, GREY))
        return d
    pct = [100 * c / total for _, c in subst]
    fills = diverging_colours(look, k)
    left, neutral, right = _sides(k)
    segs: list[tuple[float, float, int]] = []  # (x start, width, option index)
    half_neutral = pct[neutral] / 2 if neutral is not None else 0.0
    xl = mid - half_neutral * scale
    if neutral is not None:
        segs.append((xl, pct[neutral] * scale, neutral))
    for i in reversed(left):  # nearest the centre first
        w = pct[i] * scale
        xl -= w
        segs.append((xl, w, i))
    xr = mid + half_neutral * scale
    for i in right:
        w = pct[i] * scale
        segs.append((xr, w, i))
        xr += w
    y, h = 1.5, height - 3
    for sx, w, i in segs:
        if w <= 0:
            continue
        d.add(rect(sx, y, w, h, fillColor=fills[i], strokeColor=colors.white, strokeWidth=0.5))
        if i in left:
            d.add(hatch(sx, y, w, h, HATCH, spacing=3.5, stroke=0.6))
        label = fmt_pct(pct[i])
        tw = stringWidth(label, look.bold, 6.5)
        if w >= tw + 3:
            if i in left:  # a plain patch under the number keeps it readable on the hatching
                d.add(rect(sx + (w - tw) / 2 - 1, y + 2, tw + 2, h - 4, fillColor=fills[i], strokeColor=None))
            d.add(text_at(sx + w / 2, y + h / 2 - 2.3, label, look.bold, 6.5, text_on(fills[i]), "middle"))
    # The centre line as ticks above and below the bar, so it never crosses a printed label.
    for y0, y1 in ((0, y + 0.5), (y + h - 0.5, height)):
        d.add(Line(mid, y0, mid, y1, strokeColor=hex_colour(INK), strokeWidth=1))
    return d


def diverging_axis(look: Look, width: float, extent: float = 100.0) -> Drawing:
    """Scale labels for :func:`diverging_bar` columns: e.g. 75% … 0 … 75%."""
    d = canvas(look, width, 10)
    mid, scale = width / 2, (width / 2 - 2) / extent
    step = 25.0 if extent <= 75 else 50.0
    ticks = [k * step for k in range(-int(extent // step), int(extent // step) + 1)]
    for v in ticks:
        label = "0" if v == 0 else f"{abs(v):g}%"
        anchor: Anchor = "start" if v == -extent else "end" if v == extent else "middle"
        d.add(text_at(mid + v * scale, 2, label, look.font, 6.5, GREY, anchor))
    return d


def diverging_legend(look: Look, labels: Sequence[str], width: float) -> Drawing:
    """Swatches for the substantive options, hatched like the bars, wrapping to lines."""
    k = len(labels)
    fills = diverging_colours(look, k)
    left, _, _ = _sides(k)
    entries = []
    for i, label in enumerate(labels):
        text = fit(label, look.font, 7.5, width / 2)
        entries.append((i, text, 14 + stringWidth(text, look.font, 7.5) + 12))
    lines: list[list[tuple[int, str, float]]] = [[]]
    used = 0.0
    for e in entries:
        if used + e[2] > width and lines[-1]:
            lines.append([])
            used = 0.0
        lines[-1].append(e)
        used += e[2]
    d = canvas(look, width, 13 * len(lines))
    for row, line in enumerate(lines):
        x, y = 0.0, 13 * (len(lines) - row - 1) + 2
        for i, text, w in line:
            d.add(rect(x, y, 10, 8, fillColor=fills[i], strokeColor=None))
            if i in left:
                d.add(hatch(x, y, 10, 8, HATCH, spacing=3.5, stroke=0.6))
            d.add(text_at(x + 14, y + 1, text, look.font, 7.5, INK))
            x += w
    return d
