"""The first-party plugin ``implassess-practice-checklist``: its instrument, its conformance
cases and its ``practice-gating`` scoring rule.

The plugin is imported from its source folder (``plugins/implassess-practice-checklist/src``)
and registered with :func:`implassess.plugins.register_plugin` under its entry-point name,
as pip-installing the distribution would register it. The rule's arithmetic is checked on
a matrix worked out by hand, and, with hypothesis, against a plain loop written straight
from the definition in the plugin's README.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from implassess import plugins
from implassess.cli import cli
from implassess.errors import ImplassessError, InstrumentError
from implassess.formats.instrument import load_file
from implassess.formats.validate import validate_paths
from implassess.jobs.conformance import conformance_path, load_conformance, verify
from implassess.model import (
    Dimension,
    Facet,
    Instrument,
    Item,
    Level,
    MaturityModel,
    Option,
    Scale,
    Scoring,
)
from implassess.responses import ResponseSet
from implassess.scoring.engine import levels_for, score_respondents
from tests.conftest import REPO

DIST = REPO / "plugins" / "implassess-practice-checklist"
SRC = DIST / "src"
PACKAGE = SRC / "implassess_practice_checklist"
INSTRUMENT = PACKAGE / "implementation-practices.toml"
PLUGIN_NAME = "practice-checklist"
DIMENSIONS = ["outcome-commitments", "decision-governance", "workflow-integration", "capacity-governance"]
NAN = math.nan


@pytest.fixture(scope="module")
def package() -> Iterator[ModuleType]:
    """The plugin package imported from its source folder (not from an installed copy)."""
    sys.path.insert(0, str(SRC))
    try:
        module = importlib.import_module("implassess_practice_checklist")
        assert Path(module.__file__).resolve().parent == PACKAGE.resolve()
        yield module
    finally:
        sys.path.remove(str(SRC))


@pytest.fixture(scope="module")
def rule(package: ModuleType) -> Any:
    """The ``practice-gating`` scoring function."""
    return importlib.import_module("implassess_practice_checklist.scoring").score_practice_gating


@pytest.fixture
def checklist(package: ModuleType, fresh_plugins: None) -> Iterator[ModuleType]:
    """The plugin registered under its entry-point name, unregistered afterwards."""
    module = importlib.import_module("implassess_practice_checklist.plugin")
    plugins.register_plugin(module, PLUGIN_NAME)
    try:
        yield module
    finally:
        plugins.unregister_plugin(PLUGIN_NAME)


# -- a small checklist built in code, for hand-worked and random layouts ---------------

STATE4 = Scale(
    "state4",
    tuple(
        Option(label, float(v), str(v))
        for v, label in enumerate(
            ["Not implemented", "Partly implemented", "Largely implemented", "Fully implemented"], start=1
        )
    ),
)
FIVE_LEVELS = MaturityModel(tuple(Level(k, f"Level {k}", 20.0 * (k - 1), 20.0 * k) for k in range(1, 6)), rule="gating")


def checklist_instrument(layout: dict[str, list[int]]) -> Instrument:
    """An instrument with one dimension per key; ``layout[d][k]`` practices at level k + 2.

    Items are named ``<dimension><level>-<n>`` and listed dimension by dimension, level
    by level.
    """
    dims, items = [], []
    for dim, counts in layout.items():
        facets = tuple(Facet(f"{dim}-level-{lvl}", f"Level {lvl}") for lvl in range(2, 6))
        dims.append(Dimension(id=dim, name=dim, facets=facets))
        for lvl, count in zip(range(2, 6), counts, strict=True):
            items += [
                Item(id=f"{dim}{lvl}-{n}", text="A practice.", dimension=dim, facet=f"{dim}-level-{lvl}")
                for n in range(1, count + 1)
            ]
    return Instrument(
        id="checklist-test",
        version="1",
        title="Checklist test",
        description="Test instrument.",
        licence="CC0",
        maturity=FIVE_LEVELS,
        dimensions=tuple(dims),
        scales=(STATE4,),
        items=tuple(items),
        scoring=Scoring(rule="practice-gating"),
        source="checklist-test.toml",
    )


def reference_scores(inst: Instrument, row: list[float]) -> list[float]:
    """The rule as the README states it, one respondent at a time, with plain loops."""
    out = []
    for dim in inst.dimensions:
        met: dict[int, list[bool]] = {lvl: [] for lvl in range(2, 6)}
        for item, value in zip(inst.items, row, strict=True):
            if item.dimension == dim.id:
                level = int(item.facet.rsplit("-", 1)[1])  # type: ignore[union-attr]
                met[level].append(not math.isnan(value) and value >= 3)
        achieved = 1
        for lvl in range(2, 6):
            if not all(met[lvl]):
                break
            achieved = lvl
        if achieved == 5:
            out.append(100.0)
        else:
            nxt = met[achieved + 1]
            out.append(20 * (achieved - 1) + 20 * sum(nxt) / len(nxt))
    return out


# -- the plugin and its instrument -------------------------------------------------------


def test_plugin_contributes_the_instrument_and_the_rule(checklist: ModuleType) -> None:
    instruments = plugins.get_instruments()
    assert "implementation-practices" in instruments
    assert plugins.instrument_owner("implementation-practices") == PLUGIN_NAME
    rules = plugins.get_scoring_rules()
    assert rules["practice-gating"].score.__module__ == "implassess_practice_checklist.scoring"
    info = next(p for p in plugins.plugin_infos() if p.name == PLUGIN_NAME)
    assert info.hooks == ("register_instruments", "register_scoring_rules")


def test_instrument_validates_with_zero_findings() -> None:
    findings, n_files = validate_paths([INSTRUMENT])
    assert (findings, n_files) == ([], 1)


def test_instrument_is_a_gated_practice_checklist() -> None:
    inst = load_file(INSTRUMENT)
    assert isinstance(inst, Instrument)
    assert inst.id == "implementation-practices"
    assert inst.scoring.rule == "practice-gating"
    assert inst.maturity.rule == "gating"
    assert [(lv.level, lv.min, lv.max) for lv in inst.maturity.levels] == [
        (1, 0, 20),
        (2, 20, 40),
        (3, 40, 60),
        (4, 60, 80),
        (5, 80, 100),
    ]
    assert [(o.label, o.value, o.non_substantive) for s in inst.scales for o in s.options] == [
        ("Not implemented", 1, False),
        ("Partly implemented", 2, False),
        ("Largely implemented", 3, False),
        ("Fully implemented", 4, False),
    ]
    assert inst.scales[0].id == "state4"
    assert [d.id for d in inst.dimensions] == DIMENSIONS
    for dim in inst.dimensions:
        assert [f.id for f in dim.facets] == [f"{dim.id}-level-{lvl}" for lvl in range(2, 6)]
        per_facet = [sum(1 for i in inst.items_in(dim.id) if i.facet == f.id) for f in dim.facets]
        assert all(1 <= n <= 2 for n in per_facet), (dim.id, per_facet)
        assert sorted(lt.level for lt in dim.levels) == [1, 2, 3, 4, 5]
        assert all(lt.actions for lt in dim.levels)
    assert 3 <= len(inst.actions) <= 5
    assert len(inst.triggers) == 3
    assert inst.citation is not None and inst.citation.title
    assert any(c.version == inst.version for c in inst.changelog)
    assert inst.conformance == "conformance/implementation-practices.toml"
    assert not any(i.reverse for i in inst.items)


def test_practice_texts_are_short_single_ideas() -> None:
    inst = load_file(INSTRUMENT)
    assert isinstance(inst, Instrument)
    problems = []
    for item in inst.items:
        n = len(item.text.split())
        if not 8 <= n <= 25:
            problems.append(f"{item.id}: {n} words")
        if "/" in item.text or re.search(r"\b(and|or)\b", item.text, flags=re.IGNORECASE):
            problems.append(f"{item.id}: joins two ideas: {item.text!r}")
    assert problems == []


# -- conformance -------------------------------------------------------------------------


def test_every_conformance_case_passes(checklist: ModuleType) -> None:
    inst = plugins.get_instruments()["implementation-practices"]
    results = verify(inst, load_conformance(conformance_path(inst)))
    assert [r.case for r in results] == [
        "all-fully-implemented",
        "all-largely-implemented",
        "nothing-implemented",
        "all-partly-implemented",
        "one-of-two-level-4-practices",
        "gap-at-level-2",
        "blank-counts-as-not-met",
        "only-level-5-missing",
        "mixed-profile-overall-is-lowest",
    ]
    assert {r.case: r.problems for r in results if not r.passed} == {}


def test_instruments_verify_command_passes_with_the_plugin(checklist: ModuleType) -> None:
    result = CliRunner().invoke(
        cli, ["instruments", "verify", "implementation-practices", "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)
    assert len(entry["cases"]) == 9 and all(case["passed"] for case in entry["cases"])


def test_the_cases_detect_scoring_without_the_rule(checklist: ModuleType) -> None:
    """Scored as a plain mean instead, the gating cases must fail: they test the rule."""
    inst = plugins.get_instruments()["implementation-practices"]
    plain = attrs.evolve(inst, scoring=attrs.evolve(inst.scoring, rule=None))
    failing = {r.case for r in verify(plain, load_conformance(conformance_path(inst))) if not r.passed}
    assert failing == {
        "all-largely-implemented",
        "all-partly-implemented",
        "one-of-two-level-4-practices",
        "gap-at-level-2",
        "blank-counts-as-not-met",
        "only-level-5-missing",
        "mixed-profile-overall-is-lowest",
    }


# -- the rule's arithmetic ---------------------------------------------------------------

#: Dimension a: 2, 1, 2, 1 practices at levels 2-5 (a2-1 a2-2 a3-1 a4-1 a4-2 a5-1);
#: dimension b: 1, 2, 1, 2 (b2-1 b3-1 b3-2 b4-1 b5-1 b5-2).
HAND_LAYOUT = {"a": [2, 1, 2, 1], "b": [1, 2, 1, 2]}
HAND_ROWS = [
    # a: 2 2 3 4 4 5          b: 2 3 3 4 5 5
    [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4],
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    [3, NAN, 4, 4, 4, 4, NAN, NAN, NAN, NAN, NAN, NAN],
    [4, 3, 3, 2, NAN, 4, 4, 4, 2, 4, 4, 4],
    [4, 4, 3, 3, 1, 1, 3, 3, 3, 3, 3, NAN],
    [4, 4, 4, 3, 4, 2, 2, 4, 4, 4, 4, 4],
    [2, 4, 4, 4, 4, 4, 4, 1, 1, 4, 4, 4],
]
HAND_SCORES = [
    [100, 100],  # every practice met: L = 5 in both
    [0, 0],  # nothing met: L = 1, 20·0 + 20·0/2 = 0 and 20·0/1 = 0
    [10, 0],  # a: a2-2 blank, so level 2 is incomplete although 3-5 are met: 20·1/2 = 10; b all blank
    [40, 30],  # a: levels 2-3 met, a4-1 = 2, a4-2 blank: 40 + 20·0/2; b: b3-2 = 2: 20 + 20·1/2
    [50, 70],  # a: 1 of 2 level-4 met: 40 + 20·1/2; b: levels 2-4 met, b5-2 blank: 60 + 20·1/2
    [60, 0],  # a: a5-1 = 2: 60 + 20·0/1; b: b2-1 = 2 (partly) is not met: 20·0/1 = 0
    [10, 20],  # a: a2-1 = 2: 20·1/2 = 10; b: level 2 met, both level-3 = 1: 20 + 20·0/2
]
HAND_LEVELS = [[5, 5], [1, 1], [1, 1], [3, 2], [3, 4], [4, 1], [1, 2]]


def test_rule_on_a_hand_worked_matrix(rule: Any) -> None:
    """Every expected score is worked out by hand from the README's definition (comments)."""
    inst = checklist_instrument(HAND_LAYOUT)
    scores = rule(inst, np.array(HAND_ROWS, dtype=float))
    np.testing.assert_allclose(scores, np.array(HAND_SCORES, dtype=float), rtol=0, atol=1e-12)
    assert levels_for(inst.maturity, scores).tolist() == HAND_LEVELS


