"""Built-in sections, part 2: group heatmap, KPI scorecard, action plan, methodology appendix."""

from __future__ import annotations

from typing import Any

from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table

from implassess.report import charts, heatmap
from implassess.report.context import ReportContext
from implassess.report.fmt import (
    fmt_date,
    fmt_delta,
    fmt_delta_ci,
    fmt_int,
    fmt_kpi,
    fmt_observed,
    fmt_r,
    fmt_score,
    is_missing,
)
from implassess.report.markup import esc
from implassess.report.sections import AGREEMENT_CUTOFF, flag_text
from implassess.report.styles import GREY

RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red"}
PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def group_heatmap(ctx: ReportContext) -> list[Flowable]:
    """Scores by group and dimension; suppressed cells hatched, labelled and without a number."""
    m = ctx.model
    view = m.heatmap
    if view is None or not view.rows:
        return [ctx.para("No group results: the responses were not split into groups.")]
    min_n = m.appendix.min_group_size if m.appendix else None
    out: list[Flowable] = ctx.narrative("report/heatmap.md.j2", heatmap=view, min_group_size=min_n)
    out.append(heatmap.heatmap_legend(ctx.look, m.levels, ctx.width, min_n))
    out.append(Spacer(1, 8))
    for i, chunk in enumerate(heatmap.heatmap(ctx.look, view, m.levels, ctx.width)):
        if i:
            out.append(Spacer(1, 12))
        chunk.hAlign = "LEFT"
        out.append(chunk)
    suppressed = sum(1 for row in view.cells for v in row if v is None)
    if suppressed:
        out.append(Spacer(1, 6))
        cells = "cell is" if suppressed == 1 else "cells are"
        out.append(
            ctx.para(
                f"{suppressed} {cells} suppressed: the group has fewer than {min_n or 'the minimum number of'} "
                "respondents, or its result could otherwise be worked out from the total and the other groups "
                "(complementary suppression). Suppressed results are not merged into other groups.",
                "caption",
            )
        )
    return out


def change_since(ctx: ReportContext) -> list[Flowable]:
    """Per dimension: the earlier and this wave's score, the difference and its 95% CI.

    Left out of the report (no heading) when only one wave was scored.
    """
    m = ctx.model
    if not m.change:
        return []
    out: list[Flowable] = [
        ctx.markup(
            f"Scores of the {esc(m.change_from)} and the {esc(m.change_to)} assessment on the same instruments, for "
            "the whole organisation. A change is marked <b>clear</b> when its 95% confidence interval (Welch) "
            "excludes zero; smaller movements are within what different samples of the same people could give."
        )
    ]
    rows: list[list[Any]] = [
        ["Dimension", m.change_from.capitalize(), m.change_to.capitalize(), "Change", "95% CI", ""]
    ]
    widths = [0.0, 62, 62, 56, 86, 44]
    widths[0] = ctx.width - sum(widths)
    for c in m.change:
        rows.append(
            [
                ctx.para(c.name, "cell"),
                fmt_score(c.before),
                fmt_score(c.after),
                fmt_delta(c.diff),
                fmt_delta_ci(c.ci_low, c.ci_high),
                "clear" if c.clear() else "",
            ]
        )
    out.append(ctx.table(rows, widths, align_right=(1, 2, 3, 4)))
    return out


