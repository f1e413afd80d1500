"""Group statistics worked by hand, and the anonymity rules (including by subtraction)."""

from __future__ import annotations

import csv
import io
import math
import os
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from implassess.errors import InputError
from implassess.formats.instrument import load_file
from implassess.outputs.profile import groups_csv
from implassess.responses import from_values as make_response_set
from implassess.scoring import MISSING, ScoreSettings, aggregate, profile_to_dict, score, score_respondents

FIXTURE = Path(__file__).parent / "fixtures" / "instruments" / "minimal.toml"
INST = load_file(FIXTURE)


def uniform_rows(levels: list[float]) -> list[list[float]]:
    """One row per value v: p1 = p2 = v, p3 = 6 − v (reversed → v), l1 = l2 = v."""
    return [[v, v, 6 - v, v, v] for v in levels]


def test_organisation_statistics_by_hand():
    """Five respondents with planning 1, 2, 3, 4, 5 (every item equal to v once recoded).

    n = 5, mean 3, SD √2.5; t(0.975, 4) = 2.776445 → CI 3 ± 2.776445·√2.5/√5 = 3 ± 1.963243.
    Median 3, 0–100 score 50 → level 3; levels 1…5 once each → 20% each.
    Items identical within respondents: α = 3/2·(1 − 3·2.5/22.5) = 1, item–total r = 1.
    Each item's variance 2.5 exceeds σ²EU = 2 → rwg(j) = 0 → flag low-agreement; n < 10 → insufficient-n.
    """
    s = score_respondents(make_response_set(INST, uniform_rows([1, 2, 3, 4, 5])))
    org, _, _ = aggregate(s, ScoreSettings())
    p = org.dimensions[0]
    assert (p.id, p.n, p.mean, p.median, p.score_0_100, p.level) == ("planning", 5, 3.0, 3.0, 50.0, 3)
    assert p.sd == pytest.approx(math.sqrt(2.5))
    assert p.ci_low == pytest.approx(3 - 1.963243, abs=1e-6) and p.ci_high == pytest.approx(3 + 1.963243, abs=1e-6)
    assert p.score_ci_low == pytest.approx(50 - 1.963243 * 25, abs=1e-4)
    assert [ls.percent for ls in p.level_distribution] == [20.0] * 5
    assert p.alpha == pytest.approx(1.0) and p.alpha_n == 5
    assert p.item_total == pytest.approx({"p1": 1.0, "p2": 1.0, "p3": 1.0})
    assert p.rwg_j == 0.0
    assert p.flags == ("low-agreement", "insufficient-n")
    # overall = (2·planning + learning)/3 = 50 → level 3
    assert org.overall.score_0_100 == 50.0 and org.overall.level == 3


def test_item_distribution_counts_answers_as_given():
    """p3 is reversed, but its distribution counts the raw answers: 5, 4, 3, 2, 1 once each plus one blank."""
    rows = [*uniform_rows([1, 2, 3, 4, 5]), [3, 3, None, 3, 3]]
    s = score_respondents(make_response_set(INST, rows))
    org, _, _ = aggregate(s, ScoreSettings())
    p3 = next(i for i in org.items if i.id == "p3")
    assert [c.count for c in p3.distribution] == [1, 1, 1, 1, 1]
    assert next(c.label for c in p3.distribution) == "Strongly disagree"
    assert p3.missing == 1 and p3.n == 5 and p3.reverse
    assert p3.mean == 3.0  # recoded values 1…5


def test_icc_across_groups_by_hand():
    """ICC on learning (l1 = l2 = v) for groups {1,2,3}, {4,5}, {2,3,4,3} with minimum size 2.

    N = 9, grand mean 3; SSB = 3·1 + 2·2.25 + 0 = 7.5 → MSB = 3.75; SSW = 2 + 0.5 + 2 → MSW = 0.75.
    k = N/J = 3: ICC(1) = (3.75 − 0.75)/(3.75 + 2·0.75) = 4/7; ICC(2) = 3/3.75 = 0.8 (Bliese 2000).
    """
    values = [1, 2, 3, 4, 5, 2, 3, 4, 3]
    teams = ["a"] * 3 + ["b"] * 2 + ["c"] * 4
    s = score_respondents(make_response_set(INST, uniform_rows(values), attributes={"team": teams}))
    _, (b,), _ = aggregate(s, ScoreSettings(by=(("team",),), min_group_size=2, accept_small_groups=True))
    icc = next(i for i in b.icc if i.dimension == "learning")
    assert (icc.msb, icc.msw, icc.k, icc.groups) == pytest.approx((3.75, 0.75, 3.0, 3))
    assert icc.icc1 == pytest.approx(4 / 7) and icc.icc2 == pytest.approx(0.8)


