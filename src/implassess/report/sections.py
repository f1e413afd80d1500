"""Built-in sections, part 1: executive summary, maturity radar, one page per dimension.

Each function takes a :class:`~implassess.report.context.ReportContext` and returns the
section body as flowables (the renderer adds the heading). Untrusted text goes through
``ctx.para``/``esc``; numbers through ``ctx.fmt``.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table

from implassess.report import charts, likert
from implassess.report.context import ReportContext
from implassess.report.fmt import (
    fmt_ci,
    fmt_int,
    fmt_mean,
    fmt_r,
    fmt_score,
    is_missing,
)
from implassess.report.markup import esc
from implassess.report.model import DimensionView, ItemDistribution
from implassess.report.styles import GREY, LIGHT_GREY, hex_colour

#: rwg(j) at or above this supports reporting a unit mean (James, Demaree & Wolf 1984 convention).
AGREEMENT_CUTOFF = 0.70

#: How data-quality flags read in the report; unknown flags print as given.
FLAG_TEXT = {
    "low-agreement": "Low agreement",
    "low-reliability": "Low reliability",
    "insufficient-n": "Insufficient n",
    "few-items": "Few items answered",
}


def flag_text(flag: str) -> str:
    """The reader-facing wording of a data-quality flag."""
    return FLAG_TEXT.get(flag, flag)


def level_label(level: int | None, name: str) -> str:
    """``3 Defined``, or the missing mark."""
    return "–" if level is None else f"{level} {name}".strip()


# -- executive summary --------------------------------------------------------------------


def _tile(ctx: ReportContext, value: str, caption: str, width: float) -> Table:
    t = Table(
        [[Paragraph(esc(value), ctx.style("big_number"))], [ctx.para(caption, "centre_small")]],
        colWidths=[width],
    )
    t.setStyle(
        ctx.look.table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, hex_colour(LIGHT_GREY)),
                ("BACKGROUND", (0, 0), (-1, -1), hex_colour("#F7F8FA")),
                ("TOPPADDING", (0, 0), (-1, 0), 8),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
            ]
        )
    )
    return t


def executive_summary(ctx: ReportContext) -> list[Flowable]:
    """Overall level, key figures, top strengths and gaps, top three actions."""
    m = ctx.model
    out: list[Flowable] = []
    tiles = []
    w = (ctx.width - 16) / 3
    tiles.append(_tile(ctx, fmt_score(m.overall.score_0_100), "Overall score (0–100)", w))
    tiles.append(_tile(ctx, level_label(m.overall.level, m.overall.level_name), "Maturity level", w))
    if m.kpis:
        green = sum(1 for k in m.kpis if k.rag == "green")
        tiles.append(_tile(ctx, f"{green} of {len(m.kpis)}", "KPIs on target", w))
    elif m.appendix is not None:
        tiles.append(_tile(ctx, fmt_int(m.appendix.accepted), "Responses scored", w))
    row = Table([tiles], colWidths=[w + 8] * len(tiles), hAlign="LEFT")
    row.setStyle(ctx.look.table_style([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 8)]))
    out += [row, Spacer(1, 10)]
    out.append(charts.level_gauge(ctx.look, m.levels, m.overall.score_0_100, width=ctx.width))
    out.append(Spacer(1, 8))
    strengths = [m.dimension(i) for i in m.strengths]
    gaps = [m.dimension(i) for i in m.gaps]
    top_actions = list(m.action_plan[:3])
    out += ctx.narrative(
        "report/executive_summary.md.j2",
        overall=m.overall,
        strengths=strengths,
        gaps=gaps,
        top_actions=top_actions,
    )
    if strengths or gaps:
        half = (ctx.width - 12) / 2
        out.append(
            _side_by_side(
                ctx,
                [("Top strengths", strengths), ("Largest gaps", gaps)],
                half,
            )
        )
    if top_actions:
        out.append(ctx.heading("Top three actions" if len(top_actions) == 3 else "Top actions", level=3))
        for item in top_actions:
            horizon = f" <font color='{GREY}'>({esc(item.horizon)})</font>" if item.horizon else ""
            out.append(
                Paragraph(
                    f"<b>{esc(item.title)}</b>{horizon}. {esc(item.description)}",
                    ctx.style("bullet"),
                    bulletText=f"{item.rank}.",
                )
            )
    return out


def _side_by_side(ctx: ReportContext, lists: list[tuple[str, list[DimensionView]]], width: float) -> Table:
    columns = []
    for title, dims in lists:
        rows: list[list[Any]] = [[title, "Score", "Level"]]
        for d in dims:
            rows.append([d.name, fmt_score(d.score_0_100), level_label(d.level, d.level_name)])
        columns.append(ctx.table(rows, [width - 110, 40, 70], align_right=(1,)))
    outer = Table([columns], colWidths=[width + 12, width], hAlign="LEFT")
    outer.setStyle(
        ctx.look.table_style(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return outer


# -- maturity radar -------------------------------------------------------------------------


def maturity_radar(ctx: ReportContext) -> list[Flowable]:
    """All dimensions on one radar with target and benchmark overlays, and the numbers in a table."""
    m = ctx.model
    dims = m.dimensions
    has_target = any(not is_missing(d.target) for d in dims)
    has_benchmark = any(not is_missing(d.benchmark) for d in dims)
    out: list[Flowable] = ctx.narrative("report/radar.md.j2", has_target=has_target, has_benchmark=has_benchmark)
    size = min(ctx.width, 290.0)
    chart = charts.radar(
        ctx.look,
        [d.score_0_100 for d in dims],
        [d.target for d in dims],
        [d.benchmark for d in dims],
        size=size,
    )
    chart.hAlign = "CENTER"
    legend = charts.radar_legend(ctx.look, 260, has_target, has_benchmark)
    legend.hAlign = "CENTER"
    out += [chart, Spacer(1, 4), legend, Spacer(1, 8)]
    rows: list[list[Any]] = [["No.", "Dimension", "Score", "Level", "Target", "Gap", "Benchmark"]]
    for i, d in enumerate(dims, start=1):
        gap = d.gap_to_target()
        rows.append(
            [
                str(i),
                d.name,
                fmt_score(d.score_0_100),
                level_label(d.level, d.level_name),
                fmt_score(d.target),
                "–" if gap is None else ("met" if gap <= 0 else fmt_score(gap)),
                fmt_score(d.benchmark),
            ]
        )
    fixed = 26 + 42 + 72 + 42 + 40 + 58
    out.append(
        ctx.table(
            rows,
            [26, ctx.width - fixed, 42, 72, 42, 40, 58],
            align_right=(0, 2, 4, 5, 6),
            extra=[("TOPPADDING", (0, 1), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 1), (-1, -1), 1.5)],
        )
    )
    out.append(Spacer(1, 4))
    out.append(ctx.para("Gap: target minus score, in points; “met” where the score reaches the target.", "caption"))
    return out


# -- one section per dimension ------------------------------------------------------------------


def dimensions(ctx: ReportContext) -> list[Flowable]:
    """Intro, then each dimension on its own page."""
    groups = list(dict.fromkeys(d.group for d in ctx.model.dimensions if d.group))
    out: list[Flowable] = ctx.narrative("report/dimensions.md.j2", groups=groups)
    for i, d in enumerate(ctx.model.dimensions):
        if i:
            out.append(PageBreak())
        else:
            out.append(CondPageBreak(300))
        out += dimension_page(ctx, d)
    return out


def _key_figures(ctx: ReportContext, d: DimensionView) -> Table:
    agreement = "–"
    if not is_missing(d.rwg_j):
        assert d.rwg_j is not None
        agreement = "ok" if d.rwg_j >= AGREEMENT_CUTOFF else "low"
    head = ["n", "Mean (SD)", "95% CI", "Alpha", "rwg(j)", "Agreement", "Target", "Benchmark"]
    values = [
        fmt_int(d.n),
        "–" if is_missing(d.mean) else f"{fmt_mean(d.mean)} ({fmt_mean(d.sd)})",
        fmt_ci(d.ci_low, d.ci_high),
        fmt_r(d.alpha),
        fmt_r(d.rwg_j),
        agreement,
        fmt_score(d.target),
        fmt_score(d.benchmark),
    ]
    widths: list[float] = [40, 68, 68, 38, 44, 58, 46]
    widths.append(ctx.width - sum(widths))
    extra: list[tuple[Any, ...]] = []
    if agreement == "low":
        extra.append(("FONTNAME", (5, 1), (5, 1), ctx.look.bold))
    t = ctx.table([head, values], widths, zebra=False, extra=extra)
    return t


def _scale_groups(items: tuple[ItemDistribution, ...]) -> list[list[ItemDistribution]]:
    """Runs of consecutive items answered on the same options (each run gets its own legend)."""
    groups: list[list[ItemDistribution]] = []
    for item in items:
        labels = [lab for lab, _ in item.substantive()]
        if groups and [lab for lab, _ in groups[-1][0].substantive()] == labels:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def _item_table(ctx: ReportContext, d: DimensionView) -> list[Flowable]:
    if not d.items:
        return []
    text_w, apart_w = 178.0, 92.0
    bar_w = ctx.width - text_w - apart_w - 16
    extent = likert.diverging_extent(d.items)
    out: list[Flowable] = []
    for group in _scale_groups(d.items):
        labels = [lab for lab, _ in group[0].substantive()]
        out += [likert.diverging_legend(ctx.look, labels, ctx.width), Spacer(1, 4)]
        rows: list[list[Any]] = [
            [
                ctx.para("Question", "cell_small"),
                likert.diverging_axis(ctx.look, bar_w, extent),
                ctx.para("Set apart", "cell_small"),
            ]
        ]
        for item in group:
            text = esc(item.text)
            if item.reverse:
                text += f" <font color='{GREY}'>(reverse-keyed: agreement lowers the score)</font>"
            subst_n = sum(c for _, c in item.substantive())
            apart = "<br/>".join(f"{esc(lab)}: {fmt_int(c)}" for lab, c in item.set_apart())
            apart = f"n = {fmt_int(subst_n)}" + (f"<br/>{apart}" if apart else "")
            rows.append(
                [
                    Paragraph(text, ctx.style("cell_small")),
                    likert.diverging_bar(ctx.look, item, bar_w, extent=extent),
                    Paragraph(apart, ctx.style("cell_small")),
                ]
            )
        t = Table(rows, colWidths=[text_w, bar_w + 8, apart_w + 8], hAlign="LEFT", repeatRows=1)
        t.setStyle(
            ctx.look.table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.4, hex_colour(LIGHT_GREY)),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    ("TEXTCOLOR", (0, 0), (-1, 0), colors.grey),
                ]
            )
        )
        out += [t, Spacer(1, 6)]
    out.append(
        ctx.para(
            "Bars show the share of substantive answers: disagreement (hatched) to the left of the centre line, "
            "agreement to the right, the neutral answer centred on the line. Non-substantive answers are "
            "counted apart and excluded from the percentages.",
            "caption",
        )
    )
    return out


def dimension_page(ctx: ReportContext, d: DimensionView) -> list[Flowable]:
    """One dimension: score and level, CI, agreement, facets, answers, actions."""
    out: list[Flowable] = [ctx.heading(d.name, level=2)]
    if d.group:
        out.append(ctx.para(d.group, "caption"))
    out.append(
        charts.level_gauge(
            ctx.look,
            ctx.model.levels,
            d.score_0_100,
            ci=(d.ci_low, d.ci_high),
            target=d.target,
            benchmark=d.benchmark,
            width=ctx.width,
        )
    )
    out.append(Spacer(1, 6))
    out += ctx.narrative("report/dimension.md.j2", d=d, agreement_cutoff=AGREEMENT_CUTOFF)
    out.append(_key_figures(ctx, d))
    if d.flags:
        out.append(Spacer(1, 3))
        out.append(ctx.para("Data-quality flags: " + ", ".join(flag_text(f) for f in d.flags) + ".", "small"))
    if d.facets:
        out.append(
            KeepTogether(
                [
                    ctx.heading("Facets", level=3),
                    charts.facet_bars(ctx.look, [(f.name, f.score_0_100) for f in d.facets], d.target, ctx.width),
                ]
            )
        )
    if d.items:
        out.append(ctx.heading("How respondents answered", level=3))
        out += _item_table(ctx, d)
    if d.actions:
        block: list[Flowable] = [ctx.heading("Recommended actions", level=3)]
        for a in d.actions:
            horizon = f" <font color='{GREY}'>({esc(a.horizon)})</font>" if a.horizon else ""
            block.append(
                Paragraph(f"<b>{esc(a.title)}</b>{horizon}. {esc(a.description)}", ctx.style("bullet"), bulletText="•")
            )
        out.append(KeepTogether(block))
    return out
