"""360 arithmetic on small arrays: rater minimums, group means, gaps, flags, rankings, RCI.

Pure functions of numpy arrays and plain values; nothing here reads files or knows
about instruments. NaN means missing. The conventions (``docs/participant-reports.md``):

- a rater group is shown only with at least its minimum of raters (CCL: peers,
  direct reports 3; all raters 4; the manager alone only by agreement);
- a gap is self − all others; a blind spot is a gap *above* ``fraction`` of the scale
  range (one third by default), a hidden strength a gap below minus that; a gap exactly
  at the threshold is not flagged;
- RCI = (x₂ − x₁)/SEdiff, SEdiff = SD·√2·√(1 − α) (Jacobson & Truax 1991).
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

import numpy as np

from implassess.participants.model import RATER_GROUPS, SELF, AnonymityRules, Flag, Visibility
from implassess.scoring import stats

#: Gaps within this distance of the threshold count as at it (and are not flagged), so a
#: gap computed as 33.333333333333336 is not a blind spot at a threshold of 100/3.
THRESHOLD_TOLERANCE = 1e-9

Span = TypeVar("Span", float, np.ndarray)

_ALIASES = {
    "self": SELF,
    "self-assessment": SELF,
    "manager": "manager",
    "line-manager": "manager",
    "boss": "manager",
    "supervisor": "manager",
    "peer": "peer",
    "peers": "peer",
    "colleague": "peer",
    "direct-report": "direct-report",
    "direct-reports": "direct-report",
    "report": "direct-report",
    "other": "other",
    "others": "other",
}


def relationship_group(label: str | None) -> tuple[str | None, bool]:
    """The group key of a relationship label, and whether the label was recognised.

    ``"Direct report"``, ``direct_report`` and ``direct-report`` are the same group. An
    unrecognised label belongs to ``other`` (the caller warns); a blank one to no group.
    """
    if label is None or not str(label).strip():
        return None, False
    key = re.sub(r"[\s_]+", "-", str(label).strip().lower())
    if key in _ALIASES:
        return _ALIASES[key], True
    return "other", False


def decide_visibility(counts: Mapping[str, int], rules: AnonymityRules) -> Visibility:
    """Which groups to show, from the number of raters per group.

    A group is shown with at least its minimum (and at least one rater). Raters of the
    dropped groups join "all others" only when together they reach the largest minimum
    among their groups: otherwise "all others" minus the shown groups would reveal a group
    below its minimum. "All others" needs ``rules.all_others`` raters; without it no
    rater result is shown at all.
    """
    shown = tuple(g for g in RATER_GROUPS if counts.get(g, 0) >= max(1, rules.minimum(g)))
    dropped = tuple(g for g in RATER_GROUPS if g not in shown)
    residual = [g for g in dropped if counts.get(g, 0) > 0]
    residual_n = sum(counts.get(g, 0) for g in residual)
    pool_residual = bool(residual) and residual_n >= max(rules.minimum(g) for g in residual)
    pooled = shown + (tuple(residual) if pool_residual else ())
    total = sum(counts.get(g, 0) for g in pooled)
    all_shown = total >= rules.all_others and total > 0
    if not all_shown:
        return Visibility((), RATER_GROUPS, (), False, False)
    return Visibility(shown, dropped, pooled, True, pool_residual)


def all_others_count(counts: Mapping[str, int], vis: Visibility, rules: AnonymityRules) -> tuple[int, bool]:
    """The All others rater count a report may print, and whether it is a lower bound.

    Without dropped groups' raters in All others the count is the sum of the shown groups
    (nothing new). With them, the exact count minus the shown groups would be the size of
    the dropped groups together, and with each dropped group known to be below its minimum
    that can pin a group down (two dropped groups of minimum 3 adding up to 4 must both
    hold 2). So only a lower bound is given, worked out from the rules alone, never from
    the dropped groups' counts: pooling needs raters in at least two dropped groups and at
    least the smallest minimum among the dropped groups that could hold a rater (minimum 2
    or more), so ``shown + max(2, that minimum)``.
    """
    shown = sum(counts.get(g, 0) for g in vis.shown)
    if not vis.residual_pooled:
        return shown, False
    could_hold = [rules.minimum(g) for g in vis.dropped if rules.minimum(g) >= 2]
    return shown + max(2, min(could_hold, default=2)), True


def group_mean(values: np.ndarray, minimum: int) -> np.ndarray:
    """Column means of raters × measures, NaN where fewer than ``minimum`` raters answered.

    Each rater counts once (the mean of raters' values, not of group means).
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("values must be raters × measures")
    ok = ~np.isnan(x)
    n = ok.sum(axis=0)
    total = np.where(ok, x, 0.0).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
    return np.where((n >= max(1, minimum)) & (n > 0), mean, np.nan)


def hide_small_remainders(
    pooled: np.ndarray, others_mean: np.ndarray, shown: list[tuple[np.ndarray, np.ndarray]], minimum: int
) -> np.ndarray:
    """``others_mean`` with a column set to NaN where subtraction would expose a few raters.

    Form-level minimums are not enough: when some raters skip an item, "All others" minus
    the shown groups' sums for that item could leave one or two people's answers. For each
    column, the answers in ``pooled`` (raters × measures) that no shown group mean accounts
    for must be none or at least ``minimum``. ``shown`` holds (raters' values, displayed
    group mean) per shown group; a group whose mean is hidden in a column accounts for none.
    """
    out = np.array(others_mean, dtype=np.float64, copy=True)
    answered = (~np.isnan(pooled)).sum(axis=0)
    accounted = np.zeros_like(answered)
    for values, mean in shown:
        accounted += np.where(np.isnan(mean), 0, (~np.isnan(values)).sum(axis=0))
    hidden = answered - accounted
    out[(hidden > 0) & (hidden < minimum)] = np.nan
    return out


def gap(self_values: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Self − all others (NaN where either is missing)."""
    return np.asarray(self_values, dtype=np.float64) - np.asarray(others, dtype=np.float64)


def gap_threshold(span: Span, fraction: float = 1 / 3) -> Span:
    """The blind-spot threshold: ``fraction`` of the scale range ``span`` (max − min), one or one per gap."""
    return fraction * span


def flag_gaps(gaps: np.ndarray, span: float | np.ndarray, fraction: float = 1 / 3) -> list[Flag | None]:
    """``blind-spot`` where a gap is above the threshold, ``hidden-strength`` below minus it.

    ``span`` is the scale range of each gap (a number or one per gap). A gap exactly at
    the threshold is not flagged (the convention says *above*).
    """
    g = np.asarray(gaps, dtype=np.float64)
    t = gap_threshold(np.broadcast_to(np.asarray(span, dtype=np.float64), g.shape), fraction)
    out: list[Flag | None] = []
    for v, th in zip(g.tolist(), t.tolist(), strict=True):
        if math.isnan(v):
            out.append(None)
        elif v > th + THRESHOLD_TOLERANCE * max(1.0, th):
            out.append("blind-spot")
        elif v < -th - THRESHOLD_TOLERANCE * max(1.0, th):
            out.append("hidden-strength")
        else:
            out.append(None)
    return out


def top_gaps(gaps: np.ndarray, k: int = 5) -> tuple[list[int], list[int]]:
    """Indices of the ``k`` largest positive gaps (largest first) and ``k`` largest negative
    gaps (most negative first). Zero and NaN gaps are in neither; ties keep input order."""
    g = np.asarray(gaps, dtype=np.float64)
    idx = np.arange(g.size)
    pos = [int(i) for i in sorted(idx[g > 0], key=lambda i: (-g[i], i))][:k]
    neg = [int(i) for i in sorted(idx[g < 0], key=lambda i: (g[i], i))][:k]
    return pos, neg


def extremes(values: np.ndarray, k: int = 5) -> tuple[list[int], list[int]]:
    """Indices of the ``k`` highest values (highest first) and ``k`` lowest (lowest first).

    With fewer than 2k values the lowest are taken from those not already highest, so no
    item is listed twice. NaN is skipped; ties keep input order.
    """
    v = np.asarray(values, dtype=np.float64)
    ok = [int(i) for i in np.flatnonzero(~np.isnan(v))]
    high = sorted(ok, key=lambda i: (-v[i], i))[:k]
    rest = [i for i in ok if i not in set(high)]
    low = sorted(rest, key=lambda i: (v[i], i))[:k]
    return high, low


def shuffled(texts: Iterable[str], key: str) -> tuple[str, ...]:
    """Texts in an order that depends only on the texts and ``key``, not on their input order.

    Sorting first removes the file order (which follows rater groups and submission
    times); a shuffle seeded from ``key`` then removes alphabetical order.
    """
    items = sorted(texts)
    seed = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    random.Random(seed).shuffle(items)
    return tuple(items)


def sample_sd(values: Sequence[float] | np.ndarray) -> float:
    """Standard deviation with n − 1, ignoring NaN (NaN with fewer than two values)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    return float(np.std(v, ddof=1)) if v.size >= 2 else math.nan


def rci(before: float | None, after: float | None, sd: float, alpha: float) -> float | None:
    """Reliable change index of one score (None when any input is missing or SEdiff is 0)."""
    if before is None or after is None or any(math.isnan(x) for x in (before, after, sd, alpha)):
        return None
    if alpha >= 1.0 or sd <= 0:
        return None
    r = float(stats.reliable_change_index(np.array([before]), np.array([after]), sd, alpha)[0])
    return None if math.isnan(r) or math.isinf(r) else r


def item_alpha(x: np.ndarray) -> float:
    """Cronbach's α of respondents × items (listwise), NaN with fewer than two items."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2 or x.shape[0] < 2:
        return math.nan
    return float(stats.cronbach_alpha(x).alpha[0])
