"""What plugins contribute: readers, themes, report sections and scoring rules.

These are the shapes the ``register_*`` hooks accept. They hold callables, so they
are plain attrs records rather than file formats.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

    from implassess.model import Instrument


@attrs.frozen
class RejectedRow:
    """An input row that was not scored, with why."""

    row: int
    """Row number in the file as a spreadsheet shows it (header rows count)."""
    reasons: tuple[str, ...]
    """Each reason names the column, the value found and what was expected."""
    respondent: str | None = None
    """Respondent id, when one could be read."""


@attrs.frozen
class KpiValue:
    """One KPI value read from a KPI sheet: the KPI counterpart of a response row."""

    kpi: str
    """KPI id (the instrument's spelling when an instrument was given)."""
    period: str
    """Period, sortable as text (ISO 8601: ``2026-03``, ``2026-Q1``)."""
    value: float
    """The value, in the KPI's unit."""
    unit: str | None = None
    """Unit as written (``%`` for percentages); must match the declared unit when given."""
    site: str | None = None
    """Site the value is for; None for the organisation."""
    row: int = 0
    """Row number in the sheet as a spreadsheet shows it (0 when unknown)."""

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> KpiValue:
        """From a dict with keys kpi, period, value and optional unit, site, row."""
        return cls(
            str(row["kpi"]),
            str(row["period"]),
            float(row["value"]),
            row.get("unit") or None,
            row.get("site") or None,
            int(row.get("row") or 0),
        )


@attrs.frozen
class RawTable:
    """What a reader returns: cells as text, before mapping to items."""

    source: str
    """The file read."""
    format: str
    """Name of the reader that read it."""
    columns: tuple[str, ...]
    """Column ids (the export's machine header where it has one)."""
    rows: list[tuple[int, tuple[str | None, ...]]]
    """(row number in the file, cells) for every data row the reader kept."""
    labels: dict[str, str] = attrs.field(factory=dict)
    """Column id → question text as exported, where the export carries it."""
    rejected: list[RejectedRow] = attrs.field(factory=list)
    """Rows the reader itself set aside (preview or test responses, ragged rows)."""
    meta: dict[str, Any] = attrs.field(factory=dict)
    """Format facts such as the detected delimiter, locale or answer mode."""


@runtime_checkable
class ResponseReader(Protocol):
    """Reads one file format into a :class:`RawTable`."""

    name: str
    """Unique name, used with ``--format``."""
    description: str
    """One line shown by ``implassess readers``."""

    def sniff(self, path: Path, head: bytes) -> float:
        """Confidence 0–1 that ``path`` (first bytes ``head``) is in this format."""
        ...

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        """Read the file; raise :class:`~implassess.errors.InputError` if it cannot."""
        ...


@attrs.frozen
class ReportSection:
    """A section of the organisation report."""

    id: str
    """Unique id, e.g. ``executive-summary``."""
    title: str
    """Heading shown in the report and its contents."""
    order: int
    """Position; built-ins use multiples of 100 so plugins can slot in between."""
    render: Callable[[Any], list[Any]]
    """Given the report context, returns reportlab flowables."""
    replaces: bool = False
    """Set to replace a built-in section with the same id."""
    in_contents: bool = True
    """Whether the section appears in the table of contents."""


@attrs.frozen
class ScoringRule:
    """A Python scoring rule an instrument can name with ``[scoring] rule``."""

    name: str
    """Unique name."""
    description: str
    """One line on what the rule does."""
    score: Callable[[Instrument, NDArray[np.float64]], ArrayLike]
    """Called as ``score(instrument, values)`` with a respondents × items float array
    (NaN = missing, already reverse-keyed); returns respondents × dimensions 0–100."""


@attrs.frozen
class Theme:
    """A report's look: palette, fonts, logo, page size, footer."""

    name: str
    """Unique name, used with ``--theme``."""
    title: str = ""
    """Display name."""
    palette: tuple[str, ...] = ()
    """Series colours as ``#rrggbb``, colour-blind safe in order."""
    primary: str = "#1f3a5f"
    """Headings and cover colour."""
    accent: str = "#e69f00"
    """Highlights such as targets."""
    font_regular: str | None = None
    """Path to a TTF for body text (embedded); None uses the bundled default."""
    font_bold: str | None = None
    """Path to a TTF for headings; None uses the bundled default."""
    logo: str | None = None
    """Path to a PNG or SVG logo."""
    cover_image: str | None = None
    """Path to a PNG cover image."""
    footer: str = ""
    """Footer text on every page."""
    page_size: str = "A4"
    """``A4`` or ``Letter``."""
    source: str = ""
    """Where the theme came from."""
