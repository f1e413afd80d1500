"""Benchmark: a batch of participant reports on 1 and 2 processes, and against plain reportlab.

1. Generates a 360 for ``--participants`` people (default 500) with the sample generator.
2. Reads and scores it and builds every view-model (``load_360`` + ``build_reports``).
3. Renders the batch in this process (1 process), then on a pool of 2 worker processes:
   wall-clock reports per second and the scaling ratio (target ≥ 1.8×).
4. For ``--compare`` participants, renders each report with implassess and the same pages
   with plain reportlab (same paragraphs, tables and the same chart drawing assembled
   directly into a ``BaseDocTemplate`` story, the textbook single-pass "Page N of M"
   canvas), interleaved, CPU time per report: the ratio is the framework's overhead
   per process (target ≤ 1.3×).

Run:  .venv/bin/python benchmarks/bench_participants.py [--participants 500] [--compare 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from implassess import plugins
from implassess.participants import batch
from implassess.participants.assemble import BuildOptions, build_reports, load_360, read_roster
from implassess.participants.model import ParticipantReport
from implassess.report import participant_charts
from implassess.report.fmt import fmt_delta, fmt_mean, fmt_score
from implassess.report.markup import esc
from implassess.report.participant import render_participant
from implassess.report.participant_doc import look_for
from implassess.report.styles import Look
from implassess.sample import generate, write_sample

BATTERY = "implementation-leadership-360"
MARGIN = 56.0


# -- plain reportlab ----------------------------------------------------------------------------


class PlainCanvas(Canvas):
    """The textbook "Page N of M" canvas: keep pages, number them on save."""

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self.pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self.pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for state in self.pages:
            self.__dict__.update(state)
            self.setFont("Helvetica", 7.5)
            self.drawRightString(539, 30, f"Page {self._pageNumber} of {len(self.pages)}")
            Canvas.showPage(self)
        Canvas.save(self)


def plain_story(r: ParticipantReport, look: Look, width: float) -> list[Any]:
    s = look.styles
    grid = [
        ("FONTNAME", (0, 0), (-1, -1), look.font),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), look.primary),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.lightgrey),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.whitesmoke]),
    ]

    def table(rows: list[list[str]], widths: list[float]) -> Table:
        cells = [
            [
                Paragraph(esc(c), s["cell_head" if i == 0 else "cell"]) if j == 0 or i == 0 else c
                for j, c in enumerate(row)
            ]
            for i, row in enumerate(rows)
        ]
        t = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
        t.setStyle(TableStyle(grid))
        return t

    def p(text: str, style: str = "body") -> Paragraph:
        return Paragraph(esc(text), s[style])

    story: list[Any] = [Spacer(1, 30), p("Leadership 360 report", "cover_title"), p(r.name, "cover_client")]
    story += [p(r.programme, "cover_line"), p(r.wave, "cover_line"), NextPageTemplate("body"), PageBreak()]
    story += [p("Summary", "h1"), p("This private report compares how you rated yourself with others.", "lead")]
    story.append(
        table(
            [["Group", "Raters", "Shown"]] + [[g.label, str(g.n or ""), g.note] for g in r.groups],
            [90, 46, width - 136],
        )
    )
    story += [
        Paragraph(f"{esc(u.name)}: gap {fmt_delta(u.gap)}", s["bullet"], bulletText="•") for u in r.units if u.flag
    ]
    story.append(p("Your profile", "h2"))
    rows = [
        (u.name, u.kind == "facet", {"self": u.self_score, "others": u.others, "cohort": u.cohort_others})
        for u in r.units
    ]
    story.append(participant_charts.score_dots(look, rows, r.levels, width))
    story.append(
        table(
            [["Unit", "Self", "Others", "Level", "Cohort", "Gap"]]
            + [
                [
                    u.name,
                    fmt_score(u.self_score),
                    fmt_score(u.others),
                    u.others_level_name,
                    fmt_score(u.cohort_others),
                    fmt_delta(u.gap),
                ]
                for u in r.units
            ],
            [width - 310, 56, 56, 86, 56, 56],
        )
    )
    story += [PageBreak(), p("Self and others", "h1")]
    ng = len(r.group_columns)
    for d in (u for u in r.units if u.kind == "dimension"):
        story.append(p(d.name, "h2"))
        units = [d, *(u for u in r.units if u.kind == "facet" and u.dimension == d.key)]
        story.append(
            table(
                [["", "Self", "All", *r.group_columns, "Gap", ""]]
                + [
                    [
                        u.name,
                        fmt_score(u.self_score),
                        fmt_score(u.others),
                        *(fmt_score(v) for v in u.groups),
                        fmt_delta(u.gap),
                        u.flag or "",
                    ]
                    for u in units
                ],
                [width - 44 * (3 + ng) - 70, *[44] * (3 + ng), 70],
            )
        )
        items = [it for it in r.items if it.dimension == d.key]
        story.append(
            table(
                [["Item", "Self", "Others", *r.group_columns, "Gap"]]
                + [
                    [
                        it.text,
                        fmt_mean(it.self_value),
                        fmt_mean(it.others),
                        *(fmt_mean(v) for v in it.groups),
                        fmt_mean(it.gap),
                    ]
                    for it in items
                ],
                [width - 40 * (3 + ng), *[40] * (3 + ng)],
            )
        )
    story += [PageBreak(), p("Blind spots and largest gaps", "h1")]
    for items in (r.top_positive, r.top_negative, r.highest, r.lowest):
        story.append(
            table(
                [["Item", "Self", "Others", "Gap"]]
                + [[it.text, fmt_mean(it.self_value), fmt_mean(it.others), fmt_mean(it.gap)] for it in items],
                [width - 144, 48, 48, 48],
            )
        )
    story += [PageBreak(), p("Comments", "h1")]
    story += [Paragraph(esc(c), s["bullet"], bulletText="“") for c in (*r.comments, *r.self_comments)]
    if r.change:
        story += [
            p("Change", "h1"),
            table(
                [["Dimension", "Ratings", "Before", "After", "Change", "RCI", ""]]
                + [
                    [
                        c.name,
                        c.source,
                        fmt_score(c.before),
                        fmt_score(c.after),
                        fmt_delta(c.change),
                        fmt_mean(c.rci),
                        c.verdict,
                    ]
                    for c in r.change
                ],
                [width - 362, 66, 50, 50, 50, 50, 96],
            ),
        ]
    story += [PageBreak(), p("Development plan", "h1"), p(r.plan_basis)]
    for e in r.plan:
        story += [Paragraph(f"<b>{e.rank}. {esc(e.title)}</b> ({esc(e.horizon)})", s["body"]), p(e.reason, "small")]
        story += [p(e.description), p(e.rationale, "caption")]
    story += [p("About this report", "h1")] + [p("Methodology paragraph " * 30) for _ in range(4 + len(r.notes))]
    return story


def plain_render(r: ParticipantReport, look: Look, path: Path) -> int:
    w, h = look.page_size
    doc = BaseDocTemplate(str(path), pagesize=look.page_size, invariant=1, initialFontName=look.font)
    body = Frame(MARGIN, 58, w - 2 * MARGIN, h - 128, id="body", leftPadding=0, rightPadding=0)

    def deco(canv: Canvas, d: Any) -> None:
        canv.saveState()
        canv.setFont(look.font, 7.5)
        canv.drawString(MARGIN, h - 40, f"{r.client} · {r.programme}")
        canv.drawCentredString(w / 2, 30, "Private and confidential")
        canv.restoreState()

    doc.addPageTemplates([PageTemplate("cover", [body], onPageEnd=deco), PageTemplate("body", [body], onPageEnd=deco)])
    doc.build(plain_story(r, look, w - 2 * MARGIN), canvasmaker=PlainCanvas)
    return doc.page


# -- the run -------------------------------------------------------------------------------------


def batch_run(outcomes: list[Any], summary: Any, out: Path, executor: batch.Executor) -> float:
    theme = plugins.get_themes()["default"]
    t0 = time.perf_counter()
    try:
        result = batch.run_batch(outcomes, summary, out, theme=theme, executor=executor, reproducible=True)
    finally:
        executor.close()
    elapsed = time.perf_counter() - t0
    assert not result.failed, result.failed[:3]
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--compare", type=int, default=20, help="Reports timed against plain reportlab.")
    args = parser.parse_args(argv)
    n = args.participants
    battery = plugins.get_batteries()[BATTERY]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        write_sample(generate(battery, seed=7, n_participants=n, n_respondents=40), root / "in", formats=("generic",))
        t_gen = time.perf_counter() - t0
        insts = [plugins.get_instruments()[m.id] for m in battery.instruments]
        t0 = time.perf_counter()
        data = load_360(root / "in" / "leadership-360.csv", insts)
        outcomes, summary = build_reports(
            data, read_roster(root / "in" / "participants.csv"), BuildOptions(wave="follow-up", programme=battery.title)
        )
        t_build = time.perf_counter() - t0
        ok = [o for o in outcomes if o.report is not None]
        print(f"{n} participants, {len(data.respondent_ids)} rating forms (generated in {t_gen:.1f} s)")
        print(f"read, score and build {len(ok)} view-models: {t_build:.1f} s")
        t1 = batch_run(ok, summary, root / "one", batch.SerialExecutor())
        t2 = batch_run(ok, summary, root / "two", batch.ProcessExecutor(2))
        pages = statistics.mean(
            e["pages"] for e in __import__("json").loads((root / "one" / "manifest.json").read_text())["participants"]
        )
        print(f"render {len(ok)} reports + cohort summary (mean {pages:.1f} pages per report):")
        print(f"  1 process    {t1:7.1f} s   {len(ok) / t1:6.2f} reports/s")
        print(f"  2 processes  {t2:7.1f} s   {len(ok) / t2:6.2f} reports/s")
        scaling = t1 / t2
        print(f"  scaling      {scaling:7.2f}x  (target >= 1.80x)")

        look = look_for("default")
        sample = [o.report for o in ok[: args.compare]]
        render_participant(sample[0], "default", root / "warm.pdf", reproducible=True)
        plain_render(sample[0], look, root / "warm-plain.pdf")
        impl, plain = [], []
        for r in sample:
            c0 = time.process_time()
            render_participant(r, "default", root / "impl.pdf", reproducible=True)
            c1 = time.process_time()
            plain_render(r, look, root / "plain.pdf")
            c2 = time.process_time()
            impl.append(c1 - c0)
            plain.append(c2 - c1)
        ratio = statistics.median(impl) / statistics.median(plain)
        print(f"per process, CPU time per report, median of {len(sample)} interleaved:")
        print(f"  implassess render_participant  {statistics.median(impl) * 1000:7.0f} ms")
        print(f"  plain reportlab, same pages    {statistics.median(plain) * 1000:7.0f} ms")
        print(f"  ratio                          {ratio:7.2f}x  (target <= 1.30x)")
    return 0 if scaling >= 1.8 and ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
