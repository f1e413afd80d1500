"""The group heatmap: dimensions down, groups across, suppressed cells hatched and labelled."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from implassess.report.charts import band_fill, canvas, hatch, rect, text_at, wrap
from implassess.report.fmt import fmt_score, is_missing
from implassess.report.model import HeatmapView, LevelBand
from implassess.report.styles import GREY, INK, LIGHT_GREY, Look, hex_colour, text_on

SUPPRESSED = "suppressed"


def heatmap(
    look: Look, view: HeatmapView, levels: Sequence[LevelBand], width: float, max_groups: int = 7
) -> list[Drawing]:
    """Dimensions down, groups across (chunks of ``max_groups``); the level colour and the score in
    every cell. A suppressed cell is grey, hatched and labelled "suppressed"; it shows no number."""
    out = []
    for start in range(0, len(view.rows), max_groups):
        idx = list(range(start, min(len(view.rows), start + max_groups)))
        out.append(_heatmap_chunk(look, view, levels, width, idx))
    return out


def level_of(levels: Sequence[LevelBand], score: float) -> LevelBand | None:
    """The band holding ``score`` (the top band includes 100)."""
    for band in levels:
        if band.min <= score < band.max:
            return band
    return levels[-1] if levels and score >= levels[-1].max else None


def _heatmap_chunk(
    look: Look, view: HeatmapView, levels: Sequence[LevelBand], width: float, groups: list[int]
) -> Drawing:
    label_w = 170.0
    cell_w = min(62.0, (width - label_w) / max(1, len(groups)))
    cell_h = 19.0
    head_h = 34.0
    n_dims = len(view.columns)
    height = head_h + cell_h * n_dims
    d = canvas(look, label_w + cell_w * len(groups), height)
    for j, g in enumerate(groups):
        x = label_w + j * cell_w
        name_lines = wrap(view.rows[g], look.bold, 7, cell_w - 4, 2)
        n = view.row_n[g] if view.row_n and g < len(view.row_n) else None
        lines = [*name_lines, f"n = {n}" if n is not None else ""]
        for k, line in enumerate(lines):
            font = look.font if k == len(lines) - 1 else look.bold
            d.add(
                text_at(
                    x + cell_w / 2, height - 10 - 9 * k, line, font, 7, INK if k < len(lines) - 1 else GREY, "middle"
                )
            )
    for i in range(n_dims):
        y = height - head_h - (i + 1) * cell_h
        label = wrap(view.columns[i], look.font, 7.5, label_w - 8, 2)
        first = y + cell_h / 2 + (1.6 if len(label) > 1 else -2.6)
        for k, line in enumerate(label):
            d.add(text_at(0, first - 8.2 * k, line, look.font, 7.5, INK))
        for j, g in enumerate(groups):
            x = label_w + j * cell_w
            value = view.cells[g][i]
            if value is None:
                d.add(
                    rect(x, y, cell_w, cell_h, fillColor=hex_colour("#EFEFEF"), strokeColor=colors.white, strokeWidth=1)
                )
                d.add(hatch(x + 0.5, y + 0.5, cell_w - 1, cell_h - 1, hex_colour("#B0B0B0"), spacing=4, stroke=0.5))
                size = 6.5
                while size > 4.5 and stringWidth(SUPPRESSED, look.font, size) > cell_w - 6:
                    size -= 0.5
                tw = stringWidth(SUPPRESSED, look.font, size)
                d.add(
                    rect(
                        x + cell_w / 2 - tw / 2 - 2,
                        y + cell_h / 2 - size / 2 - 1.5,
                        tw + 4,
                        size + 3,
                        fillColor=hex_colour("#EFEFEF"),
                        strokeColor=None,
                    )
                )
                d.add(
                    text_at(x + cell_w / 2, y + cell_h / 2 - size / 2 + 0.7, SUPPRESSED, look.font, size, INK, "middle")
                )
                continue
            if is_missing(value):
                d.add(
                    rect(
                        x,
                        y,
                        cell_w,
                        cell_h,
                        fillColor=colors.white,
                        strokeColor=hex_colour(LIGHT_GREY),
                        strokeWidth=0.5,
                    )
                )
                d.add(text_at(x + cell_w / 2, y + cell_h / 2 - 3, "–", look.font, 8, GREY, "middle"))
                continue
            band = level_of(levels, value)
            fill = band_fill(look, band.level, len(levels)) if band else colors.white
            d.add(rect(x, y, cell_w, cell_h, fillColor=fill, strokeColor=colors.white, strokeWidth=1))
            d.add(text_at(x + cell_w / 2, y + cell_h / 2 - 3, fmt_score(value), look.bold, 8, text_on(fill), "middle"))
    return d


def heatmap_legend(look: Look, levels: Sequence[LevelBand], width: float, min_group_size: int | None) -> Drawing:
    """Level swatches (with their bands), the suppressed swatch and the no-data mark."""
    entries: list[tuple[str, str]] = [(f"{b.level} {b.name} ({b.min:g}–{b.max:g})", f"level{b.level}") for b in levels]
    rule = (
        f"suppressed (fewer than {min_group_size} respondents, or complementary)"
        if min_group_size
        else "suppressed (group too small)"
    )
    entries += [(rule, "suppressed"), ("– no data", "none")]
    lines: list[list[tuple[str, str, float]]] = [[]]
    used = 0.0
    for text, kind in entries:
        w = 16 + stringWidth(text, look.font, 7.5) + 12
        if used + w > width and lines[-1]:
            lines.append([])
            used = 0.0
        lines[-1].append((text, kind, w))
        used += w
    d = canvas(look, width, 14 * len(lines))
    for row, line in enumerate(lines):
        x, y = 0.0, 14 * (len(lines) - row - 1) + 2
        for text, kind, w in line:
            if kind.startswith("level"):
                fill = band_fill(look, int(kind[5:]), len(levels))
                d.add(rect(x, y, 12, 9, fillColor=fill, strokeColor=None))
            elif kind == "suppressed":
                d.add(rect(x, y, 12, 9, fillColor=hex_colour("#EFEFEF"), strokeColor=None))
                d.add(hatch(x, y, 12, 9, hex_colour("#B0B0B0"), spacing=3, stroke=0.5))
            else:
                d.add(rect(x, y, 12, 9, fillColor=colors.white, strokeColor=hex_colour(LIGHT_GREY), strokeWidth=0.5))
            label = text[2:] if kind == "none" else text
            d.add(text_at(x + 16, y + 1.5, label, look.font, 7.5, INK))
            x += w
    return d
