"""Nothing under the minimum can be worked out from what was released, within a run or across runs.

A reader who has every published cell's n and n × mean for a measure can add and subtract
cells. These tests score generated data through the CLI (several runs over one data set,
sharing the release ledger) and ask an independent checker (``tests/release_checker.py``,
which reads only the raw data, the instrument and the output files) whether some set of
fewer than the minimum respondents lies in the span of everything published so far. The
checker itself is tested first on hand-made cases whose answer is known.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from implassess.cli import cli
from tests.release_checker import (
    OVERALL,
    Cell,
    InstrumentSpec,
    Ledger,
    Mode,
    Person,
    Respondent,
    consistency_problems,
    describe,
    dimension,
    find_leaks,
    item,
    pdf_heatmap,
    pdf_problems,
    release_folders,
    responses_csv,
)

# -- the checker on cases whose answer is known ----------------------------------------------------------------------


def _people(counts: dict[tuple[str, str], int], answered: Sequence[str] = ("m",)) -> list[Person]:
    out = []
    for (site, role), n in counts.items():
        out += [Person(f"{site}{role}{k}", {"site": site, "role": role}, frozenset(answered)) for k in range(n)]
    return out


def _cells(keys: Sequence[dict[str, str]], measure: str = "m") -> list[Cell]:
    return [
        Cell("hand", ", ".join(f"{k}={v}" for k, v in key.items()) or "organisation", tuple(key.items()), measure)
        for key in keys
    ]


def test_checker_margins_of_a_2x2_table_hide_the_inner_cells() -> None:
    """Sites A, B × roles x, y, three people each; the organisation and all four margins are
    published (6 each). Any inner cell is 3 people, but the margins have rank 3 of 4: the
    difference A·x − A·y − B·x + B·y is invisible, so no cell (nor two cells, 6) is derivable."""
    people = _people({("A", "x"): 3, ("A", "y"): 3, ("B", "x"): 3, ("B", "y"): 3})
    cells = _cells([{}, {"site": "A"}, {"site": "B"}, {"role": "x"}, {"role": "y"}])
    assert find_leaks(people, cells, 5) == []
    # Publishing one inner cell as well closes the system: every other inner cell follows.
    leaks = find_leaks(people, [*cells, *_cells([{"site": "A", "role": "x"}])], 5)
    assert {leak.respondents for leak in leaks} == {
        tuple(f"{s}{r}{k}" for k in range(3)) for s, r in (("A", "x"), ("A", "y"), ("B", "x"), ("B", "y"))
    }


def test_checker_finds_the_chain_of_the_issue() -> None:
    """role=r0 − site=S0 + S0·r1 + S0·r2 + S0·r3 is the single r0 outside S0 (S0·r0 itself is hidden)."""
    people = _people(
        {("S0", "r0"): 5, ("S0", "r1"): 5, ("S0", "r2"): 5, ("S0", "r3"): 5, ("S1", "r0"): 1, ("S1", "r1"): 6}
    )
    chain = [{"role": "r0"}, {"site": "S0"}, *({"site": "S0", "role": r} for r in ("r1", "r2", "r3"))]
    cells = _cells(chain)
    (leak,) = find_leaks(people, cells, 5)
    assert leak.respondents == ("S1r00",)
    assert sorted((c, text.split(": ")[1].split(" ·")[0]) for c, text in leak.combination) == [
        (Fraction(-1), "site=S0"),
        (Fraction(1), "role=r0"),
        (Fraction(1), "site=S0, role=r1"),
        (Fraction(1), "site=S0, role=r2"),
        (Fraction(1), "site=S0, role=r3"),
    ]
    # Without the chain's last link the single person stays hidden.
    assert find_leaks(people, cells[:-1], 5) == []


def test_checker_finds_the_one_suppressed_cell_of_a_breakdown() -> None:
    """Sites A 10, B 8, C 2 with only C suppressed: C = organisation − A − B."""
    people = _people({("A", "x"): 10, ("B", "x"): 8, ("C", "x"): 2})
    (leak,) = find_leaks(people, _cells([{}, {"site": "A"}, {"site": "B"}]), 5)
    assert leak.respondents == ("Cx0", "Cx1")
    assert sorted(c for c, _ in leak.combination) == [-1, -1, 1]
    # Two suppressed cells together under the minimum are as bad; at the minimum they are safe.
    people = _people({("A", "x"): 10, ("B", "x"): 8, ("C", "x"): 2, ("D", "x"): 2})
    (leak,) = find_leaks(people, _cells([{}, {"site": "A"}, {"site": "B"}]), 5)
    assert leak.respondents == ("Cx0", "Cx1", "Dx0", "Dx1")
    people = _people({("A", "x"): 10, ("B", "x"): 8, ("C", "x"): 2, ("D", "x"): 3})
    assert find_leaks(people, _cells([{}, {"site": "A"}, {"site": "B"}]), 5) == []


def test_checker_works_per_measure_on_who_answered() -> None:
    """Site A has 6 people of whom 2 skipped measure m2: the group is large, but on m2 the
    organisation minus site B is 4 people."""
    people = _people({("A", "x"): 4, ("B", "x"): 6}, answered=("m1", "m2"))
    people += _people({("A", "y"): 2}, answered=("m1",))
    cells = _cells([{}, {"site": "B"}], "m1") + _cells([{}, {"site": "B"}], "m2")
    (leak,) = find_leaks(people, cells, 5)
    assert (leak.measure, leak.respondents) == ("m2", ("Ax0", "Ax1", "Ax2", "Ax3"))
    assert find_leaks(people, cells, 4) == []


def test_checker_joint_mode_combines_measures() -> None:
    """One of ten skipped dimension B. Per measure nothing is small, but the overall (the mean of
    A and B over the nine with both) and B give A over the nine, and A over all ten minus that is
    the one who skipped B."""
    ab = {dimension("a"): {"a1": Fraction(1)}, dimension("b"): {"b1": Fraction(1)}}
    both = {**ab, OVERALL: {"a1": Fraction(1, 2), "b1": Fraction(1, 2)}}
    people = [Person(f"p{k}", {}, frozenset(both), both) for k in range(9)]
    people.append(Person("skipper", {}, frozenset([dimension("a")]), {dimension("a"): ab[dimension("a")]}))
    cells = _cells([{}], dimension("a")) + _cells([{}], dimension("b")) + _cells([{}], OVERALL)
    assert find_leaks(people, cells, 5) == []
    (leak,) = find_leaks(people, cells, 5, mode="joint")
    assert (leak.measure, leak.respondents) == (dimension("a"), ("skipper",))
    assert sorted(c for c, _ in leak.combination) == [-2, 1, 1]
    # With a third dimension only A + C of the one who skipped B follows: still about one person.
    abc = {**ab, dimension("c"): {"c1": Fraction(1)}}
    every = {**abc, OVERALL: {"a1": Fraction(1, 3), "b1": Fraction(1, 3), "c1": Fraction(1, 3)}}
    people = [Person(f"p{k}", {}, frozenset(every), every) for k in range(9)]
    ac = {m: abc[m] for m in (dimension("a"), dimension("c"))}
    people.append(Person("skipper", {}, frozenset(ac), ac))
    cells += _cells([{}], dimension("c"))
    (leak,) = find_leaks(people, cells, 5, mode="joint")
    assert (leak.measure, leak.respondents) == ("+ 1·dimension:a + 1·dimension:c", ("skipper",))


# -- generated data through the CLI ----------------------------------------------------------------------------------

DIMENSIONS = ("da", "db", "dc")
NAMES = {"da": "Alpha practice", "db": "Beta practice", "dc": "Gamma practice"}
ITEMS = tuple(f"{d[1]}{k}" for d in DIMENSIONS for k in (1, 2))


def write_instrument(path: Path) -> Path:
    """Three dimensions of two items on one 1–5 scale (modelled on fixtures/instruments/minimal.toml)."""
    parts = [
        'format-version = 1\nkind = "instrument"\nid = "tiny-release"\nversion = "1.0.0"\ntitle = "Tiny release"',
        'description = "Three dimensions of two items, for release tests."\nlicence = "CC-BY-4.0"',
        'authors = ["implassess contributors"]\n\n[citation]\ntitle = "Test fixture"\nyear = 2026',
        '\n[[changelog]]\nversion = "1.0.0"\ndate = "2026-11-23"\nchanges = "First version."',
        '\n[scoring]\nmin-answered = 0.5\n\n[[scales]]\nid = "agree5"\nname = "Agreement"\noptions = [',
        *(f'  {{ label = "Option {v}", value = {v} }},' for v in range(1, 6)),
        ']\n\n[maturity]\nrule = "weighted-mean"\nlevels = [',
        *(f'  {{ level = {k + 1}, name = "Level {k + 1}", min = {20 * k}, max = {20 * k + 20} }},' for k in range(5)),
        "]",
    ]
    for d in DIMENSIONS:
        parts.append(f'\n[[dimensions]]\nid = "{d}"\nname = "{NAMES[d]}"')
    for i in ITEMS:
        parts.append(f'\n[[items]]\nid = "{i}"\ntext = "Statement {i}."\ndimension = "d{i[0]}"')
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def make_respondents(rows: Sequence[tuple[dict[str, str], Sequence[str]]]) -> list[Respondent]:
    """Attributes and skipped dimensions per respondent (every item of a skipped dimension is
    blank); the answers follow a fixed pattern (values do not change what is derivable)."""
    out = []
    for k, (attrs, skipped) in enumerate(rows):
        answers: dict[str, int | None] = {
            i: None if f"d{i[0]}" in skipped else 1 + (3 * k + 2 * j + k // 3) % 5 for j, i in enumerate(ITEMS)
        }
        out.append(Respondent(f"id{k:03d}", attrs, answers))
    return out


@contextlib.contextmanager
def fresh_ledger() -> Iterator[Path]:
    """A ledger of one's own for one hypothesis example (the autouse fixture's is per test)."""
    old = os.environ.get("IMPLASSESS_LEDGER")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["IMPLASSESS_LEDGER"] = tmp
        try:
            yield Path(tmp)
        finally:
            if old is None:
                os.environ.pop("IMPLASSESS_LEDGER", None)
            else:
                os.environ["IMPLASSESS_LEDGER"] = old


class Study:
    """One data set, scored several times; every release is parsed as soon as it is written (so a
    later run into the same folder does not hide it)."""

    def __init__(self, root: Path, respondents: list[Respondent], columns: Sequence[str]) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.respondents = respondents
        self.instrument = write_instrument(root / "tiny.toml")
        self.data = root / "responses.csv"
        self.data.write_text(responses_csv(respondents, columns, ITEMS), encoding="utf-8")
        self.ledger = Ledger(respondents, self.instrument)
        self.runs = 0

    def score(
        self, by: Sequence[str], min_size: int, out: str | None = None, ledger: Path | None = None, *extra: str
    ) -> Result:
        self.runs += 1
        folder = self.root / (out or f"run{self.runs}")
        args = ["score", str(self.data), "-i", str(self.instrument), "-o", str(folder), "--reproducible"]
        args += [a for b in by for a in ("--by", b)] + ["--min-group-size", str(min_size), *extra]
        args += ["--ledger", str(ledger)] if ledger is not None else []
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert consistency_problems(folder) == []
        self.ledger.add(f"run {self.runs} (--by {' --by '.join(by) or '-'}, min {min_size})", folder)
        return result

    def assert_safe(self, min_size: int, mode: Mode = "per-measure", context: str = "") -> None:
        leaks = self.ledger.leaks(min_size, mode)
        assert not leaks, f"{context}derivable under the minimum {min_size}:\n{describe(leaks)}"


SITES = ("S0", "S0", "S1", "S1", "S2")
ROLES = ("r0", "r1", "r2", "r3")
TEAMS = ("t0", "t1")
SKIPS: tuple[tuple[str, ...], ...] = ((), (), (), (), ("db",), ("db",), ("dc",), ("db", "dc"))
BREAKDOWNS = (
    ("site",),
    ("role",),
    ("site", "role"),
    ("site", "role", "site,role"),
    ("site,role",),
    ("role", "site,role"),
    ("team", "site,team"),
    ("site", "role", "team", "site,role,team"),
)

people_strategy = st.lists(
    st.tuples(st.sampled_from(SITES), st.sampled_from(ROLES), st.sampled_from(TEAMS), st.sampled_from(SKIPS)),
    min_size=8,
    max_size=40,
)
runs_strategy = st.lists(
    st.tuples(st.sampled_from(BREAKDOWNS), st.sampled_from((3, 4, 5)), st.sampled_from(("a", "b", "c"))),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(people_strategy, runs_strategy)
def test_no_small_set_is_derivable_from_all_releases(
    people: list[tuple[str, str, str, tuple[str, ...]]], runs: list[tuple[tuple[str, ...], int, str]]
) -> None:
    """After each run k, everything published by runs 1..k (other breakdowns, other folders or the
    same folder overwritten, other minimums) leaves no set under run k's minimum derivable on any
    measure. Minimums do not increase from run to run: an earlier release cannot be recalled, so
    no engine could honour a later, stricter minimum."""
    rows = [({"site": s, "role": r, "team": t}, skip) for s, r, t, skip in people]
    mins = sorted((m for _, m, _ in runs), reverse=True)
    with tempfile.TemporaryDirectory() as tmp, fresh_ledger():
        study = Study(Path(tmp), make_respondents(rows), ("site", "role", "team"))
        for (by, _, folder), min_size in zip(runs, mins, strict=True):
            study.score(by, min_size, folder)
            study.assert_safe(min_size, context=f"after run {study.runs} of {runs} (minimums {mins}): ")


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.lists(
        st.tuples(st.sampled_from(("S0", "S1")), st.sampled_from(ROLES), st.sampled_from(((), (), ("db",)))),
        min_size=12,
        max_size=45,
    ),
    st.sampled_from((3, 4, 5)),
)
def test_no_small_set_is_derivable_within_one_run(
    people: list[tuple[str, str, tuple[str, ...]]], min_size: int
) -> None:
    """One run with --by site --by role --by site,role on two sites and four roles, where some
    skip dimension B: the shape of the issue's within-run chain."""
    rows = [({"site": s, "role": r}, skip) for s, r, skip in people]
    with tempfile.TemporaryDirectory() as tmp, fresh_ledger():
        study = Study(Path(tmp), make_respondents(rows), ("site", "role"))
        study.score(["site", "role", "site,role"], min_size)
        study.assert_safe(min_size)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.lists(
        st.tuples(st.sampled_from(("S0", "S1", "S2")), st.sampled_from(ROLES), st.sampled_from(((), (), ("db",)))),
        min_size=12,
        max_size=45,
    ),
    st.sampled_from((3, 5)),
)
def test_combining_small_groups_into_other_is_safe_too(
    people: list[tuple[str, str, tuple[str, ...]]], min_size: int
) -> None:
    """--small-groups combine: each breakdown's small groups pool into "Other" (everyone of the
    breakdown in no listed group); that group is checked like any other, then a second run
    without combining must not be subtractable from it."""
    rows = [({"site": s, "role": r}, skip) for s, r, skip in people]
    with tempfile.TemporaryDirectory() as tmp, fresh_ledger():
        study = Study(Path(tmp), make_respondents(rows), ("site", "role"))
        study.score(["site", "site,role"], min_size, None, None, "--small-groups", "combine")
        study.assert_safe(min_size)
        study.score(["role"], min_size)
        study.assert_safe(min_size)


