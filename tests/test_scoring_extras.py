"""KPIs, targets, norms, triggers and change: hand-worked values and exact error messages."""

from __future__ import annotations

import math
from pathlib import Path

import attrs
import numpy as np
import pytest

from implassess.errors import IncompatibleError, InputError
from implassess.formats.instrument import load_file
from implassess.formats.norms import parse_norms
from implassess.model import Condition, Trigger
from implassess.responses import from_values as make_response_set
from implassess.scoring import ScoreSettings, score, score_respondents
from implassess.scoring.change import compare_profiles, reliable_change
from implassess.scoring.kpis import evaluate_kpis
from implassess.scoring.profile import profile_to_dict
from implassess.scoring.targets import Target

FIX = Path(__file__).parent / "fixtures" / "scoring"
DEMO = load_file(FIX / "demo.toml")


def test_kpi_level_rag_distance_and_trend():
    """uptake (higher is better, thresholds 20/40/60/80, target 75): 30 → 65 → 62 by period.

    Latest 62 (2026-03): 62 ≥ 20, 40, 60 → level 4 → (4 − 1)/4·100 = 75; short of 75 and
    above the amber bound 40 → amber; distance 75 − 62 = 13; 65 → 62 is worsening.
    Periods are sorted, so the input order does not matter.
    """
    rows = [{"kpi": "uptake", "period": p, "value": v} for p, v in [("2026-03", 62), ("2026-01", 30), ("2026-02", 65)]]
    up = next(k for k in evaluate_kpis(DEMO, rows) if k.id == "uptake")
    assert (up.period, up.value, up.level, up.score_0_100, up.rag) == ("2026-03", 62, 4, 75.0, "amber")
    assert (up.distance_to_target, up.previous, up.change, up.trend) == (13, 65, -3, "worsening")
    assert up.history == (("2026-01", 30.0), ("2026-02", 65.0), ("2026-03", 62.0))


def test_kpi_lower_is_better_and_sites():
    """wait (lower is better, target 14): 12 days meets target (green, distance −2); a site value is kept apart."""
    rows = [
        {"kpi": "wait", "period": "2026-01", "value": 12},
        {"kpi": "wait", "period": "2026-01", "value": 35, "site": "North"},
    ]
    res = {(k.id, k.site): k for k in evaluate_kpis(DEMO, rows)}
    org, north = res[("wait", None)], res[("wait", "North")]
    assert (org.rag, org.distance_to_target, org.level) == ("green", -2, 4)
    assert (north.rag, north.level, north.trend) == ("red", 2, None)
    assert res[("uptake", None)].value is None  # declared KPI without values still listed


def test_kpi_errors_name_row_and_column():
    """Undeclared KPI, wrong unit and duplicate period are input errors with row and column."""
    with pytest.raises(InputError) as exc:
        evaluate_kpis(DEMO, [{"kpi": "uptak", "period": "2026-01", "value": 1}], "k.csv")
    assert str(exc.value) == (
        "k.csv, row 1, column 'kpi': Found KPI 'uptak', which instrument 'scoring-demo' "
        "does not declare; expected one of: 'uptake', 'wait'."
    )
    with pytest.raises(InputError, match=r"row 2, column 'unit': Found unit 'hours' for KPI 'wait'"):
        evaluate_kpis(
            DEMO,
            [
                {"kpi": "uptake", "period": "1", "value": 1, "unit": "percent"},
                {"kpi": "wait", "period": "1", "value": 1, "unit": "hours"},
            ],
            "k.csv",
        )
    with pytest.raises(InputError, match=r"row 2, column 'period': KPI 'wait' has two values for period '1'"):
        evaluate_kpis(DEMO, [{"kpi": "wait", "period": "1", "value": 1}, {"kpi": "wait", "period": "1", "value": 2}])


def _scored(rows, **kw):
    return score(make_response_set(DEMO, rows), ScoreSettings(), **kw)


def test_gap_priority_and_facet_targets():
    """Five respondents at planning 3 (score 50): gap 70 − 50 = 20, priority 20 × 3 = 60; facet goals 40 − 50 = −10."""
    res = _scored([[3, 3, 3, 3, 3]] * 5, targets=[Target("planning", 70, 3), Target("goals", 40)])
    org = res.profile.organisation
    p = org.dimensions[0]
    assert (p.score_0_100, p.gap, p.priority) == (50.0, 20.0, 60.0)
    goals = next(f for f in org.facets if f.id == "goals")
    assert (goals.gap, goals.priority) == (-10.0, -10.0)


def test_norms_z_and_percentiles():
    """Norm mean 40, SD 20: score 50 → z 0.5. With a table {25: 30, 50: 45, 75: 55}: 50 lies
    half-way from 45 to 55 → percentile 62.5. Without a table: 100·Φ(0.5) = 69.146."""
    table = parse_norms(
        {
            "name": "N",
            "instrument": "scoring-demo",
            "dimensions": [
                {"id": "planning", "mean": 40, "sd": 20, "n": 30, "percentiles": {"25": 30, "50": 45, "75": 55}},
                {"id": "learning", "mean": 40, "sd": 20, "n": 30},
            ],
        },
        "n.toml",
    )
    org = _scored([[3, 3, 3, 3, 3]] * 5, norms=table).profile.organisation
    p, lrn = org.dimensions[0], org.dimensions[1]
    assert (p.norm_z, p.norm_percentile, p.norm_basis) == (0.5, 62.5, "interpolated")
    assert lrn.norm_percentile == pytest.approx(69.146246, abs=1e-6) and lrn.norm_basis == "normal"


