"""The document shell shared by the participant report and the cohort summary.

It reuses the organisation report's look (fonts, styles, colours), its running header
and cover art from :mod:`implassess.report.render`, and lays out in a single pass: the
page total of "Page N of M" is written when the file is saved (pages are kept until then),
so a report is built once instead of once per pass. Files are written to a temporary
name in the target folder and moved into place, so no reader sees half a PDF.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, PageTemplate, Paragraph, Table

from implassess.contracts import Theme
from implassess.outputs.files import atomic_path, sha256_file
from implassess.report import render
from implassess.report.context import Heading
from implassess.report.markup import esc
from implassess.report.model import Overall, ReportMeta, ReportModel
from implassess.report.render import MARGIN_X, RenderResult
from implassess.report.styles import GREY, LIGHT_GREY, Look, hex_colour, make_look

_LOOKS: dict[Theme, Look] = {}


def look_for(theme: Theme | str) -> Look:
    """The look of a theme (a record or a registered name), made once per process."""
    th = render.resolve_theme(theme)
    if th not in _LOOKS:
        _LOOKS[th] = make_look(th)
    return _LOOKS[th]


def _static_footer(canv: Canvas, doc: Any) -> None:
    """The organisation report's footer without the page number (drawn at save)."""
    render.draw_footer(canv, doc, None)


def _body_page(canv: Canvas, doc: Any) -> None:
    canv.saveState()
    render._header(canv, doc)
    _static_footer(canv, doc)
    canv.restoreState()


def _cover_page(canv: Canvas, doc: Any) -> None:
    canv.saveState()
    render.draw_cover(canv, doc, image_fraction=0.30)
    _static_footer(canv, doc)
    canv.restoreState()


def _numbered_canvas(look: Look) -> type[Canvas]:
    """A canvas that keeps every page until ``save`` and then prints "Page N of M" on each."""

    class NumberedCanvas(Canvas):
        # reportlab's page state, private and so not in types-reportlab: kept and restored per page.
        _pagesize: tuple[float, float]
        _pageNumber: int
        _startPage: Callable[[], None]

        def __init__(self, *args: Any, **kw: Any):
            super().__init__(*args, **kw)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                width = self._pagesize[0]
                self.setFont(look.font, 7.5)
                self.setFillColor(hex_colour(GREY))
                self.drawRightString(width - MARGIN_X, 30.0, f"Page {self._pageNumber} of {total}")
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


class _Doc(render._ReportDoc):
    pass


def write_pdf(
    story: Sequence[Flowable],
    look: Look,
    out_path: Path,
    *,
    title: str,
    subject: str,
    client: str,
    engagement: str,
    consultancy: str,
    date: dt.date,
    confidentiality: str,
    reproducible: bool,
) -> RenderResult:
    """Lay ``story`` out (cover page first, then body pages) and write it atomically."""
    out_path = Path(out_path)
    meta = ReportMeta(
        client=client,
        engagement=engagement,
        consultancy=consultancy,
        date=date,
        title=title,
        author=consultancy,
        subject=subject,
        confidentiality=confidentiality,
    )
    model = ReportModel(meta=meta, overall=Overall(None, None), levels=(), dimensions=())
    body, cover = render.page_frames(look, cover_fraction=0.30)
    with atomic_path(out_path) as tmp:
        doc = _Doc(
            tmp,
            model,
            look,
            **render.doc_options(
                look,
                title=title,
                author=consultancy,
                subject=subject,
                language=meta.language,
                reproducible=reproducible,
            ),
        )
        doc.addPageTemplates(
            [
                PageTemplate("cover", [cover], onPageEnd=_cover_page, pagesize=look.page_size),
                PageTemplate("body", [body], onPageEnd=_body_page, pagesize=look.page_size),
            ]
        )
        doc.build(list(story), canvasmaker=_numbered_canvas(look))
    return RenderResult(out_path, doc.page, sha256_file(out_path))


# -- small builders --------------------------------------------------------------------------


def heading(look: Look, text: str, level: int, key: str) -> Heading:
    """A section (1) or sub-section (2) heading with a PDF bookmark; level 3 is a plain heading."""
    style = look.styles[{1: "h1", 2: "h2"}.get(level, "h3")]
    return Heading(text, style, level, level <= 2, key if level <= 2 else None)


def para(look: Look, text: str, style: str = "body") -> Paragraph:
    """Untrusted plain text as a paragraph (escaped; line breaks kept)."""
    return Paragraph(esc(text).replace("\r\n", "\n").replace("\n", "<br/>"), look.styles[style])


def table(
    look: Look,
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    text_cols: Sequence[int] = (0,),
    header: bool = True,
    extra: Sequence[tuple[Any, ...]] = (),
) -> Table:
    """A house-style table. Text columns become escaped paragraphs (they wrap); other
    columns are short strings drawn as they are, right-aligned (numbers)."""
    texts = set(text_cols)
    body: list[list[Any]] = []
    for r, row in enumerate(rows):
        cells: list[Any] = []
        for c, cell in enumerate(row):
            if header and r == 0:
                cells.append(Paragraph(esc(cell), look.styles["cell_head" if c in texts else "cell_head_right"]))
            elif c in texts and isinstance(cell, str):
                cells.append(Paragraph(esc(cell), look.styles["cell"]))
            elif c in texts and isinstance(cell, tuple):  # (text, style name)
                cells.append(Paragraph(esc(cell[0]), look.styles[cell[1]]))
            else:
                cells.append(cell)
        body.append(cells)
    t = Table(body, colWidths=list(widths), repeatRows=1 if header else 0, hAlign="LEFT")
    n_cols = len(widths)
    cmds: list[tuple[Any, ...]] = [
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, hex_colour(LIGHT_GREY)),
    ]
    for c in range(n_cols):
        if c not in texts:
            cmds.append(("ALIGN", (c, 0), (c, -1), "RIGHT"))
    start = 0
    if header:
        cmds.append(("BACKGROUND", (0, 0), (-1, 0), look.primary))
        start = 1
    cmds.append(("ROWBACKGROUNDS", (0, start), (-1, -1), [colors.white, hex_colour("#F4F6F8")]))
    t.setStyle(look.table_style(cmds + list(extra)))
    return t
