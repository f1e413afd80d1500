"""Pure statistics on arrays: grouped moments, CIs, α, item–total, rwg(j), ICC, Welch, RCI.

Every function takes numpy arrays and returns numpy arrays or small records; nothing
here knows about instruments. Grouped functions take ``inv`` (the group index of each
row, ``0 … n_groups-1``, as from ``np.unique(..., return_inverse=True)``) and work for
all groups at once, without a Python loop over respondents. NaN means missing.

References are named at each function and gathered in ``docs/methodology.md``.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
from scipy import sparse
from scipy import stats as sps

#: LeBreton & Senter (2008), Table 2: expected error variances of null response
#: distributions for A = 5 … 11 response options (uniform, slight skew, moderate skew,
#: heavy skew, triangular, normal), on options coded 1 … A.
NULL_VARIANCES: dict[int, dict[str, float]] = {
    a: dict(zip(("uniform", "slight-skew", "moderate-skew", "heavy-skew", "triangular", "normal"), row, strict=False))
    for a, row in {
        5: (2.00, 1.34, 0.90, 0.44, 1.32, 1.04),
        6: (2.92, 1.85, 1.26, 0.69, 1.45, 1.25),
        7: (4.00, 2.90, 2.14, 1.39, 2.10, 1.40),
        8: (5.25, 3.47, 2.79, 2.35, 2.81, 1.73),
        9: (6.67, 5.66, 4.73, 3.16, 3.00, 1.58),
        10: (8.25, 6.30, 5.09, 3.46, 2.89, 1.45),
        11: (10.00, 7.31, 6.32, 4.02, 3.32, 1.40),
    }.items()
}

NULL_SHAPES = ("uniform", "slight-skew", "moderate-skew", "heavy-skew", "triangular", "normal")


def null_variance(n_options: int, shape: str = "uniform", step: float = 1.0) -> float:
    """Expected variance σ²E of random responding over ``n_options`` equally spaced options.

    ``uniform`` is exact: σ²EU = (A² − 1)/12 (James, Demaree & Wolf 1984). Other shapes
    come from LeBreton & Senter (2008, Table 2) and exist for 5–11 options only.
    ``step`` is the distance between adjacent option values (variance scales by step²).
    """
    if shape == "uniform":
        return (n_options**2 - 1) / 12.0 * step**2
    if shape not in NULL_SHAPES:
        raise ValueError(f"unknown null shape {shape!r}; expected one of {', '.join(NULL_SHAPES)}")
    if n_options not in NULL_VARIANCES:
        raise ValueError(
            f"no published {shape} null variance for {n_options} options; LeBreton & Senter (2008) "
            "tabulate 5 to 11 options. Use the uniform null."
        )
    return NULL_VARIANCES[n_options][shape] * step**2


# -- grouping -----------------------------------------------------------------------


@attrs.frozen(eq=False)
class Groups:
    """Rows assigned to groups, with a sparse indicator for fast grouped sums."""

    inv: np.ndarray
    """Group index of each row (int64, 0 … size-1)."""
    size: int
    """Number of groups."""
    _cache: dict[str, Any] = attrs.field(factory=dict, init=False, repr=False)

    def rows(self, rows: slice) -> Groups:
        """The same groups restricted to a slice of rows."""
        return Groups(self.inv[rows], self.size)

    @classmethod
    def single(cls, n: int) -> Groups:
        """Every row in one group."""
        return cls(np.zeros(n, dtype=np.int64), 1)

    def indicator(self) -> sparse.csr_matrix:
        """groups × rows 0/1 matrix; ``indicator() @ X`` sums X's rows per group (built once)."""
        if "ind" not in self._cache:
            n = self.inv.shape[0]
            self._cache["ind"] = sparse.csr_matrix(
                (np.ones(n, dtype=np.float64), (self.inv, np.arange(n))), shape=(self.size, n)
            )
        return self._cache["ind"]

    def sum(self, x: np.ndarray) -> np.ndarray:
        """Per-group sum of a 1-D (→ groups) or 2-D (→ groups × columns) array; no NaN allowed."""
        if self.size == 1:
            return np.atleast_1d(x.sum(axis=0))[None, :] if x.ndim == 2 else np.array([x.sum()])
        if x.ndim == 1:
            return np.bincount(self.inv, weights=x, minlength=self.size)
        return np.asarray(self.indicator() @ x)

    def count(self, mask: np.ndarray) -> np.ndarray:
        """Per-group count of True in a 1-D or 2-D boolean mask."""
        if self.size == 1:
            c = mask.sum(axis=0)
            return np.atleast_1d(c)[None, :].astype(np.int64) if mask.ndim == 2 else np.array([int(c)])
        if mask.ndim == 1:
            return np.bincount(self.inv[mask], minlength=self.size).astype(np.int64)
        return np.rint(self.sum(mask.astype(np.float64))).astype(np.int64)


