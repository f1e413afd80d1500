"""The PDF report: contents, numbers, suppression, metadata, reproducibility, atomic output.

Checks read the rendered PDF back with pypdf, so they test what a reader sees.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import attrs
import pypdf
import pytest

from implassess import hookimpl, plugins
from implassess.contracts import ReportSection
from implassess.errors import ImplassessError, NotFoundError
from implassess.report import render_report
from implassess.report.fmt import (
    fmt_ci,
    fmt_date,
    fmt_delta,
    fmt_int,
    fmt_kpi,
    fmt_mean,
    fmt_observed,
    fmt_pct,
    fmt_r,
    fmt_score,
)
from implassess.report.model import HeatmapView, ItemDistribution, ReportModel
from implassess.report.sample_model import SUPPRESSED_TRUE_SCORE, sample_model

SECTION_TITLES = [
    "Executive summary",
    "Maturity profile",
    "Dimension results",
    "Results by group",
    "KPI scorecard",
    "Action plan",
    "Methodology and data quality",
]
#: Shown only when a second wave was scored (the example model has one wave).
CHANGE_TITLE = "Change since the last assessment"


# -- helpers shared with the other report tests ------------------------------------------


def pdf_pages(path: Path) -> list[str]:
    """Text of every page, as pypdf extracts it."""
    return [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]


def flat(text: str) -> str:
    """Whitespace collapsed, so wrapped lines compare with unwrapped strings."""
    return " ".join(text.split())


def lines(text: str) -> list[str]:
    """The text's lines, stripped (right-aligned table cells extract with a leading space)."""
    return [line.strip() for line in text.splitlines()]


def small_model(n_dims: int = 3) -> ReportModel:
    """The sample model cut to a few dimensions: fast to render in plugin and theme tests."""
    m = sample_model()
    dims = m.dimensions[:n_dims]
    ids = {d.id for d in dims}
    heat = m.heatmap
    assert heat is not None
    return attrs.evolve(
        m,
        dimensions=dims,
        strengths=[i for i in m.strengths if i in ids] or [dims[0].id],
        gaps=[i for i in m.gaps if i in ids] or [dims[-1].id],
        heatmap=HeatmapView(
            heat.row_label, heat.rows, [d.name for d in dims], [r[:n_dims] for r in heat.cells], heat.row_n
        ),
    )


def page_of(pages: list[str], heading: str) -> int:
    """Index of the first page after the contents whose text starts a section with ``heading``."""
    for i, text in enumerate(pages[2:], start=2):
        if flat(text).startswith(heading) or f"\n{heading}\n" in f"\n{text}":
            return i
    raise AssertionError(f"{heading!r} not found")


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model() -> ReportModel:
    return sample_model()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, model: ReportModel):
    out = tmp_path_factory.mktemp("report") / "report.pdf"
    result = render_report(model, "default", out, reproducible=True)
    return result, pdf_pages(out)


# -- formatting ----------------------------------------------------------------------------


def test_format_module_rounds_once_and_marks_missing() -> None:
    assert fmt_score(63.44) == "63.4"
    assert fmt_score(63.46) == "63.5"
    assert fmt_score(-0.04) == "0.0"  # no "-0.0"
    assert fmt_score(-2.0) == "−2.0"
    assert fmt_score(None) == fmt_score(math.nan) == "–"
    assert fmt_r(0.8249) == "0.82"
    assert fmt_mean(3.5) == "3.50"
    assert fmt_delta(3.06) == "+3.1" and fmt_delta(-2.0) == "−2.0" and fmt_delta(0.01) == "0.0"
    assert fmt_int(1204) == "1,204"
    assert fmt_pct(41.6) == "42%"
    assert fmt_kpi(72.45, "%") == "72.5%"
    assert fmt_kpi(12, "days") == "12.0 days"
    assert fmt_kpi(14.0, "count") == "14"
    assert fmt_kpi(None, "%") == "–"
    assert fmt_ci(58.24, 68.66) == "58.2–68.7"
    assert fmt_ci(None, 3.0) == "–"
    assert fmt_date("2026-11-23") == "23 November 2026"
    assert fmt_observed(0.6849, "rwg-j") == "0.68"
    assert fmt_observed(78.4, "value", "%") == "78.4%"
    assert fmt_observed("red", "rag") == "red"


def test_view_model_rejects_inconsistent_records() -> None:
    with pytest.raises(ValueError, match="2 counts for 3 option labels"):
        ItemDistribution("Q", ["a", "b", "c"], [1, 2])
    with pytest.raises(ValueError, match="cells must be 2 rows of 1 columns"):
        HeatmapView("Site", ["A", "B"], ["D"], [[1.0]])
    with pytest.raises(ValueError, match="strengths name unknown dimension ids: 'nope'"):
        attrs.evolve(sample_model(), strengths=["nope"])


# -- what the PDF shows -------------------------------------------------------------------------


