"""Two single-column breakdowns must not reveal a combination nobody asked for.

The reviewer's case: site A has 5 nurses and 1 doctor, site B 8 administrators and 1
nurse. Publishing site B (9) and role administrator (8) would give the one site-B nurse's
answers by subtraction. The check below is independent of the engine: it asks numpy
whether any combination under the minimum lies in the span of the published groups.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from implassess.formats.instrument import load_file
from implassess.responses import from_values
from implassess.scoring import ScoreSettings, score

MIN = 5


def _leaks(sites: list[str], roles: list[str], profile) -> list[tuple[str, str]]:
    atoms = sorted(set(zip(sites, roles, strict=True)))
    size = {a: sum(1 for x in zip(sites, roles, strict=True) if x == a) for a in atoms}
    vectors = [np.ones(len(atoms))]  # the organisation total is always published
    for b in profile.breakdowns:
        (col,) = b.by
        for g in b.groups:
            if g.suppressed:
                continue
            value = g.key[col]
            vectors.append(np.array([1.0 if (a[0] if col == "site" else a[1]) == value else 0.0 for a in atoms]))
    published = np.vstack(vectors)
    leaks = []
    for i, a in enumerate(atoms):
        if size[a] >= MIN:
            continue
        unit = np.zeros(len(atoms))
        unit[i] = 1
        coef = np.linalg.lstsq(published.T, unit, rcond=None)[0]
        if np.allclose(published.T @ coef, unit, atol=1e-7):
            leaks.append(a)
    return leaks


def _profile(minimal_path: Path, sites: list[str], roles: list[str]):
    inst = load_file(minimal_path)
    values = [[3, 3, 3, 3, 3]] * len(sites)
    rs = from_values(inst, values, attributes={"site": sites, "role": roles})
    return score(rs, ScoreSettings(by=ScoreSettings.parse_by(["site", "role"]), min_group_size=MIN)).profile


def test_the_reviewers_case_is_protected(minimal_path: Path) -> None:
    sites = ["A"] * 6 + ["B"] * 9
    roles = ["nurse"] * 5 + ["doctor"] + ["admin"] * 8 + ["nurse"]
    profile = _profile(minimal_path, sites, roles)
    assert _leaks(sites, roles, profile) == []


MINIMAL = Path(__file__).parent / "fixtures" / "instruments" / "minimal.toml"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("ABC"), st.sampled_from(["nurse", "doctor", "admin"])), min_size=5, max_size=40)
)
def test_no_small_combination_is_derivable(people: list[tuple[str, str]]) -> None:
    sites, roles = [p[0] for p in people], [p[1] for p in people]
    profile = _profile(MINIMAL, sites, roles)
    assert _leaks(sites, roles, profile) == []


def test_helper_detects_the_leak_it_guards_against() -> None:
    """The independent checker itself must flag the unprotected publication."""

    class G:
        def __init__(self, key, suppressed=False):
            self.key, self.suppressed = key, suppressed

    class B:
        def __init__(self, by, groups):
            self.by, self.groups = by, groups

    class P:
        breakdowns = (
            B(("site",), [G({"site": "A"}, True), G({"site": "B"})]),
            B(("role",), [G({"role": "admin"}), G({"role": "doctor"}, True), G({"role": "nurse"}, True)]),
        )

    sites = ["A"] * 6 + ["B"] * 9
    roles = ["nurse"] * 5 + ["doctor"] + ["admin"] * 8 + ["nurse"]
    assert ("B", "nurse") in _leaks(sites, roles, P())
