"""The "About Northstar Advisory" report section: who prepared the report, how to read it,
the maturity levels it uses and how to reach Northstar.

The prose is the template ``northstar/about.md.j2`` (a client template folder can
override it); the level table and the contact card are built here. This module imports
reportlab, so the plugin module imports it only when a report is laid out.
"""

from __future__ import annotations

import math
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Polygon
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table

from implassess.report.charts import band_fill
from implassess.report.context import ReportContext
from implassess.report.markup import esc
from implassess.report.sections import AGREEMENT_CUTOFF
from implassess.report.styles import hex_colour, text_on, tint

#: The contact card. Fictional: the domain is reserved for examples (RFC 2606) and
#: 555-01xx numbers are set aside for fiction.
CONTACT = {
    "name": "Northstar Advisory",
    "address": "200 Polaris Way, Suite 400, Boston, MA 02110",
    "email": "hello@northstar.example",
    "phone": "+1 617 555 0142",
    "web": "northstar.example",
}
CREDIT = (
    "Laid out with implassess and the Northstar Advisory brand pack; "
    "set in Source Sans Pro (SIL Open Font License 1.1)."
)


def star_mark(primary: str, accent: str, font: str, size: float = 44) -> Drawing:
    """The logo's eight-point star as vector art in the theme's colours, for white pages."""
    d = Drawing(size, size)
    # A drawing starts with Helvetica set unless told otherwise, and the PDF would then
    # reference a font it does not embed.
    d.initialFontName = font
    c = size / 2
    long, short, inner = c * 0.96, c * 0.4, c * 0.19
    d.add(Circle(c, c, c * 0.6, fillColor=None, strokeColor=tint(primary, 0.55), strokeWidth=1.2))
    pts: list[float] = []
    for k in range(16):
        angle = math.radians(90 - 22.5 * k)
        r = inner if k % 2 else (long if (k // 2) % 2 == 0 else short)
        pts += [c + r * math.cos(angle), c + r * math.sin(angle)]
    d.add(Polygon(pts, fillColor=hex_colour(primary), strokeColor=None))
    # The north point in the accent colour: the tip, the inner vertices beside it, the centre.
    north = [pts[30], pts[31], pts[0], pts[1], pts[2], pts[3], c, c]
    d.add(Polygon(north, fillColor=hex_colour(accent), strokeColor=None))
    return d


def level_table(ctx: ReportContext) -> Table:
    """The maturity levels with their score bands, each number on its shade from the results pages."""
    levels = ctx.model.levels
    rows: list[list[Any]] = [["Level", "Name", "Scores (0–100)"]]
    shades = []
    for band in levels:
        fill = band_fill(ctx.look, band.level, len(levels))
        shades.append(("BACKGROUND", (0, len(rows)), (0, len(rows)), fill))
        number = ParagraphStyle("ns-level", parent=ctx.style("cell_bold"), alignment=TA_CENTER, textColor=text_on(fill))
        # Band edges as the methodology appendix prints them ("20 to 40").
        rows.append([Paragraph(esc(band.level), number), band.name, f"{band.min:g} to {band.max:g}"])
    widths = [44.0, ctx.width - 44 - 110, 110.0]
    return ctx.table(rows, widths, align_right=(2,), zebra=False, extra=shades)


def contact_card(ctx: ReportContext) -> Table:
    """The star mark beside Northstar's name, address and contact line, on a light panel."""
    theme = ctx.theme
    lines = [
        Paragraph(f"<b>{esc(CONTACT['name'])}</b>", ctx.style("lead")),
        ctx.para(CONTACT["address"], "small"),
        ctx.para(f"{CONTACT['email']}  ·  {CONTACT['phone']}  ·  {CONTACT['web']}", "small"),
    ]
    card = Table(
        [[star_mark(theme.primary, theme.accent, ctx.look.font), lines]], colWidths=[62, ctx.width - 62], hAlign="LEFT"
    )
    card.setStyle(
        ctx.look.table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, -1), tint(theme.primary, 0.92)),
                ("LINEBEFORE", (0, 0), (0, -1), 3, ctx.look.accent),
                ("LEFTPADDING", (0, 0), (0, -1), 12),
                ("TOPPADDING", (0, 0), (-1, -1), 10),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return card


def render_about(ctx: ReportContext) -> list[Flowable]:
    """The section body: the narrative, the level table and the contact card."""
    m = ctx.model
    min_n = m.appendix.min_group_size if m.appendix is not None else None
    out: list[Flowable] = ctx.narrative(
        "northstar/about.md.j2", agreement_cutoff=AGREEMENT_CUTOFF, min_group_size=min_n, contact=CONTACT
    )
    if m.levels:
        out.append(
            KeepTogether(
                [
                    ctx.heading("Maturity levels", level=3),
                    level_table(ctx),
                    Spacer(1, 4),
                    ctx.para(
                        "Each dimension's score places it in one of these levels. The shades are those of the "
                        "results pages: a darker shade is always a higher level.",
                        "caption",
                    ),
                ]
            )
        )
    out.append(KeepTogether([ctx.heading("Contact", level=3), contact_card(ctx)]))
    out += [Spacer(1, 10), ctx.para(CREDIT, "caption")]
    return out