def test_other_is_everyone_in_no_listed_group(tmp_path: Path) -> None:
    """Three roles of 6 and two of 1 and 2 people (minimum 5): the two small ones pool into
    Other with n = 3, which is still under the minimum and so is suppressed; with 4 people in
    the second small role, Other (n = 5) is shown."""
    for small, shown in ((2, False), (4, True)):
        rows = _rows([("S0", "r0", 6, ()), ("S0", "r1", 6, ()), ("S0", "r2", 6, ()), ("S0", "r3", 1, ())])
        rows += _rows([("S0", "r4", small, ())])
        study = Study(tmp_path / str(small), make_respondents(rows), ("site", "role"))
        study.score(["role"], 5, None, tmp_path / f"ledger{small}", "--small-groups", "combine")
        doc = json.loads((tmp_path / str(small) / "run1" / "profile.json").read_text(encoding="utf-8"))
        groups = {g["label"]: g for g in doc["breakdowns"][0]["groups"]}
        assert set(groups) == {"role=r0", "role=r1", "role=r2", "role=Other"}
        assert groups["role=Other"]["suppressed"] is not shown
        if shown:
            assert groups["role=Other"]["n"] == 1 + small
        study.assert_safe(5)


# -- the issue's cases, plainly ---------------------------------------------------------------------------------------