def test_norms_of_another_instrument_are_refused():
    """A norm set of another instrument version is an IncompatibleError naming both."""
    other = parse_norms(
        {
            "name": "N",
            "instrument": "scoring-demo",
            "instrument-version": "9.0",
            "dimensions": [{"id": "planning", "mean": 1, "sd": 1, "n": 2}],
        },
        "n.toml",
    )
    with pytest.raises(IncompatibleError, match=r"version 9\.0; the responses are on 'scoring-demo' version 1\.0\.0"):
        _scored([[3, 3, 3, 3, 3]] * 5, norms=other)


def test_triggers_rank_by_priority_then_gap_then_order():
    """Two medium triggers fire: learning (gap 30) ranks before planning (gap 20) though declared
    later; the high-priority KPI trigger comes first; the level trigger (planning level 3 ≤ 2) does not fire."""
    res = _scored(
        [[3, 3, 3, 3, 3]] * 5,
        kpi_values=[{"kpi": "uptake", "period": "1", "value": 10}],
        targets=[Target("planning", 70), Target("learning", 80)],
    )
    acts = res.profile.actions
    assert [(a.rank, a.trigger, a.observed) for a in acts] == [
        (1, "uptake-red", "red"),
        (2, "learning-gap", 30.0),
        (3, "planning-gap", 20.0),
    ]
    assert acts[0].title == "Remove the uptake blocker" and acts[0].horizon == "90 days"


def test_trigger_on_suppressed_dimension_never_fires():
    """With four respondents the organisation is suppressed: no statistic, so no trigger fires."""
    t = Trigger("any", Condition("score", ">=", 0, dimension="planning"), "write-promise")
    inst = attrs.evolve(DEMO, triggers=(t,))
    res = score(make_response_set(inst, [[3, 3, 3, 3, 3]] * 4))
    assert res.profile.actions == ()


def test_group_change_welch_from_profiles():
    """Baseline planning all 2 and 4 (mean 3, SD 1.0351), follow-up all 4 and 5: Welch diff per
    hand-computable group stats; CI on 0–100 is the raw CI × 100/(5 − 1)."""
    a = profile_to_dict(_scored([[2, 2, 4, 3, 3]] * 4 + [[4, 4, 2, 3, 3]] * 4).profile)
    b = profile_to_dict(_scored([[4, 4, 2, 3, 3]] * 4 + [[5, 5, 1, 3, 3]] * 4).profile)
    ch = next(c for c in compare_profiles(a, b) if c.group == "organisation" and c.unit == "planning")
    # baseline: 2 ×4, 4 ×4 → mean 3, SD √(8/7); follow-up: 4 ×4, 5 ×4 → mean 4.5, SD √(2/7)
    se = math.sqrt(8 / 7 / 8 + 2 / 7 / 8)
    df = se**4 / ((8 / 7 / 8) ** 2 / 7 + (2 / 7 / 8) ** 2 / 7)
    from scipy.stats import t

    assert (ch.diff, ch.df) == pytest.approx((1.5, df))
    assert ch.ci_low == pytest.approx(1.5 - t.ppf(0.975, df) * se)
    assert ch.score_ci_high == pytest.approx((1.5 + t.ppf(0.975, df) * se) * 25)


def test_change_refuses_other_versions():
    """Waves on different instrument versions are not compared."""
    a = profile_to_dict(_scored([[3, 3, 3, 3, 3]] * 5).profile)
    b = {**a, "instrument": {**a["instrument"], "version": "1.1.0"}}
    with pytest.raises(IncompatibleError) as exc:
        compare_profiles(a, b)
    assert str(exc.value) == (
        "Cannot compare waves: the baseline is instrument 'scoring-demo' version 1.0.0, the follow-up is "
        "'scoring-demo' version 1.1.0. Waves are compared only on the same instrument id and version."
    )


def test_reliable_change_index_per_participant():
    """RCI (Jacobson & Truax 1991) on learning (l1, l2) with SD and α from the baseline.

    Baseline learning means 1, 2, 3, 4, 5 with l1 = l2 → α = 1 → SEdiff = 0: RCI undefined (None).
    With l2 = l1 + noise the baseline α < 1 and a +2 change is reliable when |RCI| > 1.96.
    """
    base_rows = [[3, 3, 3, v, v] for v in (1, 2, 3, 4, 5)]
    after_rows = [[3, 3, 3, min(v + 2, 5), min(v + 2, 5)] for v in (1, 2, 3, 4, 5)]
    before = score_respondents(make_response_set(DEMO, base_rows))
    after = score_respondents(make_response_set(DEMO, after_rows))
    got = [c for c in reliable_change(before, after) if c.unit == "learning"]
    assert [c.rci for c in got] == [None] * 5
    noisy = [[3, 3, 3, v, w] for v, w in [(1, 2), (2, 2), (3, 4), (4, 3), (5, 5)]]
    before = score_respondents(make_response_set(DEMO, noisy))
    after = score_respondents(make_response_set(DEMO, [[3, 3, 3, 4, 4], *noisy[1:]]))
    x = before.recoded(columns=[3, 4])
    from implassess.scoring.stats import cronbach_alpha

    alpha = float(cronbach_alpha(x).alpha[0])
    sd = float(np.std(x.mean(axis=1), ddof=1))
    first = next(c for c in reliable_change(before, after) if c.unit == "learning" and c.participant == "r1")
    assert first.rci == pytest.approx((4 - 1.5) / (sd * math.sqrt(2) * math.sqrt(1 - alpha)))
    assert first.reliable is (abs(first.rci) > 1.96) and first.direction in ("improved", "no reliable change")