#: Rows per chunk in grouped sums (bounds the memory of temporaries).
CHUNK_ROWS = 1 << 16


def row_chunks(n: int) -> list[slice]:
    """Slices covering 0…n in chunks of :data:`CHUNK_ROWS` rows."""
    return [slice(s, min(s + CHUNK_ROWS, n)) for s in range(0, n, CHUNK_ROWS)]


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def grouped_moments(x: np.ndarray, groups: Groups) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, mean, sd) per group of a 1-D array, ignoring NaN; sd uses n − 1 (NaN for n < 2).

    Sums are taken about the overall mean so large n does not lose precision.
    """
    ok = ~np.isnan(x)
    centre = float(np.mean(x[ok])) if ok.any() else 0.0
    d = np.where(ok, x - centre, 0.0)
    n = groups.count(ok)
    s1 = groups.sum(d)
    s2 = groups.sum(d * d)
    mean = _div(s1, n) + centre
    ss = np.maximum(s2 - _div(s1 * s1, n), 0.0)
    sd = np.sqrt(_div(ss, n - 1))
    return n, mean, sd


def grouped_median(x: np.ndarray, groups: Groups) -> np.ndarray:
    """Median per group of a 1-D array, ignoring NaN (NaN for an empty group)."""
    ok = ~np.isnan(x)
    v, g = x[ok], groups.inv[ok]
    if groups.size == 1:
        return np.array([np.median(v) if v.size else np.nan])
    order = np.argsort(v)
    # a stable sort by group keeps values ordered within each group (radix sort for small ints)
    gtype = np.int16 if groups.size < 2**15 else np.int64
    v = v[order[np.argsort(g[order].astype(gtype), kind="stable")]]
    counts = np.bincount(g, minlength=groups.size)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    out = np.full(groups.size, np.nan)
    has = counts > 0
    lo = starts[has] + (counts[has] - 1) // 2
    hi = starts[has] + counts[has] // 2
    out[has] = (v[lo] + v[hi]) / 2.0
    return out


def t_interval(
    mean: np.ndarray, sd: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Student-t confidence interval mean ± t(1−(1−c)/2, n−1)·sd/√n (NaN for n < 2)."""
    n = np.asarray(n, dtype=np.float64)
    mean = np.asarray(mean, dtype=np.float64)
    df = np.where(n >= 2, n - 1, np.nan)
    t = sps.t.ppf(0.5 + confidence / 2.0, df)
    half = t * np.asarray(sd, dtype=np.float64) / np.sqrt(np.where(n > 0, n, np.nan))
    return mean - half, mean + half


# -- reliability ----------------------------------------------------------------------


@attrs.frozen(eq=False)
class AlphaResult:
    """Cronbach's α with item diagnostics, per group (arrays) or for one group (scalars)."""

    alpha: np.ndarray
    """α per group; NaN with fewer than 2 items, fewer than 2 complete cases or zero total variance."""
    n_complete: np.ndarray
    """Complete cases (all items answered) per group: α is computed listwise."""
    alpha_if_deleted: np.ndarray
    """groups × items: α of the remaining items when one is dropped (NaN with < 3 items)."""
    item_total: np.ndarray
    """groups × items: corrected item–total correlation r(item, total of the other items)."""


def grouped_alpha(x: np.ndarray, groups: Groups) -> AlphaResult:
    """Cronbach's α, α-if-item-deleted and corrected item–total correlations per group.

    α = k/(k−1)·(1 − Σσ²ᵢ/σ²ₜ) on listwise complete cases, variances with n − 1, as R
    ``psych::alpha`` reports ``raw_alpha``. ``x`` is respondents × items (already
    reverse-keyed; unweighted).
    """
    k = x.shape[1]
    complete = ~np.isnan(x).any(axis=1)
    nc = groups.count(complete)
    if k == 0 or not complete.any():
        empty = np.full((groups.size, k), np.nan)
        return AlphaResult(np.full(groups.size, np.nan), nc, empty, empty.copy())
    centre = sum(np.where(complete[c, None], x[c], 0.0).sum(axis=0) for c in row_chunks(len(x))) / complete.sum()
    g_, k_ = groups.size, k
    s1, s2, sxt = np.zeros((g_, k_)), np.zeros((g_, k_)), np.zeros((g_, k_))
    st, stt = np.zeros(g_), np.zeros(g_)
    for c in row_chunks(len(x)):  # chunks bound the temporaries' memory
        gc = groups.rows(c)
        d = np.where(complete[c, None], x[c] - centre, 0.0)
        t = d.sum(axis=1)
        s1 += gc.sum(d)
        s2 += gc.sum(d * d)
        st += gc.sum(t)
        stt += gc.sum(t * t)
        sxt += gc.sum(d * t[:, None])
    n = nc.astype(np.float64)[:, None]
    dof = n - 1
    var_i = _div(s2 - _div(s1 * s1, n), dof)
    var_t = _div(stt - _div(st * st, nc.astype(np.float64)), nc - 1.0)
    cov_it = _div(sxt - _div(s1 * st[:, None], n), dof)
    sum_var = var_i.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where((k >= 2) & (var_t > 0), k / (k - 1) * (1 - sum_var / np.where(var_t > 0, var_t, 1)), np.nan)
        var_rest = var_t[:, None] + var_i - 2 * cov_it
        var_rest = np.where(var_rest > 1e-12 * np.maximum(var_t[:, None], 1e-300), var_rest, 0.0)
        kk = k - 1
        if kk >= 2:
            aid = kk / (kk - 1) * (1 - (sum_var[:, None] - var_i) / np.where(var_rest > 0, var_rest, np.nan))
        else:
            aid = np.full_like(var_i, np.nan)
        denom = np.sqrt(var_i * var_rest)
        itc = np.where(denom > 0, (cov_it - var_i) / np.where(denom > 0, denom, 1), np.nan)
    return AlphaResult(alpha, nc, aid, itc)


