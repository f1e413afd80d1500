"""A theme made concrete for reportlab: embedded fonts, colours and paragraph styles."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import attrs
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import TableStyle

from implassess.contracts import Theme
from implassess.errors import Finding, InstrumentError
from implassess.formats.theme import OKABE_ITO

PAGE_SIZES = {"A4": A4, "Letter": LETTER}

#: Colours of the RAG status, independent of the theme: they carry meaning.
RAG_COLOURS = {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00"}
GREY = "#6B6B6B"
LIGHT_GREY = "#D9D9D9"
INK = "#1A1A1A"


def _lato(name: str) -> str:
    import font_lato

    return str(Path(font_lato.font_directory) / name)


def hex_colour(value: str) -> colors.Color:
    """A reportlab colour from ``#rrggbb``."""
    return colors.HexColor(value)


def tint(value: str, amount: float) -> colors.Color:
    """``value`` mixed with white; ``amount`` 0 = unchanged, 1 = white."""
    c = colors.HexColor(value)
    return colors.Color(c.red + (1 - c.red) * amount, c.green + (1 - c.green) * amount, c.blue + (1 - c.blue) * amount)


def luminance(c: colors.Color) -> float:
    """Relative luminance (sRGB, WCAG), used to pick black or white text on a fill."""

    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c.red) + 0.7152 * lin(c.green) + 0.0722 * lin(c.blue)


def text_on(fill: colors.Color) -> colors.Color:
    """Near-black or white, whichever has the higher WCAG contrast ratio with ``fill``."""
    lum = luminance(fill)
    ink = hex_colour(INK)
    with_white = 1.05 / (lum + 0.05)
    with_ink = (lum + 0.05) / (luminance(ink) + 0.05)
    return colors.white if with_white > with_ink else ink


def _register(path: str, role: str, source: str, key: str) -> str:
    """Register a TTF under a name derived from its path (two themes never collide)."""
    name = f"ia-{Path(path).stem}-{hashlib.sha1(path.encode()).hexdigest()[:8]}"
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    try:
        pdfmetrics.registerFont(TTFont(name, path))
    except Exception as exc:  # a damaged font raises anything from TTFError to KeyError
        raise InstrumentError(
            [Finding(source, key, f"The {role} font {path!r} cannot be embedded: {exc}.", code="font-format")]
        ) from None
    return name


@attrs.frozen
class Look:
    """Everything the flowables need from a theme."""

    theme: Theme
    """The theme this look was made from."""
    font: str
    """Registered body font name."""
    bold: str
    """Registered bold font name."""
    palette: tuple[str, ...]
    """Series colours."""
    page_size: tuple[float, float]
    """Page width and height in points."""
    styles: dict[str, ParagraphStyle]
    """Paragraph styles by name."""

    @property
    def primary(self) -> colors.Color:
        """Headings and cover colour."""
        return hex_colour(self.theme.primary)

    @property
    def accent(self) -> colors.Color:
        """Targets and highlights."""
        return hex_colour(self.theme.accent)

    def series(self, i: int) -> colors.Color:
        """Series colour ``i`` of the palette."""
        return hex_colour(self.palette[i % len(self.palette)])

    def table_style(self, commands: list[tuple[Any, ...]]) -> TableStyle:
        """A table style whose cell font is the theme's: reportlab otherwise sets Helvetica on
        every cell, even cells holding paragraphs, and the PDF then references a font it
        does not embed."""
        return TableStyle([("FONTNAME", (0, 0), (-1, -1), self.font), *commands])


def make_look(theme: Theme) -> Look:
    """Register the theme's fonts and build paragraph styles."""
    src = theme.source or f"theme {theme.name!r}"
    regular = _register(theme.font_regular or _lato("Lato-Regular.ttf"), "regular", src, "font-regular")
    bold = _register(theme.font_bold or _lato("Lato-Bold.ttf"), "bold", src, "font-bold")
    if theme.font_regular is None:
        italic = _register(_lato("Lato-Italic.ttf"), "italic", src, "font-regular")
        bold_italic = _register(_lato("Lato-BoldItalic.ttf"), "bold italic", src, "font-bold")
    else:
        italic, bold_italic = regular, bold
    pdfmetrics.registerFontFamily(regular, normal=regular, bold=bold, italic=italic, boldItalic=bold_italic)
    primary = hex_colour(theme.primary)
    ink = hex_colour(INK)
    base = ParagraphStyle(
        "body", fontName=regular, bulletFontName=regular, fontSize=9.5, leading=13.5, textColor=ink, spaceAfter=6
    )
    s: dict[str, ParagraphStyle] = {"body": base}

    def add(name: str, **kw: object) -> None:
        s[name] = ParagraphStyle(name, parent=base, **kw)  # type: ignore[arg-type]

    add("h1", fontName=bold, fontSize=20, leading=24, textColor=primary, spaceBefore=0, spaceAfter=10)
    add("h2", fontName=bold, fontSize=14, leading=18, textColor=primary, spaceBefore=4, spaceAfter=6)
    add("h3", fontName=bold, fontSize=10.5, leading=14, textColor=primary, spaceBefore=8, spaceAfter=4)
    add("lead", fontSize=11, leading=15.5, spaceAfter=8)
    add("small", fontSize=8, leading=10.5, spaceAfter=3)
    add("caption", fontSize=7.5, leading=9.5, textColor=hex_colour(GREY), spaceAfter=6)
    add("cell", fontSize=8.5, leading=10.8, spaceAfter=0)
    add("cell_indent", fontSize=8.5, leading=10.8, spaceAfter=0, leftIndent=12, textColor=hex_colour(GREY))
    add("cell_small", fontSize=7.5, leading=9.3, spaceAfter=0)
    add("cell_bold", fontName=bold, fontSize=8.5, leading=10.8, spaceAfter=0)
    add("cell_right", fontSize=8.5, leading=10.8, spaceAfter=0, alignment=TA_RIGHT)
    add("cell_head", fontName=bold, fontSize=8, leading=10, spaceAfter=0, textColor=colors.white)
    add(
        "cell_head_right",
        fontName=bold,
        fontSize=8,
        leading=10,
        spaceAfter=0,
        textColor=colors.white,
        alignment=TA_RIGHT,
    )
    add("bullet", leftIndent=12, bulletIndent=2, spaceAfter=3)
    add("cover_title", fontName=bold, fontSize=28, leading=33, textColor=primary, spaceAfter=14)
    add("cover_client", fontName=bold, fontSize=16, leading=21, spaceAfter=4)
    add("cover_line", fontSize=12, leading=16, textColor=hex_colour(GREY), spaceAfter=4)
    add("toc_title", fontName=bold, fontSize=20, leading=24, textColor=primary, spaceAfter=14)
    add("toc1", fontName=bold, fontSize=11, leading=15, spaceBefore=6, spaceAfter=0)
    add("toc2", fontSize=9, leading=12, leftIndent=14, spaceAfter=0)
    add("big_number", fontName=bold, fontSize=26, leading=30, textColor=primary, alignment=TA_CENTER, spaceAfter=0)
    add("centre_small", fontSize=8, leading=10, alignment=TA_CENTER, spaceAfter=0)
    palette = theme.palette or OKABE_ITO
    return Look(theme, regular, bold, palette, PAGE_SIZES.get(theme.page_size, A4), s)
