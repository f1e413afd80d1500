"""Theme files: TOML → dict → the strict converter → :class:`~implassess.contracts.Theme`.

A theme file uses kebab-case keys (``font-regular``, ``cover-image``, ``page-size``);
unknown keys, wrong types, malformed colours, missing files and unsupported image or font
formats are all collected and raised together as one
:class:`~implassess.errors.InstrumentError`, each finding naming the file and the key.
Paths in a theme are relative to the theme file. This module does not import reportlab.
"""

from __future__ import annotations

import base64
import functools
import io
import math
import re
import urllib.parse
from pathlib import Path
from typing import Any, BinaryIO

import attrs

from implassess.contracts import Theme
from implassess.errors import Finding, InstrumentError
from implassess.formats.convert import structure
from implassess.formats.document import read_document
from implassess.limits import env_limit

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
_MB = 1 << 20
#: Environment variable raising the limit on a logo or cover image file, in MB.
MAX_IMAGE_MB_ENV = "IMPLASSESS_MAX_IMAGE_MB"
#: Largest logo or cover image file, in MB, unless raised.
DEFAULT_MAX_IMAGE_MB = 20
#: Environment variable raising the limit on a font file, in MB.
MAX_FONT_MB_ENV = "IMPLASSESS_MAX_FONT_MB"
#: Largest font file, in MB, unless raised.
DEFAULT_MAX_FONT_MB = 64
#: Most pixels a raster image (a PNG or JPEG logo, or one an SVG embeds) may declare: 50
#: megapixels decode to 200 MB; a full A4 page at 300 dpi is under 9.
MAX_IMAGE_PIXELS = 50_000_000
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


def _head(path: Path, n: int = 16) -> bytes:
    """The first ``n`` bytes of a file (never the whole file: a logo may be huge)."""
    with path.open("rb") as fh:
        return fh.read(n)


def _image_kind(path: Path) -> str | None:
    head = _head(path)
    return next((kind for magic, kind in _IMAGE_MAGIC.items() if head.startswith(magic)), None)


def _too_large(source: str, key: str, value: str, path: Path, kind: str) -> list[Finding]:
    """A finding when the file is larger than the limit for its kind (checked before reading it)."""
    env, default = (
        (MAX_FONT_MB_ENV, DEFAULT_MAX_FONT_MB) if kind == "font" else (MAX_IMAGE_MB_ENV, DEFAULT_MAX_IMAGE_MB)
    )
    limit = env_limit(env, default)
    size_mb = path.stat().st_size / _MB
    if size_mb <= limit:
        return []
    what = "font" if kind == "font" else "image"
    return [
        Finding(
            source,
            key,
            f"{value!r} is {size_mb:,.1f} MB; expected {'a' if what == 'font' else 'an'} {what} of at most "
            f"{limit:g} MB. Make the file smaller, or raise the limit by setting the environment variable "
            f"{env}={math.ceil(size_mb) + 1}.",
            code="too-large",
        )
    ]


def _check_file(source: str, base: Path, key: str, value: str, kind: str) -> tuple[str | None, list[Finding]]:
    """Resolve ``value`` against the theme's folder and check its size and format; returns (absolute path, findings)."""
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
    too_large = _too_large(source, key, value, path, kind)
    if too_large:
        return None, too_large
    if kind == "font":
        head = _head(path, 4)
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
            check_svg(path)
            rasterise_svg(str(path))
        except ImageError as exc:
            return None, [Finding(source, key, f"{value!r} {exc}", code=exc.code)]
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
    try:
        with path.open("rb") as fh:
            _check_pixels(fh, "is")
    except ImageError as exc:
        return None, [Finding(source, key, f"{value!r} {exc}", code=exc.code)]
    return str(path), []


# -- images: sizes read from the first bytes, never by decoding ----------------------------------------------------


class ImageError(ValueError):
    """An image a theme names cannot be drawn safely; ``str()`` completes "'logo.svg' …"."""

    def __init__(self, message: str, code: str = "image-size"):
        super().__init__(message)
        self.code = code


def _raster_size(fh: BinaryIO) -> tuple[str, int, int] | None:
    """(format, width, height) of a PNG, JPEG, GIF or WebP from its header, or None if it is none of them."""
    head = fh.read(32)
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return "PNG", int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF", int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp_size(head)
    if head[:3] == b"\xff\xd8\xff":
        return _jpeg_size(fh)
    return None