def _profile(values, attributes, by, min_size=5):
    rs = make_response_set(
        INST, uniform_rows(values) if values and not isinstance(values[0], list) else values, attributes=attributes
    )
    result = score(rs, ScoreSettings(by=ScoreSettings.parse_by(by), min_group_size=min_size))
    doc = profile_to_dict(result.profile)
    doc["_csv"] = groups_csv(result.profile)
    return doc


def test_small_group_is_suppressed_with_a_complementary_group():
    """Sites A (6), B (7), C (2): C is under 5; with the total, C = total − A − B, so the
    next-smallest group (A) is suppressed too. Suppressed groups show no statistic, not even n."""
    sites = ["A"] * 6 + ["B"] * 7 + ["C"] * 2
    d = _profile([3] * 15, {"site": sites}, ["site"])
    groups = {g["label"]: g for g in d["breakdowns"][0]["groups"]}
    assert groups["site=C"] == {"key": {"site": "C"}, "label": "site=C", "suppressed": True}
    assert groups["site=A"] == {"key": {"site": "A"}, "label": "site=A", "suppressed": True}
    assert groups["site=B"]["n"] == 7 and groups["site=B"]["suppressed"] is False
    csv_rows = list(csv.DictReader(io.StringIO(d["_csv"])))
    assert [r for r in csv_rows if r["group"] == "site=C"] == [
        {**{k: "" for k in csv_rows[0]}, "breakdown": "site", "group": "site=C", "suppressed": "true"}
    ]


def test_small_missing_group_is_left_out_but_protected():
    """Two respondents without a site form no group, but total − A − B would reveal them:
    the smallest shown group (A, 6) is suppressed to protect them."""
    sites = ["A"] * 6 + ["B"] * 7 + [None, None]
    d = _profile([3] * 15, {"site": sites}, ["site"])
    groups = {g["label"]: g for g in d["breakdowns"][0]["groups"]}
    assert f"site={MISSING}" not in groups
    assert groups["site=A"]["suppressed"] is True and groups["site=B"]["n"] == 7


def test_missing_group_at_minimum_is_shown():
    """Five respondents without a site reach the minimum: they appear as "(missing)"."""
    sites = ["A"] * 6 + ["B"] * 7 + [None] * 5
    d = _profile([3] * 18, {"site": sites}, ["site"])
    labels = [g["label"] for g in d["breakdowns"][0]["groups"] if not g["suppressed"]]
    assert f"site={MISSING}" in labels


def test_organisation_under_minimum_shows_nothing():
    """Four respondents in all: the organisation itself is suppressed."""
    d = _profile([1, 2, 3, 4], {}, [])
    assert d["organisation"] == {"key": {}, "label": "organisation", "suppressed": True}


def test_dimension_with_few_answers_is_suppressed_in_a_shown_group():
    """Site A has 6 respondents but only 3 answered learning: learning is suppressed there,
    and (by the same rule per measure) in B as well, while planning stays visible."""
    rows = [[3, 3, 3, 3, 3]] * 3 + [[3, 3, 3, None, None]] * 3 + [[4, 4, 2, 4, 4]] * 7
    sites = ["A"] * 6 + ["B"] * 7
    d = _profile(rows, {"site": sites}, ["site"])
    a, b = d["breakdowns"][0]["groups"]
    assert a["n"] == 6
    learning_a = next(x for x in a["dimensions"] if x["id"] == "learning")
    assert learning_a == {"id": "learning", "kind": "dimension", "dimension": None, "suppressed": True}
    assert next(x for x in b["dimensions"] if x["id"] == "learning")["suppressed"] is True
    assert next(x for x in a["dimensions"] if x["id"] == "planning")["n"] == 6
    assert a["overall"]["suppressed"] is True


def test_unknown_breakdown_column_is_an_input_error():
    """Breaking down by a column the responses lack names it and lists the known ones."""
    s = score_respondents(make_response_set(INST, uniform_rows([1, 2]), attributes={"site": ["A", "B"]}))
    with pytest.raises(InputError, match=r"no attribute column 'role'.*have: 'site'"):
        aggregate(s, ScoreSettings(by=(("role",),)))


# -- the anonymity invariant, by hypothesis -----------------------------------------


def _in_span(rows: np.ndarray, v: np.ndarray) -> bool:
    if not rows.size:
        return False
    coef, *_ = np.linalg.lstsq(rows.T, v, rcond=None)
    return bool(np.linalg.norm(rows.T @ coef - v) < 1e-6)


