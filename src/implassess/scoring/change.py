"""Change between two waves of the same instrument version.

- Per group (organisation and every group shown in both profiles): Welch difference of
  means with a t CI, on the raw scale and on 0–100 (POMP is linear in the raw score).
- Per participant: the reliable change index RCI = (x₂ − x₁)/SEdiff with
  SEdiff = SD·√2·√(1 − α), SD and α from the baseline organisation (Jacobson & Truax 1991);
  |RCI| > 1.96 is a reliable change.

Profiles are compared as their JSON documents (``profile_to_dict`` or a profile.json).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from implassess.errors import IncompatibleError
from implassess.scoring import stats

if TYPE_CHECKING:
    from implassess.scoring.engine import RespondentScores

#: |RCI| above this is reliable at the 5% level.
RCI_CRITICAL = 1.96


def check_same_version(a: Mapping[str, Any], b: Mapping[str, Any]) -> None:
    """Refuse two profiles (or instruments) unless instrument id and version agree."""
    ia, ib = a["instrument"], b["instrument"]
    if (ia["id"], ia["version"]) != (ib["id"], ib["version"]):
        raise IncompatibleError(
            f"Cannot compare waves: the baseline is instrument {ia['id']!r} version {ia['version']}, "
            f"the follow-up is {ib['id']!r} version {ib['version']}. Waves are compared only on the "
            "same instrument id and version."
        )


@attrs.frozen(kw_only=True)
class GroupChange:
    """Change of one unit in one group between two waves."""

    group: str
    """Group label (``organisation`` or e.g. ``site=North``)."""
    unit: str
    """Dimension or facet id, or ``overall``."""
    n1: int
    """Baseline n."""
    n2: int
    """Follow-up n."""
    mean1: float
    """Baseline mean (raw scale; 0–100 for the overall)."""
    mean2: float
    """Follow-up mean."""
    diff: float
    """mean2 − mean1."""
    ci_low: float | None
    """Welch CI of the difference, lower bound."""
    ci_high: float | None
    """Upper bound."""
    df: float | None
    """Welch–Satterthwaite df."""
    score_diff: float | None
    """Difference on 0–100."""
    score_ci_low: float | None
    """CI of the 0–100 difference, lower bound."""
    score_ci_high: float | None
    """Upper bound."""


def _units(group: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [u for u in [group.get("overall"), *group.get("dimensions", []), *group.get("facets", [])] if u]


def _f(v: float) -> float | None:
    return None if v is None or math.isnan(v) else float(v)


def compare_profiles(a: Mapping[str, Any], b: Mapping[str, Any], confidence: float = 0.95) -> tuple[GroupChange, ...]:
    """Group-level change from baseline ``a`` to follow-up ``b`` for every group shown in both."""
    check_same_version(a, b)
    span = {u["id"]: (u["high"] - u["low"]) for u in a["instrument"]["units"]}
    span["overall"] = 100.0

    def groups(p: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
        out = {"organisation": p["organisation"]}
        for bd in p.get("breakdowns", []):
            for g in bd["groups"]:
                out[g["label"]] = g
        return out

    ga, gb = groups(a), groups(b)
    result = []
    for label, g1 in ga.items():
        g2 = gb.get(label)
        if g2 is None or g1.get("suppressed") or g2.get("suppressed"):
            continue
        u2s = {u["id"]: u for u in _units(g2)}
        for u1 in _units(g1):
            u2 = u2s.get(u1["id"])
            if (
                u2 is None
                or u1.get("suppressed")
                or u2.get("suppressed")
                or u1.get("mean") is None
                or u2.get("mean") is None
            ):
                continue
            sd1 = u1["sd"] if u1.get("sd") is not None else math.nan
            sd2 = u2["sd"] if u2.get("sd") is not None else math.nan
            d = stats.welch_difference(u1["mean"], sd1, u1["n"], u2["mean"], sd2, u2["n"], confidence)
            f = 100.0 / span[u1["id"]] if span.get(u1["id"]) else math.nan
            result.append(
                GroupChange(
                    group=label,
                    unit=u1["id"],
                    n1=u1["n"],
                    n2=u2["n"],
                    mean1=u1["mean"],
                    mean2=u2["mean"],
                    diff=d.diff,
                    ci_low=_f(d.ci_low),
                    ci_high=_f(d.ci_high),
                    df=_f(d.df),
                    score_diff=_f(d.diff * f),
                    score_ci_low=_f(d.ci_low * f),
                    score_ci_high=_f(d.ci_high * f),
                )
            )
    return tuple(result)


@attrs.frozen(kw_only=True)
class ParticipantChange:
    """Reliable change of one participant on one dimension."""

    participant: str
    """Participant key (respondent id or the chosen attribute)."""
    unit: str
    """Dimension or facet id."""
    before: float
    """Baseline raw score."""
    after: float
    """Follow-up raw score."""
    rci: float | None
    """Reliable change index (None when α or SD is unavailable)."""
    reliable: bool
    """|RCI| > 1.96."""
    direction: str
    """``improved``, ``declined`` or ``no reliable change``."""


def reliable_change(
    before: RespondentScores, after: RespondentScores, key: str | None = None
) -> tuple[ParticipantChange, ...]:
    """RCI per participant present in both waves, per dimension and facet.

    Participants are matched on ``key`` (an attribute such as ``participant``) or, by
    default, on respondent id. SD and α come from the baseline wave's organisation
    scores (α listwise on the unit's items).
    """
    ia, ib = before.instrument, after.instrument
    check_same_version(
        {"instrument": {"id": ia.id, "version": ia.version}}, {"instrument": {"id": ib.id, "version": ib.version}}
    )

    def ids(s: RespondentScores) -> list[str | None]:
        if key is None:
            return list(s.responses.respondent_ids)
        return list(s.responses.attributes.get(key, (None,) * s.responses.n))

    row_after = {k: i for i, k in enumerate(ids(after)) if k is not None}
    pairs = [(k, i, row_after[k]) for i, k in enumerate(ids(before)) if k is not None and k in row_after]
    out = []
    for u, unit in enumerate(before.units):
        if unit.source != "items":
            continue
        base = before.raw[:, u]
        ok = ~np.isnan(base)
        sd = float(np.std(base[ok], ddof=1)) if ok.sum() > 1 else math.nan
        alpha = math.nan
        if len(unit.columns) >= 2:
            alpha = float(stats.cronbach_alpha(before.recoded(columns=list(unit.columns))).alpha[0])
        for k, i, j in pairs:
            x1, x2 = float(before.raw[i, u]), float(after.raw[j, u])
            if math.isnan(x1) or math.isnan(x2):
                continue
            rci = float(stats.reliable_change_index(np.array([x1]), np.array([x2]), sd, alpha)[0])
            rci_v = None if math.isnan(rci) or math.isinf(rci) else rci
            reliable = rci_v is not None and abs(rci_v) > RCI_CRITICAL
            direction = "no reliable change" if not reliable else ("improved" if x2 > x1 else "declined")
            out.append(
                ParticipantChange(
                    participant=str(k),
                    unit=unit.id,
                    before=x1,
                    after=x2,
                    rci=rci_v,
                    reliable=reliable,
                    direction=direction,
                )
            )
    return tuple(out)
