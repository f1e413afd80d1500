"""The first-party brand pack ``implassess-brand-northstar``: its theme, its "About" section
and its branded executive summary.

The plugin is imported from its source folder (``plugins/implassess-brand-northstar/src``)
and registered with :func:`implassess.plugins.register_plugin` under its entry-point name,
as pip-installing the distribution would register it. The example view-model is rendered
once per module (a report takes about two seconds) and the PDF is read back with pypdf.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import attrs
import pypdf
import pytest
from click.testing import CliRunner

from implassess import plugins
from implassess.cli import cli
from implassess.formats.instrument import read_toml
from implassess.formats.theme import OKABE_ITO, check_theme, load_theme
from implassess.report import render_report
from implassess.report.markup import esc
from implassess.report.model import ReportModel
from implassess.report.narrative import make_environment, render
from implassess.report.sample_model import sample_model
from implassess.report.styles import hex_colour, luminance
from tests.conftest import REPO
from tests.test_report import flat, page_of, small_model

DIST = REPO / "plugins" / "implassess-brand-northstar"
SRC = DIST / "src"
PACKAGE = SRC / "implassess_brand_northstar"
THEME_FILE = PACKAGE / "northstar.theme.toml"
PLUGIN_NAME = "brand-northstar"
PACK_FONTS = {"SourceSansPro-Regular", "SourceSansPro-Semibold"}
FOOTER = "Northstar Advisory · northstar.example"
ABOUT = "About Northstar Advisory"
APPENDIX = "Methodology and data quality"
LETTER = [0.0, 0.0, 612.0, 792.0]
AUTHOR = "Dana Whitfield, Northstar Advisory"


@contextlib.contextmanager
def _registered(mp: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The plugin module from the source folder, registered until the block ends."""
    mp.syspath_prepend(str(SRC))
    module = importlib.import_module("implassess_brand_northstar.plugin")
    assert Path(module.__file__).resolve().parent == PACKAGE.resolve()  # not an installed copy
    plugins.register_plugin(module, PLUGIN_NAME)
    try:
        yield module
    finally:
        plugins.unregister_plugin(PLUGIN_NAME)


