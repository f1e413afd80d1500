"""The exact release check and the release ledger, in process.

The exact check (:mod:`implassess.scoring.privacy`) is compared with a brute-force search
over every union of small atoms; the ledger (:mod:`implassess.outputs.ledger`) is exercised
through :func:`score_released`, the one door ``score`` and ``run`` use. The CLI-level,
independent checks over output files are in tests/test_release_exact.py.
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from attrs import evolve as attrs_evolve

from implassess.errors import ImplassessError
from implassess.formats.instrument import load_file
from implassess.outputs import ledger as ledger_mod
from implassess.outputs.ledger import Ledger, location, score_released
from implassess.responses import from_values
from implassess.scoring import OTHER, ScoreSettings, privacy

FIXTURE = Path(__file__).parent / "fixtures" / "instruments" / "minimal.toml"
INST = load_file(FIXTURE)


def brute_force_small_sets(published: np.ndarray, atom_n: np.ndarray, min_size: int) -> list[tuple[int, ...]]:
    """Every union of atoms under ``min_size`` in the span of ``published``, by trying every subset."""
    p = np.asarray(published, dtype=np.float64)
    small = [int(a) for a in np.nonzero(np.asarray(atom_n) < min_size)[0]]
    out = []
    for size in range(1, min_size):
        for combo in combinations(small, size):
            if int(np.asarray(atom_n)[list(combo)].sum()) >= min_size:
                continue
            x = np.zeros(p.shape[1])
            x[list(combo)] = 1.0
            coef = np.linalg.lstsq(p.T, x, rcond=None)[0]
            if np.allclose(p.T @ coef, x, atol=1e-7):
                out.append(combo)
    return out


def _random_problem(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    atoms = int(rng.integers(3, 11))
    rows = int(rng.integers(1, 7))
    published = np.vstack([np.ones(atoms), (rng.random((rows, atoms)) < 0.45).astype(float)])
    return published, rng.integers(1, 7, size=atoms), int(rng.integers(3, 7))


def test_search_agrees_with_brute_force_on_random_layouts() -> None:
    """Every set the search yields is derivable, and it finds one whenever brute force does."""
    rng = np.random.default_rng(20261127)
    for _ in range(1500):
        published, atom_n, minimum = _random_problem(rng)
        found = [tuple(np.nonzero(x > 0.5)[0]) for x, exact in privacy.small_sets(published, atom_n, minimum)]
        brute = brute_force_small_sets(published, atom_n, minimum)
        assert bool(found) == bool(brute), (published, atom_n, minimum)
        assert set(found) <= set(brute)


def test_a_dependent_duplicate_row_is_not_mistaken_for_a_leak() -> None:
    """Regression: a duplicated published row made a numerically zero span look non-empty."""
    published = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 0, 0], [0, 1, 0, 1]], dtype=float)
    assert list(privacy.small_sets(published, np.array([6, 4, 4, 1]), 3)) == []


def test_decide_leaves_nothing_derivable() -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        atoms, rows = int(rng.integers(3, 10)), int(rng.integers(2, 9))
        cells = rng.random((rows, atoms)) < 0.4
        atom_n = rng.integers(1, 7, size=atoms)
        minimum = int(rng.integers(3, 6))
        d = privacy.decide(privacy.Problem(atom_n, cells, np.ones((1, atoms), dtype=bool)), minimum)
        if d.org_hidden:
            continue
        shown = cells[~d.hidden]
        assert (shown.astype(int) @ atom_n >= minimum).all()
        published = np.vstack([np.ones(atoms), shown]).astype(float)
        assert brute_force_small_sets(published, atom_n, minimum) == []


def test_the_chain_across_breakdowns_is_closed() -> None:
    """role=r0 − site=S0 + S0·r1 + S0·r2 + S0·r3 isolates S0·r0 (3 people) when all those cells show.

    Atoms: S0·r0..r3 and S1·r0..r3. Cells: site S0, S1; role r0..r3; S0·r1..r3, S1·r0..r3.
    """
    atom_n = np.array([3, 6, 7, 8, 9, 6, 5, 7])  # S0·r0 is the small one
    names = ["S0", "S1", "r0", "r1", "r2", "r3"] + [f"S0r{i}" for i in range(4)] + [f"S1r{i}" for i in range(4)]
    cells = np.zeros((len(names), 8), dtype=bool)
    cells[0, :4] = cells[1, 4:] = True
    for r in range(4):
        cells[2 + r, [r, 4 + r]] = True
        cells[6 + r, r] = True
        cells[10 + r, 4 + r] = True
    published = np.vstack([np.ones(8), cells[[i for i in range(len(names)) if names[i] != "S0r0"]]])
    assert brute_force_small_sets(published, atom_n, 5) == [(0,)]
    d = privacy.decide(privacy.Problem(atom_n, cells, np.ones((1, 8), dtype=bool)), 5)
    assert d.hidden[names.index("S0r0")]
    assert d.hidden.sum() >= 2  # at least one complementary cell
    shown = np.vstack([np.ones(8), cells[~d.hidden]]).astype(float)
    assert brute_force_small_sets(shown, atom_n, 5) == []


def test_sets_earlier_releases_already_give_are_counted_not_chased() -> None:
    """An earlier release that showed both a group and its complement-with-one leaves nothing to hide."""
    atom_n = np.array([1, 9])
    earlier = np.array([[True, True], [False, True]])  # total and "all but the one"
    d = privacy.decide(
        privacy.Problem(atom_n, np.zeros((0, 2), dtype=bool), np.vstack([[True, True], earlier]), earlier=2), 5
    )
    assert d.inherited >= 1 and d.exposed_by_totals == 0


# -- through the ledger ------------------------------------------------------------------------------------------------


def _eastgate() -> tuple[list[list[float]], dict[str, list[str]]]:
    """Two sites; Eastgate has one executive and six of each other role; Westmoor five of each role."""
    sites, roles = [], []
    for role, k in (("nurse", 6), ("doctor", 6), ("admin", 6), ("allied", 6), ("executive", 1)):
        sites += ["Eastgate"] * k
        roles += [role] * k
    for role in ("nurse", "doctor", "admin", "allied", "executive"):
        sites += ["Westmoor"] * 5
        roles += [role] * 5
    rng = np.random.default_rng(3)
    rows = [[float(v) for v in rng.integers(1, 6, size=5)] for _ in sites]
    return rows, {"site": sites, "role": roles}


def _score(rows, attrs, by, ledger: Ledger, minimum: int = 5, **kw):
    rs = from_values(INST, rows, attributes=attrs)
    settings = ScoreSettings(by=ScoreSettings.parse_by(by), min_group_size=minimum, **kw)
    return score_released(rs, settings, ledger=ledger, command="test")


def _shown(profile, by: tuple[str, ...]) -> dict[tuple[str, ...], int]:
    b = next(b for b in profile.breakdowns if b.by == by)
    return {tuple(g.key[c] for c in by): g.n for g in b.groups if not g.suppressed}


def test_a_second_run_cannot_be_subtracted_from_the_first(tmp_path: Path) -> None:
    """--by site, then --by site,role: Eastgate minus its shown roles must not leave the one executive."""
    rows, attrs = _eastgate()
    ledger = Ledger(tmp_path / "ledger")
    first = _score(rows, attrs, ["site"], ledger).profile
    assert _shown(first, ("site",)) == {("Eastgate",): 25, ("Westmoor",): 25}
    second = _score(rows, attrs, ["site,role"], ledger).profile
    east = {k: n for k, n in _shown(second, ("site", "role")).items() if k[0] == "Eastgate"}
    assert 25 - sum(east.values()) not in range(1, 5)
    assert second.release.hidden_because_earlier >= 1 and second.release.earlier_releases == 1
    # Without the ledger the same second run shows all four larger Eastgate roles.
    alone = _score(rows, attrs, ["site,role"], Ledger(tmp_path / "other")).profile
    assert len([k for k in _shown(alone, ("site", "role")) if k[0] == "Eastgate"]) == 4


def test_a_rerun_records_nothing_new_and_gives_the_same_result(tmp_path: Path) -> None:
    rows, attrs = _eastgate()
    ledger = Ledger(tmp_path / "ledger")
    a = _score(rows, attrs, ["site", "role"], ledger).profile
    b = _score(rows, attrs, ["site", "role"], ledger).profile
    assert attrs_evolve(a, generated="") == attrs_evolve(b, generated="")
    (data_set,) = list((tmp_path / "ledger" / INST.id).iterdir())
    assert sorted(p.name for p in data_set.glob("release-*.npz")) == ["release-1.npz"]
    assert json.loads((data_set / "releases.json").read_text())["releases"][0]["settings"]["min_group_size"] == 5


def test_removing_one_person_and_rescoring_is_refused(tmp_path: Path) -> None:
    """The remaining limit of any deterministic release, which the ledger turns into a refusal."""
    rows, attrs = _eastgate()
    ledger = Ledger(tmp_path / "ledger")
    _score(rows, attrs, [], ledger)
    fewer = {k: v[1:] for k, v in attrs.items()}
    with pytest.raises(ImplassessError, match="differ from it by fewer than 5 respondents"):
        _score(rows[1:], fewer, [], ledger)
    # Ten people fewer is a group of at least the minimum: allowed.
    fewer10 = {k: v[10:] for k, v in attrs.items()}
    assert not _score(rows[10:], fewer10, [], ledger).profile.organisation.suppressed


def test_the_ledger_holds_no_answers_labels_or_ids(tmp_path: Path) -> None:
    rows, attrs = _eastgate()
    _score(rows, attrs, ["site,role"], Ledger(tmp_path / "ledger"))
    blob = b"".join(p.read_bytes() for p in (tmp_path / "ledger").rglob("*") if p.is_file())
    for word in (b"Eastgate", b"Westmoor", b"executive", b"nurse"):
        assert word not in blob
    key = tmp_path / "ledger" / "key"
    assert key.stat().st_mode & 0o077 == 0


def test_ledger_location_option_then_environment_then_user_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPLASSESS_LEDGER", str(tmp_path / "env"))
    assert location(tmp_path / "opt") == tmp_path / "opt"
    assert location(None) == tmp_path / "env"
    monkeypatch.delenv("IMPLASSESS_LEDGER")
    assert location(None) == ledger_mod.default_location()
    assert ledger_mod.default_location().parts[-2:] == ("implassess", "ledger")


def test_an_unwritable_ledger_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    rows, attrs = _eastgate()
    with pytest.raises(ImplassessError, match="release ledger"):
        _score(rows, attrs, ["site"], Ledger(blocker / "ledger"))


def test_a_minimum_under_three_needs_acknowledgement(tmp_path: Path) -> None:
    rows, attrs = _eastgate()
    with pytest.raises(ImplassessError, match="accept-small-groups"):
        _score(rows, attrs, ["site"], Ledger(tmp_path / "l"), minimum=2)
    shown = _score(rows, attrs, ["site,role"], Ledger(tmp_path / "l"), minimum=2, accept_small_groups=True)
    assert shown.profile.settings.accept_small_groups


def test_small_groups_can_be_combined_into_other(tmp_path: Path) -> None:
    """With a minimum of 6, Westmoor's five roles of 5 and Eastgate's executive pool into Other (n = 26);
    Eastgate's four roles of 6 show."""
    rows, attrs = _eastgate()
    p = _score(rows, attrs, ["site,role"], Ledger(tmp_path / "l"), minimum=6, small_groups="combine").profile
    shown = _shown(p, ("site", "role"))
    assert shown == {
        ("Eastgate", "admin"): 6,
        ("Eastgate", "allied"): 6,
        ("Eastgate", "doctor"): 6,
        ("Eastgate", "nurse"): 6,
        (OTHER, OTHER): 26,
    }


