"""The cohort summary PDF: aggregates across a programme's participants, no individual's data.

Per cohort (and for all participants when there are several): rater participation,
mean self and all-others scores with the mean gap, how many participants have a blind
spot or hidden strength on each dimension, the spread of levels, change since the
comparison wave, and the development actions most often triggered. A cohort below the
minimum size is named with its size and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.platypus import CondPageBreak, Flowable, NextPageTemplate, PageBreak, Spacer

from implassess.contracts import Theme
from implassess.participants.model import CohortBlock, CohortSummary
from implassess.report.fmt import MISSING, fmt_date, fmt_delta, fmt_int, fmt_score
from implassess.report.participant_doc import heading, look_for, para, table, write_pdf
from implassess.report.render import RenderResult
from implassess.report.styles import Look

CONFIDENTIALITY = "Confidential – programme team"


def _count(n: int | None) -> str:
    return "–" if n is None else fmt_int(n)


def _block(look: Look, s: CohortSummary, b: CohortBlock, k: int, width: float) -> list[Flowable]:
    out: list[Flowable] = [PageBreak(), heading(look, b.label, 1, f"block-{k}")]
    if not b.shown:
        why = b.note or (
            f"{b.participants} participant(s) with a report: fewer than {s.min_cohort}, so this cohort is not "
            "summarised (its results could point to individuals)."
        )
        return [*out, para(look, why)]
    out.append(para(look, f"{b.participants} participants with a report.", "lead"))
    rows: list[list[Any]] = [["Rater group", "Raters", "Participants shown"]]
    for label, n, shown in b.raters:
        rows.append([label if label != "All others" else "All raters", fmt_int(n), fmt_int(shown)])
    out.append(table(look, rows, [width - 200, 90, 110]))
    out.append(
        para(
            look,
            "Raters: rating forms received in this wave. Participants shown: participants whose report shows the "
            "group (it met its minimum).",
            "caption",
        )
    )
    out.append(heading(look, "Self and others", 2, f"block-{k}-profile"))
    rows = [["Dimension / facet", "n", "Mean self", "Mean others", "Mean gap", "Blind spots", "Hidden strengths"]]
    bold = []
    for i, u in enumerate(b.units, start=1):
        style = "cell_bold" if u.kind == "dimension" else "cell_indent"
        rows.append(
            [
                (u.name, style),
                fmt_int(u.n),
                fmt_score(u.mean_self),
                fmt_score(u.mean_others),
                fmt_delta(u.mean_gap),
                fmt_int(u.blind_spots) if u.mean_others is not None else MISSING,
                fmt_int(u.hidden_strengths) if u.mean_others is not None else MISSING,
            ]
        )
        if u.kind == "dimension":
            bold.append(("FONTNAME", (1, i), (-1, i), look.bold))
    out.append(table(look, rows, [width - 6 * 52, *[52] * 6], extra=bold))
    out.append(
        para(
            look,
            "n: participants with an all-others score. Mean gap: self − all others on 0–100. Blind spots and hidden "
            "strengths: participants whose gap lies beyond the threshold.",
            "caption",
        )
    )
    out.append(CondPageBreak(220))
    out.append(heading(look, "Levels by all others' ratings", 2, f"block-{k}-levels"))
    head = ["Dimension", *(f"{lv} {name}" for lv, name in s.levels)]
    rows = [head]
    for u in b.units:
        if u.kind == "dimension":
            counts: list[int | None] = list(u.levels) or [None] * len(s.levels)
            rows.append([u.name, *(_count(c) for c in counts)])
    n = len(s.levels)
    out.append(table(look, rows, [width - n * 62, *[62] * n]))
    out.append(para(look, "Participants per level of their all-others score.", "caption"))
    if s.compare_wave:
        out.append(heading(look, f"Change since {s.compare_wave}", 2, f"block-{k}-change"))
        rows = [["Dimension", "Mean change (others)", "Reliably improved", "Reliably declined"]]
        for u in b.units:
            if u.kind == "dimension":
                rows.append([u.name, fmt_delta(u.mean_change), _count(u.improved), _count(u.declined)])
        out.append(table(look, rows, [width - 3 * 100, 100, 100, 100]))
        out.append(
            para(
                look,
                "Reliable change: |RCI| > 1.96 on the participant's all-others score (Jacobson & Truax 1991).",
                "caption",
            )
        )
    out.append(heading(look, "Development themes", 2, f"block-{k}-themes"))
    if b.themes:
        rows = [["Action triggered by all others' ratings", "Participants"]]
        rows += [[title, fmt_int(c)] for title, c in b.themes]
        out.append(table(look, rows, [width - 90, 90]))
    else:
        out.append(para(look, "No decision trigger fired for any participant."))
    return out


def cohort_story(look: Look, s: CohortSummary) -> list[Flowable]:
    """Every flowable of the cohort summary, cover first."""
    width = look.page_size[0] - 2 * 56.0
    out: list[Flowable] = [
        Spacer(1, 30),
        para(look, "Leadership 360 cohort summary", "cover_title"),
        para(look, s.programme, "cover_client"),
    ]
    if s.client:
        out.append(para(look, s.client, "cover_line"))
    line = f"Ratings: {s.wave}" + (f", compared with {s.compare_wave}" if s.compare_wave else "")
    out += [para(look, line, "cover_line"), para(look, fmt_date(s.date), "cover_line")]
    out += [NextPageTemplate("body"), PageBreak(), heading(look, "About this summary", 1, "about")]
    notes = [
        "This summary holds group results only: no participant's name, id, scores or comments. Individual "
        "reports are private to each participant.",
        f"A cohort is summarised only with at least {s.min_cohort} participants with a report, and every mean "
        f"needs at least {s.min_cohort} participants. The same rater minimums as in the individual reports apply: "
        "a participant's all-others score counts only when their report shows it.",
    ]
    if s.failed:
        notes.append(
            f"{s.failed} participant(s) have no report because of a data problem; the batch manifest gives the "
            "reason for each."
        )
    out += [para(look, n) for n in (*notes, *s.notes)]
    rows: list[list[Any]] = [["Cohort", "Participants", "Summarised"]]
    for b in s.blocks:
        rows.append(
            [
                b.label,
                fmt_int(b.participants),
                "Yes" if b.shown else ("No (would reveal a small cohort)" if b.note else "No (too few)"),
            ]
        )
    out.append(table(look, rows, [width - 200, 100, 100], text_cols=(0, 2)))
    for k, b in enumerate(s.blocks):
        out += _block(look, s, b, k, width)
    return out


def render_cohort_summary(
    summary: CohortSummary, theme: Theme | str, out_path: Path, *, reproducible: bool = False
) -> RenderResult:
    """Render the cohort summary to ``out_path`` (written atomically)."""
    look = look_for(theme)
    return write_pdf(
        cohort_story(look, summary),
        look,
        out_path,
        title=f"Leadership 360 cohort summary – {summary.programme}",
        subject=summary.programme,
        client=summary.client,
        engagement=summary.programme,
        consultancy=summary.consultancy,
        date=summary.date,
        confidentiality=CONFIDENTIALITY,
        reproducible=reproducible,
    )
