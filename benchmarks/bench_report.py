"""Benchmark: rendering the example report against the same pages built with plain reportlab.

Both sides lay out the 26-page example (17 dimensions, 5 sites, 12 KPIs, 8 actions) with
a contents page (``multiBuild``), running headers and "Page N of M" footers, and times
each 5 times, interleaved in the same run (CPU time of the process; median):

- implassess: ``render_report`` (theme lookup, jinja2 narrative, plugin sections,
  escaping, atomic write);
- plain reportlab: the same paragraphs, tables and drawings assembled directly into a
  story (narrative written as f-strings, no jinja2, no plugin or section machinery),
  built with a minimal ``BaseDocTemplate``.

The drawings come from the same chart functions on both sides, so the ratio measures the
framework's overhead, not chart drawing. The target is implassess ≤ 1.3× plain. Run:

    .venv/bin/python benchmarks/bench_report.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reportlab.lib import colors
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
from reportlab.platypus.tableofcontents import TableOfContents

from implassess import plugins
from implassess.report import charts, heatmap, likert, render_report
from implassess.report.fmt import fmt_ci, fmt_int, fmt_kpi, fmt_mean, fmt_r, fmt_score
from implassess.report.markup import esc
from implassess.report.model import ReportModel
from implassess.report.sample_model import sample_model
from implassess.report.styles import Look, make_look

MARGIN = 56.0


class PlainDoc(BaseDocTemplate):
    """The textbook reportlab recipe: headings notify the contents; footer shows the last pass's total."""

    def __init__(self, filename: str, **kw: Any):
        self.total = 0
        self.seen = 0
        super().__init__(filename, **kw)

    def beforeDocument(self) -> None:
        self.total = self.seen or self.total

    def afterPage(self) -> None:
        self.seen = self.page

    def afterFlowable(self, f: Any) -> None:
        if isinstance(f, Paragraph) and f.style.name in ("h1", "h2"):
            level = 0 if f.style.name == "h1" else 1
            key = f"k{id(f)}"
            self.canv.bookmarkPage(key)
            self.notify("TOCEntry", (level, f.getPlainText(), self.page, key))