def test_engine_uses_the_rule_and_gates_the_overall_level(checklist: ModuleType) -> None:
    inst = checklist_instrument(HAND_LAYOUT)
    rows = HAND_ROWS[3:5]
    responses = ResponseSet(
        instrument=inst, respondent_ids=("r3", "r4"), values=np.array(rows, dtype=float), rows=(5, 6), rows_read=2
    )
    scored = score_respondents(responses, plugins.scoring_rule_for(inst))
    dims = scored.dimensions()
    np.testing.assert_allclose(scored.pomp[:, dims], [[40, 30], [50, 70]])
    assert scored.level[:, dims].tolist() == [[3, 2], [3, 4]]
    # Overall: (40 + 30) / 2 = 35 and (50 + 70) / 2 = 60; the band of 60 is level 4, but
    # gating gives the lower dimension level, 3.
    np.testing.assert_allclose(scored.overall, [35, 60])
    assert scored.overall_level.tolist() == [2, 3]


ANSWER = st.sampled_from([1.0, 2.0, 3.0, 4.0, NAN])


@st.composite
def layouts_with_answers(draw: st.DrawFn) -> tuple[Instrument, np.ndarray]:
    n_dims = draw(st.integers(min_value=1, max_value=3))
    layout = {f"d{k}": draw(st.lists(st.integers(1, 3), min_size=4, max_size=4)) for k in range(n_dims)}
    inst = checklist_instrument(layout)
    n_rows = draw(st.integers(min_value=1, max_value=8))
    row = st.lists(ANSWER, min_size=len(inst.items), max_size=len(inst.items))
    return inst, np.array(draw(st.lists(row, min_size=n_rows, max_size=n_rows)), dtype=float)


