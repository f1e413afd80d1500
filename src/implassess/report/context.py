"""What a section's ``render`` receives: the model, the look and helpers that escape.

A plugin section is ``ReportSection(id, title, order, render)`` where ``render(ctx)``
returns a list of reportlab flowables. The renderer adds the section's heading (and its
contents entry) and starts it on a new page; ``render`` returns the body only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import jinja2
from reportlab.lib import colors
from reportlab.platypus import Flowable, Paragraph, Table

from implassess.contracts import Theme
from implassess.report import fmt, narrative
from implassess.report.markup import esc
from implassess.report.model import ReportModel
from implassess.report.styles import LIGHT_GREY, Look, hex_colour


class Heading(Paragraph):
    """A heading the document template turns into a contents entry, a PDF bookmark and the
    running header. ``text`` is plain text; it is escaped here."""

    def __init__(self, text: str, style: Any, level: int, toc: bool = True, key: str | None = None):
        super().__init__(esc(text), style)
        self.toc_level = level
        self.toc_text = esc(text)
        self.plain_text = text
        self.in_toc = toc
        self.bookmark = key


@attrs.define(kw_only=True)
class ReportContext:
    """The report being laid out, passed to every section's ``render``."""

    model: ReportModel
    """The view-model."""
    theme: Theme
    """The theme."""
    look: Look
    """Fonts, colours and paragraph styles made from the theme."""
    env: jinja2.Environment
    """The narrative environment (jinja2 sandbox; client → plugin → bundled templates)."""
    width: float
    """Usable frame width in points."""
    fmt: Any = fmt
    """The formatting module: use it for every number you print."""
    _keys: dict[str, int] = attrs.field(factory=dict)

    def style(self, name: str) -> Any:
        """Paragraph style by name (``body``, ``small``, ``h3``, ``cell`` …)."""
        return self.styles[name]

    @property
    def styles(self) -> dict[str, Any]:
        """The theme's paragraph styles, also under reportlab's sample-stylesheet names
        (``Normal``, ``BodyText``, ``Heading1``–``Heading3``, ``Bullet``) for plugin code
        written against those."""
        s = self.look.styles
        aliases = {
            "Normal": "body",
            "BodyText": "body",
            "Heading1": "h1",
            "Heading2": "h2",
            "Heading3": "h3",
            "Bullet": "bullet",
            "Title": "cover_title",
        }
        return {**s, **{alias: s[name] for alias, name in aliases.items()}}

    def para(self, text: str, style: str = "body") -> Paragraph:
        """A paragraph of plain (untrusted) text, escaped."""
        return Paragraph(esc(text), self.style(style))

    def markup(self, markup: str, style: str = "body") -> Paragraph:
        """A paragraph of trusted markup; every piece of data in it must already be escaped with ``esc``."""
        return Paragraph(markup, self.style(style))

    def heading(self, text: str, level: int = 2, toc: bool = True) -> Heading:
        """A sub-heading (level 2 is listed in the contents under its section)."""
        base = "".join(c if c.isalnum() else "-" for c in text.lower())[:40] or "h"
        self._keys[base] = self._keys.get(base, 0) + 1
        key = f"{base}-{self._keys[base]}"
        return Heading(text, self.style({1: "h1", 2: "h2"}.get(level, "h3")), level, toc and level <= 2, key)

    def narrative(self, template: str, **context: Any) -> list[Flowable]:
        """Render a narrative template to paragraphs; the model and meta are always in its context."""
        ctx = {"model": self.model, "meta": self.model.meta, "levels": self.model.levels, **context}
        out: list[Flowable] = []
        for block in narrative.render(self.env, template, ctx):
            if block.kind == "bullet":
                out.append(Paragraph(block.markup, self.style("bullet"), bulletText="•"))
            elif block.kind == "h3":
                out.append(Paragraph(block.markup, self.style("h3")))
            else:
                out.append(Paragraph(block.markup, self.style("body")))
        return out

    def table(
        self,
        rows: Sequence[Sequence[Any]],
        col_widths: Sequence[float],
        *,
        header: bool = True,
        align_right: Sequence[int] = (),
        zebra: bool = True,
        extra: Sequence[tuple[Any, ...]] = (),
    ) -> Table:
        """A table in the house style; plain strings in cells are wrapped in escaped paragraphs."""
        body: list[list[Any]] = []
        for r, row in enumerate(rows):
            cells = []
            for c, cell in enumerate(row):
                if isinstance(cell, str):
                    if header and r == 0:
                        name = "cell_head_right" if c in align_right else "cell_head"
                    else:
                        name = "cell_right" if c in align_right else "cell"
                    cells.append(self.para(cell, name))
                else:
                    cells.append(cell)
            body.append(cells)
        t = Table(body, colWidths=list(col_widths), repeatRows=1 if header else 0, hAlign="LEFT")
        cmds: list[tuple[Any, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, hex_colour(LIGHT_GREY)),
        ]
        if header:
            cmds.append(("BACKGROUND", (0, 0), (-1, 0), self.look.primary))
        if zebra:
            start = 1 if header else 0
            cmds.append(("ROWBACKGROUNDS", (0, start), (-1, -1), [colors.white, hex_colour("#F4F6F8")]))
        t.setStyle(self.look.table_style(cmds + list(extra)))
        return t