def _check_no_leak(doc, attributes, by, present, min_size, unit=None):
    """Every published count is ≥ min; no group under the minimum (or small remainder) is derivable.

    ``present`` marks the respondents counted by the measure (all, or those scored on ``unit``).
    """
    n = len(present)
    cols = sorted({c for b in by for c in b})
    value = {c: [MISSING if v is None else v for v in attributes[c]] for c in cols}
    atoms = sorted({tuple(value[c][i] for c in cols) for i in range(n)})
    atom_of = [atoms.index(tuple(value[c][i] for c in cols)) for i in range(n)]
    atom_n = np.bincount([atom_of[i] for i in range(n) if present[i]], minlength=len(atoms)).astype(float)

    def indicator(b, key):
        return np.array([float(all(a[cols.index(c)] == key[c] for c in b)) for a in atoms]) * (atom_n > 0)

    def visible(g):
        if g["suppressed"]:
            return False
        if unit is None:
            return True
        return not next(x for x in g["dimensions"] if x["id"] == unit)["suppressed"]

    org = doc["organisation"]
    if not visible(org):
        return
    published = [np.ones(len(atoms)) * (atom_n > 0)]
    hidden = []
    for b, bd in zip(by, doc["breakdowns"], strict=False):
        shown = {tuple(g["key"][c] for c in b) for g in bd["groups"]}
        for g in bd["groups"]:
            ind = indicator(b, g["key"])
            if visible(g):
                stat = g if unit is None else next(x for x in g["dimensions"] if x["id"] == unit)
                assert stat["n"] >= min_size
                published.append(ind)
            else:
                hidden.append((b, g["key"], ind))
        for key in {tuple(a[cols.index(c)] for c in b) for a in atoms} - shown:
            hidden.append((b, dict(zip(b, key, strict=False)), indicator(b, dict(zip(b, key, strict=False)))))
    rows = np.array(published)
    for b, key, ind in hidden:
        if 0 < ind @ atom_n < min_size:
            assert not _in_span(rows, ind), f"hidden group {key} of {b} is derivable"
    for b in by:
        for size in range(len(b)):
            for fixed in combinations(b, size):
                for fk in {tuple(a[cols.index(c)] for c in fixed) for a in atoms}:
                    members = [
                        h for h in hidden if h[0] == b and all(h[1][c] == v for c, v in zip(fixed, fk, strict=True))
                    ]
                    rem = sum(float(h[2] @ atom_n) for h in members)
                    if 0 < rem < min_size:
                        total = indicator(fixed, dict(zip(fixed, fk, strict=False))) if fixed else published[0]
                        assert not _in_span(rows, total), f"remainder {rem} of {b} at {fk} is derivable"


site_values = st.sampled_from(["A", "B", "C", "D", None])
role_values = st.sampled_from(["x", "y", "z"])


@settings(
    max_examples=int(os.environ.get("IMPLASSESS_PRIVACY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(st.tuples(site_values, role_values, st.integers(1, 5), st.booleans()), min_size=1, max_size=40),
    st.integers(2, 6),
)
def test_no_group_under_minimum_reaches_outputs(people, min_size):
    """Hypothesis: for breakdowns site, role and site×role, no group under the minimum
    appears with a statistic, and none can be recovered by subtracting published groups
    (n and sums are linear, so the atom-indicator span test covers means as well);
    the same for learning, which some respondents leave unanswered. The CSV matches."""
    attributes = {"site": [p[0] for p in people], "role": [p[1] for p in people]}
    rows = [[p[2], p[2], 6 - p[2], p[2] if p[3] else None, None] for p in people]
    by = [("site",), ("role",), ("site", "role")]
    rs = make_response_set(INST, rows, attributes=attributes)
    result = score(rs, ScoreSettings(by=tuple(by), min_group_size=min_size, accept_small_groups=True))
    doc = profile_to_dict(result.profile)
    _check_no_leak(doc, attributes, by, [True] * len(people), min_size)
    _check_no_leak(doc, attributes, by, [p[3] for p in people], min_size, unit="learning")
    for row in csv.DictReader(io.StringIO(groups_csv(result.profile))):
        if row["suppressed"] == "true":
            assert {k: v for k, v in row.items() if v} == {
                k: row[k] for k in ("breakdown", "group", "unit", "kind", "suppressed") if row[k]
            }
        elif row["n"] and row["unit"] != "overall":
            assert int(row["n"]) >= min_size
