"""Theme files: strict loading with every problem named by file and key; themes in the PDF
and on the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import font_lato
import pypdf
import pytest
from click.testing import CliRunner
from PIL import Image

from implassess import hookimpl, plugins
from implassess.cli.themes import themes
from implassess.errors import InstrumentError
from implassess.formats.theme import OKABE_ITO, load_theme
from implassess.report import render_report
from tests.test_report import small_model

LATO = Path(font_lato.font_directory)


def _theme(folder: Path, text: str) -> Path:
    path = folder / "brand.theme.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _messages(path: Path) -> list[str]:
    with pytest.raises(InstrumentError) as info:
        load_theme(path)
    return [str(f) for f in info.value.findings]


@pytest.fixture
def brand(tmp_path: Path) -> Path:
    """A complete client theme: own fonts, PNG logo with transparency, JPEG cover, Letter."""
    (tmp_path / "fonts").mkdir()
    shutil.copy(LATO / "Lato-Bold.ttf", tmp_path / "fonts" / "Brand-Regular.ttf")
    shutil.copy(LATO / "Lato-Black.ttf", tmp_path / "fonts" / "Brand-Bold.ttf")
    Image.new("RGBA", (300, 100), (255, 255, 255, 0)).save(tmp_path / "logo.png")
    Image.new("RGB", (800, 400), (40, 90, 140)).save(tmp_path / "cover.jpg")
    return _theme(
        tmp_path,
        """
name = "brand"
title = "Brand"
palette = ["#332288", "#88CCEE", "#117733", "#DDCC77"]
primary = "#332288"
accent = "#CC6677"
font-regular = "fonts/Brand-Regular.ttf"
font-bold = "fonts/Brand-Bold.ttf"
logo = "logo.png"
cover-image = "cover.jpg"
footer = "Brand Consulting · brand.example"
page-size = "Letter"
""",
    )


def test_the_default_theme_is_registered_by_the_builtin_plugin() -> None:
    theme = plugins.get_themes()["default"]
    assert theme.palette == OKABE_ITO
    assert (theme.font_regular, theme.font_bold, theme.logo, theme.page_size) == (None, None, None, "A4")
    assert theme.source.replace("\\", "/").endswith("templates/themes/default.theme.toml")


def test_a_complete_theme_loads_with_paths_resolved(brand: Path) -> None:
    theme = load_theme(brand)
    assert theme.font_regular == str((brand.parent / "fonts" / "Brand-Regular.ttf").resolve())
    assert theme.logo == str((brand.parent / "logo.png").resolve())
    assert theme.palette == ("#332288", "#88CCEE", "#117733", "#DDCC77")
    assert theme.source == str(brand)


def test_every_problem_is_reported_at_once_with_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text("this is not SVG")
    (tmp_path / "cover.png").write_bytes(b"not an image")
    (tmp_path / "font.otf").write_bytes(b"OTTO" + bytes(100))
    path = _theme(
        tmp_path,
        """
