"""Per-respondent scoring on the minimal fixture, worked by hand."""

from __future__ import annotations

import math
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from implassess.contracts import ScoringRule
from implassess.errors import ImplassessError, InputError
from implassess.formats.instrument import load_file
from implassess.model import Option, Scale, Scoring
from implassess.responses import from_values as make_response_set
from implassess.scoring.engine import level_for, levels_for, score_respondents

FIXTURE = Path(__file__).parent / "fixtures" / "instruments" / "minimal.toml"
N = None


@pytest.fixture(scope="module")
def minimal():
    return load_file(FIXTURE)


# Items in file order: p1 (goals), p2 (resourcing), p3 (resourcing, reversed), l1, l2.
ROWS = [
    [5, 4, 2, 3, N],  # A
    [N, N, 1, N, N],  # B
    [1, 1, 5, 1, 1],  # C
]


def test_respondent_scores_by_hand(minimal):
    """Respondent A, worked by hand (scale 1–5, bands of 20, min-answered 50%).

    p3 reversed: 1 + 5 − 2 = 4. planning = (5 + 4 + 4)/3 = 13/3 → POMP 100·(13/3 − 1)/4 = 83.33 → level 5.
    goals = 5 → 100; resourcing = (4 + 4)/2 = 4 → 75 → level 4.
    learning: 1 of 2 answered (50% suffices) → 3 → 50 → level 3.
    overall = (2·83.33 + 1·50)/3 = 72.22 → level 4 (planning has weight 2).
    """
    s = score_respondents(make_response_set(minimal, ROWS))
    assert [u.id for u in s.units] == ["planning", "learning", "goals", "resourcing"]
    np.testing.assert_allclose(s.raw[0], [13 / 3, 3, 5, 4])
    np.testing.assert_allclose(s.pomp[0], [250 / 3, 50, 100, 75])
    assert s.level[0].tolist() == [5, 3, 5, 4]
    assert s.overall[0] == pytest.approx((2 * 250 / 3 + 50) / 3)
    assert s.overall_level[0] == 4
    # C: every item at the bottom once p3 is reversed: 0 everywhere, level 1.
    np.testing.assert_allclose(s.pomp[2], [0, 0, 0, 0])
    assert s.overall_level[2] == 1


def test_missing_data_rule_keeps_reason(minimal):
    """Respondent B answered only p3: 1 of 3 planning items < 50% → no score, reason kept."""
    s = score_respondents(make_response_set(minimal, ROWS))
    assert math.isnan(s.raw[1, 0]) and s.level[1, 0] == 0
    assert s.reason(1, 0) == "answered 1 of 3 items, needs 50% (2 items)"
    assert s.reason(1, 1) == "answered 0 of 2 items, needs 50% (1 item)"
    assert s.reason(0, 0) is None
    assert math.isnan(s.overall[1]) and s.overall_level[1] == 0
    assert s.overall_reason(1) == "no score on planning, learning"


def test_dimension_min_answered_overrides_instrument(minimal):
    """learning with min-answered 1.0 needs both items: A (1 of 2) is no longer scored."""
    dims = tuple(attrs.evolve(d, min_answered=1.0) if d.id == "learning" else d for d in minimal.dimensions)
    s = score_respondents(make_response_set(attrs.evolve(minimal, dimensions=dims), ROWS))
    assert math.isnan(s.raw[0, 1])
    assert s.reason(0, 1) == "answered 1 of 2 items, needs 100% (2 items)"


def test_item_weights(minimal):
    """p1 weight 2: planning = (2·5 + 4 + 4)/(2 + 1 + 1) = 4.5 → POMP 87.5."""
    items = tuple(attrs.evolve(i, weight=2.0) if i.id == "p1" else i for i in minimal.items)
    s = score_respondents(make_response_set(attrs.evolve(minimal, items=items), ROWS))
    assert s.raw[0, 0] == 4.5 and s.pomp[0, 0] == 87.5


def test_sum_method_prorates_and_keeps_pomp(minimal):
    """method = sum: planning = mean × 3 items = 13 on a 3–15 range; POMP is unchanged (83.33)."""
    inst = attrs.evolve(minimal, scoring=Scoring(min_answered=0.5, method="sum"))
    s = score_respondents(make_response_set(inst, ROWS))
    assert s.raw[0, 0] == pytest.approx(13.0)
    assert (s.units[0].low, s.units[0].high) == (3.0, 15.0)
    assert s.pomp[0, 0] == pytest.approx(250 / 3)