def _rows(spec: Sequence[tuple[str, str, int, Sequence[str]]]) -> list[tuple[dict[str, str], Sequence[str]]]:
    rows: list[tuple[dict[str, str], Sequence[str]]] = []
    for site, role, count, skipped in spec:
        rows += [({"site": site, "role": role}, skipped)] * count
    return rows


#: Every site × role group has at least 5 respondents, but three of the five r0 in S1 skipped
#: dimension B: on B, role=r0 − site=S0 + S0·r1 + S0·r2 + S0·r3 (or role=r0 − S0·r0) would be
#: the two who answered.
CHAIN = _rows(
    [
        ("S0", "r0", 6, ()),
        ("S0", "r1", 5, ()),
        ("S0", "r2", 5, ()),
        ("S0", "r3", 5, ()),
        ("S1", "r0", 2, ()),
        ("S1", "r0", 3, ("db",)),
        ("S1", "r1", 5, ()),
        ("S1", "r2", 5, ()),
        ("S1", "r3", 5, ()),
    ]
)


def test_within_one_run_the_issues_chain(tmp_path: Path) -> None:
    study = Study(tmp_path, make_respondents(CHAIN), ("site", "role"))
    study.score(["site", "role", "site,role"], 5)
    study.assert_safe(5)


#: The single r1 of S1 skipped dimension B, so role r1 is 6 people but 5 on B. As groups, site S0
#: minus role r1 is no set of people (S0·r0 + S0·r3 − S1·r1); on B it is S0's r0 and r3: two.
SKIPPED_B = _rows(
    [
        ("S0", "r0", 1, ()),
        ("S0", "r1", 5, ()),
        ("S0", "r3", 1, ()),
        ("S1", "r1", 1, ("db",)),
        ("S1", "r2", 3, ()),
        ("S1", "r3", 2, ()),
    ]
)