def test_every_section_heading_is_in_the_contents_and_the_body(rendered) -> None:
    _, pages = rendered
    contents = flat(pages[1])
    assert contents.startswith("Contents")
    registered = [s.title for s in plugins.get_report_sections()]
    assert registered == [*SECTION_TITLES[:2], CHANGE_TITLE, *SECTION_TITLES[2:]]
    assert CHANGE_TITLE not in contents  # a section with nothing to show is left out
    for title in SECTION_TITLES:
        assert title in contents
        assert page_of(pages, title) > 1
    order = [page_of(pages, t) for t in SECTION_TITLES]
    assert order == sorted(order)


def test_one_page_per_dimension_listed_in_the_contents(rendered, model: ReportModel) -> None:
    _, pages = rendered
    contents = flat(pages[1])
    first = page_of(pages, "Dimension results")
    for i, d in enumerate(model.dimensions):
        page = pages[first + i]
        assert d.name in contents
        assert f"Dimension results · {d.name}" in flat(page)  # running header names the dimension
        assert f"{d.name} scores {fmt_score(d.score_0_100)} of 100, level {d.level} {d.level_name}" in flat(page)


def test_dimension_numbers_are_the_model_numbers_rounded(rendered, model: ReportModel) -> None:
    _, pages = rendered
    first = page_of(pages, "Dimension results")
    for i, d in enumerate(model.dimensions):
        page = lines(pages[first + i])
        for expected in (
            fmt_int(d.n),
            f"{fmt_mean(d.mean)} ({fmt_mean(d.sd)})",
            fmt_ci(d.ci_low, d.ci_high),
            fmt_r(d.alpha),
            fmt_r(d.rwg_j),
            fmt_score(d.target),
            fmt_score(d.benchmark),
        ):
            assert expected in page, (d.id, expected)
        for facet in d.facets:
            assert fmt_score(facet.score_0_100) in page
        for item in d.items:
            for label, count in item.set_apart():
                assert f"{label}: {fmt_int(count)}" in page


def test_summary_radar_kpi_and_plan_numbers(rendered, model: ReportModel) -> None:
    _, pages = rendered
    summary = pages[page_of(pages, "Executive summary")]
    assert fmt_score(model.overall.score_0_100) in lines(summary)
    for ref in model.strengths + model.gaps:
        assert model.dimension(ref).name in summary
    for item in model.action_plan[:3]:
        assert item.title in flat(summary)
    radar = lines(pages[page_of(pages, "Maturity profile")])
    for d in model.dimensions:
        assert fmt_score(d.score_0_100) in radar and fmt_score(d.benchmark) in radar
    kpi = pages[page_of(pages, "KPI scorecard")]
    for k in model.kpis:
        assert k.name in flat(kpi)
        assert fmt_kpi(k.value, k.unit) in lines(kpi)
    words = re.findall(r"^(Green|Amber|Red)$", kpi, re.M)
    assert words.count("Green") == sum(k.rag == "green" for k in model.kpis)
    assert words.count("Red") == sum(k.rag == "red" for k in model.kpis)
    plan = flat(pages[page_of(pages, "Action plan")])
    for p in model.action_plan:
        assert p.title in plan
        assert f"(observed {fmt_observed(p.observed, p.statistic, p.unit)})" in plan


def test_no_number_is_printed_with_more_precision_than_the_format_module_gives(rendered) -> None:
    _, pages = rendered
    text = "\n".join(pages)
    assert re.findall(r"\d+\.\d{3,}", text) == []


def test_suppressed_cell_is_labelled_and_its_score_appears_nowhere(rendered, model: ReportModel) -> None:
    _, pages = rendered
    heat = pages[page_of(pages, "Results by group")]
    heat_lines = lines(heat)
    assert heat_lines.count("suppressed") == 1
    assert "suppressed (fewer than 5 respondents, or complementary)" in heat
    assert model.heatmap is not None
    shown = [v for row in model.heatmap.cells for v in row if v is not None]
    numbers = [line for line in heat_lines if re.fullmatch(r"\d+\.\d", line)]
    assert sorted(numbers) == sorted(fmt_score(v) for v in shown)
    assert fmt_score(SUPPRESSED_TRUE_SCORE) not in "\n".join(pages)


def test_every_page_has_header_footer_marking_and_page_n_of_m(rendered, model: ReportModel) -> None:
    result, pages = rendered
    assert result.pages == len(pages)
    assert 20 <= result.pages <= 32
    for n, text in enumerate(pages, start=1):
        assert f"Page {n} of {result.pages}" in text
        assert model.meta.confidentiality in text
        assert "Prepared with implassess" in text
        if n > 1:
            assert f"{model.meta.client} · {model.meta.engagement}" in text
    assert "Contents" in lines(pages[1])[-4:] or flat(pages[1]).count("Contents") >= 2  # header names it


def test_pdf_metadata_and_language(rendered, model: ReportModel) -> None:
    result, _ = rendered
    reader = pypdf.PdfReader(result.path)
    info = reader.metadata
    assert info is not None
    assert info.title == model.meta.title
    assert info.author == model.meta.author
    assert info.subject == model.meta.subject
    assert info["/Keywords"] == ", ".join(model.meta.keywords)
    assert info["/Creator"].startswith("implassess ")
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert info["/CreationDate"].startswith("D:20000101")  # reproducible mode fixes the date
    outline_titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert outline_titles == SECTION_TITLES