def cronbach_alpha(x: np.ndarray) -> AlphaResult:
    """:func:`grouped_alpha` for one group; fields are length-1 arrays."""
    return grouped_alpha(np.asarray(x, dtype=np.float64), Groups.single(len(x)))


# -- agreement ------------------------------------------------------------------------


def grouped_rwg_j(x: np.ndarray, groups: Groups, null_var: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """rwg(j) per group (James, Demaree & Wolf 1984) and the mean item variance s̄².

    For each item the within-group variance uses the answers given (n − 1), as R
    ``multilevel::rwg.j`` does with ``var(na.rm = TRUE)``. With the ratio
    r = mean over items of s²ⱼ/σ²Eⱼ (one σ²E per item allows items on different scales;
    with one scale it is s̄²/σ²E), rwg(j) = J(1 − r)/(J(1 − r) + r), set to 0 when r > 1.
    NaN when any item has fewer than two answers in the group.
    """
    k = x.shape[1]
    null = np.broadcast_to(np.asarray(null_var, dtype=np.float64), (k,))
    tot, cnt = np.zeros(k), np.zeros(k)
    for c in row_chunks(len(x)):
        tot += np.nansum(x[c], axis=0)
        cnt += (~np.isnan(x[c])).sum(axis=0)
    centre = np.where(cnt > 0, tot / np.maximum(cnt, 1), 0.0)
    n, s1, s2 = (np.zeros((groups.size, k)) for _ in range(3))
    for c in row_chunks(len(x)):
        gc = groups.rows(c)
        ok = ~np.isnan(x[c])
        d = np.where(ok, x[c] - centre, 0.0)
        n += gc.count(ok)
        s1 += gc.sum(d)
        s2 += gc.sum(d * d)
    var = _div(s2 - _div(s1 * s1, n), n - 1)
    var = np.maximum(var, 0.0)
    mean_var = var.mean(axis=1) if k else np.full(groups.size, np.nan)
    ratio = (var / null).mean(axis=1) if k else np.full(groups.size, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = k * (1 - ratio) / (k * (1 - ratio) + ratio)
    r = np.where(ratio > 1, 0.0, r)
    return np.where(np.isnan(ratio), np.nan, r), mean_var


def rwg_j(x: np.ndarray, null_var: float) -> float:
    """rwg(j) of one group's respondents × items matrix (see :func:`grouped_rwg_j`)."""
    r, _ = grouped_rwg_j(np.asarray(x, dtype=np.float64), Groups.single(len(x)), null_var)
    return float(r[0])


# -- between groups ----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Icc:
    """ICC(1) and ICC(2) from a one-way random-effects ANOVA across groups."""

    icc1: float
    """(MSB − MSW)/(MSB + (k − 1)·MSW): share of variance between groups (Bliese 2000)."""
    icc2: float
    """(MSB − MSW)/MSB: reliability of the group means."""
    msb: float
    """Mean square between groups, SSB/(J − 1)."""
    msw: float
    """Mean square within groups, SSW/(N − J)."""
    k: float
    """Group size used in ICC(1): N/J (``mean``, as R ``multilevel::ICC1``) or k₀ (``adjusted``)."""
    n: int
    """Respondents N."""
    groups: int
    """Groups J."""


def icc_oneway(n: np.ndarray, mean: np.ndarray, sd: np.ndarray, k_rule: str = "mean") -> Icc | None:
    """ICC(1)/ICC(2) from per-group n, mean and sd (sd with n − 1).

    SSB = Σ nⱼ(m̄ⱼ − m̄)², SSW = Σ (nⱼ − 1)s²ⱼ. ``k_rule="mean"`` uses k = N/J like R
    ``multilevel::ICC1``; ``"adjusted"`` uses k₀ = (N − Σnⱼ²/N)/(J − 1) for unequal sizes
    (Snedecor & Cochran; Bliese 2000). None with fewer than 2 groups or N − J < 1.
    """
    n = np.asarray(n, dtype=np.float64)
    keep = n > 0
    n, mean, sd = n[keep], np.asarray(mean)[keep], np.asarray(sd)[keep]
    big_n, j = float(n.sum()), int(keep.sum())
    if j < 2 or big_n - j < 1:
        return None
    grand = float((n * mean).sum() / big_n)
    ssb = float((n * (mean - grand) ** 2).sum())
    ssw = float(np.nansum((n - 1) * np.where(n > 1, sd, 0.0) ** 2))
    msb, msw = ssb / (j - 1), ssw / (big_n - j)
    if k_rule == "mean":
        k = big_n / j
    elif k_rule == "adjusted":
        k = (big_n - float((n * n).sum()) / big_n) / (j - 1)
    else:
        raise ValueError(f"unknown k rule {k_rule!r}; expected 'mean' or 'adjusted'")
    icc1 = (msb - msw) / (msb + (k - 1) * msw) if msb + (k - 1) * msw > 0 else math.nan
    icc2 = (msb - msw) / msb if msb > 0 else math.nan
    return Icc(icc1=icc1, icc2=icc2, msb=msb, msw=msw, k=k, n=int(big_n), groups=j)


def icc_from_values(values: np.ndarray, inv: np.ndarray, k_rule: str = "mean") -> Icc | None:
    """ICC(1)/ICC(2) of a 1-D array of respondent values grouped by ``inv`` (NaN ignored)."""
    size = int(inv.max()) + 1 if inv.size else 0
    n, mean, sd = grouped_moments(np.asarray(values, dtype=np.float64), Groups(np.asarray(inv), size))
    return icc_oneway(n, mean, sd, k_rule)


# -- change -------------------------------------------------------------------------


@attrs.frozen
class Difference:
    """A difference of two independent means with a Welch CI."""

    diff: float
    """mean₂ − mean₁."""
    se: float
    """√(s₁²/n₁ + s₂²/n₂)."""
    df: float
    """Welch–Satterthwaite degrees of freedom."""
    ci_low: float
    """Lower bound."""
    ci_high: float
    """Upper bound."""


def welch_difference(
    m1: float, s1: float, n1: float, m2: float, s2: float, n2: float, confidence: float = 0.95
) -> Difference:
    """Welch (1947) difference of means m₂ − m₁ with a t CI on Satterthwaite df."""
    nan = math.nan
    if min(n1, n2) < 2 or any(math.isnan(v) for v in (m1, s1, m2, s2)):
        return Difference(m2 - m1, nan, nan, nan, nan)
    v1, v2 = s1 * s1 / n1, s2 * s2 / n2
    se = math.sqrt(v1 + v2)
    if se == 0:
        return Difference(m2 - m1, 0.0, nan, m2 - m1, m2 - m1)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    t = float(sps.t.ppf(0.5 + confidence / 2.0, df))
    return Difference(m2 - m1, se, df, m2 - m1 - t * se, m2 - m1 + t * se)


def reliable_change_index(x1: np.ndarray, x2: np.ndarray, sd: float, reliability: float) -> np.ndarray:
    """RCI = (x₂ − x₁)/SEdiff with SEdiff = SD·√2·√(1 − r) (Jacobson & Truax 1991)."""
    se_diff = sd * math.sqrt(2.0) * math.sqrt(max(1.0 - reliability, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.asarray(x2, dtype=np.float64) - np.asarray(x1, dtype=np.float64)) / se_diff


# -- norms --------------------------------------------------------------------------


def percentile_from_table(score: float, points: dict[float, float]) -> tuple[float, str]:
    """Percentile rank of ``score`` by linear interpolation in a percentile table.

    ``points`` maps percentile (0–100) → score. Returns (percentile, how): how is
    ``interpolated``, or ``below-table``/``above-table`` when the score lies outside
    the tabulated range (the percentile is then the table's end point).
    """
    ps = sorted(points)
    xs = [points[p] for p in ps]
    if score < xs[0]:
        return ps[0], "below-table"
    if score > xs[-1]:
        return ps[-1], "above-table"
    return float(np.interp(score, xs, ps)), "interpolated"


def normal_percentile(z: float) -> float:
    """100·Φ(z): percentile under a normal norm distribution."""
    return float(sps.norm.cdf(z) * 100.0)