def plain_story(model: ReportModel, look: Look, width: float) -> list[Any]:
    s = look.styles
    grid = [
        ("FONTNAME", (0, 0), (-1, -1), look.font),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), look.primary),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.lightgrey),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.whitesmoke]),
    ]

    def table(rows: list[list[Any]], widths: list[float]) -> Table:
        cells = [
            [Paragraph(esc(c), s["cell_head" if r == 0 else "cell"]) if isinstance(c, str) else c for c in row]
            for r, row in enumerate(rows)
        ]
        t = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
        t.setStyle(TableStyle(grid))
        return t

    m, meta, o = model, model.meta, model.overall
    story: list[Any] = [
        Spacer(1, 36),
        Paragraph(esc(meta.title), s["cover_title"]),
        Paragraph(esc(meta.client), s["cover_client"]),
        Paragraph(esc(meta.engagement), s["cover_line"]),
        NextPageTemplate("body"),
        PageBreak(),
        Paragraph("Contents", s["toc_title"]),
    ]
    toc = TableOfContents(dotsMinLevel=1)
    toc.levelStyles = [s["toc1"], s["toc2"]]
    story += [toc, PageBreak(), Paragraph("Executive summary", s["h1"])]
    tiles = [
        Paragraph(fmt_score(o.score_0_100), s["big_number"]),
        Paragraph(f"{o.level} {o.level_name}", s["big_number"]),
        Paragraph(f"{sum(k.rag == 'green' for k in m.kpis)} of {len(m.kpis)}", s["big_number"]),
    ]
    story += [Table([tiles], colWidths=[width / 3] * 3), charts.level_gauge(look, m.levels, o.score_0_100, width=width)]
    strengths = [m.dimension(i) for i in m.strengths]
    gaps = [m.dimension(i) for i in m.gaps]
    story.append(
        Paragraph(
            f"{esc(meta.client)} scores <b>{fmt_score(o.score_0_100)}</b> out of 100 across "
            f"{len(m.dimensions)} dimensions, level <b>{o.level}, {esc(o.level_name)}</b>. "
            f"{esc(o.descriptor)}",
            s["body"],
        )
    )
    story.append(
        Paragraph(
            "The practices are agreed and documented for most initiatives; the next step is to "
            "measure and review on a regular cycle.",
            s["body"],
        )
    )
    side = [
        table(
            [["Top strengths", "Score", "Level"]]
            + [[d.name, fmt_score(d.score_0_100), d.level_name] for d in strengths],
            [width / 2 - 116, 40, 70],
        ),
        table(
            [["Largest gaps", "Score", "Level"]] + [[d.name, fmt_score(d.score_0_100), d.level_name] for d in gaps],
            [width / 2 - 116, 40, 70],
        ),
    ]
    story.append(Table([side], colWidths=[width / 2, width / 2]))
    for p in m.action_plan[:3]:
        story.append(
            Paragraph(
                f"<b>{esc(p.title)}</b> ({esc(p.horizon)}). {esc(p.description)}", s["bullet"], bulletText=f"{p.rank}."
            )
        )
    story += [
        PageBreak(),
        Paragraph("Maturity profile", s["h1"]),
        Paragraph("Each spoke is one dimension; the dashed line marks the target.", s["body"]),
        charts.radar(
            look,
            [d.score_0_100 for d in m.dimensions],
            [d.target for d in m.dimensions],
            [d.benchmark for d in m.dimensions],
            size=290,
        ),
        charts.radar_legend(look, 260, True, True),
    ]
    story.append(
        table(
            [["No.", "Dimension", "Score", "Level", "Target", "Benchmark"]]
            + [
                [str(i), d.name, fmt_score(d.score_0_100), d.level_name, fmt_score(d.target), fmt_score(d.benchmark)]
                for i, d in enumerate(m.dimensions, 1)
            ],
            [26, width - 266, 42, 72, 42, 84],
        )
    )
    story += [
        PageBreak(),
        Paragraph("Dimension results", s["h1"]),
        Paragraph("The following pages show each dimension in turn.", s["body"]),
    ]
    for i, d in enumerate(m.dimensions):
        if i:
            story.append(PageBreak())
        story += [
            Paragraph(esc(d.name), s["h2"]),
            Paragraph(esc(d.group), s["caption"]),
            charts.level_gauge(
                look,
                m.levels,
                d.score_0_100,
                ci=(d.ci_low, d.ci_high),
                target=d.target,
                benchmark=d.benchmark,
                width=width,
            ),
            Paragraph(
                f"{esc(d.name)} scores <b>{fmt_score(d.score_0_100)}</b> of 100, level "
                f"<b>{d.level} {esc(d.level_name)}</b>. {esc(d.descriptor)}",
                s["body"],
            ),
            Paragraph(f"rwg(j) is {fmt_r(d.rwg_j)} against the 0.70 convention.", s["body"]),
            table(
                [
                    ["n", "Mean (SD)", "95% CI", "Alpha", "rwg(j)", "Target", "Benchmark"],
                    [
                        fmt_int(d.n),
                        f"{fmt_mean(d.mean)} ({fmt_mean(d.sd)})",
                        fmt_ci(d.ci_low, d.ci_high),
                        fmt_r(d.alpha),
                        fmt_r(d.rwg_j),
                        fmt_score(d.target),
                        fmt_score(d.benchmark),
                    ],
                ],
                [40, 68, 68, 44, 44, 58, width - 322],
            ),
            Paragraph("Facets", s["h3"]),
            charts.facet_bars(look, [(f.name, f.score_0_100) for f in d.facets], d.target, width),
            Paragraph("How respondents answered", s["h3"]),
            likert.diverging_legend(look, [lab for lab, _ in d.items[0].substantive()], width),
        ]
        extent = likert.diverging_extent(d.items)
        bar_w = width - 286
        rows = [
            [
                Paragraph("Question", s["cell_small"]),
                likert.diverging_axis(look, bar_w, extent),
                Paragraph("Set apart", s["cell_small"]),
            ]
        ]
        for item in d.items:
            apart = "<br/>".join(f"{esc(lab)}: {c}" for lab, c in item.set_apart())
            rows.append(
                [
                    Paragraph(esc(item.text), s["cell_small"]),
                    likert.diverging_bar(look, item, bar_w, extent=extent),
                    Paragraph(apart, s["cell_small"]),
                ]
            )
        story.append(Table(rows, colWidths=[178, bar_w + 8, 100]))
        story.append(Paragraph("Bars show the share of substantive answers.", s["caption"]))
        if d.actions:
            story.append(Paragraph("Recommended actions", s["h3"]))
            story += [
                Paragraph(
                    f"<b>{esc(a.title)}</b> ({esc(a.horizon)}). {esc(a.description)}", s["bullet"], bulletText="•"
                )
                for a in d.actions
            ]
    assert m.heatmap is not None and m.appendix is not None
    story += [
        PageBreak(),
        Paragraph("Results by group", s["h1"]),
        Paragraph("Scores by site for every dimension; small groups are suppressed.", s["body"]),
        heatmap.heatmap_legend(look, m.levels, width, m.appendix.min_group_size),
        *heatmap.heatmap(look, m.heatmap, m.levels, width),
    ]
    story += [PageBreak(), Paragraph("KPI scorecard", s["h1"]), Paragraph("Status is a shape and a word.", s["body"])]
    story.append(
        table(
            [["Indicator", "Value", "Target", "Level", "Status", "Trend"]]
            + [
                [
                    k.name,
                    fmt_kpi(k.value, k.unit),
                    fmt_kpi(k.target, k.unit),
                    str(k.level),
                    Table(
                        [[charts.rag_mark(look, k.rag), Paragraph(str(k.rag).capitalize(), s["cell_bold"])]],
                        colWidths=[14, 42],
                    ),
                    charts.sparkline(look, k.trend, k.target, width=96),
                ]
                for k in m.kpis
            ],
            [width - 272, 56, 56, 40, 60, 60 + 44],
        )
    )
    story += [PageBreak(), Paragraph("Action plan", s["h1"]), Paragraph("The actions are ranked.", s["body"])]
    story.append(
        table(
            [["#", "Priority", "Action", "Why", "When"]]
            + [
                [
                    str(p.rank),
                    p.priority.capitalize(),
                    Paragraph(f"<b>{esc(p.title)}</b><br/>{esc(p.description)}", s["cell"]),
                    Paragraph(
                        f"<b>Trigger:</b> {esc(p.target_label)} {esc(p.trigger)}<br/>{esc(p.rationale)}",
                        s["cell_small"],
                    ),
                    p.horizon,
                ]
                for p in m.action_plan
            ],
            [22, 50, width - 272, 150, 50],
        )
    )
    a = m.appendix
    story += [
        PageBreak(),
        Paragraph("Methodology and data quality", s["h1"]),
        Paragraph("How scores are computed", s["h3"]),
        Paragraph(esc(a.missing_data_rule), s["body"]),
        *[
            Paragraph(f"<b>{b.level} {esc(b.name)}</b>: {b.min:g} to {b.max:g}", s["bullet"], bulletText="•")
            for b in m.levels
        ],
        Paragraph("Anonymity", s["h3"]),
        Paragraph(esc(a.suppression_rule), s["body"]),
        table(
            [
                ["Responses", "Rows"],
                ["Read", fmt_int(a.rows_read)],
                ["Scored", fmt_int(a.accepted)],
                ["Set aside", fmt_int(a.rejected)],
            ]
            + [[r, fmt_int(n)] for r, n in a.rejection_reasons],
            [width - 80, 80],
        ),
        table([["Instrument", "Id", "Version"]] + [[t, i, v] for i, v, t in a.instruments], [width - 250, 190, 60]),
        table(
            [["Dimension", "n", "Alpha", "rwg(j)"]]
            + [[r.dimension, fmt_int(r.n), fmt_r(r.alpha), fmt_r(r.rwg_j)] for r in a.reliability],
            [width - 140, 45, 45, 50],
        ),
        *[Paragraph(esc(n), s["body"]) for n in a.notes],
    ]
    return story


