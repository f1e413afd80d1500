"""Benchmarks: a norm set per dimension → z and percentile for each group's 0–100 score.

A norm set describes the distribution of *organisation-level* 0–100 scores across
comparable organisations (``implassess norms build`` makes one from profiles; the file
is read by :mod:`implassess.formats.norms`, whose docstring shows the file format).

z = (score − mean)/sd. The percentile interpolates linearly in ``percentiles`` when the
entry has any (flagged ``below-table``/``above-table`` outside it), else it is 100·Φ(z).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from implassess.errors import IncompatibleError
from implassess.scoring import stats

if TYPE_CHECKING:
    from implassess.scoring.groups import GroupResult, UnitStats

#: Percentiles written by ``norms build``.
BUILD_PERCENTILES = (5, 10, 25, 50, 75, 90, 95)


@attrs.frozen
class NormEntry:
    """The norm distribution of one dimension's 0–100 score."""

    id: str
    """Dimension or facet id, or ``overall``."""
    mean: float
    """Mean 0–100 score."""
    sd: float
    """Standard deviation (n − 1)."""
    n: int
    """Organisations in the norm."""
    percentiles: dict[float, float] = attrs.field(factory=dict)
    """Percentile (0–100) → score."""


@attrs.frozen
class Norms:
    """A norm set."""

    name: str
    """Display name."""
    instrument: str
    """Instrument id."""
    entries: tuple[NormEntry, ...]
    """Per dimension."""
    instrument_version: str | None = None
    """Instrument version the norm was built on, if recorded."""
    sector: str = ""
    """Sector of the organisations."""
    period: str = ""
    """When the data were collected."""
    source: str = ""
    """File read."""


def check_compatible(norms: Norms, instrument_id: str, version: str) -> None:
    """Refuse a norm set built on another instrument (or another declared version)."""
    if norms.instrument != instrument_id or (norms.instrument_version not in (None, version)):
        raise IncompatibleError(
            f"Norm set {norms.name!r} ({norms.source}) is for instrument {norms.instrument!r} version "
            f"{norms.instrument_version or 'any'}; the responses are on {instrument_id!r} version {version}."
        )


def _apply(u: UnitStats, entries: dict[str, NormEntry]) -> UnitStats:
    e = entries.get(u.id)
    if e is None or u.suppressed or u.score_0_100 is None:
        return u
    z = (u.score_0_100 - e.mean) / e.sd
    if e.percentiles:
        pct, basis = stats.percentile_from_table(u.score_0_100, e.percentiles)
    else:
        pct, basis = stats.normal_percentile(z), "normal"
    return attrs.evolve(u, norm_z=z, norm_percentile=float(pct), norm_basis=basis)


def apply_norms(group: GroupResult, norms: Norms) -> GroupResult:
    """z and percentile of each dimension, facet and the overall score of a group."""
    if group.suppressed:
        return group
    entries = {e.id: e for e in norms.entries}
    return attrs.evolve(
        group,
        overall=_apply(group.overall, entries) if group.overall is not None else None,
        dimensions=tuple(_apply(d, entries) for d in group.dimensions),
        facets=tuple(_apply(f, entries) for f in group.facets),
    )


def build_norms(profiles: Sequence[dict[str, Any]], name: str, sector: str = "", period: str = "") -> dict[str, Any]:
    """A norm file (as a dict) from profile JSON documents of one instrument and version.

    Each profile contributes its organisation-level 0–100 score per dimension, facet and
    overall; percentiles use linear interpolation (numpy's default).
    """
    if not profiles:
        raise IncompatibleError("No profiles given; a norm set needs at least two organisations.")
    ids = {(p["instrument"]["id"], p["instrument"]["version"]) for p in profiles}
    if len(ids) > 1:
        raise IncompatibleError(
            "Profiles are of different instruments or versions: "
            + ", ".join(f"{i} {v}" for i, v in sorted(ids))
            + "; a norm set needs one instrument version."
        )
    inst_id, version = next(iter(ids))
    scores: dict[str, list[float]] = {}
    for p in profiles:
        org = p["organisation"]
        units = [org.get("overall") or {}, *org.get("dimensions", []), *org.get("facets", [])]
        for u in units:
            if u and not u.get("suppressed") and u.get("score_0_100") is not None:
                scores.setdefault(u["id"], []).append(float(u["score_0_100"]))
    dims = []
    for uid, vals in scores.items():
        if len(vals) < 2:
            continue
        arr = np.array(vals)
        dims.append(
            {
                "id": uid,
                "mean": float(arr.mean()),
                "sd": float(arr.std(ddof=1)),
                "n": len(vals),
                "percentiles": {str(p): float(np.percentile(arr, p)) for p in BUILD_PERCENTILES},
            }
        )
    if not dims:
        raise IncompatibleError("Fewer than two profiles have organisation scores; a norm needs at least two.")
    return {
        "format-version": 1,
        "kind": "norms",
        "name": name,
        "instrument": inst_id,
        "instrument-version": version,
        "sector": sector,
        "period": period,
        "dimensions": dims,
    }
