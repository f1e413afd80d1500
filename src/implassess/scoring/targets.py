"""Targets per dimension or facet: gap = target − score, priority = gap × importance.

Targets files are read by :mod:`implassess.formats.targets`; this module only applies them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
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