def kpi_scorecard(ctx: ReportContext) -> list[Flowable]:
    """Value, target, level, RAG (shape + word) and trend sparkline per KPI."""
    kpis = ctx.model.kpis
    if not kpis:
        return [ctx.para("No KPIs were reported for this assessment.")]
    on_target = sum(1 for k in kpis if k.rag == "green")
    out: list[Flowable] = ctx.narrative("report/kpis.md.j2", kpis=kpis, on_target=on_target)
    spark_w = 96.0
    widths = [0.0, 56, 56, 40, 60, spark_w + 8]
    widths[0] = ctx.width - sum(widths)
    rows: list[list[Any]] = [["Indicator", "Value", "Target", "Level", "Status", "Trend"]]
    for k in kpis:
        better = "higher is better" if k.direction == "higher" else "lower is better"
        due = f" · target by {fmt_date(k.deadline)}" if k.deadline else ""
        name = Paragraph(
            f"{esc(k.name)}<br/><font size='7' color='{GREY}'>{better}{esc(due)}</font>", ctx.style("cell")
        )
        status = Table(
            [[charts.rag_mark(ctx.look, k.rag), ctx.para(RAG_WORDS.get(k.rag or "", "No status"), "cell_bold")]],
            colWidths=[14, 42],
        )
        status.setStyle(
            ctx.look.table_style(
                [
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        rows.append(
            [
                name,
                fmt_kpi(k.value, k.unit),
                fmt_kpi(k.target, k.unit),
                "–" if k.level is None else str(k.level),
                status,
                charts.sparkline(ctx.look, k.trend, k.target, width=spark_w),
            ]
        )
    out.append(ctx.table(rows, widths, align_right=(1, 2, 3)))
    return out


def action_plan(ctx: ReportContext) -> list[Flowable]:
    """Ranked actions with the trigger, observed value and rationale behind each."""
    plan = sorted(ctx.model.action_plan, key=lambda p: p.rank)
    if not plan:
        return [ctx.para("No decision trigger fired, so no actions are recommended.")]
    out: list[Flowable] = ctx.narrative("report/action_plan.md.j2", plan=plan)
    widths = [22.0, 50, 0, 150, 50]
    widths[2] = ctx.width - sum(widths)
    rows: list[list[Any]] = [["#", "Priority", "Action", "Why", "When"]]
    for p in plan:
        action = f"<b>{esc(p.title)}</b>"
        if p.description:
            action += f"<br/>{esc(p.description)}"
        why = []
        if p.target_label or p.trigger:
            observed = (
                "" if is_missing(p.observed) else f" (observed {esc(fmt_observed(p.observed, p.statistic, p.unit))})"
            )
            why.append(f"<b>Trigger:</b> {esc(p.target_label)} {esc(p.trigger)}{observed}".replace("  ", " "))
        if p.rationale:
            why.append(esc(p.rationale))
        rows.append(
            [
                str(p.rank),
                Paragraph(f"<b>{esc(p.priority.capitalize())}</b>", ctx.style("cell")),
                Paragraph(action, ctx.style("cell")),
                Paragraph("<br/>".join(why), ctx.style("cell_small")),
                p.horizon or "–",
            ]
        )
    out.append(ctx.table(rows, widths, extra=[("VALIGN", (0, 1), (-1, -1), "TOP")]))
    return out


def appendix(ctx: ReportContext) -> list[Flowable]:
    """Methodology, data received and rejected, instruments, reliability per dimension, notes."""
    a = ctx.model.appendix
    if a is None:
        return [ctx.para("No methodology information was supplied.")]
    out: list[Flowable] = ctx.narrative("report/methodology.md.j2", appendix=a)
    data_rows: list[list[Any]] = [
        ["Responses", "Rows"],
        ["Read from the exports", fmt_int(a.rows_read)],
        ["Scored", fmt_int(a.accepted)],
        ["Set aside", fmt_int(a.rejected)],
    ]
    data_rows += [[ctx.para(reason, "cell_indent"), fmt_int(n)] for reason, n in a.rejection_reasons]
    data_rows += [[why, fmt_int(n)] for why, n in a.excluded]
    block: list[Flowable] = [
        ctx.heading("Data received", level=3),
        ctx.table(data_rows, [ctx.width - 80, 80], align_right=(1,)),
    ]
    out.append(KeepTogether(block))
    if a.instruments:
        rows: list[list[Any]] = [["Instrument", "Id", "Version"]]
        rows += [[title, iid, version] for iid, version, title in a.instruments]
        out.append(KeepTogether([ctx.heading("Instruments", level=3), ctx.table(rows, [ctx.width - 250, 190, 60])]))
    if a.reliability:
        rows = [["Dimension", "n", "Alpha", "rwg(j)", "Note"]]
        for r in a.reliability:
            notes = []
            if not is_missing(r.alpha) and r.alpha is not None and r.alpha < 0.70:
                notes.append(flag_text("low-reliability"))
            if not is_missing(r.rwg_j) and r.rwg_j is not None and r.rwg_j < AGREEMENT_CUTOFF:
                notes.append(flag_text("low-agreement"))
            rows.append([r.dimension, fmt_int(r.n), fmt_r(r.alpha), fmt_r(r.rwg_j), ", ".join(notes)])
        out.append(ctx.heading("Reliability and agreement", level=3))
        out.append(
            ctx.table(
                rows,
                [ctx.width - 250, 45, 45, 50, 110],
                align_right=(1, 2, 3),
                extra=[("TOPPADDING", (0, 1), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 1), (-1, -1), 1.5)],
            )
        )
    if a.notes:
        out.append(ctx.heading("Notes", level=3))
        out += [ctx.para(n) for n in a.notes]
    return out
