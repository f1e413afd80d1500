"""The participant's private 360 report as a PDF.

Sections: summary (who rated you, key points, profile chart and table), self and others
per dimension (facets and items, each shown rater group), blind spots and largest gaps,
highest- and lowest-rated items, comments, change since the comparison wave (with the
RCI), development plan, and how to read the report. Every string from the data goes
through :func:`~implassess.report.markup.esc`; every number through
:mod:`implassess.report.fmt`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, NextPageTemplate, PageBreak, Paragraph, Spacer

from implassess.contracts import Theme
from implassess.participants.masking import MASK
from implassess.participants.model import ALL_OTHERS, GROUP_LABELS, ItemRow, ParticipantReport, UnitRow
from implassess.report import participant_charts
from implassess.report.fmt import MINUS, MISSING, fmt_date, fmt_delta, fmt_mean, fmt_r, fmt_score
from implassess.report.markup import esc
from implassess.report.participant_doc import heading, look_for, para, table, write_pdf
from implassess.report.render import RenderResult
from implassess.report.styles import Look

FLAG_WORDS = {"blind-spot": "Blind spot", "hidden-strength": "Hidden strength"}
SHORT_LABELS = {"manager": "Mgr", "peer": "Peers", "direct-report": "Reports", "other": "Others"}
CONFIDENTIALITY = "Private and confidential"


def signed_mean(x: float | None) -> str:
    """A signed difference on the answer scale: ``+0.75``, ``−1.20``, ``0.00``."""
    text = fmt_mean(x)
    if text == MISSING or text.startswith(MINUS) or float(text) == 0:
        return text
    return "+" + text


def signed_r(x: float | None) -> str:
    """A signed index with two decimals (RCI): ``+2.31``."""
    text = fmt_r(x)
    if text == MISSING or text.startswith(MINUS) or float(text) == 0:
        return text
    return "+" + text


def _threshold_points(r: ParticipantReport) -> str:
    return fmt_score(100.0 * r.gap_fraction)


def _wave_line(r: ParticipantReport) -> str:
    line = f"Ratings: {r.wave}" if r.wave else "Ratings"
    if r.compare_wave:
        line += f", compared with {r.compare_wave}"
    return line


def _cover(look: Look, r: ParticipantReport) -> list[Flowable]:
    out: list[Flowable] = [
        Spacer(1, 30),
        para(look, "Leadership 360 report", "cover_title"),
        para(look, r.name, "cover_client"),
        para(look, r.programme, "cover_line"),
    ]
    where = " · ".join(t for t in (r.client, r.site, f"Cohort {r.cohort}" if r.cohort else "") if t)
    if where:
        out.append(para(look, where, "cover_line"))
    out += [para(look, _wave_line(r), "cover_line"), para(look, fmt_date(r.date), "cover_line")]
    return [*out, NextPageTemplate("body"), PageBreak()]


def _shown_columns(r: ParticipantReport) -> list[str]:
    return [SHORT_LABELS.get(g, GROUP_LABELS.get(g, g)) for g in r.group_columns]


# -- summary ----------------------------------------------------------------------------------


def _summary(look: Look, r: ParticipantReport, width: float) -> list[Flowable]:
    out: list[Flowable] = [heading(look, "Summary", 1, "summary")]
    out.append(
        para(
            look,
            f"This private report compares how you rated yourself with how the people who work with you rated you "
            f"on {r.programme}. Scores run from 0 to 100 (percent of the maximum possible); item ratings are on "
            "their answer scale. Only you and the people you choose to share it with see it.",
            "lead",
        )
    )
    rows: list[list[Any]] = [["Group", "Raters", "Shown"]]
    for g in r.groups:
        rows.append([g.label, g.count_text(), f"Yes. {g.note}" if g.at_least else ("Yes" if g.shown else g.note)])
    out.append(table(look, rows, [90, 62, width - 152], text_cols=(0, 2)))
    if any(minimum < 2 for _, minimum, _ in r.rules.lowered()):
        out.append(
            para(
                look,
                "A rater minimum was lowered below 2 for this programme, so a group shown here may be one person: "
                "see Rater minimums lowered for this programme at the end of the report.",
                "caption",
            )
        )
    out.append(Spacer(1, 8))
    out += _key_points(look, r)
    return out


def _key_points(look: Look, r: ParticipantReport) -> list[Flowable]:
    out: list[Flowable] = [heading(look, "Key points", 3, "")]
    bullets: list[str] = []
    if not r.others_shown:
        bullets.append(
            f"Fewer than {r.rules.all_others} people rated you, so no rater result can be shown without "
            "putting their anonymity at risk. The report shows your self-assessment only."
        )
    flagged = [u for u in r.units if u.flag]
    for u in flagged:
        word = "above" if u.flag == "blind-spot" else "below"
        bullets.append(
            f"<b>{FLAG_WORDS[u.flag or '']}</b>: {esc(u.name)} — you rated yourself {fmt_score(abs(u.gap or 0))} "
            f"points {word} all others ({fmt_score(u.self_score)} vs {fmt_score(u.others)})."
        )
    if r.others_shown and not flagged:
        bullets.append(
            f"No blind spots or hidden strengths: no self–others gap on a dimension or facet exceeds "
            f"{_threshold_points(r)} points."
        )
    if r.highest:
        bullets.append(f"Rated highest by others: “{esc(r.highest[0].text)}” ({fmt_mean(r.highest[0].others)}).")
    if r.lowest:
        bullets.append(f"Rated lowest by others: “{esc(r.lowest[0].text)}” ({fmt_mean(r.lowest[0].others)}).")
    if r.plan:
        bullets.append(f"First development step: <b>{esc(r.plan[0].title)}</b>.")
    out += [Paragraph(b, look.styles["bullet"], bulletText="•") for b in bullets]
    return out


def _profile(look: Look, r: ParticipantReport, width: float) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(320), heading(look, "Your profile", 2, "profile")]
    rows = [
        (u.name, u.kind == "facet", {"self": u.self_score, "others": u.others, "cohort": u.cohort_others})
        for u in r.units
    ]
    out.append(participant_charts.score_dots(look, rows, r.levels, width))
    out.append(Spacer(1, 6))
    head = ["Dimension / facet", "Self", "All others", "Level (others)", "Cohort", "Gap"]
    body: list[list[Any]] = [head]
    bold_rows = []
    for i, u in enumerate(r.units, start=1):
        label = (u.name, "cell_bold") if u.kind == "dimension" else (u.name, "cell_indent")
        lv = f"{u.others_level} {u.others_level_name}" if u.others_level is not None else MISSING
        body.append(
            [label, fmt_score(u.self_score), fmt_score(u.others), lv, fmt_score(u.cohort_others), fmt_delta(u.gap)]
        )
        if u.kind == "dimension":
            bold_rows.append(("FONTNAME", (1, i), (-1, i), look.bold))
    w = [width - 5 * 56 - 30, 56, 56, 86, 56, 56]
    out.append(table(look, body, w, text_cols=(0, 3), extra=bold_rows))
    out.append(
        para(
            look,
            "Gap = self − all others in points on 0–100. Cohort = mean of all others' scores across the "
            "participants of your cohort (not shown for small cohorts).",
            "caption",
        )
    )
    return out


# -- self and others ----------------------------------------------------------------------------


def _unit_table(look: Look, r: ParticipantReport, units: Sequence[UnitRow], width: float) -> Flowable:
    cols = _shown_columns(r)
    head = ["", "Self", "All others", *cols, "Gap", ""]
    num_w = 44.0
    flag_w = 70.0
    text_w = width - num_w * (3 + len(cols)) - flag_w
    rows: list[list[Any]] = [head]
    for u in units:
        rows.append(
            [
                (u.name, "cell_bold" if u.kind == "dimension" else "cell"),
                fmt_score(u.self_score),
                fmt_score(u.others),
                *(fmt_score(v) for v in u.groups),
                fmt_delta(u.gap),
                FLAG_WORDS.get(u.flag or "", ""),
            ]
        )
    extra = [("FONTNAME", (0, 1), (-1, 1), look.bold)]
    return table(look, rows, [text_w, *[num_w] * (3 + len(cols)), flag_w], text_cols=(0, len(head) - 1), extra=extra)


def _item_table(look: Look, r: ParticipantReport, items: Sequence[ItemRow], width: float) -> Flowable:
    cols = _shown_columns(r)
    head = ["Item", "Self", "Others", *cols, "Gap"]
    num_w = 40.0
    text_w = width - num_w * (3 + len(cols))
    rows: list[list[Any]] = [head]
    for it in items:
        text = it.text + (" (R)" if it.reverse else "")
        rows.append(
            [
                text,
                fmt_mean(it.self_value),
                fmt_mean(it.others),
                *(fmt_mean(v) for v in it.groups),
                signed_mean(it.gap),
            ]
        )
    return table(look, rows, [text_w, *[num_w] * (3 + len(cols))])


def _dimensions(look: Look, r: ParticipantReport, width: float) -> list[Flowable]:
    out: list[Flowable] = [PageBreak(), heading(look, "Self and others", 1, "self-and-others")]
    out.append(
        para(
            look,
            "For each dimension: scores on 0–100 for you, for all others and for each rater group large enough to "
            "show, then every item on its answer scale. Items marked (R) are reverse-keyed: their ratings are "
            "turned round so that higher is always better. A dash means too few answers to show.",
        )
    )
    dims = [u for u in r.units if u.kind == "dimension"]
    for n, dim in enumerate(dims):
        if n:
            out.append(CondPageBreak(260))
        out.append(heading(look, dim.name, 2, f"dim-{n}"))
        units = [dim, *(u for u in r.units if u.kind == "facet" and u.dimension == dim.key)]
        out.append(_unit_table(look, r, units, width))
        out.append(Spacer(1, 8))
        items = [it for it in r.items if it.dimension == dim.key]
        if items and r.others_shown:
            out.append(_item_table(look, r, items, width))
            out.append(Spacer(1, 10))
        elif items:
            out.append(_item_table(look, r, items, width))
    return out


# -- gaps and extremes ----------------------------------------------------------------------


def _small_items(look: Look, items: Sequence[ItemRow], width: float, gap: bool) -> Flowable:
    head = ["Item", "Self", "Others", "Gap"] if gap else ["Item", "Others", "Self"]
    rows: list[list[Any]] = [head]
    for it in items:
        if gap:
            rows.append([it.text, fmt_mean(it.self_value), fmt_mean(it.others), signed_mean(it.gap)])
        else:
            rows.append([it.text, fmt_mean(it.others), fmt_mean(it.self_value)])
    n = len(head) - 1
    return table(look, rows, [width - 48 * n, *[48] * n])


def _gaps(look: Look, r: ParticipantReport, width: float) -> list[Flowable]:
    out: list[Flowable] = [PageBreak(), heading(look, "Blind spots and largest gaps", 1, "gaps")]
    if not r.others_shown:
        return [*out, para(look, "Not shown: there are too few raters to compare your ratings with others'.")]
    pts = _threshold_points(r)
    out.append(
        para(
            look,
            f"A blind spot is a dimension or facet where you rated yourself more than {pts} points (a third of "
            f"the scale) above all others; a hidden strength is one where you rated yourself more than {pts} points "
            "below them. A gap exactly at the threshold is not flagged.",
        )
    )
    flagged = [u for u in r.units if u.flag]
    if flagged:
        rows: list[list[Any]] = [["Dimension / facet", "Self", "All others", "Gap", "Finding"]]
        for u in flagged:
            rows.append(
                [
                    u.name,
                    fmt_score(u.self_score),
                    fmt_score(u.others),
                    fmt_delta(u.gap),
                    FLAG_WORDS.get(u.flag or "", ""),
                ]
            )
        out.append(table(look, rows, [width - 3 * 56 - 90, 56, 56, 56, 90], text_cols=(0, 4)))
    else:
        out.append(para(look, "No dimension or facet has a gap above the threshold."))
    out.append(heading(look, "You rated yourself higher than others did", 3, ""))
    out.append(_small_items(look, r.top_positive, width, True) if r.top_positive else para(look, "No such item."))
    out.append(heading(look, "You rated yourself lower than others did", 3, ""))
    out.append(_small_items(look, r.top_negative, width, True) if r.top_negative else para(look, "No such item."))
    out.append(
        para(look, "The five largest gaps each way, on each item's answer scale (self − all others).", "caption")
    )
    out.append(CondPageBreak(250))
    out.append(heading(look, "Highest and lowest rated items", 2, "extremes"))
    out.append(heading(look, "Rated highest by others", 3, ""))
    out.append(_small_items(look, r.highest, width, False))
    out.append(heading(look, "Rated lowest by others", 3, ""))
    out.append(_small_items(look, r.lowest, width, False))
    return out


# -- comments ---------------------------------------------------------------------------------


def _comments(look: Look, r: ParticipantReport) -> list[Flowable]:
    out: list[Flowable] = [PageBreak(), heading(look, "Comments", 1, "comments")]
    if not r.others_shown:
        out.append(para(look, "Raters' comments are not shown: too few people rated you to keep them anonymous."))
    elif r.comments:
        out.append(
            para(
                look,
                "Comments are printed as written, without who wrote them, in an order that does not follow the "
                f"rater groups or when they were submitted. Names of other participants of the programme are "
                f"replaced by {MASK}.",
            )
        )
        for c in r.comments:
            out.append(Paragraph(esc(c).replace("\n", "<br/>"), look.styles["bullet"], bulletText="“"))
    else:
        out.append(para(look, "None of your raters left a comment."))
    if r.self_comments:
        out.append(heading(look, "Your own comment", 3, ""))
        for c in r.self_comments:
            out.append(Paragraph(esc(c).replace("\n", "<br/>"), look.styles["bullet"], bulletText="“"))
    return out


# -- change -------------------------------------------------------------------------------------


def _change(look: Look, r: ParticipantReport, width: float) -> list[Flowable]:
    if not r.compare_wave:
        return []
    out: list[Flowable] = [CondPageBreak(300), heading(look, f"Change since {r.compare_wave}", 1, "change")]
    if not r.change:
        return [*out, para(look, r.change_note)]
    out.append(
        para(
            look,
            f"Scores at {r.compare_wave} and at {r.wave} on 0–100. The reliable change index RCI = change / SEdiff "
            "with SEdiff = SD·√2·√(1 − alpha) (Jacobson & Truax 1991) says whether a change is larger than measurement "
            "error: beyond ±1.96 it is a reliable change.",
        )
    )
    rows: list[list[Any]] = [["Dimension", "Ratings", r.compare_wave, r.wave, "Change", "RCI", "Verdict"]]
    for c in r.change:
        rows.append(
            [
                c.name,
                GROUP_LABELS[ALL_OTHERS] if c.source == ALL_OTHERS else GROUP_LABELS["self"],
                fmt_score(c.before),
                fmt_score(c.after),
                fmt_delta(c.change),
                signed_r(c.rci),
                c.verdict.capitalize(),
            ]
        )
    out.append(table(look, rows, [width - 66 - 4 * 50 - 96, 66, 50, 50, 50, 50, 96], text_cols=(0, 1, 6)))
    if r.change_note:
        out.append(para(look, r.change_note, "caption"))
    return out


# -- development plan ------------------------------------------------------------------------


def _plan(look: Look, r: ParticipantReport) -> list[Flowable]:
    out: list[Flowable] = [PageBreak(), heading(look, "Development plan", 1, "plan")]
    out.append(para(look, r.plan_basis))
    if not r.plan:
        return [*out, para(look, "No action is triggered by your scores.")]
    triggered = [e for e in r.plan if e.priority]
    level = [e for e in r.plan if not e.priority]
    for title, entries in (("Triggered by your scores", triggered), ("Recommended at your level", level)):
        if not entries:
            continue
        out.append(heading(look, title, 2, f"plan-{title[:9].lower().replace(' ', '-')}"))
        for e in entries:
            when = f" ({esc(e.horizon)})" if e.horizon else ""
            prio = f" · {esc(e.priority)} priority" if e.priority else ""
            block: list[Flowable] = [
                Paragraph(f"<b>{e.rank}. {esc(e.title)}</b>{when}{prio}", look.styles["body"]),
                para(look, e.reason, "small"),
            ]
            if e.description:
                block.append(para(look, e.description, "body"))
            if e.rationale:
                block.append(para(look, "Why: " + e.rationale, "caption"))
            out.append(KeepTogether(block))
    return out


# -- about --------------------------------------------------------------------------------------


def _about(look: Look, r: ParticipantReport) -> list[Flowable]:
    rules = r.rules
    if rules.manager_alone and rules.manager <= 1:
        manager = "Your manager's ratings are shown on their own, as agreed for this programme."
    elif rules.manager <= 1:
        manager = "A single manager's ratings are shown on their own."
    else:
        manager = (
            f"A manager group is shown only with at least {rules.manager} managers; otherwise it is treated like "
            "any other small group."
        )
    paras = [
        "Each rater's answers are scored per dimension and facet as the mean of the items answered (at least "
        "the instrument's share of items), then put on 0–100 (percent of the maximum possible). Reverse-keyed "
        "items are turned round first. A group's score is the mean of its raters' scores; All others is the "
        "mean over every rater in it, each rater counting once.",
        f"Anonymity: a rater group is shown only with at least its minimum of raters (peers {rules.peer}, direct "
        f"reports {rules.direct_report}, others {rules.other}); All others needs at least {rules.all_others} "
        f"raters, or no rater result is shown. {manager} A group below its minimum is not merged into another "
        "group. Its ratings count in All others only when the raters of all groups not shown together reach the "
        "largest of their minimums, so no small group can be worked out by subtracting the shown groups from All "
        "others; for the same reason the number of raters in All others is then given only as a lower bound. The "
        "same minimum applies to every score and item: where fewer raters answered, a dash is shown.",
        f"Blind spots and hidden strengths: a self − all others gap above {_threshold_points(r)} points "
        f"({fmt_r(r.gap_fraction)} of the scale range) on a dimension or facet. Largest gaps and highest or "
        "lowest items are ranked on each item's share of its answer scale.",
        "Comments are printed verbatim, without rater identity, from the raters counted in All others, and in an "
        "order fixed by the text itself, not by the rater group or submission time. The names of other "
        f"participants of the programme are replaced by {MASK}.",
    ]
    if r.change_note:
        paras.append(r.change_note)
    paras += list(r.notes)
    out: list[Flowable] = [CondPageBreak(200), heading(look, "About this report", 1, "about")]
    lowered = lowered_minimums(r)
    if lowered:
        out.append(heading(look, "Rater minimums lowered for this programme", 3, ""))
        out += [para(look, p, "lead") for p in lowered]
    out += [para(look, p) for p in paras]
    return out


def lowered_minimums(r: ParticipantReport) -> list[str]:
    """One plain sentence or two per rater minimum set below the usual one, saying what it means."""
    out = []
    for key, minimum, usual in r.rules.lowered():
        label = GROUP_LABELS.get(key, key)
        if minimum < 2:
            out.append(
                f"The minimum for {label} was lowered to {minimum} for this programme (usually {usual}). A "
                f"{label} result can therefore come from a single person, and that person's ratings can be read "
                "directly from it: they are not anonymous."
            )
        else:
            out.append(
                f"The minimum for {label} was lowered to {minimum} for this programme (usually {usual}). With so "
                "few raters in a group, its results are easier to link to the people who gave them."
            )
    return out


def participant_story(look: Look, r: ParticipantReport) -> list[Flowable]:
    """Every flowable of the participant report, cover first."""
    width = look.page_size[0] - 2 * 56.0
    story = _cover(look, r) + _summary(look, r, width) + _profile(look, r, width)
    story += _dimensions(look, r, width)
    story += _gaps(look, r, width)
    story += _comments(look, r)
    story += _change(look, r, width)
    story += _plan(look, r)
    story += _about(look, r)
    return story


def render_participant(
    report: ParticipantReport, theme: Theme | str, out_path: Path, *, reproducible: bool = False
) -> RenderResult:
    """Render one participant's private report to ``out_path`` (written atomically)."""
    look = look_for(theme)
    return write_pdf(
        participant_story(look, report),
        look,
        out_path,
        title=f"Leadership 360 report – {report.name}",
        subject=report.programme,
        client=report.client,
        engagement=report.programme,
        consultancy=report.consultancy,
        date=report.date,
        confidentiality=CONFIDENTIALITY,
        reproducible=reproducible,
    )
