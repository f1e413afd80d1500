"""Norm files: TOML or JSON → the strict converter → a :class:`~implassess.scoring.norms.Norms` record.

File format (TOML or JSON, same keys; ``implassess norms build`` writes the JSON form)::

    format-version = 1
    kind = "norms"
    name = "Acute trusts 2026"
    instrument = "minimal"
    instrument-version = "1.0.0"   # optional; when given it must match
    sector = "health"
    period = "2025/26"

    [[dimensions]]
    id = "planning"                # a dimension (or facet, or "overall")
    mean = 55.0                    # of 0–100 scores
    sd = 12.0
    n = 34                         # organisations
    percentiles = { "10" = 40.1, "25" = 47.0, "50" = 55.2, "75" = 63.0, "90" = 70.0 }
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from implassess.errors import Finding, InstrumentError
from implassess.formats.convert import header, structure
from implassess.formats.document import read_document
from implassess.scoring.norms import NormEntry, Norms


@attrs.frozen
class NormRow:
    """One ``[[dimensions]]`` table as written."""

    id: str
    """Dimension or facet id, or ``overall``."""
    mean: float
    """Mean 0–100 score."""
    sd: float
    """Standard deviation (n − 1); greater than 0."""
    n: int
    """Organisations in the norm."""
    percentiles: dict[str, float] = attrs.field(factory=dict)
    """Percentile (written as text, 0–100) → score."""


@attrs.frozen(kw_only=True)
class NormsFile:
    """A norms file as written."""

    name: str
    """Display name."""
    instrument: str
    """Instrument id."""
    dimensions: tuple[NormRow, ...] = ()
    """One entry per dimension, facet or ``overall``."""
    instrument_version: str | None = None
    """Instrument version the norm was built on, if recorded."""
    sector: str = ""
    """Sector of the organisations."""
    period: str = ""
    """When the data were collected."""


def _percentile(key: str) -> float | None:
    try:
        p = float(key)
    except ValueError:
        return None
    return p if 0 <= p <= 100 else None


def _row_checks(row: dict[str, Any], where: str, source: str) -> list[Finding]:
    """Checks a type cannot express; values of the wrong type are left to the converter."""
    out = []
    pct = row.get("percentiles")
    for k, v in (pct if isinstance(pct, dict) else {}).items():
        if _percentile(k) is None:
            out.append(
                Finding(
                    source,
                    f"{where}.percentiles.{k}",
                    f"Found {k!r} = {v!r}; expected a percentile 0–100 mapped to a score.",
                    code="range",
                )
            )
    sd = row.get("sd")
    if isinstance(sd, (int, float)) and not isinstance(sd, bool) and sd <= 0:
        out.append(Finding(source, f"{where}.sd", f"Found {sd!r}; expected a number > 0.", code="range"))
    return out


def parse_norms(raw: dict[str, Any], source: str) -> Norms:
    """A norm set from a parsed file; every problem is reported at once."""
    raw = dict(raw)
    _, findings = header(raw, source, ("norms",))
    record, problems = structure(raw, NormsFile, source, document=True)
    findings += problems
    rows = raw.get("dimensions")
    for i, row in enumerate(rows if isinstance(rows, list) else []):
        if isinstance(row, dict):
            findings += _row_checks(row, f"dimensions[{i}]", source)
    if record is not None and not record.dimensions and not findings:
        findings.append(Finding(source, "dimensions", "Expected at least one [[dimensions]] table.", code="empty"))
    if findings:
        raise InstrumentError(findings)
    assert record is not None
    entries = tuple(
        NormEntry(r.id, r.mean, r.sd, r.n, {float(k): v for k, v in r.percentiles.items()}) for r in record.dimensions
    )
    return Norms(
        record.name, record.instrument, entries, record.instrument_version, record.sector, record.period, source
    )


def load_norms(path: Path) -> Norms:
    """Read and check a norms file (TOML, or JSON by suffix)."""
    return parse_norms(read_document(path), str(path))