name = "bad one"
colour = "#000000"
primary = "navy"
accent = 3
palette = ["#000000", "#FFFFFF"]
font-regular = "font.otf"
font-bold = "missing.ttf"
logo = "logo.svg"
cover-image = "cover.png"
page-size = "A5"
""",
    )
    src = str(path)
    missing = str((tmp_path / "missing.ttf").resolve())
    assert _messages(path) == [
        f"{src}: accent: error: Found 3 (an integer); expected a string.",
        f"{src}: colour: error: Unknown key 'colour'; expected one of: accent, cover-image, font-bold, font-regular, "
        "footer, logo, name, page-size, palette, primary, title.",
        f"{src}: name: error: Found 'bad one'; expected a name of letters, digits, '.', '_' or '-' "
        "(used with --theme).",
        f"{src}: primary: error: Found 'navy'; expected a colour written as '#rrggbb', e.g. '#1f3a5f'.",
        f"{src}: palette: error: Found 2 colour(s); expected at least 3 (charts use three series colours), or leave "
        "palette out to use the Okabe–Ito palette.",
        f"{src}: page-size: error: Found 'A5'; expected 'A4' or 'Letter'.",
        f"{src}: font-regular: error: 'font.otf' is an OpenType font with PostScript (CFF) outlines, which reportlab "
        "cannot embed; expected a TrueType font (.ttf).",
        f"{src}: font-bold: error: File 'missing.ttf' not found (looked for {missing!r}); paths are relative to "
        "the theme file.",
        f"{src}: logo: error: 'logo.svg' is not a readable SVG image (syntax error at line 1, column 1); expected an "
        "SVG file.",
        f"{src}: cover-image: error: 'cover.png' is not a PNG or JPEG image; expected a .png or .jpg file.",
    ]


def test_missing_name_and_bad_toml(tmp_path: Path) -> None:
    path = _theme(tmp_path, 'title = "No name"\n')
    assert _messages(path) == [f"{path}: error: Required key 'name' is missing."]
    path.write_text('name = "x"\npalette = [\n')
    (message,) = _messages(path)
    assert message.startswith(f"{path}: error: Not valid TOML: ")


def test_a_non_truetype_font_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "f.ttf").write_bytes(b"GIF89a" + bytes(50))
    path = _theme(tmp_path, 'name = "x"\nfont-bold = "f.ttf"\n')
    assert _messages(path) == [f"{path}: font-bold: error: 'f.ttf' is not a TrueType font; expected a .ttf file."]


def test_a_plugin_theme_file_with_errors_is_reported_and_skipped(tmp_path: Path) -> None:
    path = _theme(tmp_path, 'name = "broken"\nprimary = "red"\n')

    class ThemePlugin:
        @hookimpl
        def register_themes(self, register):
            register(path)

    plugins.register_plugin(ThemePlugin(), "test-theme-plugin")
    try:
        assert "broken" not in plugins.get_themes()
        problems = "\n".join(plugins.problems())
        assert "Plugin 'test-theme-plugin' failed.\nHook: register_themes" in problems
        assert f"{path}: primary: error: Found 'red'" in problems
    finally:
        plugins.unregister_plugin("test-theme-plugin")


def test_a_client_theme_changes_the_pdf(brand: Path, tmp_path: Path) -> None:
    result = render_report(small_model(1), load_theme(brand), tmp_path / "brand.pdf")
    reader = pypdf.PdfReader(result.path)
    assert [float(v) for v in reader.pages[0].mediabox] == [0, 0, 612, 792]
    cover_images = [k for k, v in reader.pages[0]["/Resources"]["/XObject"].items() if v["/Subtype"] == "/Image"]
    assert len(cover_images) == 2  # logo and cover image
    fonts = {str(f.get_object()["/BaseFont"]).split("+")[-1] for f in reader.pages[2]["/Resources"]["/Font"].values()}
    assert fonts == {"Lato-Bold", "Lato-Black"}  # the theme's files, not the bundled Lato Regular
    assert "Brand Consulting · brand.example" in reader.pages[3].extract_text()


def test_themes_list_and_show_json() -> None:
    runner = CliRunner()
    out = runner.invoke(themes, ["list", "--json"], catch_exceptions=False)
    assert out.exit_code == 0
    listed = json.loads(out.output)
    assert [t["name"] for t in listed] == ["default"]
    assert listed[0]["page-size"] == "A4"
    out = runner.invoke(themes, ["show", "default", "--json"], catch_exceptions=False)
    shown = json.loads(out.output)
    assert shown["palette"] == list(OKABE_ITO)
    assert shown["font-regular"] is None and shown["footer"] == "Prepared with implassess"
    out = runner.invoke(themes, ["show", "default"], catch_exceptions=False)
    assert "  font-regular  (bundled Lato)" in out.output and "  page-size     A4" in out.output
    out = runner.invoke(themes, ["list"], catch_exceptions=False)
    assert out.output.startswith("default  A4")


def test_themes_show_checks_a_theme_file(brand: Path) -> None:
    out = CliRunner().invoke(themes, ["show", str(brand), "--json"], catch_exceptions=False)
    assert json.loads(out.output)["name"] == "brand"


def test_themes_show_unknown_name_raises_not_found() -> None:
    out = CliRunner().invoke(themes, ["show", "nope"])
    assert str(out.exception) == "No theme named 'nope'. Known: default."


def test_a_theme_record_from_a_plugin_is_checked_before_rendering(tmp_path: Path) -> None:
    from implassess.contracts import Theme

    bad = Theme(name="py-theme", primary="blue", page_size="A3", logo=str(tmp_path / "nope.png"))
    with pytest.raises(InstrumentError) as info:
        render_report(small_model(1), bad, tmp_path / "x.pdf")
    assert [str(f) for f in info.value.findings] == [
        "theme 'py-theme': primary: error: Found 'blue'; expected a colour written as '#rrggbb', e.g. '#1f3a5f'.",
        "theme 'py-theme': page-size: error: Found 'A3'; expected 'A4' or 'Letter'.",
        f"theme 'py-theme': logo: error: File {str(tmp_path / 'nope.png')!r} not found (looked for "
        f"{str(tmp_path / 'nope.png')!r}); paths are relative to the theme file.",
    ]
    assert list(tmp_path.iterdir()) == []


def test_an_svg_logo_is_drawn_on_the_cover(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from implassess.formats.theme import load_theme
    from implassess.report.render import render_report
    from implassess.report.sample_model import sample_model

    (tmp_path / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60">'
        '<rect width="200" height="60" fill="#1f3a5f"/><circle cx="30" cy="30" r="18" fill="#e69f00"/></svg>'
    )
    path = _theme(tmp_path, 'name = "svg-brand"\nlogo = "logo.svg"\n')
    theme = load_theme(path)
    out = render_report(sample_model(), theme, tmp_path / "r.pdf")
    cover = PdfReader(out.path).pages[0]
    images = [n for n, x in cover["/Resources"].get("/XObject", {}).items() if x.get_object()["/Subtype"] == "/Image"]
    assert images, "the SVG logo must be embedded as an image on the cover"