def test_within_one_run_a_skipped_dimension_is_no_way_in(tmp_path: Path) -> None:
    study = Study(tmp_path, make_respondents(SKIPPED_B), ("site", "role"))
    study.score(["site", "role", "site,role"], 5)
    study.assert_safe(5)


#: No one skips anything. S1 has one r0, one r1, one r2 (each hidden) and eight r3;
#: organisation − site S0 − role r3 + S0·r3 is those three (the minimum is 4).
THREE_SINGLES = _rows(
    [
        ("S0", "r1", 2, ()),
        ("S0", "r2", 4, ()),
        ("S0", "r3", 8, ()),
        ("S1", "r0", 1, ()),
        ("S1", "r1", 1, ()),
        ("S1", "r2", 1, ()),
        ("S1", "r3", 8, ()),
    ]
)


def test_within_one_run_hidden_cells_do_not_add_up_to_a_small_set(tmp_path: Path) -> None:
    study = Study(tmp_path, make_respondents(THREE_SINGLES), ("site", "role"))
    study.score(["site", "role", "site,role"], 4)
    study.assert_safe(4)


#: Site S0 has a single executive; the sites alone are safe, and so is site × role alone.
ONE_EXECUTIVE = _rows(
    [
        ("S0", "executive", 1, ()),
        ("S0", "staff", 6, ()),
        ("S0", "nurse", 6, ()),
        ("S1", "staff", 5, ()),
        ("S1", "nurse", 7, ()),
        ("S2", "staff", 6, ()),
        ("S2", "nurse", 6, ()),
    ]
)