def test_fonts_are_embedded_lato(rendered) -> None:
    result, _ = rendered
    reader = pypdf.PdfReader(result.path)
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]))
            assert "/FontFile2" in font["/FontDescriptor"]  # the TrueType program is embedded
    assert any("Lato-Regular" in f for f in fonts) and any("Lato-Bold" in f for f in fonts)
    assert not any("Helvetica" in f for f in fonts)


# -- reproducible and atomic output -------------------------------------------------------------------


def test_reproducible_renders_are_byte_identical(rendered, model: ReportModel, tmp_path: Path) -> None:
    first, _ = rendered
    again = render_report(model, "default", tmp_path / "again.pdf", reproducible=True)
    assert again.sha256 == first.sha256
    assert again.path.read_bytes() == first.path.read_bytes()
    assert again.pages == first.pages


def test_reproducible_output_does_not_depend_on_the_process(rendered, tmp_path: Path) -> None:
    first, _ = rendered
    out = tmp_path / "other-process.pdf"
    code = (
        "from pathlib import Path\n"
        "from implassess.report import render_report\n"
        "from implassess.report.sample_model import sample_model\n"
        f"print(render_report(sample_model(), 'default', Path({str(out)!r}), reproducible=True).sha256)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.strip() == first.sha256


def test_normal_render_carries_the_current_date(tmp_path: Path) -> None:
    result = render_report(small_model(1), "default", tmp_path / "now.pdf")
    info = pypdf.PdfReader(result.path).metadata
    assert info is not None
    year = int(info["/CreationDate"][2:6])
    assert year >= 2025


def test_output_is_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    out.write_bytes(b"previous report")

    class Broken:
        @hookimpl
        def register_report_sections(self, register):
            def render(ctx):
                raise RuntimeError("boom")

            register(ReportSection(id="broken", title="Broken", order=650, render=render))

    plugins.register_plugin(Broken(), "test-broken-section")
    try:
        with pytest.raises(
            ImplassessError,
            match=r"Report section 'broken' \('Broken'\) failed while laying out: "
            r"RuntimeError: boom",
        ):
            render_report(small_model(1), "default", out)
    finally:
        plugins.unregister_plugin("test-broken-section")
    assert out.read_bytes() == b"previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]
    result = render_report(small_model(1), "default", out)
    assert out.read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]
    assert result.pages == len(pypdf.PdfReader(out).pages)
    assert out.stat().st_mode & 0o044  # readable by others like any file the user writes


def test_unknown_theme_name_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"No theme named 'nope'\. Known: default\."):
        render_report(small_model(1), "nope", tmp_path / "x.pdf")
    assert list(tmp_path.iterdir()) == []


def test_missing_values_print_the_missing_mark(tmp_path: Path) -> None:
    m = small_model(2)
    d = attrs.evolve(m.dimensions[0], alpha=None, rwg_j=math.nan, benchmark=None, target=None)
    m = attrs.evolve(m, dimensions=[d, *m.dimensions[1:]])
    result = render_report(m, "default", tmp_path / "m.pdf")
    pages = pdf_pages(result.path)
    page = pages[page_of(pages, "Dimension results")]
    assert "Agreement between respondents could not be computed." in flat(page)
    assert lines(page).count("–") >= 4  # alpha, rwg(j), agreement, target, benchmark


def test_loading_plugins_and_sections_does_not_import_reportlab() -> None:
    code = (
        "import sys\n"
        "from implassess import plugins\n"
        "plugins.load_plugins(); plugins.get_report_sections(); plugins.get_themes()\n"
        "import implassess.report.model, implassess.report.sample_model\n"
        "implassess.report.sample_model.sample_model()\n"
        "print('reportlab' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_sparse_model_renders_with_stated_gaps(tmp_path: Path) -> None:
    m = small_model(2)
    four = ItemDistribution("Four options", ["Never", "Rarely", "Often", "Always"], [1, 2, 3, 4])
    empty = ItemDistribution("Nobody answered", ["No", "Yes", "N/A"], [0, 0, 12], [False, False, True])
    d = attrs.evolve(m.dimensions[0], score_0_100=None, level=None, items=(four, empty), facets=(), actions=())
    m = attrs.evolve(
        m,
        dimensions=[d, m.dimensions[1]],
        overall=attrs.evolve(m.overall, score_0_100=None, level=None, level_name=""),
        heatmap=None,
        kpis=(),
        action_plan=(),
        appendix=None,
    )
    pages = pdf_pages(render_report(m, "default", tmp_path / "sparse.pdf").path)
    text = flat("\n".join(pages))
    for expected in (
        "An overall level could not be given",
        f"{d.name} could not be scored",
        "no substantive answers",
        "N/A: 12",
        "No group results: the responses were not split into groups.",
        "No KPIs were reported for this assessment.",
        "No decision trigger fired, so no actions are recommended.",
        "No methodology information was supplied.",
    ):
        assert expected in text
    dim_page = lines(pages[page_of(pages, "Dimension results")])
    for label in ("Never", "Rarely", "Often", "Always", "No", "Yes"):
        assert label in dim_page  # each scale gets its own legend
