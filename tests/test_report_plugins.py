"""Plugins and clients shape the report: sections added, replaced, reordered; narrative
templates overridden client first, then plugin, then bundled."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from implassess import hookimpl, plugins
from implassess.contracts import ReportSection
from implassess.report import render_report
from implassess.report.narrative import make_environment
from tests.test_report import SECTION_TITLES, flat, page_of, pdf_pages, small_model

Register = Callable[[object], None]


@pytest.fixture
def register(fresh_plugins: None) -> Iterator[Register]:
    """Register plugin objects for one test; always unregistered afterwards."""
    names: list[str] = []

    def add(obj: object) -> None:
        name = f"test-report-plugin-{len(names)}"
        plugins.register_plugin(obj, name)
        names.append(name)

    try:
        yield add
    finally:
        for name in names:
            plugins.unregister_plugin(name)


def _section_plugin(*sections: ReportSection) -> object:
    class SectionPlugin:
        @hookimpl
        def register_report_sections(self, register):
            for s in sections:
                register(s)

    return SectionPlugin()


def _titles_in_order(pages: list[str]) -> list[str]:
    found = []
    for text in pages[2:]:
        first = text.strip().splitlines()[0]
        if first not in found:
            found.append(first)
    return found


def test_a_plugin_section_slots_in_by_order(register: Register, tmp_path: Path) -> None:
    def risks(ctx):
        return [ctx.para("Supply risk: <vendor> & lead times"), ctx.heading("Top risks"), ctx.para("None open.")]

    register(_section_plugin(ReportSection(id="risk-register", title="Risk register", order=650, render=risks)))
    result = render_report(small_model(), "default", tmp_path / "r.pdf")
    pages = pdf_pages(result.path)
    order = [page_of(pages, t) for t in ["Action plan", "Risk register", "Methodology and data quality"]]
    assert order == sorted(order) and len(set(order)) == 3
    page = flat(pages[order[1]])
    assert "Supply risk: <vendor> & lead times" in page
    assert "Risk register · Top risks" in page  # running header follows the plugin's sub-heading
    contents = flat(pages[1])
    assert "Risk register" in contents and "Top risks" in contents


def test_a_plugin_section_replaces_a_builtin(register: Register, tmp_path: Path) -> None:
    def summary(ctx):
        return [ctx.para(f"{ctx.model.meta.client} at a glance: {ctx.fmt.fmt_score(ctx.model.overall.score_0_100)}")]

    register(
        _section_plugin(
            ReportSection(id="executive-summary", title="Board summary", order=100, render=summary, replaces=True)
        )
    )
    sections = plugins.get_report_sections()
    assert [s.title for s in sections][:2] == ["Board summary", "Maturity profile"]
    m = small_model()
    result = render_report(m, "default", tmp_path / "r.pdf")
    text = "\n".join(pdf_pages(result.path))
    assert "Executive summary" not in text
    assert f"at a glance: {m.overall.score_0_100:.1f}" in text


def test_a_replacement_with_another_order_moves_the_section(register: Register, tmp_path: Path) -> None:
    builtin = {s.id: s for s in plugins.get_report_sections()}
    register(_section_plugin(attrs.evolve(builtin["appendix"], order=150, replaces=True)))
    result = render_report(small_model(), "default", tmp_path / "r.pdf")
    titles = _titles_in_order(pdf_pages(result.path))
    expected = [SECTION_TITLES[0], SECTION_TITLES[-1], *SECTION_TITLES[1:-1]]
    assert [t for t in titles if t in SECTION_TITLES] == expected


def test_a_duplicate_id_without_replaces_is_rejected_and_reported(register: Register) -> None:
    register(_section_plugin(ReportSection(id="kpi-scorecard", title="Other KPIs", order=500, render=lambda c: [])))
    assert "KPI scorecard" in [s.title for s in plugins.get_report_sections()]
    assert "Other KPIs" not in [s.title for s in plugins.get_report_sections()]
    assert any(
        "Report section 'kpi-scorecard' is already registered by plugin 'implassess.default_plugins.report_sections'"
        in p
        for p in plugins.problems()
    )


def test_a_section_can_stay_out_of_the_contents(register: Register, tmp_path: Path) -> None:
    register(
        _section_plugin(
            ReportSection(
                id="sign-off", title="Sign-off", order=900, render=lambda c: [c.para("Signed.")], in_contents=False
            )
        )
    )
    pages = pdf_pages(render_report(small_model(1), "default", tmp_path / "r.pdf").path)
    assert "Sign-off" not in pages[1]
    assert flat(pages[-1]).startswith("Sign-off Signed.")


# -- narrative templates ------------------------------------------------------------------------


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return folder


def test_template_lookup_is_client_then_plugin_then_bundled(register: Register, tmp_path: Path) -> None:
    plugin_dir = _write(tmp_path / "plugin", "report/kpis.md.j2", "PLUGIN KPIS {{ kpis|length|shout }}")
    _write(plugin_dir, "report/radar.md.j2", "PLUGIN RADAR")
    client_dir = _write(tmp_path / "client", "report/radar.md.j2", "CLIENT RADAR for {{ meta.client }}")

    class TemplatePlugin:
        @hookimpl
        def prepare_jinja2_environment(self, env, purpose):
            if purpose == "report":
                env.loader.add_plugin_folder(plugin_dir)
                env.filters["shout"] = lambda v: f"{v}!"

    register(TemplatePlugin())
    env = make_environment([client_dir])
    m = small_model()
    ctx = {"model": m, "meta": m.meta, "levels": m.levels}
    assert env.get_template("report/radar.md.j2").render(**ctx) == f"CLIENT RADAR for {m.meta.client}"
    assert env.get_template("report/kpis.md.j2").render(kpis=m.kpis) == f"PLUGIN KPIS {len(m.kpis)}!"
    assert "Answers are recoded first" in env.get_template("report/methodology.md.j2").render(
        appendix=m.appendix, **ctx
    )


def test_client_templates_reach_the_pdf(tmp_path: Path) -> None:
    m = small_model()
    level = m.overall.level
    client_dir = _write(
        tmp_path / "client",
        f"report/level_{level}.md.j2",
        "Bespoke advice for {{ meta.client }} at level {{ overall.level }}.",
    )
    pages = pdf_pages(render_report(m, "default", tmp_path / "r.pdf", template_dirs=[client_dir]).path)
    summary = flat(pages[page_of(pages, "Executive summary")])
    assert f"Bespoke advice for {m.meta.client} at level {level}." in summary


def test_a_section_written_against_reportlab_style_names_renders(register: Register, tmp_path: Path) -> None:
    """The shape `implassess plugin new` scaffolds: plain reportlab Paragraphs and sample-sheet style names."""

    def render(context):
        from reportlab.platypus import Paragraph

        styles = context.styles
        return [
            Paragraph("About this instrument", styles["Heading2"]),
            Paragraph("Added by a plugin.", styles["BodyText"]),
        ]

    register(_section_plugin(ReportSection(id="x-about", title="About X", order=990, render=render)))
    pages = pdf_pages(render_report(small_model(1), "default", tmp_path / "r.pdf").path)
    assert flat(pages[-1]).startswith("About X About this instrument Added by a plugin.")
    assert "About X" in pages[1]