def test_mixed_ranges_put_items_on_0_100(minimal):
    """l2 on a 0–10 scale next to l1 on 1–5: both go to 0–100 first. l1 = 3 → 50, l2 = 9 → 90 → 70."""
    scale10 = Scale("ten", tuple(Option(str(v), float(v)) for v in range(11)))
    items = tuple(attrs.evolve(i, scale="ten") if i.id == "l2" else i for i in minimal.items)
    inst = attrs.evolve(minimal, items=items, scales=(*minimal.scales, scale10))
    s = score_respondents(make_response_set(inst, [[5, 4, 2, 3, 9]]))
    assert (s.units[1].low, s.units[1].high) == (0.0, 100.0)
    assert s.raw[0, 1] == pytest.approx(70.0) and s.pomp[0, 1] == pytest.approx(70.0)


def test_gating_overall_level(minimal):
    """Gating: the overall level is the highest level every dimension reaches: min(5, 3) = 3 for A."""
    inst = attrs.evolve(minimal, maturity=attrs.evolve(minimal.maturity, rule="gating"))
    s = score_respondents(make_response_set(inst, ROWS))
    assert s.overall_level[0] == 3


def test_out_of_range_value_names_row_and_column(minimal):
    """A 7 on a 1–5 scale is an input error naming the source row and item column."""
    with pytest.raises(InputError) as exc:
        score_respondents(make_response_set(minimal, [[5, 4, 2, 3, 1], [7, 4, 2, 3, 1]], source="x.csv"))
    assert str(exc.value) == (
        "x.csv, row 3, column 'p1': Found 7 for item 'p1' of respondent 'r2'; "
        "expected a value from 1 to 5 (the scale's declared range) or a blank."
    )


def test_band_edges_with_tolerance(minimal):
    """19.999999999999996 (20 after float error) is level 2, like 20; 100 is the top level."""
    m = minimal.maturity
    got = levels_for(m, np.array([0.0, 19.999999999999996, 20.0, 39.9, 80.0, 100.0, np.nan]))
    assert got.tolist() == [1, 2, 2, 2, 5, 5, 0]
    assert [m.level_for(v) for v in (0.0, 20.0, 39.9, 80.0, 100.0)] == [1, 2, 2, 5, 5]
    assert level_for(m, math.nan) is None


answers = st.one_of(st.none(), st.integers(1, 5))
rows_strategy = st.lists(st.lists(answers, min_size=5, max_size=5), min_size=1, max_size=25)


@settings(max_examples=80, deadline=None)
@given(rows_strategy)
def test_scores_stay_in_range_and_levels_match_bands(minimal_rows):
    """Every score lies in 0–100, every level is the band holding the score (model.level_for)."""
    inst = load_file(FIXTURE)
    s = score_respondents(make_response_set(inst, minimal_rows))
    ok = ~np.isnan(s.pomp)
    assert ((s.pomp[ok] >= -1e-9) & (s.pomp[ok] <= 100 + 1e-9)).all()
    for r, u in zip(*np.nonzero(ok), strict=False):
        assert s.level[r, u] == inst.maturity.level_for(round(s.pomp[r, u], 9))
    assert (s.level[~ok] == 0).all()


@settings(max_examples=60, deadline=None)
@given(rows_strategy)
def test_reverse_keying_is_symmetric(minimal_rows):
    """Reversing p3 and answering 6 − x gives the same scores: x' = min + max − x is an involution."""
    inst = load_file(FIXTURE)
    flipped_items = tuple(attrs.evolve(i, reverse=not i.reverse) if i.id == "p3" else i for i in inst.items)
    flipped = attrs.evolve(inst, items=flipped_items)
    rows2 = [[*r[:2], None if r[2] is None else 6 - r[2], *r[3:]] for r in minimal_rows]
    a = score_respondents(make_response_set(inst, minimal_rows))
    b = score_respondents(make_response_set(flipped, rows2))
    np.testing.assert_array_equal(a.raw, b.raw)


@settings(max_examples=60, deadline=None)
@given(rows_strategy, st.randoms(use_true_random=False))
def test_permuting_respondents_permutes_scores(minimal_rows, rnd):
    """Scores belong to respondents: permuting the rows permutes the scores and nothing else."""
    inst = load_file(FIXTURE)
    order = list(range(len(minimal_rows)))
    rnd.shuffle(order)
    a = score_respondents(make_response_set(inst, minimal_rows))
    b = score_respondents(make_response_set(inst, [minimal_rows[i] for i in order]))
    np.testing.assert_allclose(a.pomp[order], b.pomp, rtol=1e-12)
    np.testing.assert_array_equal(a.level[order], b.level)