@pytest.fixture
def northstar(fresh_plugins: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The plugin registered under its entry-point name, unregistered afterwards."""
    with _registered(monkeypatch) as module:
        yield module


def northstar_model() -> ReportModel:
    """The example view-model as Northstar would issue it."""
    m = sample_model()
    return attrs.evolve(m, meta=attrs.evolve(m.meta, consultancy="Northstar Advisory", author=AUTHOR))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[pypdf.PdfReader, list[str]]:
    """The example report rendered with the pack: the reader and the text of every page.

    Module-scoped, so it cannot use the function-scoped ``fresh_plugins``; it resets the
    plugins before and after in the same way.
    """
    out = tmp_path_factory.mktemp("northstar") / "report.pdf"
    with pytest.MonkeyPatch.context() as mp:
        plugins.reset()
        try:
            with _registered(mp):
                render_report(northstar_model(), "northstar", out, reproducible=True)
        finally:
            plugins.reset()
    reader = pypdf.PdfReader(out)
    return reader, [page.extract_text() or "" for page in reader.pages]


def _fonts(page: pypdf.PageObject) -> set[str]:
    """BaseFont names of a page's fonts, without the subset prefix (``AAAAAA+``)."""
    fonts = page["/Resources"].get("/Font", {})
    return {str(f.get_object()["/BaseFont"]).lstrip("/").split("+")[-1] for f in fonts.values()}


def _template_body(path: Path) -> str:
    """A template's text after its leading ``{#- … -#}`` comment."""
    text = path.read_text(encoding="utf-8")
    return text[text.index("-#}") + 3 :].lstrip("\n")


# -- the theme ---------------------------------------------------------------------------------


def test_the_theme_file_loads_with_no_findings() -> None:
    theme, findings = check_theme(read_toml(THEME_FILE), str(THEME_FILE), THEME_FILE.parent)
    assert findings == []
    assert theme is not None and theme.name == "northstar"


def test_the_theme_ships_its_fonts_images_and_letter_pages() -> None:
    theme = load_theme(THEME_FILE)
    assert theme.font_regular == str((PACKAGE / "fonts" / "SourceSansPro-Regular.ttf").resolve())
    assert theme.font_bold == str((PACKAGE / "fonts" / "SourceSansPro-Semibold.ttf").resolve())
    assert theme.logo == str((PACKAGE / "images" / "logo.png").resolve())
    assert theme.cover_image == str((PACKAGE / "images" / "cover.png").resolve())
    assert (theme.page_size, theme.footer) == ("Letter", FOOTER)
    assert "SIL OPEN FONT LICENSE Version 1.1" in (PACKAGE / "fonts" / "OFL.txt").read_text(encoding="utf-8")


def test_the_palette_is_okabe_ito_and_targets_stand_apart() -> None:
    theme = load_theme(THEME_FILE)
    assert sorted(theme.palette) == sorted(OKABE_ITO)  # the same eight colours, reordered
    # Targets (accent) share charts with scores (series 0) and benchmarks (series 2).
    assert theme.accent.upper() not in (theme.palette[0], theme.palette[2])
    assert theme.accent.upper() in OKABE_ITO


def test_white_text_on_the_primary_colour_meets_wcag_aaa() -> None:
    """WCAG 2.x contrast ratio (L1 + 0.05) / (L2 + 0.05), white L1 = 1; AAA asks for 7:1."""
    ratio = 1.05 / (luminance(hex_colour(load_theme(THEME_FILE).primary)) + 0.05)
    assert ratio >= 7.0


def test_the_plugin_registers_the_theme_without_problems(northstar: ModuleType) -> None:
    theme = plugins.get_themes()["northstar"]
    assert theme.source == str(THEME_FILE)
    assert plugins.problems() == []


def test_themes_list_shows_the_northstar_theme(northstar: ModuleType) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["themes", "list"], catch_exceptions=False)
    assert out.exit_code == 0
    assert out.output.splitlines() == [
        "default    A4     Default: Okabe–Ito palette, Lato, A4",
        "northstar  Letter Northstar Advisory: petrol and amber, Source Sans Pro, Letter",
    ]
    out = runner.invoke(cli, ["themes", "show", "northstar", "--json"], catch_exceptions=False)
    shown = json.loads(out.output)
    assert (shown["page-size"], shown["footer"], shown["primary"]) == ("Letter", FOOTER, "#005F73")


def test_the_plugin_is_listed_with_its_hooks(northstar: ModuleType) -> None:
    out = CliRunner().invoke(cli, ["plugins"], catch_exceptions=False)
    (listed,) = [p for p in json.loads(out.output) if p["name"] == PLUGIN_NAME]
    assert sorted(listed["hooks"]) == ["prepare_jinja2_environment", "register_report_sections", "register_themes"]


def test_loading_the_plugin_does_not_import_reportlab() -> None:
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(SRC)!r})\n"
        "import implassess_brand_northstar.plugin\n"
        "print('reportlab' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# -- the rendered report -----------------------------------------------------------------------


def test_every_page_is_letter(report) -> None:
    reader, _ = report
    assert {tuple(float(v) for v in page.mediabox) for page in reader.pages} == {tuple(LETTER)}


def test_the_pdf_uses_only_the_packs_fonts_embedded(report) -> None:
    reader, _ = report
    for n, page in enumerate(reader.pages, start=1):
        assert _fonts(page) == PACK_FONTS, f"page {n}"
    for font in reader.pages[2]["/Resources"]["/Font"].values():
        descriptor = font.get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor  # embedded TrueType, not a reference


def test_the_cover_carries_the_logo_and_the_cover_image(report) -> None:
    reader, pages = report
    objects = reader.pages[0]["/Resources"]["/XObject"].values()
    images = [o.get_object() for o in objects]
    assert sorted((int(i["/Width"]), int(i["/Height"])) for i in images) == sorted(
        [(790, 248), (1500, 855)]  # images/logo.png, images/cover.png
    )
    assert "Northstar Advisory" in pages[0]


def test_every_page_carries_the_footer(report) -> None:
    _, pages = report
    assert [n for n, text in enumerate(pages, start=1) if FOOTER not in text] == []