@settings(max_examples=300, deadline=None)
@given(case=layouts_with_answers())
def test_scores_stay_in_the_band_of_their_gated_level(rule: Any, case: tuple[Instrument, np.ndarray]) -> None:
    """For any layout and answers: the score lies in the band of its level, 100 only at
    level 5, and both agree with the loop-by-loop reference."""
    inst, values = case
    scores = rule(inst, values)
    levels = levels_for(inst.maturity, scores)
    for r in range(len(values)):
        expected = reference_scores(inst, values[r].tolist())
        for d, (score, level) in enumerate(zip(scores[r], levels[r], strict=True)):
            assert score == pytest.approx(expected[d], abs=1e-9)
            band = inst.maturity.by_number(int(level))
            assert band.min <= score <= band.max
            assert (score == 100.0) == (level == 5)
            if level < 5:
                assert score < band.max - 1e-6  # well inside, not on the edge by rounding


# -- refusing instruments the rule cannot score ------------------------------------------


def test_bad_facets_are_reported_with_item_and_key_path(rule: Any) -> None:
    inst = checklist_instrument({"a": [1, 1, 1, 1]})
    items = list(inst.items)
    items[0] = attrs.evolve(items[0], facet=None)
    items[2] = attrs.evolve(items[2], facet="a-basics")
    items[3] = attrs.evolve(items[3], facet="a-level-6")
    inst = attrs.evolve(inst, items=tuple(items))
    with pytest.raises(ImplassessError) as caught:
        rule(inst, np.full((1, 4), 4.0))
    assert isinstance(caught.value, InstrumentError)
    assert [str(f) for f in caught.value.findings] == [
        "checklist-test.toml: items[0].facet: error: Item 'a2-1' has no facet; the 'practice-gating' scoring rule "
        "reads the maturity level a practice is required for from its facet id, which must end in '-level-N' "
        "with N from 2 to 5. Put the item in a facet such as 'a-level-2'.",
        "checklist-test.toml: items[2].facet: error: Item 'a4-1' is in facet 'a-basics'; the 'practice-gating' "
        "scoring rule reads the maturity level a practice is required for from its facet id, which must end in "
        "'-level-N' with N from 2 to 5. Put the item in a facet such as 'a-level-2'.",
        "checklist-test.toml: items[3].facet: error: Item 'a5-1' is in facet 'a-level-6'; the 'practice-gating' "
        "scoring rule reads the maturity level a practice is required for from its facet id, which must end in "
        "'-level-N' with N from 2 to 5. Put the item in a facet such as 'a-level-2'.",
    ]