def test_scoring_never_changes_the_input(minimal):
    """Recoding happens on copies: the raw answers (p3 = 2 for A) are intact after scoring and aggregation."""
    from implassess.scoring import aggregate

    rs = make_response_set(minimal, ROWS)
    before = rs.values.copy()
    s = score_respondents(rs)
    aggregate(s)
    assert s.recoded(columns=[2])[0, 0] == 4.0
    np.testing.assert_array_equal(rs.values, before)


# -- a Python scoring rule, passed in by the caller ------------------------------------------


def _fixed_rule(seen: list[np.ndarray]) -> ScoringRule:
    """Planning 10, learning 90 for everyone; keeps the array it was given."""

    def score(inst, values):
        seen.append(values.copy())
        return np.tile([10.0, 90.0], (len(values), 1))

    return ScoringRule(name="fixed", description="Planning 10, learning 90.", score=score)


def test_a_rule_passed_in_replaces_the_dimension_scores(minimal):
    """The rule's 0–100 scores stand in for raw and POMP of the dimensions; facets keep the mean.

    Levels from the bands of 20: 10 → 1, 90 → 5. Overall = (2·10 + 1·90)/3 = 36.67 → level 2.
    The rule sees the recoded answers: p3 of respondent A (2, reverse-keyed on 1–5) as 4.
    """
    seen: list[np.ndarray] = []
    inst = attrs.evolve(minimal, scoring=attrs.evolve(minimal.scoring, rule="fixed"))
    s = score_respondents(make_response_set(inst, ROWS), _fixed_rule(seen))
    np.testing.assert_allclose(s.pomp[:, :2], [[10, 90]] * 3)
    np.testing.assert_allclose(s.raw[:, :2], [[10, 90]] * 3)
    assert s.level[:, :2].tolist() == [[1, 5]] * 3
    np.testing.assert_allclose(s.pomp[0, 2:], [100, 75])  # goals and resourcing facets, as without the rule
    np.testing.assert_allclose(s.overall, [110 / 3] * 3)
    assert s.overall_level.tolist() == [2, 2, 2]
    (values,) = seen
    assert values[0].tolist()[:4] == [5, 4, 4, 3] and math.isnan(values[0, 4])


def test_an_instrument_naming_a_rule_is_not_scored_without_it(minimal):
    """Scoring with the mean when the instrument names a rule would give wrong scores silently."""
    inst = attrs.evolve(minimal, scoring=attrs.evolve(minimal.scoring, rule="fixed"))
    with pytest.raises(ImplassessError) as caught:
        score_respondents(make_response_set(inst, ROWS))
    assert str(caught.value) == (
        f"{FIXTURE}: instrument 'minimal' names scoring rule 'fixed' ([scoring] rule), but none was passed to the "
        "engine; resolve it with implassess.plugins.scoring_rule_for(instrument) and pass it as rule=."
    )


def test_a_rule_the_instrument_does_not_name_is_refused(minimal):
    with pytest.raises(ImplassessError) as caught:
        score_respondents(make_response_set(minimal, ROWS), _fixed_rule([]))
    assert str(caught.value) == (
        f"{FIXTURE}: scoring rule 'fixed' was passed to the engine, but instrument 'minimal' names no scoring rule; "
        "pass rule=None to score with the weighted mean."
    )
    other = attrs.evolve(minimal, scoring=attrs.evolve(minimal.scoring, rule="gating"))
    with pytest.raises(ImplassessError) as caught:
        score_respondents(make_response_set(other, ROWS), _fixed_rule([]))
    assert str(caught.value) == (
        f"{FIXTURE}: scoring rule 'fixed' was passed to the engine, but instrument 'minimal' names 'gating' "
        "([scoring] rule)."
    )


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (lambda n: np.zeros((n, 3)), r"returned an array of shape \(3, 3\); expected respondents × dimensions = 3 × 2"),
        (lambda n: np.zeros(n), r"returned an array of shape \(3,\); expected respondents × dimensions = 3 × 2"),
        (lambda n: [["a", "b"]] * n, "returned something that is not an array of numbers"),
    ],
)
def test_a_rule_returning_the_wrong_shape_is_named(minimal, result, message):
    inst = attrs.evolve(minimal, scoring=attrs.evolve(minimal.scoring, rule="fixed"))
    rule = ScoringRule(name="fixed", description="Wrong shape.", score=lambda i, v: result(len(v)))
    with pytest.raises(ImplassessError, match=r"Scoring rule 'fixed' " + message):
        score_respondents(make_response_set(inst, ROWS), rule)