def test_the_about_section_comes_after_the_appendix(report) -> None:
    _, pages = report
    appendix, about = page_of(pages, APPENDIX), page_of(pages, ABOUT)
    assert appendix < about == len(pages) - 1  # the last page
    contents = flat(pages[1])
    assert contents.index(APPENDIX) < contents.index(ABOUT)


def test_the_about_section_says_who_prepared_the_report_and_how_to_reach_them(report) -> None:
    _, pages = report
    about = flat(pages[page_of(pages, ABOUT)])
    assert about.startswith(ABOUT)
    for expected in (
        f"This report was prepared for Northfield Health System by {AUTHOR} as part of the engagement "
        '"Implementation maturity baseline 2026", and issued on 23 November 2026.',
        "Its findings rest on 389 scored responses",
        "How to read this report",
        "Where rwg(j) is below 0.70",
        "A group with fewer than 5 respondents is not shown",
        "hello@northstar.example · +1 617 555 0142 · northstar.example",
    ):
        assert expected in about


def test_the_running_header_names_the_about_section(report) -> None:
    _, pages = report
    assert f"Implementation maturity baseline 2026 {ABOUT}" in flat(pages[-1])


def test_the_executive_summary_closes_in_northstars_voice(report) -> None:
    _, pages = report
    summary = flat(pages[page_of(pages, "Executive summary")])
    first_action = northstar_model().action_plan[0].title
    assert f"Northstar's view. Start with {first_action}, the first of the actions below." in summary
    # The bundled narrative is still there, before it.
    assert summary.index("The strongest area is") < summary.index("Northstar's view.")


# -- the templates -----------------------------------------------------------------------------


def test_the_branded_summary_is_the_bundled_template_plus_a_closing_paragraph() -> None:
    """If this fails, the bundled template changed: copy it into the pack above the closing paragraph."""
    bundled = _template_body(REPO / "templates" / "report" / "executive_summary.md.j2")
    branded = _template_body(PACKAGE / "templates" / "report" / "executive_summary.md.j2")
    assert branded.startswith(bundled)
    assert branded[len(bundled) :].strip().startswith("<b>Northstar's view.</b>")


def test_a_client_template_folder_still_overrides_the_pack(northstar: ModuleType, tmp_path: Path) -> None:
    client = tmp_path / "client" / "report"
    client.mkdir(parents=True)
    (client / "executive_summary.md.j2").write_text("Client wording for {{ meta.client }}.\n", encoding="utf-8")
    result = render_report(small_model(), "northstar", tmp_path / "r.pdf", template_dirs=[tmp_path / "client"])
    text = flat(" ".join(page.extract_text() or "" for page in pypdf.PdfReader(result.path).pages))
    assert "Client wording for Northfield Health System." in text
    assert "Northstar's view" not in text
    assert ABOUT in text  # the section stays; only the summary's words changed


def test_the_about_text_escapes_report_data_and_copes_without_an_appendix(northstar: ModuleType) -> None:
    m = sample_model()
    meta = attrs.evolve(m.meta, client="<b>Acme & Co</b>", author="", engagement="")
    model = attrs.evolve(m, meta=meta, appendix=None)
    blocks = render(
        make_environment(),
        "northstar/about.md.j2",
        {
            "model": model,
            "meta": model.meta,
            "levels": model.levels,
            "agreement_cutoff": 0.7,
            "min_group_size": None,
            "contact": {},
        },
    )
    first = blocks[1]
    assert first.markup == (
        f"This report was prepared for {esc('<b>Acme & Co</b>')} by Meridian Implementation Partners, "
        "and issued on 23 November 2026."
    )
    bullets = [b.markup for b in blocks if b.kind == "bullet"]
    assert not any("Anonymity" in b for b in bullets)
    assert len(bullets) == 6


def test_the_about_section_lists_the_models_levels(report) -> None:
    _, pages = report
    about = flat(pages[page_of(pages, ABOUT)])
    rows = re.findall(r"(\d) (\w+) (\d+) to (\d+)", about)
    expected = [(str(b.level), b.name, f"{b.min:g}", f"{b.max:g}") for b in northstar_model().levels]
    assert rows == expected