def test_across_runs_site_then_site_by_role(tmp_path: Path) -> None:
    """``--by site`` publishes S0 (13); ``--by site,role`` must then not publish both S0·staff and
    S0·nurse, or S0 minus them is the executive."""
    study = Study(tmp_path, make_respondents(ONE_EXECUTIVE), ("site", "role"))
    study.score(["site"], 5)
    study.assert_safe(5)
    study.score(["site,role"], 5)
    study.assert_safe(5)


def test_each_run_alone_is_safe_in_the_across_runs_case(tmp_path: Path) -> None:
    """The case above is only a problem across runs: each run on its own leaves nothing, so a
    failure there is the ledger's to prevent."""
    for k, by in enumerate((["site"], ["site,role"])):
        with fresh_ledger():
            study = Study(tmp_path / str(k), make_respondents(ONE_EXECUTIVE), ("site", "role"))
            study.score(by, 5)
            study.assert_safe(5)


def test_the_second_run_says_what_earlier_releases_cost(tmp_path: Path) -> None:
    """The run that suppresses cells because of an earlier release says so, on screen and in its
    manifest."""
    study = Study(tmp_path, make_respondents(ONE_EXECUTIVE), ("site", "role"))
    study.score(["site"], 5)
    result = study.score(["site,role"], 5)
    assert "earlier release" in result.output
    manifest = json.loads((tmp_path / "run2" / "manifest.json").read_text(encoding="utf-8"))
    assert "ledger" in manifest


