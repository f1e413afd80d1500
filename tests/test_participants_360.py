"""360 arithmetic on small hand-worked arrays: rater minimums, group means, gaps, flags, rankings, RCI.

Conventions: CCL minimums (peers 3, direct reports 3, all raters 4, the manager alone by
agreement), blind spot = gap above one third of the scale range (Primalogik), the five
largest gaps each way (Qualtrics 360), RCI after Jacobson & Truax (1991).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from implassess.participants import three_sixty as t3
from implassess.participants.model import RATER_GROUPS, AnonymityRules

NAN = math.nan


# -- rater minimums ---------------------------------------------------------------------------


def test_small_groups_pooled_when_together_they_reach_the_largest_minimum() -> None:
    """1 manager + 2 direct reports are both below 3, but together 3: they count in all others."""
    v = t3.decide_visibility({"manager": 1, "peer": 3, "direct-report": 2, "other": 0}, AnonymityRules())
    assert v.shown == ("peer",)
    assert v.dropped == ("manager", "direct-report", "other")
    assert v.residual_pooled and v.all_others_shown
    assert v.pooled == ("peer", "manager", "direct-report")


def test_small_remainder_is_left_out_so_it_cannot_be_subtracted() -> None:
    """1 manager + 1 other = 2 < 3: pooling them would reveal their mean as all others − the shown groups."""
    counts = {"manager": 1, "peer": 3, "direct-report": 4, "other": 1}
    v = t3.decide_visibility(counts, AnonymityRules())
    assert v.shown == ("peer", "direct-report")
    assert v.pooled == ("peer", "direct-report")
    assert not v.residual_pooled
    assert v.all_others_shown
    assert v.excluded(counts) == ("manager", "other")


def test_manager_alone_only_by_agreement() -> None:
    counts = {"manager": 1, "peer": 3, "direct-report": 0, "other": 0}
    agreed = t3.decide_visibility(counts, AnonymityRules.default(show_manager=True))
    assert agreed.shown == ("manager", "peer")
    assert agreed.all_others_shown
    default = t3.decide_visibility(counts, AnonymityRules.default())
    # Manager dropped, 1 manager alone cannot be pooled, 3 peers < 4 raters: nothing is shown.
    assert default.shown == ()
    assert not default.all_others_shown


def test_all_raters_minimum_is_four() -> None:
    assert not t3.decide_visibility({"peer": 3}, AnonymityRules()).all_others_shown
    v = t3.decide_visibility({"peer": 4}, AnonymityRules())
    assert v.all_others_shown and v.shown == ("peer",)


def test_largest_minimum_among_dropped_groups_decides_pooling() -> None:
    """With peers ≥ 5: 4 peers + 2 others = 6 ≥ 5, pooled; 3 peers + 1 other = 4 < 5, not pooled."""
    rules = AnonymityRules().with_minimums(peer=5)
    v = t3.decide_visibility({"peer": 4, "other": 2}, rules)
    assert v.shown == () and v.residual_pooled and v.all_others_shown
    w = t3.decide_visibility({"peer": 3, "other": 1, "direct-report": 4}, rules)
    assert w.shown == ("direct-report",) and not w.residual_pooled


@given(st.fixed_dictionaries({g: st.integers(0, 8) for g in RATER_GROUPS}), st.booleans())
def test_no_dropped_group_can_be_recovered(counts: dict[str, int], show_manager: bool) -> None:
    """Whatever the counts, the raters in all others minus the shown groups are 0 or ≥ every
    minimum among them, and every shown group meets its minimum."""
    rules = AnonymityRules.default(show_manager=show_manager)
    v = t3.decide_visibility(counts, rules)
    for g in v.shown:
        assert counts[g] >= rules.minimum(g)
    rest = [g for g in v.pooled if g not in v.shown and counts[g] > 0]
    if rest:
        assert sum(counts[g] for g in rest) >= max(rules.minimum(g) for g in rest)
    if v.all_others_shown:
        assert sum(counts[g] for g in v.pooled) >= rules.all_others


# -- means and gaps ------------------------------------------------------------------------------


def test_group_mean_needs_the_minimum_of_answers() -> None:
    x = np.array([[1.0, NAN], [3.0, 4.0], [5.0, NAN]])
    assert np.allclose(t3.group_mean(x, 2), [3.0, NAN], equal_nan=True)
    assert np.allclose(t3.group_mean(x, 1), [3.0, 4.0])
    assert np.isnan(t3.group_mean(np.empty((0, 2)), 1)).all()


def test_gap_threshold_is_exclusive() -> None:
    """On a 1–7 scale (range 6) the threshold is 2: a gap of exactly 2 is not flagged."""
    gaps = np.array([2.0, 2.0001, -2.0, -2.5, NAN, 0.0])
    assert t3.flag_gaps(gaps, 6.0) == [None, "blind-spot", None, "hidden-strength", None, None]


def test_gap_exactly_a_third_on_0_100_is_not_flagged() -> None:
    """Self 4 and others 2.6667 on 1–5 → POMP 75 and 41.67: the gap equals 100/3 up to rounding."""
    self_pomp = 100 * (4 - 1) / 4
    others_pomp = 100 * ((2 + 3 + 3) / 3 - 1) / 4
    g = t3.gap(np.array([self_pomp]), np.array([others_pomp]))
    assert abs(g[0] - 100 / 3) < 1e-9
    assert t3.flag_gaps(g, 100.0) == [None]
    assert t3.flag_gaps(g + 0.01, 100.0) == ["blind-spot"]
    assert t3.flag_gaps(-g - 0.01, 100.0) == ["hidden-strength"]


def test_threshold_fraction_is_configurable() -> None:
    assert t3.flag_gaps(np.array([1.1]), 4.0, fraction=0.25) == ["blind-spot"]
    assert t3.flag_gaps(np.array([1.1]), 4.0) == [None]


def test_top_five_gaps_each_way() -> None:
    gaps = np.array([0.5, -1, 2, 2, 0, NAN, -3, 1, 0.1, 0.2, -0.5, 0.05])
    pos, neg = t3.top_gaps(gaps)
    assert pos == [2, 3, 7, 0, 9]  # ties keep item order; 0.1 and 0.05 miss the five
    assert neg == [6, 1, 10]
    assert t3.top_gaps(np.array([NAN, 0.0])) == ([], [])


def test_highest_and_lowest_do_not_overlap() -> None:
    high, low = t3.extremes(np.array([3.0, 1.0, 2.0]), k=2)
    assert high == [0, 2] and low == [1]
    high, low = t3.extremes(np.array([4.0, 1.0, NAN, 2.0, 5.0, 3.0]), k=2)
    assert high == [4, 0] and low == [1, 3]


# -- reliable change --------------------------------------------------------------------------


def test_rci_by_hand() -> None:
    """SEdiff = 10·√2·√(1 − 0.8) = √40; RCI = 20/√40 = √10 ≈ 3.162 (Jacobson & Truax 1991)."""
    assert t3.rci(50.0, 70.0, 10.0, 0.8) == pytest.approx(math.sqrt(10))
    assert t3.rci(70.0, 50.0, 10.0, 0.8) == pytest.approx(-math.sqrt(10))
    assert t3.rci(None, 70.0, 10.0, 0.8) is None
    assert t3.rci(50.0, 70.0, 10.0, 1.0) is None  # SEdiff 0
    assert t3.rci(50.0, 70.0, NAN, 0.8) is None


def test_item_alpha_and_sd() -> None:
    """Two perfectly correlated items: α = 2/1·(1 − (1 + 1)/4) = 1."""
    x = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    assert t3.item_alpha(x) == pytest.approx(1.0)
    assert math.isnan(t3.item_alpha(x[:, :1]))
    assert t3.sample_sd([1.0, 2.0, 3.0, NAN]) == pytest.approx(1.0)


# -- labels and comments ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "group", "known"),
    [
        ("Direct report", "direct-report", True),
        ("direct_report", "direct-report", True),
        ("SELF", "self", True),
        ("Line manager", "manager", True),
        ("skip-level", "other", False),
        ("  ", None, False),
        (None, None, False),
    ],
)
def test_relationship_labels(label: str | None, group: str | None, known: bool) -> None:
    assert t3.relationship_group(label) == (group, known)


def test_comment_order_does_not_depend_on_input_order() -> None:
    texts = ["from a peer", "from the manager", "from a report", "another peer"]
    a = t3.shuffled(texts, "P001|baseline")
    b = t3.shuffled(list(reversed(texts)), "P001|baseline")
    assert a == b and sorted(a) == sorted(texts)
    keys = {t3.shuffled(texts, f"P{k:03d}|baseline") for k in range(20)}
    assert len(keys) > 1  # the seed changes the order


def test_rules_helpers() -> None:
    rules = AnonymityRules.default(show_manager=True).with_minimums(**{"direct-report": 5, "all_others": 6})
    assert [rules.minimum(g) for g in (*RATER_GROUPS, "all-others")] == [1, 3, 5, 3, 6]


def test_all_others_is_hidden_where_subtraction_would_expose_a_rater() -> None:
    """The reviewer's case: two 'other' raters skip an item, so All others (9 answers) minus
    peers (3) and direct reports (5) would leave the manager's single answer. Worked by hand:
    hidden = 9 − 3 − 5 = 1, which is > 0 and < 3, so the item's All-others mean is hidden;
    the second item, answered by everyone, leaves hidden = 11 − 3 − 5 = 3 and stays."""
    nan = np.nan
    manager = [[2.0, 4.0]]
    peers = [[3.0, 3.0]] * 3
    reports = [[2.8, 3.0]] * 5
    others = [[nan, 2.0], [nan, 4.0]]
    pooled = np.array(manager + peers + reports + others)
    mean = t3.group_mean(pooled, 4)
    shown = [
        (np.array(peers), t3.group_mean(np.array(peers), 3)),
        (np.array(reports), t3.group_mean(np.array(reports), 3)),
    ]
    out = t3.hide_small_remainders(pooled, mean, shown, 3)
    assert np.isnan(out[0])
    assert out[1] == pytest.approx(mean[1]) and not np.isnan(out[1])
    # A shown group whose mean is hidden in a column accounts for none of its answers there:
    # column 2 then leaves 11 − 5 = 6 answers unaccounted (≥ 3), so All others stays.
    shown_hidden = [(np.array(peers), np.array([nan, nan])), shown[1]]
    assert not np.isnan(t3.hide_small_remainders(pooled, mean, shown_hidden, 3)[1])
    # Two unaccounted answers (1 < 2 < 3) are hidden as well.
    pooled2 = np.array([*manager, [3.0, nan], *peers, *reports])
    assert np.isnan(t3.hide_small_remainders(pooled2, t3.group_mean(pooled2, 4), shown, 3)[0])