def test_an_added_or_newly_mapped_column_does_not_unlink_the_history(tmp_path: Path) -> None:
    """Respondents are matched by their answers: a column added to the export (or mapped in one
    run only) must not make the second run a stranger to the first."""
    rows, attrs = _eastgate()
    ledger = Ledger(tmp_path / "ledger")
    _score(rows, attrs, ["site"], ledger)
    wider = {**attrs, "department": ["Surgery"] * len(rows)}
    second = _score(rows, wider, ["site,role"], ledger).profile
    assert second.release.earlier_releases == 1 and second.release.hidden_because_earlier >= 1
    east = {k: n for k, n in _shown(second, ("site", "role")).items() if k[0] == "Eastgate"}
    assert 25 - sum(east.values()) not in range(1, 5)


def test_a_re_sorted_export_matches_row_for_row(tmp_path: Path) -> None:
    rows, attrs = _eastgate()
    ledger = Ledger(tmp_path / "ledger")
    order = list(reversed(range(len(rows))))
    a = ledger.fingerprints(from_values(INST, rows, attributes=attrs))
    b = ledger.fingerprints(
        from_values(INST, [rows[i] for i in order], attributes={k: [v[i] for i in order] for k, v in attrs.items()})
    )
    assert sorted(a.tobytes()[i : i + 16] for i in range(0, len(a) * 16, 16)) == sorted(
        b.tobytes()[i : i + 16] for i in range(0, len(b) * 16, 16)
    )
    assert len(set(a.tolist())) == len(rows)  # people who answered alike stay distinct


