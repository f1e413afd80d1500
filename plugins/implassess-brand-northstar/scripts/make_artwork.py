"""Draw the brand pack's logo and cover image (PNG) into the package's ``images/`` folder.

The PNGs are committed; run this only to change them:

    .venv/bin/python plugins/implassess-brand-northstar/scripts/make_artwork.py

Pillow comes with reportlab, so nothing beyond implassess is needed. Shapes are drawn at
four times the size and scaled down, which gives smooth edges without an anti-aliasing
renderer. The random star field is seeded, so the output is the same on every run with
the same Pillow version.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "implassess_brand_northstar"
FONTS = PACKAGE / "fonts"
OUT = PACKAGE / "images"

SCALE = 4
PRIMARY = (0x00, 0x5F, 0x73)
DEEP = (0x00, 0x2E, 0x3B)
AMBER = (0xE6, 0x9F, 0x00)
SKY = (0x56, 0xB4, 0xE9)
GREEN = (0x00, 0x9E, 0x73)
WHITE = (255, 255, 255)


def rgba(colour: tuple[int, int, int], alpha: int = 255) -> tuple[int, int, int, int]:
    """``colour`` with an alpha channel."""
    return (*colour, alpha)


def star_points(cx: float, cy: float, long: float, short: float, inner: float) -> list[tuple[float, float]]:
    """An eight-point compass star: long cardinal points, short diagonal ones (y grows downwards)."""
    pts = []
    for k in range(16):
        angle = math.radians(90 - 22.5 * k)
        if k % 2:
            r = inner
        else:
            r = long if (k // 2) % 2 == 0 else short
        pts.append((cx + r * math.cos(angle), cy - r * math.sin(angle)))
    return pts


def draw_star(draw: ImageDraw.ImageDraw, cx: float, cy: float, long: float, body: tuple, north: tuple) -> None:
    """The star mark; its north point in ``north``, the rest in ``body``."""
    short, inner = long * 0.42, long * 0.2
    pts = star_points(cx, cy, long, short, inner)
    draw.polygon(pts, fill=body)
    # The north point: the tip and the two inner vertices beside it, closed at the centre.
    draw.polygon([pts[15], pts[0], pts[1], (cx, cy)], fill=north)


def logo() -> Image.Image:
    """White star mark and wordmark on transparency, for the theme's coloured cover band."""
    s = SCALE
    h = 248
    bold = ImageFont.truetype(str(FONTS / "SourceSansPro-Semibold.ttf"), 92 * s)
    regular = ImageFont.truetype(str(FONTS / "SourceSansPro-Regular.ttf"), 40 * s)
    word, sub = "NORTHSTAR", "ADVISORY"
    track, sub_track = 7 * s, 15 * s

    def width(text: str, font: ImageFont.FreeTypeFont, tracking: int) -> float:
        return sum(font.getlength(c) for c in text) + tracking * (len(text) - 1)

    text_x = 232 * s
    w = int(text_x + max(width(word, bold, track), width(sub, regular, sub_track)) + 8 * s)
    img = Image.new("RGBA", (w, h * s), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img, "RGBA")
    # A thin ring behind the star, as on a compass rose.
    r = 64 * s
    draw.ellipse((112 * s - r, 124 * s - r, 112 * s + r, 124 * s + r), outline=rgba(WHITE, 150), width=5 * s)
    draw_star(draw, 112 * s, 124 * s, 108 * s, rgba(WHITE, 255), rgba(AMBER, 255))

    def spaced(x: float, y: float, text: str, font: ImageFont.FreeTypeFont, tracking: int, fill: tuple) -> None:
        for c in text:
            draw.text((x, y), c, font=font, fill=fill, anchor="ls")
            x += font.getlength(c) + tracking

    spaced(text_x, 130 * s, word, bold, track, rgba(WHITE, 255))
    draw.rectangle((text_x, 150 * s, text_x + 58 * s, 154 * s), fill=rgba(AMBER, 255))
    spaced(text_x, 204 * s, sub, regular, sub_track, rgba(WHITE, 225))
    return img.resize((w // s, h), Image.Resampling.LANCZOS)


def cover() -> Image.Image:
    """Star trails turning about a pole star: the lower half of the cover."""
    s = 3
    w, h = 1500 * s, 855 * s
    # Vertical gradient from petrol (top) to a deeper shade (bottom).
    grad = Image.linear_gradient("L").resize((w, h))
    img = Image.composite(
        Image.new("RGBA", (w, h), rgba(DEEP, 255)), Image.new("RGBA", (w, h), rgba(PRIMARY, 255)), grad
    )
    draw = ImageDraw.Draw(img, "RGBA")
    rng = random.Random(20261123)
    cx, cy = 1060 * s, 330 * s
    colours = [WHITE] * 6 + [SKY] * 3 + [GREEN] * 2 + [AMBER]
    radius = 46 * s
    while radius < 1500 * s:
        colour = rng.choice(colours)
        alpha = rng.randint(50, 150) if colour != AMBER else 210
        start = rng.uniform(0, 360)
        sweep = rng.uniform(18, 95)
        width = rng.choice([2, 3, 3, 4, 6]) * s
        box = (cx - radius, cy - radius, cx + radius, cy + radius)
        draw.arc(box, start, start + sweep, fill=rgba(colour, alpha), width=width)
        if rng.random() < 0.35:  # a second, fainter trail on the same circle
            start2 = start + sweep + rng.uniform(25, 120)
            draw.arc(box, start2, start2 + rng.uniform(10, 50), fill=rgba(colour, alpha // 2), width=width)
        radius += rng.uniform(14, 34) * s
    for _ in range(140):  # fixed stars
        x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.choice([1.2, 1.6, 2.2, 3]) * s
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rgba(WHITE, rng.randint(70, 200)))
    # The pole star with a soft glow.
    glow = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    gdraw = ImageDraw.Draw(glow, "RGBA")
    for k in range(10, 0, -1):
        r = 14 * k * s
        gdraw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=rgba(AMBER, 10 + 6 * (10 - k)))
    glow = glow.filter(ImageFilter.GaussianBlur(18 * s))
    img = Image.alpha_composite(img, glow)
    draw = ImageDraw.Draw(img, "RGBA")
    draw_star(draw, cx, cy, 92 * s, rgba(WHITE, 255), rgba(AMBER, 255))
    return img.resize((w // s, h // s), Image.Resampling.LANCZOS).convert("RGB")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    logo().save(OUT / "logo.png", optimize=True)
    cover().save(OUT / "cover.png", optimize=True)


if __name__ == "__main__":
    main()