def test_same_folder_lower_minimum(tmp_path: Path) -> None:
    """Scoring again into the same folder with a lower minimum: what the first run published still
    counts (it may have been copied before it was overwritten)."""
    study = Study(tmp_path, make_respondents(ONE_EXECUTIVE), ("site", "role"))
    study.score(["site"], 5, out="out")
    study.score(["site,role"], 4, out="out")
    study.assert_safe(4)


def test_the_ledger_option_is_the_same_ledger(tmp_path: Path) -> None:
    """``--ledger DIR`` on both runs protects as the environment variable does, whatever
    IMPLASSESS_LEDGER says in between."""
    study = Study(tmp_path, make_respondents(ONE_EXECUTIVE), ("site", "role"))
    shared = tmp_path / "shared-ledger"
    study.score(["site"], 5, ledger=shared)
    with fresh_ledger():
        study.score(["site,role"], 5, ledger=shared)
    study.assert_safe(5)


def test_combining_measures_is_the_documented_limit(tmp_path: Path) -> None:
    """A reader may also combine measures: the overall is a weighted mean of the dimensions'
    0–100 scores over those who answered every dimension. With one of twelve skipping dimension
    B, the organisation's A, B, C and overall give A + C of the one who skipped: a person known
    only as "whoever skipped B". docs/privacy.md states this limit (hiding every score where
    someone skipped part of it would blank most groups of real data); the per-measure promise
    holds, and the joint checker still sees the limit, so a change in either shows here."""
    rows = _rows([("S0", "staff", 11, ()), ("S0", "staff", 1, ("db",))])
    study = Study(tmp_path, make_respondents(rows), ("site", "role"))
    study.score([], 5)
    study.assert_safe(5)
    with pytest.raises(AssertionError):
        study.assert_safe(5, mode="joint")


# -- the run command: the PDF shows what groups.csv shows -------------------------------------------------------------


