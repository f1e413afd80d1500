"""The profile record and its JSON form (``docs/profile.schema.json``).

Scoring builds the records; :mod:`implassess.outputs.profile` writes them to files.
Numbers stay at full precision (shortest round-trip repr in JSON); NaN becomes ``null``.
"""

from __future__ import annotations

import json
import math
import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from implassess.scoring.groups import Breakdown, GroupResult, ScoreSettings
from implassess.scoring.kpis import KpiResult
from implassess.scoring.triggers import TriggeredAction

if TYPE_CHECKING:
    from implassess.scoring.engine import RespondentScores

PROFILE_SCHEMA = "implassess-profile/1"
#: Timestamp of reproducible outputs when SOURCE_DATE_EPOCH is not set.
FIXED_TIMESTAMP = "1970-01-01T00:00:00Z"


@attrs.frozen
class LevelInfo:
    """A maturity level and its band."""

    level: int
    """Ordinal."""
    name: str
    """Name."""
    min: float
    """Band lower bound (inclusive)."""
    max: float
    """Band upper bound (exclusive; the top band includes 100)."""


@attrs.frozen
class UnitInfo:
    """How a dimension or facet is scored (for readers of the profile)."""

    id: str
    """Id."""
    kind: str
    """``dimension`` or ``facet``."""
    name: str
    """Display name."""
    dimension: str
    """Parent dimension (itself for a dimension)."""
    weight: float
    """Weight in the overall score."""
    low: float
    """Lowest possible raw score; ``mean``/``sd`` are on low…high."""
    high: float
    """Highest possible raw score."""
    items: tuple[str, ...]
    """Item ids."""
    min_answered: float
    """Share of items needed for a score."""
    source: str
    """``items`` or ``kpis``."""


@attrs.frozen
class InstrumentInfo:
    """The instrument a profile belongs to."""

    id: str
    """Instrument id."""
    version: str
    """Version."""
    title: str
    """Title."""
    rule: str
    """Overall rule: ``weighted-mean`` or ``gating``."""
    method: str
    """Raw score: ``mean`` or ``sum``."""
    levels: tuple[LevelInfo, ...]
    """Maturity levels."""
    units: tuple[UnitInfo, ...]
    """Dimensions then facets."""
    scoring_rule: str | None = None
    """Python scoring rule (from a plugin) that computed the dimension scores; None for the built-in mean."""


@attrs.frozen
class DataSummary:
    """Accounting of the input."""

    source: str
    """File name of the responses."""
    sha256: str
    """Hash of the responses file."""
    rows_read: int
    """Data rows read."""
    accepted: int
    """Respondents scored."""
    rejected: int
    """Rows rejected by the reader (reasons in the manifest)."""
    scored_overall: int
    """Respondents with an overall score."""
    form: str | None = None
    """Instrument form answered."""
    warnings: tuple[str, ...] = ()
    """File-level notes from the reader."""


@attrs.frozen(kw_only=True)
class ReleaseSummary:
    """What the anonymity check did beyond this run's own cells (see :mod:`implassess.scoring.privacy`)."""

    earlier_releases: int = 0
    """Earlier releases of these respondents with other settings (breakdowns, minimum), from the
    release ledger; reruns of the same command are not counted."""
    hidden_because_earlier: int = 0
    """Cells hidden because they would combine with earlier releases to expose a small group."""
    already_derivable: int = 0
    """Small groups earlier releases had already exposed on their own (nothing this run could undo)."""
    conservative: int = 0
    """Cells hidden by the search-budget fallback rather than an exact derivation."""
    earlier_minimum: int = 0
    """The largest minimum group size earlier releases of these respondents used (0: none)."""


@attrs.frozen(kw_only=True)
class Profile:
    """Everything scoring found, ready for JSON, CSV and the report."""

    schema: str = PROFILE_SCHEMA
    """Format identifier."""
    generated: str
    """UTC timestamp (fixed in reproducible mode)."""
    instrument: InstrumentInfo
    """Instrument."""
    settings: ScoreSettings
    """Settings used."""
    data: DataSummary
    """Input accounting."""
    organisation: GroupResult
    """Organisation-level results."""
    breakdowns: tuple[Breakdown, ...] = ()
    """Group results per breakdown."""
    kpis: tuple[KpiResult, ...] = ()
    """KPI results."""
    actions: tuple[TriggeredAction, ...] = ()
    """Ranked actions from decision triggers."""
    norms: dict[str, str] | None = None
    """Name, sector, period and file of the norm set used."""
    release: ReleaseSummary = attrs.field(factory=ReleaseSummary)
    """What the anonymity check did because of earlier releases."""


def timestamp(reproducible: bool) -> str:
    """Now in UTC, or the fixed time (SOURCE_DATE_EPOCH when set) for reproducible output."""
    if reproducible:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch and epoch.isdigit():
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return FIXED_TIMESTAMP
    return datetime.now(tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def instrument_info(scores: RespondentScores) -> InstrumentInfo:
    """The :class:`InstrumentInfo` of a scoring run."""
    inst = scores.instrument
    levels = tuple(LevelInfo(lv.level, lv.name, lv.min, lv.max) for lv in inst.maturity.levels)
    units = tuple(
        UnitInfo(
            u.id,
            u.kind,
            u.name,
            u.dimension,
            u.weight,
            u.low,
            u.high,
            tuple(inst.items[j].id for j in u.columns),
            u.min_answered,
            u.source,
        )
        for u in scores.units
    )
    return InstrumentInfo(
        inst.id, inst.version, inst.title, inst.maturity.rule, inst.scoring.method, levels, units, inst.scoring.rule
    )


def clean(value: Any) -> Any:
    """JSON-ready: NaN/inf → None, numpy scalars → Python, tuples → lists, keys → str."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _trim_suppressed(d: dict[str, Any]) -> dict[str, Any]:
    """A suppressed record shows its identity and ``suppressed: true``, no statistic (not even n)."""
    keep = {"id", "kind", "dimension", "key", "label", "suppressed", "reverse"}
    return {k: v for k, v in d.items() if k in keep}


def _walk(d: Any) -> Any:
    if isinstance(d, dict):
        if d.get("suppressed") is True:
            return _trim_suppressed(d)
        return {k: _walk(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_walk(v) for v in d]
    return d


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The profile as the JSON document described by ``docs/profile.schema.json``."""
    return _walk(clean(attrs.asdict(profile)))


def dumps(data: Any) -> str:
    """JSON text: UTF-8, two-space indent, full-precision floats, no NaN."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
