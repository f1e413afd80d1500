"""Hostile text: client names, item text and comments containing reportlab markup must
print literally and leave the layout alone."""

from __future__ import annotations

from pathlib import Path

import attrs
import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.platypus import Paragraph

from implassess.report import render_report
from implassess.report.markup import esc
from implassess.report.model import HeatmapView, ReportModel
from implassess.report.narrative import blocks, make_environment
from implassess.report.render import make_context
from implassess.report.sample_model import sample_model
from tests.test_report import flat, page_of, pdf_pages, small_model

CLIENT = "<b>Acme</b> & Sons </para>"
ENGAGEMENT = "Q&A <font size=80>BIG</font>"
DIMENSION = "<font size=80>Huge</font> & <i>co</i>"
ITEM = "Is 3 < 4 && 5 > 2? &amp; <br/> <para>"
SITE = "<b>A&B</b>"
KPI = "<img src='x.png'/> uptime"
PLAN = "<a href='http://evil'>click</a> &#169;"
NOTE = "He said: <script>alert(1)</script> &lt; done"
MARKING = "<u>Secret</u> & internal"


def hostile(model: ReportModel) -> ReportModel:
    d0 = model.dimensions[0]
    item = attrs.evolve(d0.items[0], text=ITEM)
    d0 = attrs.evolve(d0, name=DIMENSION, items=(item, *d0.items[1:]))
    heat = model.heatmap
    assert heat is not None and model.appendix is not None
    return attrs.evolve(
        model,
        meta=attrs.evolve(model.meta, client=CLIENT, engagement=ENGAGEMENT, confidentiality=MARKING),
        dimensions=(d0, *model.dimensions[1:]),
        heatmap=HeatmapView(
            heat.row_label, (SITE, *heat.rows[1:]), (DIMENSION, *heat.columns[1:]), heat.cells, heat.row_n
        ),
        kpis=(attrs.evolve(model.kpis[0], name=KPI), *model.kpis[1:]),
        action_plan=(attrs.evolve(model.action_plan[0], title=PLAN), *model.action_plan[1:]),
        appendix=attrs.evolve(model.appendix, notes=(NOTE, *model.appendix.notes)),
    )


def max_font_size(path: Path) -> float:
    sizes = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            sizes.append(size * abs(tm[3]) * abs(cm[3]))

    for page in pypdf.PdfReader(path).pages:
        page.extract_text(visitor_text=visit)
    return max(sizes)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("safe") / "plain.pdf"
    return render_report(sample_model(), "default", out)


def test_hostile_text_prints_literally_and_layout_survives(baseline, tmp_path: Path) -> None:
    result = render_report(hostile(sample_model()), "default", tmp_path / "hostile.pdf")
    pages = pdf_pages(result.path)
    assert CLIENT in flat(pages[0]) and ENGAGEMENT in flat(pages[0])
    assert DIMENSION in flat(pages[1])  # contents entry
    dim_page = flat(pages[page_of(pages, "Dimension results")])
    assert DIMENSION in dim_page and ITEM in dim_page
    assert SITE in flat(pages[page_of(pages, "Results by group")])
    assert KPI in flat(pages[page_of(pages, "KPI scorecard")])
    assert PLAN in flat(pages[page_of(pages, "Action plan")])
    assert NOTE in flat(pages[-1])
    for n, page in enumerate(pages, start=1):
        assert MARKING in page, n
        assert f"Page {n} of {result.pages}" in page
    # Layout: same pages as the plain report, nothing set in 80-point type.
    assert result.pages == baseline.pages
    assert max_font_size(result.path) == pytest.approx(max_font_size(baseline.path))
    children = next(o for o in pypdf.PdfReader(result.path).outline if isinstance(o, list))
    assert DIMENSION in [o.title for o in children]  # PDF bookmarks carry the plain text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>&;/=\"'#x0123abAB éü–“ \n")), max_size=40))
def test_escaped_text_parses_back_to_itself(text: str) -> None:
    ctx = _context()
    para = Paragraph(esc(text), ctx.style("body"))
    assert flat(para.getPlainText()) == flat(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("<>&;/=\"'#xab- \n")), min_size=1, max_size=40))
def test_template_values_cannot_inject_markup_or_blocks(value: str) -> None:
    env = make_environment()
    rendered = env.from_string("Before {{ v }} after.").render(v=value)
    parts = blocks(rendered)
    assert [b.kind for b in parts] == ["p"]  # a value cannot start a bullet, heading or paragraph
    para = Paragraph(parts[0].markup, _context().style("body"))
    assert flat(para.getPlainText()) == flat(f"Before {value} after.")


def test_safe_markup_from_a_filter_passes_unescaped() -> None:
    from markupsafe import Markup

    env = make_environment()
    out = env.from_string("{{ a }} {{ b }}").render(a="<b>x</b>", b=Markup("<b>y</b>"))
    assert out == "&lt;b&gt;x&lt;/b&gt; <b>y</b>"


_CTX = None


def _context():
    global _CTX
    if _CTX is None:
        _CTX = make_context(small_model(1), "default")
    return _CTX
