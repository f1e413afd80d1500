"""Targets files: TOML or JSON → the strict converter → :class:`~implassess.scoring.targets.Target` records.

File format (TOML or JSON, same keys)::

    format-version = 1
    kind = "targets"

    [[targets]]
    dimension = "planning"   # or: facet = "goals"
    target = 70              # 0–100 score aimed for
    importance = 3           # weight of the gap in the priority (> 0, default 1)

Unknown keys and wrong types (from the converter) and the checks against the instrument
are reported together, in file order, each with its key path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs

from implassess.errors import Finding, InstrumentError
from implassess.formats.convert import header, structure
from implassess.formats.document import read_document
from implassess.model import Instrument
from implassess.scoring.targets import Target

_ROW_KEYS = "dimension, facet, target or importance"


@attrs.frozen(kw_only=True)
class TargetRow:
    """One ``[[targets]]`` table as written."""

    target: float
    """Target 0–100 score."""
    dimension: str | None = None
    """Dimension id (or name a facet instead)."""
    facet: str | None = None
    """Facet id (or name a dimension instead)."""
    importance: float = 1.0
    """Weight of the gap in the priority."""


@attrs.frozen
class TargetsFile:
    """A targets file as written."""

    targets: tuple[TargetRow, ...]
    """The ``[[targets]]`` tables."""


def read_structured(path: Path) -> dict[str, Any]:
    """A targets file as its raw table (TOML or JSON, through the guarded reader), for callers that
    split one file between several instruments before :func:`parse_targets`."""
    return read_document(path)


def _row_checks(row: dict[str, Any], where: str, ids: set[str], inst: Instrument, source: str) -> list[Finding]:
    """Checks a type cannot express; values of the wrong type are left to the converter."""
    names = [row.get(k) for k in ("dimension", "facet") if row.get(k) is not None]
    if len(names) != 1:
        return [Finding(source, where, "Name exactly one of 'dimension' or 'facet'.", code="target")]
    out = []
    uid = names[0]
    if isinstance(uid, str) and uid not in ids:
        out.append(
            Finding(
                source,
                where,
                f"Found {uid!r}, which instrument {inst.id!r} does not define; "
                f"expected one of: {', '.join(repr(x) for x in sorted(ids))}.",
                code="unknown-dimension",
            )
        )
    target, importance = row.get("target"), row.get("importance", 1.0)
    if isinstance(target, (int, float)) and not isinstance(target, bool) and not 0 <= target <= 100:
        out.append(
            Finding(source, f"{where}.target", f"Found {target!r}; expected a number from 0 to 100.", code="range")
        )
    if isinstance(importance, (int, float)) and not isinstance(importance, bool) and importance <= 0:
        out.append(
            Finding(source, f"{where}.importance", f"Found {importance!r}; expected a number > 0.", code="range")
        )
    return out


def _row_index(finding: Finding) -> int:
    match = re.match(r"targets\[(\d+)\]", finding.path)
    return int(match.group(1)) if match else -1


def parse_targets(raw: dict[str, Any], inst: Instrument, source: str) -> tuple[Target, ...]:
    """Targets from a parsed file, checked against the instrument; every problem reported at once."""
    raw = dict(raw)
    _, findings = header(raw, source, ("targets",))
    record, problems = structure(raw, TargetsFile, source, document=True)
    for f in problems:
        if f.code == "unknown-key" and _row_index(f) >= 0:
            # A row's keys read better as a sentence than as the converter's sorted list.
            f = attrs.evolve(f, message=f"{f.message.split('; expected ')[0]}; expected {_ROW_KEYS}.")
        findings.append(f)
    ids = {d.id for d in inst.dimensions} | {f.id for d in inst.dimensions for f in d.facets}
    rows = raw.get("targets")
    for i, row in enumerate(rows if isinstance(rows, list) else []):
        if isinstance(row, dict):
            findings += _row_checks(row, f"targets[{i}]", ids, inst, source)
    if findings:
        raise InstrumentError(sorted(findings, key=_row_index))
    assert record is not None
    return tuple(
        Target(str(r.dimension if r.dimension is not None else r.facet), r.target, r.importance) for r in record.targets
    )


def load_targets(path: Path, inst: Instrument) -> tuple[Target, ...]:
    """Read and check a targets file (TOML, or JSON by suffix)."""
    return parse_targets(read_document(path), inst, str(path))