def plain_render(model: ReportModel, look: Look, path: Path) -> int:
    width, height = look.page_size
    meta = model.meta

    def page(canv: Any, doc: PlainDoc) -> None:
        canv.saveState()
        canv.setFont(look.font, 7.5)
        canv.drawString(MARGIN, height - 40, f"{meta.client} · {meta.engagement}")
        canv.drawString(MARGIN, 30, look.theme.footer)
        canv.drawCentredString(width / 2, 30, meta.confidentiality)
        canv.drawRightString(width - MARGIN, 30, f"Page {doc.page} of {doc.total}")
        canv.restoreState()

    doc = PlainDoc(
        str(path),
        pagesize=look.page_size,
        title=meta.title,
        author=meta.author,
        invariant=1,
        initialFontName=look.font,
        lang=meta.language,
    )
    frame = Frame(
        MARGIN, 58, width - 2 * MARGIN, height - 128, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0
    )
    doc.addPageTemplates(
        [PageTemplate("cover", [frame], onPageEnd=page), PageTemplate("body", [frame], onPageEnd=page)]
    )
    doc.multiBuild(plain_story(model, look, width - 2 * MARGIN))
    return doc.page


def interleaved(fns: list[Callable[[], Any]], repeat: int) -> list[tuple[list[float], Any]]:
    """Run the functions in turn, ``repeat`` rounds, so drift in machine load hits both alike.

    Times are CPU time of this process (layout is single-threaded and CPU-bound), so other
    work on a shared machine does not count against either side.
    """
    times: list[list[float]] = [[] for _ in fns]
    results: list[Any] = [None] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            gc.collect()
            start = time.process_time()
            results[k] = fn()
            times[k].append(time.process_time() - start)
    return list(zip(times, results, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    model = sample_model()
    theme = plugins.get_themes()["default"]
    look = make_look(theme)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # Warm up both paths once (imports, font parsing, template compilation caches).
        render_report(model, theme, folder / "warm.pdf", reproducible=True)
        plain_render(model, look, folder / "warm-plain.pdf")
        (impl_times, result), (plain_times, plain_pages) = interleaved(
            [
                lambda: render_report(model, theme, folder / "implassess.pdf", reproducible=True),
                lambda: plain_render(model, look, folder / "plain.pdf"),
            ],
            args.repeat,
        )
    t_impl, t_plain = statistics.median(impl_times), statistics.median(plain_times)
    ratio = t_impl / t_plain
    print(f"example report: {result.pages} pages (plain story: {plain_pages} pages)")
    print(f"CPU time, median of {args.repeat} interleaved runs")
    print(f"  implassess render_report   {t_impl * 1000:8.0f} ms  (best {min(impl_times) * 1000:.0f} ms)")
    print(f"  plain reportlab story      {t_plain * 1000:8.0f} ms  (best {min(plain_times) * 1000:.0f} ms)")
    best = min(impl_times) / min(plain_times)
    print(f"  ratio                      {ratio:8.2f}x  (target <= 1.30x; best/best {best:.2f}x)")
    return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
