"""Targets per dimension or facet: gap = target − score, priority = gap × importance.

File format (TOML or JSON, same keys)::

    format-version = 1
    kind = "targets"

    [[targets]]
    dimension = "planning"   # or: facet = "goals"
    target = 70              # 0–100 score aimed for
    importance = 3           # weight of the gap in the priority (> 0, default 1)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from implassess.errors import Finding, InstrumentError

if TYPE_CHECKING:
    from implassess.model import Instrument
    from implassess.scoring.groups import GroupResult, UnitStats


@attrs.frozen
class Target:
    """A target for one dimension or facet."""

    id: str
    """Dimension or facet id."""
    target: float
    """Target 0–100 score."""
    importance: float = 1.0
    """Weight of the gap in the priority."""


def read_structured(path: Path) -> dict[str, Any]:
    """A TOML or JSON file as a dict (by suffix); problems raise :class:`InstrumentError`."""
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
        else:
            from implassess.formats.instrument import read_toml

            data = read_toml(path)
    except (OSError, ValueError) as exc:
        raise InstrumentError([Finding(str(path), "", f"Cannot read the file: {exc}.", code="unreadable")]) from None
    if not isinstance(data, dict):
        raise InstrumentError([Finding(str(path), "", "Expected a table (JSON object) at the top level.")])
    return data


def parse_targets(raw: dict[str, Any], inst: Instrument, source: str) -> tuple[Target, ...]:
    """Targets from a parsed file, checked against the instrument; every problem reported at once."""
    problems: list[Finding] = []
    ids = {d.id for d in inst.dimensions} | {f.id for d in inst.dimensions for f in d.facets}
    out = []
    rows = raw.get("targets")
    if not isinstance(rows, list):
        problems.append(Finding(source, "targets", "Expected a list of [[targets]] tables."))
        rows = []
    for i, row in enumerate(rows):
        where = f"targets[{i}]"
        if not isinstance(row, dict):
            problems.append(Finding(source, where, f"Found {row!r}; expected a table."))
            continue
        unknown = set(row) - {"dimension", "facet", "target", "importance"}
        for key in sorted(unknown):
            problems.append(
                Finding(
                    source,
                    f"{where}.{key}",
                    f"Unknown key {key!r}; expected dimension, facet, target or importance.",
                    code="unknown-key",
                )
            )
        names = [row.get(k) for k in ("dimension", "facet") if row.get(k) is not None]
        if len(names) != 1:
            problems.append(Finding(source, where, "Name exactly one of 'dimension' or 'facet'."))
            continue
        uid = names[0]
        if uid not in ids:
            problems.append(
                Finding(
                    source,
                    where,
                    f"Found {uid!r}, which instrument {inst.id!r} does not define; "
                    f"expected one of: {', '.join(repr(x) for x in sorted(ids))}.",
                )
            )
        target, importance = row.get("target"), row.get("importance", 1.0)
        if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 <= target <= 100:
            problems.append(Finding(source, f"{where}.target", f"Found {target!r}; expected a number from 0 to 100."))
            continue
        if isinstance(importance, bool) or not isinstance(importance, (int, float)) or importance <= 0:
            problems.append(Finding(source, f"{where}.importance", f"Found {importance!r}; expected a number > 0."))
            continue
        out.append(Target(str(uid), float(target), float(importance)))
    if problems:
        raise InstrumentError(problems)
    return tuple(out)


def load_targets(path: Path, inst: Instrument) -> tuple[Target, ...]:
    """Read and check a targets file."""
    return parse_targets(read_structured(path), inst, str(path))


def _apply(u: UnitStats, targets: dict[str, Target]) -> UnitStats:
    t = targets.get(u.id)
    if t is None or u.suppressed:
        return u
    gap = None if u.score_0_100 is None else t.target - u.score_0_100
    return attrs.evolve(
        u, target=t.target, importance=t.importance, gap=gap, priority=None if gap is None else gap * t.importance
    )


def apply_targets(group: GroupResult, targets: Iterable[Target]) -> GroupResult:
    """Set target, gap and priority on the group's dimensions and facets."""
    by_id = {t.id: t for t in targets}
    if group.suppressed or not by_id:
        return group
    return attrs.evolve(
        group,
        dimensions=tuple(_apply(d, by_id) for d in group.dimensions),
        facets=tuple(_apply(f, by_id) for f in group.facets),
    )
