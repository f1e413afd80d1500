"""Statistics against values worked out by hand or taken from the published source."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from implassess.scoring import stats

NAN = math.nan

# Four respondents × three items, plus a fifth with a missing answer (dropped listwise).
ALPHA_X = np.array(
    [
        [1, 2, 2],
        [2, 3, 3],
        [3, 3, 4],
        [4, 4, 5],
        [5, NAN, 1],
    ],
    dtype=float,
)


def test_alpha_by_hand():
    """Cronbach (1951) α = k/(k−1)·(1 − Σσ²ᵢ/σ²ₜ), worked by hand on the complete rows.

    Item variances (n − 1): 5/3, 2/3, 5/3 → Σ = 4. Totals 5, 8, 10, 13 → σ²ₜ = 34/3.
    α = 3/2 · (1 − 4/(34/3)) = 33/34. Row 5 has a blank and is dropped (listwise).
    """
    res = stats.cronbach_alpha(ALPHA_X)
    assert res.alpha[0] == pytest.approx(33 / 34, abs=1e-12)
    assert res.n_complete[0] == 4


def test_alpha_if_deleted_and_item_total_by_hand():
    """α-if-deleted and corrected item–total r, worked by hand (same matrix).

    Drop item 1: items 2, 3 have Σσ² = 7/3, totals 4, 6, 7, 9 have σ² = 13/3 → α = 2·(1 − 7/13) = 12/13.
    Drop item 2: Σσ² = 10/3, totals 3, 5, 7, 9 → σ² = 20/3 → α = 1. Drop item 3: 12/13 again.
    Item–total: r(item 1, items 2+3) = 8/√(5·13); r(item 2, items 1+3) = 6/√(2·20);
    r(item 3, items 1+2) = 8/√(5·13) (cross-products of deviations over sums of squares).
    """
    res = stats.cronbach_alpha(ALPHA_X)
    np.testing.assert_allclose(res.alpha_if_deleted[0], [12 / 13, 1.0, 12 / 13], atol=1e-12)
    np.testing.assert_allclose(res.item_total[0], [8 / math.sqrt(65), 6 / math.sqrt(40), 8 / math.sqrt(65)], atol=1e-12)


def test_alpha_two_items_has_no_alpha_if_deleted():
    """With two items, dropping one leaves a single item: α-if-deleted is undefined (NaN)."""
    res = stats.cronbach_alpha(ALPHA_X[:4, :2])
    # items 1, 2: Σσ² = 7/3; totals 3, 5, 6, 8 → σ² = 13/3 → α = 2·(1 − 7/13) = 12/13
    assert res.alpha[0] == pytest.approx(12 / 13)
    assert np.isnan(res.alpha_if_deleted).all()


def test_grouped_alpha_equals_alpha_per_group():
    """Grouped α equals α computed on each group alone (same formula, vectorised)."""
    rng = np.random.default_rng(1)
    x = rng.integers(1, 6, size=(60, 4)).astype(float)
    x[rng.random(x.shape) < 0.05] = np.nan
    inv = rng.integers(0, 3, size=60)
    res = stats.grouped_alpha(x, stats.Groups(inv, 3))
    for g in range(3):
        one = stats.cronbach_alpha(x[inv == g])
        np.testing.assert_allclose(res.alpha[g], one.alpha[0], rtol=1e-10)
        np.testing.assert_allclose(res.item_total[g], one.item_total[0], rtol=1e-10)


RWG_X = np.array([[3, 4], [4, 4], [4, 5], [5, 5]], dtype=float)


def test_rwg_j_uniform_by_hand():
    """rwg(j) (James, Demaree & Wolf 1984) worked by hand.

    Item variances 2/3 and 1/3 → s̄² = 0.5; 5 options → σ²EU = (25 − 1)/12 = 2; ratio 1/4;
    rwg(j) = 2·(3/4) / (2·(3/4) + 1/4) = 6/7.
    """
    assert stats.null_variance(5) == 2.0
    assert stats.rwg_j(RWG_X, 2.0) == pytest.approx(6 / 7, abs=1e-12)


def test_rwg_j_slight_skew_null():
    """Slightly skewed null for 5 options: σ²E = 1.34 (LeBreton & Senter 2008, Table 2).

    1.34 is the variance of the proportions .05/.15/.20/.35/.25 over 1…5 (mean 3.6,
    E[x²] = 14.3); the moderate skew .00/.10/.15/.40/.35 gives 0.90.
    ratio = 0.5/1.34 = 25/67 → rwg(j) = 2·(42/67)/(2·(42/67) + 25/67) = 84/109.
    """
    p = np.array([0.05, 0.15, 0.20, 0.35, 0.25])
    v = np.arange(1, 6)
    assert stats.null_variance(5, "slight-skew") == pytest.approx(p @ v**2 - (p @ v) ** 2, abs=1e-9)
    pm = np.array([0.0, 0.10, 0.15, 0.40, 0.35])
    assert stats.null_variance(5, "moderate-skew") == pytest.approx(pm @ v**2 - (pm @ v) ** 2, abs=1e-9)
    assert stats.rwg_j(RWG_X, stats.null_variance(5, "slight-skew")) == pytest.approx(84 / 109, abs=1e-12)


def test_rwg_j_set_to_zero_when_variance_exceeds_null():
    """Answers 1, 5, 1, 5: s̄² = 16/3 > σ²EU = 2, so rwg(j) is set to 0 (JDW 1984)."""
    x = np.array([[1, 1], [5, 5], [1, 1], [5, 5]], dtype=float)
    assert stats.rwg_j(x, 2.0) == 0.0


def test_rwg_j_perfect_agreement_is_one_and_single_answer_is_nan():
    """Identical answers give s̄² = 0 → rwg(j) = 1; one answer per item gives no variance (NaN)."""
    assert stats.rwg_j(np.full((4, 3), 4.0), 2.0) == 1.0
    assert math.isnan(stats.rwg_j(np.array([[4.0, 4.0]]), 2.0))


def test_null_variance_scales_with_step_and_rejects_untabulated():
    """A 0–100 coding of a 5-point scale has step 25: σ²EU = 2·625 (variance scales by step²)."""
    assert stats.null_variance(5, step=25.0) == 1250.0
    assert stats.null_variance(7) == 4.0
    with pytest.raises(ValueError, match="5 to 11 options"):
        stats.null_variance(4, "slight-skew")


def test_icc_unequal_groups_by_hand():
    """ICC(1)/ICC(2) (Bliese 2000) from a one-way ANOVA worked by hand.

    Groups {1,2,3}, {4,6}, {2,3,4,3}: N = 9, J = 3, grand mean 28/9.
    SSB = 3(−10/9)² + 2(17/9)² + 4(−1/9)² = 882/81 → MSB = 441/81; SSW = 2+2+2 → MSW = 6/6 = 1.
    k = N/J = 3 (R multilevel::ICC1): ICC(1) = (441/81 − 1)/(441/81 + 2) = 40/67;
    ICC(2) = (441/81 − 1)/(441/81) = 40/49. Adjusted k₀ = (9 − 29/9)/2 = 26/9 → ICC(1) = 20/33.
    """
    values = np.array([1, 2, 3, 4, 6, 2, 3, 4, 3], dtype=float)
    inv = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    icc = stats.icc_from_values(values, inv)
    assert icc is not None
    assert icc.msb == pytest.approx(441 / 81)
    assert icc.msw == pytest.approx(1.0)
    assert icc.k == 3.0
    assert icc.icc1 == pytest.approx(40 / 67)
    assert icc.icc2 == pytest.approx(40 / 49)
    adj = stats.icc_from_values(values, inv, k_rule="adjusted")
    assert adj is not None
    assert adj.k == pytest.approx(26 / 9)
    assert adj.icc1 == pytest.approx(20 / 33)


def test_icc_needs_two_groups():
    """One group has no between-group variance: ICC is not defined (None)."""
    assert stats.icc_from_values(np.array([1.0, 2.0, 3.0]), np.zeros(3, dtype=int)) is None


def test_t_interval_by_hand():
    """mean 3, sd 1, n 4: t(0.975, 3) = 3.182446 (any t table) → 3 ± 1.591223."""
    lo, hi = stats.t_interval(np.array([3.0]), np.array([1.0]), np.array([4]))
    assert lo[0] == pytest.approx(3 - 1.591223, abs=1e-6)
    assert hi[0] == pytest.approx(3 + 1.591223, abs=1e-6)


def test_grouped_moments_and_median_match_numpy():
    """Grouped n/mean/sd/median equal numpy's per-group results (NaN ignored)."""
    rng = np.random.default_rng(7)
    x = rng.normal(50, 10, size=200)
    x[rng.random(200) < 0.1] = np.nan
    inv = rng.integers(0, 4, size=200)
    g = stats.Groups(inv, 5)  # group 4 is empty
    n, mean, sd = stats.grouped_moments(x, g)
    med = stats.grouped_median(x, g)
    for k in range(4):
        v = x[(inv == k) & ~np.isnan(x)]
        assert n[k] == len(v)
        assert mean[k] == pytest.approx(v.mean())
        assert sd[k] == pytest.approx(v.std(ddof=1))
        assert med[k] == pytest.approx(np.median(v))
    assert n[4] == 0 and np.isnan(mean[4]) and np.isnan(med[4])


