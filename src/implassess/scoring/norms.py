"""Benchmarks: a norm set per dimension → z and percentile for each group's 0–100 score.

A norm set describes the distribution of *organisation-level* 0–100 scores across
comparable organisations (``implassess norms build`` makes one from profiles). File
format (TOML or JSON, same keys)::

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

z = (score − mean)/sd. The percentile interpolates linearly in ``percentiles`` when the
entry has any (flagged ``below-table``/``above-table`` outside it), else it is 100·Φ(z).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from implassess.errors import Finding, IncompatibleError, InstrumentError
from implassess.scoring import stats
from implassess.scoring.targets import read_structured

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


def parse_norms(raw: dict[str, Any], source: str) -> Norms:
    """A norm set from a parsed file; every problem is reported at once."""
    problems: list[Finding] = []

    def need(key: str, kind: type | tuple[type, ...], where: str, table: dict[str, Any]) -> Any:
        v = table.get(key)
        if isinstance(v, bool) or not isinstance(v, kind):
            expected = getattr(kind, "__name__", "number")
            problems.append(Finding(source, f"{where}{key}", f"Found {v!r}; expected a {expected}."))
            return None
        return v

    if raw.get("kind", "norms") != "norms":
        problems.append(Finding(source, "kind", f"Found {raw.get('kind')!r}; expected 'norms'."))
    name = need("name", str, "", raw)
    inst = need("instrument", str, "", raw)
    entries = []
    for i, d in enumerate(raw.get("dimensions") or []):
        where = f"dimensions[{i}]."
        did = need("id", str, where, d)
        mean = need("mean", (int, float), where, d)
        sd = need("sd", (int, float), where, d)
        n = need("n", int, where, d)
        pct: dict[float, float] = {}
        for k, v in (d.get("percentiles") or {}).items():
            try:
                p = float(k)
            except ValueError:
                p = -1.0
            if not 0 <= p <= 100 or isinstance(v, bool) or not isinstance(v, (int, float)):
                problems.append(
                    Finding(
                        source,
                        f"{where}percentiles.{k}",
                        f"Found {k!r} = {v!r}; expected a percentile 0–100 mapped to a score.",
                    )
                )
                continue
            pct[p] = float(v)
        if sd is not None and sd <= 0:
            problems.append(Finding(source, f"{where}sd", f"Found {sd!r}; expected a number > 0."))
            continue
        if None not in (did, mean, sd, n):
            entries.append(NormEntry(did, float(mean), float(sd), int(n), pct))
    if not entries and not problems:
        problems.append(Finding(source, "dimensions", "Expected at least one [[dimensions]] table."))
    if problems:
        raise InstrumentError(problems)
    return Norms(
        str(name),
        str(inst),
        tuple(entries),
        raw.get("instrument-version"),
        str(raw.get("sector", "")),
        str(raw.get("period", "")),
        source,
    )


def load_norms(path: Path) -> Norms:
    """Read and check a norms file."""
    return parse_norms(read_structured(path), str(path))


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