def test_wrong_scale_and_empty_level_are_reported(rule: Any) -> None:
    agree5 = Scale("agree5", tuple(Option(str(v), float(v)) for v in range(1, 6)))
    inst = checklist_instrument({"a": [1, 1, 1, 1]})
    on_agree5 = attrs.evolve(
        inst, scales=(STATE4, agree5), items=(attrs.evolve(inst.items[0], scale="agree5"), *inst.items[1:])
    )
    with pytest.raises(InstrumentError) as caught:
        rule(on_agree5, np.full((1, 4), 4.0))
    assert [str(f) for f in caught.value.findings] == [
        "checklist-test.toml: items[0].scale: error: Item 'a2-1' is answered on scale 'agree5' with range 1–5; "
        "the 'practice-gating' scoring rule counts answers of 3 or more as largely or fully implemented, so it "
        "needs a scale from 1 (not implemented) to 4 (fully implemented)."
    ]
    no_level_4 = checklist_instrument({"a": [1, 1, 0, 1]})
    with pytest.raises(InstrumentError) as caught:
        rule(no_level_4, np.full((1, 3), 4.0))
    assert [str(f) for f in caught.value.findings] == [
        "checklist-test.toml: dimensions[0]: error: Dimension 'a' has no practice for level 4; the "
        "'practice-gating' scoring rule needs at least one item in a facet ending '-level-4' for every level "
        "from 2 to 5, because a level with no practices would count as met without evidence."
    ]


def test_bad_facet_stops_scoring_through_the_engine(checklist: ModuleType) -> None:
    inst = checklist_instrument({"a": [1, 1, 1, 1]})
    inst = attrs.evolve(inst, items=(attrs.evolve(inst.items[0], facet="a-basics"), *inst.items[1:]))
    responses = ResponseSet(instrument=inst, respondent_ids=("r1",), values=np.full((1, 4), 4.0), rows_read=1)
    with pytest.raises(InstrumentError, match=r"Item 'a2-1' is in facet 'a-basics'"):
        score_respondents(responses, plugins.scoring_rule_for(inst))
