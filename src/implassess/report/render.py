"""Lay out a :class:`~implassess.report.model.ReportModel` as a branded PDF.

Cover, contents (built with ``multiBuild``), then the sections from
:func:`implassess.plugins.get_report_sections` in order. Every page carries a running
header, the theme's footer text, the confidentiality marking and "Page N of M". The file
is written to a temporary file in the target folder and moved into place, so a reader
never sees half a PDF.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
from reportlab.lib import colors
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
)
from reportlab.platypus.tableofcontents import TableOfContents

from implassess import plugins
from implassess._version import __version__
from implassess.contracts import ReportSection, Theme
from implassess.errors import Finding, ImplassessError, InstrumentError, NotFoundError
from implassess.formats.theme import validate
from implassess.outputs.files import atomic_path, sha256_file
from implassess.report import narrative
from implassess.report.charts import fit
from implassess.report.context import Heading, ReportContext
from implassess.report.fmt import fmt_date
from implassess.report.markup import esc
from implassess.report.model import ReportModel
from implassess.report.styles import GREY, LIGHT_GREY, Look, hex_colour, make_look, tint

MARGIN_X = 56.0
MARGIN_TOP = 70.0
MARGIN_BOTTOM = 58.0
BAND = 150.0


@attrs.frozen
class RenderResult:
    """A rendered report."""

    path: Path
    """Where the PDF was written."""
    pages: int
    """Number of pages."""
    sha256: str
    """SHA-256 of the file, hex."""


class _Marker(Flowable):
    """Invisible flowable that names the running-header section (e.g. "Contents")."""

    def __init__(self, section: str):
        super().__init__()
        self.section = section

    def wrap(self, *_: Any) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        pass


class _ReportDoc(BaseDocTemplate):
    """Tracks headings for the contents, PDF outline and running header, and the page total."""

    def __init__(self, filename: str, model: ReportModel, look: Look, **kw: Any):
        self.model = model
        self.look = look
        self.section = ""
        self.subsection = ""
        self.total_pages: int | None = None
        self._pages_seen = 0
        super().__init__(filename, **kw)

    def beforeDocument(self) -> None:
        # Each multiBuild pass prints the page total of the pass before it; render_report
        # checks afterwards that the final pass agrees with the total it printed.
        if self._pages_seen:
            self.total_pages = self._pages_seen
        self.section = self.subsection = ""

    def afterPage(self) -> None:
        self._pages_seen = self.page

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, _Marker):
            self.section, self.subsection = flowable.section, ""
            return
        if not isinstance(flowable, Heading) or flowable.toc_level > 2:
            return
        if flowable.toc_level == 1:
            self.section, self.subsection = flowable.plain_text, ""
        else:
            self.subsection = flowable.plain_text
        if flowable.bookmark:
            self.canv.bookmarkPage(flowable.bookmark)
            self.canv.addOutlineEntry(flowable.plain_text, flowable.bookmark, flowable.toc_level - 1, closed=True)
        if flowable.in_toc:
            self.notify("TOCEntry", (flowable.toc_level - 1, flowable.toc_text, self.page, flowable.bookmark))


# -- page decoration --------------------------------------------------------------------------


def draw_footer(canv: Canvas, doc: Any, page_label: str | None) -> None:
    """Rule, theme footer, confidentiality marking and (when given) the page label; shared
    by both report kinds (the participant report prints "Page N of M" when it saves)."""
    look, meta = doc.look, doc.model.meta
    width, _ = doc.pagesize
    y = 30.0
    canv.setStrokeColor(hex_colour(LIGHT_GREY))
    canv.setLineWidth(0.5)
    canv.line(MARGIN_X, y + 12, width - MARGIN_X, y + 12)
    usable = width - 2 * MARGIN_X
    canv.setFont(look.font, 7.5)
    canv.setFillColor(hex_colour(GREY))
    canv.drawString(MARGIN_X, y, fit(look.theme.footer, look.font, 7.5, usable * 0.33))
    if page_label is not None:
        canv.drawRightString(width - MARGIN_X, y, page_label)
    canv.setFont(look.bold, 7.5)
    canv.setFillColor(look.primary)
    canv.drawCentredString(width / 2, y, fit(meta.confidentiality, look.bold, 7.5, usable * 0.36))


def _footer(canv: Canvas, doc: _ReportDoc) -> None:
    total = f" of {doc.total_pages}" if doc.total_pages else ""
    draw_footer(canv, doc, f"Page {doc.page}{total}")


def _header(canv: Canvas, doc: _ReportDoc) -> None:
    look, meta = doc.look, doc.model.meta
    width, height = doc.pagesize
    y = height - 40
    half = (width - 2 * MARGIN_X) / 2 - 6
    canv.setFont(look.font, 7.5)
    canv.setFillColor(hex_colour(GREY))
    left = " · ".join(t for t in (meta.client, meta.engagement) if t)
    canv.drawString(MARGIN_X, y, fit(left, look.font, 7.5, half))
    right = doc.section + (f" · {doc.subsection}" if doc.subsection else "")
    canv.setFont(look.bold, 7.5)
    canv.setFillColor(look.primary)
    canv.drawRightString(width - MARGIN_X, y, fit(right, look.bold, 7.5, half))
    canv.setStrokeColor(hex_colour(LIGHT_GREY))
    canv.setLineWidth(0.5)
    canv.line(MARGIN_X, y - 6, width - MARGIN_X, y - 6)


def _body_page(canv: Canvas, doc: _ReportDoc) -> None:
    canv.saveState()
    _header(canv, doc)
    _footer(canv, doc)
    canv.restoreState()


def draw_cover(canv: Canvas, doc: Any, image_fraction: float) -> None:
    """The cover's band (logo, consultancy, confidentiality box) and its image or motif,
    shared by the organisation and participant reports."""
    look, meta, theme = doc.look, doc.model.meta, doc.look.theme
    width, height = doc.pagesize
    canv.setFillColor(look.primary)
    canv.rect(0, height - BAND, width, BAND, stroke=0, fill=1)
    if theme.logo:
        _image_or_error(canv, theme, "logo", theme.logo, MARGIN_X, height - BAND + 58, 150, 62, "sw")
    canv.setFillColor(colors.white)
    canv.setFont(look.bold, 11)
    canv.drawString(MARGIN_X, height - BAND + 28, fit(meta.consultancy, look.bold, 11, width * 0.5))
    # Confidentiality: a white-outlined box at the top right of the band.
    label = fit(meta.confidentiality.upper(), look.bold, 8, width * 0.42)
    tw = canv.stringWidth(label, look.bold, 8)
    bx, by = width - MARGIN_X - tw - 16, height - 52
    canv.setStrokeColor(colors.white)
    canv.setLineWidth(1)
    canv.rect(bx, by, tw + 16, 20, stroke=1, fill=0)
    canv.setFont(look.bold, 8)
    canv.drawString(bx + 8, by + 7, label)
    area = (MARGIN_X, 80.0, width - 2 * MARGIN_X, height * image_fraction)
    if theme.cover_image:
        _image_or_error(canv, theme, "cover-image", theme.cover_image, *area, "c")
    else:
        _motif(canv, look, *area)


def _cover_page(canv: Canvas, doc: _ReportDoc) -> None:
    canv.saveState()
    draw_cover(canv, doc, image_fraction=0.36)
    _footer(canv, doc)
    canv.restoreState()


def _image_or_error(
    canv: Canvas, theme: Theme, key: str, path: str, x: float, y: float, w: float, h: float, anchor: str
) -> None:
    try:
        if path.lower().endswith(".svg"):
            from implassess.formats.theme import rasterise_svg

            image = ImageReader(io.BytesIO(rasterise_svg(path)))
        else:
            image = ImageReader(path)
        canv.drawImage(image, x, y, w, h, preserveAspectRatio=True, anchor=anchor, mask="auto")
    except Exception as exc:
        raise InstrumentError(
            [Finding(theme.source or theme.name, key, f"The image {path!r} cannot be read: {exc}.", code="image")]
        ) from None


def _motif(canv: Canvas, look: Look, x: float, y: float, w: float, h: float) -> None:
    """A quiet radar motif in place of a cover image."""
    import math

    cx, cy, r = x + w - h * 0.55, y + h / 2, h * 0.48
    n = 12
    for k in range(5, 0, -1):
        rr = r * k / 5
        pts = [
            (
                cx + rr * math.cos(math.pi / 2 - 2 * math.pi * i / n),
                cy + rr * math.sin(math.pi / 2 - 2 * math.pi * i / n),
            )
            for i in range(n)
        ]
        path = canv.beginPath()
        path.moveTo(*pts[0])
        for p in pts[1:]:
            path.lineTo(*p)
        path.close()
        canv.setFillColor(tint(look.theme.primary, 0.62 + 0.07 * k))
        canv.setStrokeColor(colors.white)
        canv.setLineWidth(0.8)
        canv.drawPath(path, stroke=1, fill=1)
    vals = [0.72, 0.55, 0.81, 0.46, 0.66, 0.58, 0.9, 0.62, 0.5, 0.77, 0.69, 0.6]
    path = canv.beginPath()
    for i, v in enumerate(vals):
        a = math.pi / 2 - 2 * math.pi * i / n
        p = (cx + r * v * math.cos(a), cy + r * v * math.sin(a))
        path.moveTo(*p) if i == 0 else path.lineTo(*p)
    path.close()
    canv.setStrokeColor(look.accent)
    canv.setLineWidth(2)
    canv.drawPath(path, stroke=1, fill=0)


# -- story ------------------------------------------------------------------------------------------


def _cover_story(ctx: ReportContext) -> list[Flowable]:
    meta = ctx.model.meta
    return [
        Paragraph(esc(meta.title), ctx.style("cover_title")),
        Paragraph(esc(meta.client), ctx.style("cover_client")),
        Paragraph(esc(meta.engagement), ctx.style("cover_line")),
        Paragraph(esc(fmt_date(meta.date)), ctx.style("cover_line")),
    ]


def _toc(look: Look) -> TableOfContents:
    toc = TableOfContents(
        dotsMinLevel=1,
        rightColumnWidth=40,
        tableStyle=look.table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
    toc.levelStyles = [look.styles["toc1"], look.styles["toc2"]]
    return toc


def _section_flowables(ctx: ReportContext, section: ReportSection) -> list[Flowable]:
    try:
        body = list(section.render(ctx))
    except ImplassessError:
        raise
    except Exception as exc:
        raise ImplassessError(
            f"Report section {section.id!r} ({section.title!r}) failed while laying out: {type(exc).__name__}: {exc}"
        ) from exc
    return [Heading(section.title, ctx.style("h1"), 1, section.in_contents, key=f"section-{section.id}"), *body]


def build_story(ctx: ReportContext, sections: Iterable[ReportSection]) -> list[Flowable]:
    """Cover, contents and every section, ready for ``multiBuild``."""
    story: list[Flowable] = [_Marker(""), Spacer(1, 36), *_cover_story(ctx), NextPageTemplate("contents"), PageBreak()]
    story += [_Marker("Contents"), Paragraph("Contents", ctx.style("toc_title")), _toc(ctx.look)]
    story.append(NextPageTemplate("body"))
    for section in sections:
        flowables = _section_flowables(ctx, section)
        if len(flowables) > 1:  # a section with nothing to show is left out, heading and all
            story.append(PageBreak())
            story += flowables
    return story


def make_doc(filename: str, model: ReportModel, look: Look, *, reproducible: bool) -> _ReportDoc:
    """The document template with its cover, contents and body page templates."""
    meta = model.meta
    doc = _ReportDoc(
        filename,
        model,
        look,
        **doc_options(
            look,
            title=meta.title,
            author=meta.author or meta.consultancy,
            subject=meta.subject,
            keywords=meta.keywords,
            language=meta.language,
            reproducible=reproducible,
        ),
    )
    body, cover = page_frames(look, cover_fraction=0.36)
    doc.addPageTemplates(
        [
            PageTemplate("cover", [cover], onPageEnd=_cover_page, pagesize=look.page_size),
            PageTemplate("contents", [body], onPageEnd=_body_page, pagesize=look.page_size),
            PageTemplate("body", [body], onPageEnd=_body_page, pagesize=look.page_size),
        ]
    )
    return doc


def doc_options(
    look: Look,
    *,
    title: str,
    author: str,
    subject: str,
    language: str,
    reproducible: bool,
    keywords: Iterable[str] = (),
) -> dict[str, Any]:
    """Page geometry and PDF metadata shared by every implassess document."""
    return {
        "pagesize": look.page_size,
        "leftMargin": MARGIN_X,
        "rightMargin": MARGIN_X,
        "topMargin": MARGIN_TOP,
        "bottomMargin": MARGIN_BOTTOM,
        "title": title,
        "author": author,
        "subject": subject,
        "keywords": list(keywords),
        "creator": f"implassess {__version__}",
        "lang": language,
        "invariant": 1 if reproducible else 0,
        "initialFontName": look.font,
    }


def _frame(x: float, y: float, w: float, h: float, frame_id: str) -> Frame:
    return Frame(x, y, w, h, id=frame_id, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)


def page_frames(look: Look, cover_fraction: float) -> tuple[Frame, Frame]:
    """The body frame and the cover frame (its top ``cover_fraction`` of the page below the band)."""
    width, height = look.page_size
    body = _frame(MARGIN_X, MARGIN_BOTTOM, width - 2 * MARGIN_X, height - MARGIN_TOP - MARGIN_BOTTOM, "body")
    cover = _frame(
        MARGIN_X,
        height * cover_fraction + 90,
        width - 2 * MARGIN_X,
        height - BAND - height * cover_fraction - 110,
        "cover",
    )
    return body, cover


def resolve_theme(theme: Theme | str) -> Theme:
    """A checked theme record, looked up by name when given a string."""
    if isinstance(theme, Theme):
        return validate(theme)
    themes = plugins.get_themes()
    if theme not in themes:
        raise NotFoundError("theme", theme, list(themes))
    return validate(themes[theme])


def make_context(model: ReportModel, theme: Theme | str, template_dirs: Iterable[Path] = ()) -> ReportContext:
    """The context sections render with: look, narrative environment, frame width."""
    th = resolve_theme(theme)
    look = make_look(th)
    env = narrative.make_environment(template_dirs)
    return ReportContext(model=model, theme=th, look=look, env=env, width=look.page_size[0] - 2 * MARGIN_X)


def render_report(
    model: ReportModel,
    theme: Theme | str,
    out_path: Path,
    *,
    template_dirs: Iterable[Path] = (),
    reproducible: bool = False,
) -> RenderResult:
    """Render ``model`` to ``out_path`` with ``theme`` (a record or a registered name).

    ``template_dirs`` are searched for narrative templates before plugin and bundled
    ones. With ``reproducible`` the PDF carries a fixed creation date and ID, so two
    renders of the same model are byte-identical (reportlab honours ``SOURCE_DATE_EPOCH``
    for the date).
    """
    out_path = Path(out_path)
    ctx = make_context(model, theme, template_dirs)
    story = build_story(ctx, plugins.get_report_sections())
    with atomic_path(out_path) as tmp:
        doc = make_doc(tmp, model, ctx.look, reproducible=reproducible)
        doc.multiBuild(story)
        # The footer prints the previous pass's total; if the last pass changed the
        # page count (rare: a contents page added late), lay out once more.
        for _ in range(3):
            if doc.total_pages == doc.page:
                break
            doc.multiBuild(story)
    return RenderResult(out_path, doc.page, sha256_file(out_path))