def _webp_size(head: bytes) -> tuple[str, int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X":
        return "WebP", 1 + int.from_bytes(head[24:27], "little"), 1 + int.from_bytes(head[27:30], "little")
    if chunk == b"VP8L":
        bits = int.from_bytes(head[21:25], "little")
        return "WebP", 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 ":
        return "WebP", int.from_bytes(head[26:28], "little") & 0x3FFF, int.from_bytes(head[28:30], "little") & 0x3FFF
    return None


#: JPEG markers that start a frame (and carry its size): SOF0–SOF15 but DHT, JPG and DAC.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(fh: BinaryIO) -> tuple[str, int, int] | None:
    """Walk the JPEG's segment headers (seeking past their contents) to the frame header."""
    fh.seek(2)
    for _ in range(10_000):
        marker = fh.read(2)
        while marker[:1] == b"\xff" and marker[1:2] == b"\xff":  # fill bytes
            marker = marker[1:] + fh.read(1)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        if marker[1] in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            continue
        length = int.from_bytes(fh.read(2), "big")
        if marker[1] in _SOF:
            frame = fh.read(5)
            if len(frame) < 5:
                return None
            return "JPEG", int.from_bytes(frame[3:5], "big"), int.from_bytes(frame[1:3], "big")
        if length < 2 or marker[1] == 0xDA:  # start of scan before a frame: damaged
            return None
        fh.seek(length - 2, io.SEEK_CUR)
    return None


def _check_pixels(fh: BinaryIO, subject: str) -> None:
    """Refuse a raster image whose header declares more pixels than :data:`MAX_IMAGE_PIXELS`."""
    size = _raster_size(fh)
    if size is None:
        return
    kind, width, height = size
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageError(
            f"{subject} a {kind} image of {width:,} × {height:,} pixels; expected at most "
            f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels (a logo or cover image needs far fewer: scale it down)."
        )


def _data_uri(value: str) -> bytes | None:
    """The bytes of a ``data:`` URI (base64 or percent-encoded), or None if it is not one."""
    if not value.startswith("data:"):
        return None
    header, _, payload = value[5:].partition(",")
    if header.endswith(";base64"):
        return base64.b64decode("".join(payload.split()) + "==", validate=False)
    return urllib.parse.unquote_to_bytes(payload)


def check_svg(path: Path, *, _depth: int = 0) -> None:
    """Refuse an SVG whose drawing would need unbounded memory, before resvg reads it.

    The drawing itself is bounded by :func:`rasterise_svg`; what is checked here is what
    resvg would decode at its own size: a compressed (svgz) file, and every raster image
    the SVG embeds (``data:`` URIs) or links to, which may declare at most
    :data:`MAX_IMAGE_PIXELS` pixels. Nested SVG images are checked the same way.
    """
    data = path.read_bytes()
    _check_svg_bytes(data, path.parent, _depth)


def _check_svg_bytes(data: bytes, folder: Path, depth: int) -> None:
    import xml.etree.ElementTree as ET

    if data[:2] == b"\x1f\x8b":
        raise ImageError(
            "is a compressed SVG (svgz); expected a plain SVG file (save it uncompressed).", "image-format"
        )
    try:
        root = ET.fromstring(data)  # expat: no external entities, entity expansion capped
    except ET.ParseError as exc:
        from xml.parsers.expat import ErrorString

        line, column = exc.position
        what = f"{ErrorString(exc.code)} at line {line}, column {column + 1}"  # expat counts columns from 0
        raise ImageError(f"is not a readable SVG image ({what}); expected an SVG file.", "image-format") from None
    for element in root.iter():
        for name, value in element.attrib.items():
            if name == "href" or name.endswith("}href"):
                _check_reference(value.strip(), folder, depth)


def _check_reference(value: str, folder: Path, depth: int) -> None:
    """Check one image an SVG embeds or links to (internal ``#id`` references are not images)."""
    if not value or value.startswith("#") or value.startswith(("http:", "https:")):
        return  # resvg never fetches from the network
    try:
        data = _data_uri(value)
    except ValueError:
        return  # resvg cannot decode it either
    if data is None:
        target = Path(urllib.parse.unquote(value.removeprefix("file://")))
        target = target if target.is_absolute() else folder / target
        if not target.is_file():
            return
        limit = env_limit(MAX_IMAGE_MB_ENV, DEFAULT_MAX_IMAGE_MB)
        if target.stat().st_size / _MB > limit:
            raise ImageError(
                f"links to {value!r}, which is larger than the limit of {limit:g} MB for an image "
                f"({MAX_IMAGE_MB_ENV}); expected a small linked image.",
                "too-large",
            )
        with target.open("rb") as fh:
            if _raster_size(fh) is None:
                head = _head(target, 64).lstrip()
                if head.startswith((b"<", b"\x1f\x8b")):
                    _nested_svg(target.read_bytes() if head[:1] == b"<" else head, target.parent, depth)
                return
            fh.seek(0)
            _check_pixels(fh, f"links to {value!r},")
        return
    if _raster_size(io.BytesIO(data)) is not None:
        _check_pixels(io.BytesIO(data), "embeds")
    elif data.lstrip()[:1] == b"<" or data[:2] == b"\x1f\x8b":
        _nested_svg(data, folder, depth)


def _nested_svg(data: bytes, folder: Path, depth: int) -> None:
    if depth >= 2:
        raise ImageError("nests SVG images more than two deep; expected a flat logo SVG.", "image-format")
    _check_svg_bytes(data, folder, depth + 1)


@functools.lru_cache(maxsize=16)
def rasterise_svg(path: str, width_px: int = 1200) -> bytes:
    """An SVG logo or cover image as PNG bytes fitted into ``width_px`` × 4·``width_px`` pixels
    (a wide logo ``width_px`` wide: sharp in print).

    Both sides are bounded whatever size the SVG declares, so a drawing never needs
    more than about 25 MB (an ``<svg width="100000" height="100000">`` once made resvg
    abort the process). resvg (Apache-2.0/MIT, through the MIT-licensed resvg-py
    binding) draws it; the result is cached, since a batch of participant reports draws
    the same logo each time. Check the file with :func:`check_svg` first.
    """
    import resvg_py

    folder = str(Path(path).parent)
    return bytes(resvg_py.svg_to_bytes(svg_path=path, width=width_px, height=4 * width_px, resources_dir=folder))


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