def _assessment(path: Path, study: Study, by: Sequence[str], min_size: int, out: Path) -> Path:
    path.write_text(
        "\n".join(
            [
                'format-version = 1\nkind = "assessment"',
                f"instruments = [{json.dumps(str(study.instrument))}]",
                '\n[client]\nname = "Test Client"\ndate = "2026-11-23"',
                f"\n[[responses]]\npath = {json.dumps(str(study.data))}",
                f"\n[scoring]\nby = {json.dumps(list(by))}\nmin-group-size = {min_size}",
                f"\n[report]\nheatmap-by = {json.dumps(by[0])}",
                f"\n[outputs]\ndir = {json.dumps(str(out))}",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def test_run_report_shows_no_suppressed_group(tmp_path: Path) -> None:
    """``run`` after a ``score`` of the same data: its groups.csv and profile.json agree, its PDF's
    heatmap shows a number only where groups.csv does (and the same number), and all releases
    together leave nothing small derivable."""
    rows = CHAIN + _rows([("S2", "r0", 3, ()), ("S2", "r1", 1, ("dc",))])
    study = Study(tmp_path, make_respondents(rows), ("site", "role"))
    study.score(["role"], 5)
    out = tmp_path / "report-run"
    assessment = _assessment(tmp_path / "assessment.toml", study, ["site", "role"], 5, out)
    result = CliRunner().invoke(cli, ["run", str(assessment), "--reproducible"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (release,) = release_folders(out)
    assert consistency_problems(release) == []
    assert pdf_problems(out, release, "site", NAMES) == []
    study.ledger.add("run (assessment)", out)
    study.assert_safe(5)


def test_pdf_check_reads_the_heatmap(tmp_path: Path) -> None:
    """The checker's PDF reader finds every group and dimension of the heatmap, and the suppressed
    marker (so the test above cannot pass by reading nothing)."""
    rows = _rows([("S0", "a", 6, ()), ("S1", "a", 6, ()), ("S2", "a", 2, ())])
    study = Study(tmp_path, make_respondents(rows), ("site", "role"))
    out = tmp_path / "o"
    assessment = _assessment(tmp_path / "a.toml", study, ["site"], 5, out)
    result = CliRunner().invoke(cli, ["run", str(assessment), "--reproducible"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    cells = pdf_heatmap(out / "report.pdf", list(NAMES.values()))
    assert set(cells) == {"S0", "S1", "S2"}
    assert all(set(c) == set(NAMES.values()) for c in cells.values())
    assert set(cells["S2"].values()) == {"suppressed"}
    (release,) = release_folders(out)
    assert pdf_problems(out, release, "site", NAMES) == []
    # The checks can fail: a groups.csv that hides a shown site no longer matches the PDF, nor
    # profile.json.
    shown = next(v for v, c in cells.items() if "suppressed" not in c.values())
    tampered = tmp_path / "tampered"
    shutil.copytree(release, tampered)
    lines = (tampered / "groups.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    edited = [lines[0]]
    for line in lines[1:]:
        fields = next(csv.reader([line]))
        if fields[1] == f"site={shown}":
            fields = [*fields[:4], "true", *([""] * (len(header) - 5))]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(fields)
        edited.append(buffer.getvalue())
    (tampered / "groups.csv").write_text("\n".join(edited) + "\n", encoding="utf-8")
    assert any(shown in p and "suppresses it" in p for p in pdf_problems(out, tampered, "site", NAMES))
    assert any(f"site={shown}" in p for p in consistency_problems(tampered))


def test_instrument_model() -> None:
    """The checker's reading of the instrument: POMP weights of the overall, proration."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = InstrumentSpec.load(write_instrument(Path(tmp) / "i.toml"))
    assert spec.coefficients(OVERALL, frozenset(ITEMS))[ITEMS[0]] == Fraction(100, 3 * 4 * 2)
    assert spec.coefficients(dimension("db"), frozenset(["b1"])) == {"b1": 1}
    assert spec.coefficients(item("a1"), frozenset(ITEMS)) == {"a1": 1}
    answers: dict[str, int | None] = {"a1": 5, "a2": 3, "b1": 1, "b2": None, "c1": 2, "c2": 2}
    assert spec.value(dimension("da"), answers) == 4
    assert spec.value(OVERALL, answers) == pytest.approx((75 + 0 + 25) / 3)


@pytest.mark.parametrize("mode", ["per-measure", "joint"])
def test_checker_on_engine_output_with_hidden_groups(tmp_path: Path, mode: Mode) -> None:
    """Sanity on real output with nothing skipped: a small site hidden with its complement is safe
    in both modes."""
    rows = _rows([("S0", "a", 6, ()), ("S1", "a", 7, ()), ("S2", "a", 2, ())])
    study = Study(tmp_path, make_respondents(rows), ("site", "role"))
    study.score(["site"], 5)
    study.assert_safe(5, mode)