def test_a_run_waits_for_another_run_using_the_ledger(tmp_path: Path) -> None:
    """Two runs that both read the ledger before either recorded could be subtracted: the second
    waits until the first has recorded its release."""
    import subprocess
    import sys
    import time

    rows, attrs = _eastgate()
    ledger = Ledger(tmp_path / "ledger")
    ledger._key()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from implassess.outputs.lock import folder_lock\n"
            "with folder_lock(Path(sys.argv[1]), 'another run'):\n"
            "    print('held', flush=True); time.sleep(2)",
            str(tmp_path / "ledger" / INST.id),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    start = time.monotonic()
    _score(rows, attrs, ["site"], ledger)
    assert time.monotonic() - start > 1.0
    assert holder.wait(timeout=30) == 0


def _break(ledger_dir: Path, how: str) -> None:
    (data_set,) = list((ledger_dir / INST.id).glob("*/"))
    if how == "key deleted":
        (ledger_dir / "key").unlink()
    elif how == "release file deleted":
        (data_set / "release-1.npz").unlink()
    elif how == "fingerprints deleted":
        (data_set / "fingerprints.npy").unlink()
    elif how == "fingerprints of another type":
        np.save(data_set / "fingerprints.npy", np.arange(10.0))
    elif how == "index not an object":
        (data_set / "releases.json").write_text("[]")
    elif how == "measures a list":
        doc = json.loads((data_set / "releases.json").read_text())
        doc["releases"][0]["measures"] = ["respondents"]
        (data_set / "releases.json").write_text(json.dumps(doc))
    elif how == "index not JSON":
        (data_set / "releases.json").write_text("{")
    elif how == "release without its arrays":
        np.savez(data_set / "release-1.npz", other=np.zeros(3))