def test_welch_by_hand():
    """Welch (1947): m₁ = 10, s₁ = 2, n₁ = 10; m₂ = 12, s₂ = 3, n₂ = 15.

    s₁²/n₁ = 0.4, s₂²/n₂ = 0.6 → SE = 1; df = 1/(0.16/9 + 0.36/14) = 22.9927.
    """
    d = stats.welch_difference(10, 2, 10, 12, 3, 15)
    assert d.diff == 2 and d.se == pytest.approx(1.0)
    assert d.df == pytest.approx(1 / (0.16 / 9 + 0.36 / 14))
    from scipy.stats import t

    half = t.ppf(0.975, d.df)
    assert d.ci_low == pytest.approx(2 - half) and d.ci_high == pytest.approx(2 + half)


def test_reliable_change_index_by_hand():
    """Jacobson & Truax (1991): SD 10, α 0.8 → SEdiff = 10·√2·√0.2 = √40; 50 → 65 gives 15/√40 = 2.3717."""
    rci = stats.reliable_change_index(np.array([50.0, 50.0]), np.array([65.0, 52.0]), 10.0, 0.8)
    np.testing.assert_allclose(rci, [15 / math.sqrt(40), 2 / math.sqrt(40)])
    assert abs(rci[0]) > 1.96 > abs(rci[1])


