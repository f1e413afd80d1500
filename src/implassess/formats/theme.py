"""Theme files: TOML → dict → the strict converter → :class:`~implassess.contracts.Theme`.

A theme file uses kebab-case keys (``font-regular``, ``cover-image``, ``page-size``);
unknown keys, wrong types, malformed colours, missing files and unsupported image or font
formats are all collected and raised together as one
:class:`~implassess.errors.InstrumentError`, each finding naming the file and the key.
Paths in a theme are relative to the theme file. This module does not import reportlab.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import attrs

from implassess.contracts import Theme
from implassess.errors import Finding, InstrumentError
from implassess.formats.convert import structure
from implassess.formats.document import read_document

#: Okabe & Ito (2008) colour-blind-safe palette, in the order charts use it.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#000000",  # black
)

PAGE_SIZES = ("A4", "Letter")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_IMAGE_MAGIC = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG"}
#: The palette needs this many colours: score, disagree/target contrast, benchmark.
MIN_PALETTE = 3


def _check_colour(source: str, key: str, value: str) -> list[Finding]:
    if _COLOUR.match(value):
        return []
    return [
        Finding(
            source,
            key,
            f"Found {value!r}; expected a colour written as '#rrggbb', e.g. '#1f3a5f'.",
            code="colour",
        )
    ]


def _image_kind(path: Path) -> str | None:
    head = path.read_bytes()[:4]
    return next((kind for magic, kind in _IMAGE_MAGIC.items() if head.startswith(magic)), None)


def _check_file(source: str, base: Path, key: str, value: str, kind: str) -> tuple[str | None, list[Finding]]:
    """Resolve ``value`` against the theme's folder and check its format; returns (absolute path, findings)."""
    path = (base / value).resolve()
    if not path.is_file():
        return None, [
            Finding(
                source,
                key,
                f"File {value!r} not found (looked for {str(path)!r}); paths are relative to the theme file.",
                code="missing-file",
            )
        ]
    if kind == "font":
        head = path.read_bytes()[:4]
        if head == b"OTTO":
            return None, [
                Finding(
                    source,
                    key,
                    f"{value!r} is an OpenType font with PostScript (CFF) outlines, which reportlab cannot embed; "
                    "expected a TrueType font (.ttf).",
                    code="font-format",
                )
            ]
        if head not in (b"\x00\x01\x00\x00", b"true"):
            return None, [
                Finding(source, key, f"{value!r} is not a TrueType font; expected a .ttf file.", code="font-format")
            ]
        return str(path), []
    if path.suffix.lower() == ".svg":
        try:
            rasterise_svg(str(path))
        except Exception as exc:  # resvg reports malformed SVG as a plain exception
            return None, [
                Finding(
                    source,
                    key,
                    f"{value!r} is not a readable SVG image ({exc}); expected an SVG file.",
                    code="image-format",
                )
            ]
        return str(path), []
    if _image_kind(path) is None:
        return None, [
            Finding(
                source, key, f"{value!r} is not a PNG or JPEG image; expected a .png or .jpg file.", code="image-format"
            )
        ]
    return str(path), []


@functools.lru_cache(maxsize=16)
def rasterise_svg(path: str, width_px: int = 1200) -> bytes:
    """An SVG logo or cover image as PNG bytes, ``width_px`` wide (sharp in print).

    resvg (Apache-2.0/MIT, through the MIT-licensed resvg-py binding) draws it; the
    result is cached, since a batch of participant reports draws the same logo each time.
    """
    import resvg_py

    probe = bytes(resvg_py.svg_to_bytes(svg_path=path))
    width = int.from_bytes(probe[16:20], "big") or width_px  # PNG IHDR width
    return bytes(resvg_py.svg_to_bytes(svg_path=path, zoom=max(1.0, width_px / width)))


def check_theme(raw: dict[str, Any], source: str, base: Path) -> tuple[Theme | None, list[Finding]]:
    """Structure and check a parsed theme table; returns the theme (None if invalid) and findings.

    Value checks run on the raw table too, so a file with a type error still gets its
    colours, page size and files checked in the same pass.
    """
    theme, findings = structure(raw, Theme, source)

    def text(key: str) -> str | None:
        value = raw.get(key)
        return value if isinstance(value, str) else None

    name = text("name")
    if name is not None and not _NAME.match(name):
        findings.append(
            Finding(
                source,
                "name",
                f"Found {name!r}; expected a name of letters, digits, '.', '_' or '-' (used with --theme).",
                code="name",
            )
        )
    for key in ("primary", "accent"):
        value = text(key)
        if value is not None:
            findings += _check_colour(source, key, value)
    palette = raw.get("palette")
    if isinstance(palette, list):
        for i, colour in enumerate(palette):
            if isinstance(colour, str):
                findings += _check_colour(source, f"palette[{i}]", colour)
        if 0 < len(palette) < MIN_PALETTE:
            findings.append(
                Finding(
                    source,
                    "palette",
                    f"Found {len(palette)} colour(s); expected at least {MIN_PALETTE} (charts use three series "
                    "colours), or leave palette out to use the Okabe–Ito palette.",
                    code="palette",
                )
            )
    page_size = text("page-size")
    if page_size is not None and page_size not in PAGE_SIZES:
        findings.append(
            Finding(source, "page-size", f"Found {page_size!r}; expected 'A4' or 'Letter'.", code="page-size")
        )
    resolved: dict[str, str | None] = {}
    for attr, key, kind in (
        ("font_regular", "font-regular", "font"),
        ("font_bold", "font-bold", "font"),
        ("logo", "logo", "image"),
        ("cover_image", "cover-image", "image"),
    ):
        value = text(key)
        if value is None:
            continue
        path, problems = _check_file(source, base, key, value, kind)
        findings += problems
        resolved[attr] = path
    if findings or theme is None:
        return None, findings
    colours = tuple(c.upper() for c in theme.palette) or OKABE_ITO
    return attrs.evolve(theme, palette=colours, source=source, **resolved), []


def load_theme(path: Path) -> Theme:
    """Load and check a theme file; raises :class:`InstrumentError` listing every problem."""
    raw = read_document(path)
    theme, findings = check_theme(raw, str(path), path.parent)
    if theme is None:
        raise InstrumentError(findings)
    return theme


def validate(theme: Theme) -> Theme:
    """Check a theme record (e.g. one a plugin built in Python) as strictly as a theme file.

    Returns the theme with the default palette filled in; raises :class:`InstrumentError`.
    """
    raw = {k: v for k, v in theme_as_dict(theme).items() if k != "source" and v is not None}
    checked, findings = check_theme(raw, theme.source or f"theme {theme.name!r}", Path.cwd())
    if checked is None:
        raise InstrumentError(findings)
    return attrs.evolve(checked, source=theme.source)


def theme_as_dict(theme: Theme) -> dict[str, Any]:
    """A theme as a JSON-ready dict with the theme file's key names."""
    return {a.name.replace("_", "-"): _plain(getattr(theme, a.name)) for a in attrs.fields(Theme)}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