@pytest.mark.parametrize(
    "how",
    [
        "key deleted",
        "release file deleted",
        "fingerprints deleted",
        "fingerprints of another type",
        "index not an object",
        "measures a list",
        "index not JSON",
        "release without its arrays",
    ],
)
def test_a_damaged_ledger_stops_the_run(tmp_path: Path, how: str) -> None:
    """A damaged ledger must never quietly protect less: the run stops with a clear error."""
    rows, attrs = _eastgate()
    ledger = Ledger(tmp_path / "ledger")
    _score(rows, attrs, ["site"], ledger)
    _break(tmp_path / "ledger", how)
    with pytest.raises(ImplassessError, match="The release ledger is damaged"):
        _score(rows, attrs, ["site,role"], ledger)


def test_a_smaller_minimum_than_an_earlier_release_is_warned(tmp_path: Path) -> None:
    from implassess.outputs.ledger import release_lines

    rows, attrs = _eastgate()
    ledger = Ledger(tmp_path / "ledger")
    _score(rows, attrs, ["site"], ledger, minimum=6)
    later = _score(rows, attrs, ["site,role"], ledger, minimum=5).profile
    assert later.release.earlier_minimum == 6
    (line,) = [x for x in release_lines(later.release, 5, lowered=False) if x.startswith("Warning: an earlier")]
    assert "minimum group size of 6; with 5 here, groups of 5 to 5 people" in line


def test_another_data_set_with_the_same_settings_counts_as_an_earlier_release(tmp_path: Path) -> None:
    """One respondent swapped for another: the same command on the new rows is checked against
    the old rows' release, and says so."""
    rows, attrs = _eastgate()
    ledger = Ledger(tmp_path / "ledger")
    _score(rows, attrs, ["site"], ledger)
    swapped = [[5.0, 5.0, 1.0, 5.0, 5.0], *rows[1:]]
    assert swapped[0] != rows[0]
    again = _score(swapped, attrs, ["site"], ledger).profile
    assert again.release.earlier_releases == 1