def test_percentile_from_table_interpolates_and_flags_ends():
    """Linear interpolation between tabulated percentiles; outside the table the end point is flagged."""
    table = {10: 40.0, 50: 55.0, 90: 70.0}
    assert stats.percentile_from_table(47.5, table) == (30.0, "interpolated")
    assert stats.percentile_from_table(30.0, table) == (10, "below-table")
    assert stats.percentile_from_table(75.0, table) == (90, "above-table")
    assert stats.normal_percentile(0.0) == pytest.approx(50.0)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(3, 12), st.integers(2, 5)), elements=st.integers(1, 5).map(float)))
def test_alpha_invariant_to_row_order_and_at_most_one(x):
    """α never exceeds 1 and does not depend on the order of respondents."""
    a = stats.cronbach_alpha(x).alpha[0]
    b = stats.cronbach_alpha(x[::-1]).alpha[0]
    if not math.isnan(a):
        assert a <= 1 + 1e-9
        assert b == pytest.approx(a, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(2, 12), st.integers(1, 5)), elements=st.integers(1, 5).map(float)))
def test_rwg_j_within_zero_one(x):
    """rwg(j) lies in [0, 1] under the uniform null for any 5-point answers."""
    r = stats.rwg_j(x, stats.null_variance(5))
    assert 0.0 <= r <= 1.0
