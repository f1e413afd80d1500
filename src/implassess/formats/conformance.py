"""Conformance case files: answers an instrument ships with the scores they must produce.

An instrument names its cases file with ``conformance = "conformance/ID.toml"``
(relative to the instrument file). This module reads that file through the guarded
door and the strict converter into records; :mod:`implassess.jobs.conformance` scores
the cases and compares.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from implassess.errors import InstrumentError
from implassess.formats.convert import header, structure
from implassess.formats.document import read_document


@attrs.frozen
class ExpectedScore:
    """What a dimension, facet or the overall must score."""

    score: float | None = None
    """0–100 score; omit with ``missing = true``."""
    level: int | None = None
    """Maturity level."""
    missing: bool = False
    """The score must be missing (too few items answered)."""


@attrs.frozen
class Expected:
    """Expected results of one case."""

    dimensions: dict[str, ExpectedScore] = attrs.field(factory=dict)
    """Dimension id → expected score."""
    facets: dict[str, ExpectedScore] = attrs.field(factory=dict)
    """Facet id → expected score."""
    overall: ExpectedScore | None = None
    """Expected overall score and level."""


@attrs.frozen
class Case:
    """One respondent's answers and what they must score."""

    id: str
    """Case id."""
    description: str
    """How the expected values were worked out."""
    expected: Expected
    """Expected results."""
    answers: dict[str, float | str] = attrs.field(factory=dict)
    """Item id → answer (a value, an option label or code; "" for blank)."""
    default: float | str | None = None
    """Answer for every item not listed in ``answers`` (None: blank)."""
    reverse_default: float | str | None = None
    """Answer for reverse-keyed items not listed (defaults to ``default``)."""
    form: str | None = None
    """Form the answers are given on."""


@attrs.frozen
class ExpectedKpi:
    """Expected state of a KPI value."""

    level: int
    """Maturity level."""
    rag: str
    """red, amber or green."""


@attrs.frozen
class KpiCase:
    """KPI values and the states they must produce."""

    id: str
    """Case id."""
    description: str
    """How the expected values were worked out."""
    values: dict[str, float]
    """KPI id → value."""
    expected: dict[str, ExpectedKpi]
    """KPI id → expected level and RAG."""


@attrs.frozen
class Conformance:
    """A conformance file."""

    instrument: str
    """Instrument id the cases are for."""
    version: str
    """Instrument version the expectations hold for."""
    cases: tuple[Case, ...] = ()
    """Respondent cases."""
    kpi_cases: tuple[KpiCase, ...] = ()
    """KPI cases."""


def load_conformance(path: Path) -> Conformance:
    """Read a conformance file; every problem is reported at once with its key path."""
    raw = dict(read_document(path))
    _, findings = header(raw, str(path), ("conformance",))
    record, problems = structure(raw, Conformance, str(path), document=True)
    findings += problems
    if findings:
        raise InstrumentError(findings)
    return record
