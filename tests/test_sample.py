"""The sample-data generator: reproducible, shaped as requested, statistically plausible.

Every structural and statistical test runs on the minimal fixture instrument and on the
built-in diagnostic battery (skipped, with the reason, only while that battery does not
load). The files are read back as a reader would, not taken from memory.
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import attrs
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from implassess import plugins
from implassess.cli.sample import sample
from implassess.errors import ImplassessError, NotFoundError
from implassess.formats.instrument import load_file
from implassess.jobs.sample import sample_source
from implassess.model import Battery, Instrument, Kpi
from implassess.sample import KPI_PERIODS, ROLES, SITES, SMALL_SITE, WAVES, SampleData, generate, write_sample

MINIMAL = Path(__file__).resolve().parent / "fixtures" / "instruments" / "minimal.toml"
DIAGNOSTIC = "implementation-leadership-diagnostic"
SURVEY_META = ("respondent_id", "submitted_at", "site", "role", "wave", "email", "comment")
RATER_META = ("respondent_id", "submitted_at", "participant", "relationship", "wave", "cohort", "comment")


# -- helpers -----------------------------------------------------------------------


def alpha(matrix: np.ndarray) -> float:
    """Cronbach's α = k/(k−1)·(1 − Σσ²ᵢ/σ²ₜ) on complete cases (sample variances)."""
    m = matrix[~np.isnan(matrix).any(axis=1)]
    k = m.shape[1]
    return k / (k - 1) * (1 - m.var(axis=0, ddof=1).sum() / m.sum(axis=1).var(ddof=1))


def read_csv(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> list[list[str]]:
    with path.open(newline="", encoding=encoding) as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def scored(records: list[dict[str, str]], inst: Instrument, dim_id: str) -> np.ndarray:
    """Respondents × items of one dimension: valid values reverse-keyed, NaN otherwise."""
    items = inst.items_in(dim_id)
    out = np.full((len(records), len(items)), np.nan)
    for j, item in enumerate(items):
        scale = inst.scale_for(item)
        lo, hi = scale.numeric_range()
        valid = {str(int(v)) for v in (o.value for o in scale.substantive()) if v is not None}
        for i, rec in enumerate(records):
            if rec[item.id] in valid:
                x = float(rec[item.id])
                out[i, j] = lo + hi - x if item.reverse else x
    return out


def row_means(matrix: np.ndarray) -> np.ndarray:
    """Mean of each row's answered items; NaN for a row with none."""
    answered = (~np.isnan(matrix)).sum(axis=1)
    return np.where(answered > 0, np.nansum(matrix, axis=1) / np.maximum(answered, 1), np.nan)


def valid_cells(inst: Instrument) -> dict[str, set[str]]:
    """Item id → every string a clean generic export may hold (values, codes, blank)."""
    cells = {}
    for item in inst.items:
        scale = inst.scale_for(item)
        ok = {""} | {o.code or o.label for o in scale.options if o.non_substantive}
        ok |= {str(int(o.value)) for o in scale.substantive() if o.value is not None}
        cells[item.id] = ok
    return cells


@attrs.frozen
class Case:
    name: str
    source: Battery | Instrument
    instruments: tuple[Instrument, ...]
    data: SampleData
    out: Path


def _minimal() -> Instrument:
    return load_file(MINIMAL)


def _with_kpis(inst: Instrument) -> Instrument:
    kpis = (
        Kpi(id="uptake", name="Uptake", unit="%", direction="higher", thresholds=(20, 40, 60, 80), target=75),
        Kpi(
            id="wait",
            name="Days to first review",
            unit="days",
            direction="lower",
            thresholds=(7, 14, 21, 28),
            target=10,
        ),
        Kpi(
            id="share",
            name="Share of teams reporting",
            unit="proportion",
            direction="higher",
            thresholds=(0.2, 0.4, 0.6, 0.8),
            target=0.7,
        ),
    )
    return attrs.evolve(inst, id="minimal-kpis", kpis=kpis)


@pytest.fixture(scope="module", params=["minimal", "diagnostic"])
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Case:
    if request.param == "minimal":
        source: Battery | Instrument = _with_kpis(_minimal())
        instruments: tuple[Instrument, ...] = (source,)
    else:
        batteries = plugins.get_batteries()
        if DIAGNOSTIC not in batteries:
            pytest.skip(f"The built-in battery {DIAGNOSTIC!r} does not load in this checkout.")
        source = batteries[DIAGNOSTIC]
        instruments = tuple(plugins.get_instruments()[m.id] for m in source.instruments)
    data = generate(source, seed=7)
    out = tmp_path_factory.mktemp(request.param)
    write_sample(data, out)
    return Case(request.param, source, instruments, data, out)


def survey_records(case: Case) -> list[dict[str, str]]:
    return as_dicts(read_csv(case.out / "org-survey.csv"))


# -- α itself ----------------------------------------------------------------------


def test_alpha_helper_matches_a_hand_worked_value() -> None:
    """Items (1,2,3) and (2,3,3): σ²₁ = 1, σ²₂ = 1/3, totals (3,5,6) σ²ₜ = 7/3,
    so α = 2·(1 − (4/3)/(7/3)) = 6/7 (Cronbach 1951, sample variances as in psych::alpha)."""
    assert alpha(np.array([[1, 2], [2, 3], [3, 3]], dtype=float)) == pytest.approx(6 / 7)


# -- reproducibility ---------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(case: Case, tmp_path: Path) -> None:
    paths = write_sample(generate(case.source, seed=7), tmp_path)
    assert sorted(p.name for p in paths) == sorted(p.name for p in case.out.iterdir())
    for path in paths:
        assert path.read_bytes() == (case.out / path.name).read_bytes(), path.name


def test_a_different_seed_gives_different_data(case: Case, tmp_path: Path) -> None:
    write_sample(generate(case.source, seed=8), tmp_path)
    for name in ("org-survey.csv", "org-survey-qualtrics.csv", "leadership-360.csv", "kpis.csv"):
        assert (tmp_path / name).read_bytes() != (case.out / name).read_bytes(), name


# -- organisation survey -----------------------------------------------------------


def test_survey_has_the_requested_columns(case: Case) -> None:
    header = read_csv(case.out / "org-survey.csv")[0]
    items = tuple(it.id for inst in case.instruments for d in inst.dimensions for it in inst.items_in(d.id))
    assert tuple(header) == SURVEY_META + items
    assert case.data.survey_items == items


def test_survey_sites_roles_and_waves(case: Case) -> None:
    records = survey_records(case)
    by_site_wave = Counter((r["site"], r["wave"]) for r in records)
    assert {r["site"] for r in records} == {s for s, _, _ in SITES} | {SMALL_SITE}
    assert {r["role"] for r in records} == {r for r, _, _ in ROLES}
    assert {r["wave"] for r in records} == set(WAVES)
    small = {r["respondent_id"] for r in records if r["site"] == SMALL_SITE}
    assert 0 < len(small) < 5
    assert all(by_site_wave[(s, w)] >= 5 for s, _, _ in SITES for w in WAVES)
    assert len({r["respondent_id"] for r in records}) == 400
    assert Counter(r["wave"] for r in records)["baseline"] in range(195, 206)


def test_survey_flaws_are_present_and_counted(case: Case) -> None:
    records = survey_records(case)
    anomalies = case.data.anomalies
    ids = Counter(r["respondent_id"] for r in records)
    assert sorted(i for i, n in ids.items() if n > 1) == sorted(anomalies["duplicate"])
    assert len(anomalies["duplicate"]) == 3
    assert len(records) == 400 + 3
    for rid in anomalies["duplicate"]:
        times = [r["submitted_at"] for r in records if r["respondent_id"] == rid]
        assert times[0] < times[1]
    ok = {k: v for inst in case.instruments for k, v in valid_cells(inst).items()}
    items = case.data.survey_items
    bad = defaultdict(set)
    for r in records:
        for item in items:
            if r[item] not in ok[item]:
                bad["non-numeric" if not r[item].isdigit() else "out-of-range"].add((r["respondent_id"], r[item]))
        if all(r[item] == "" for item in items):
            bad["all-blank"].add((r["respondent_id"], ""))
    assert bad["out-of-range"] == {(anomalies["out-of-range"][0], "7")}
    assert bad["non-numeric"] == {(anomalies["non-numeric"][0], "agree-ish")}
    assert bad["all-blank"] == {(anomalies["all-blank"][0], "")}


def test_survey_missingness_is_realistic(case: Case) -> None:
    records = [r for r in survey_records(case) if r["respondent_id"] not in case.data.anomalies["all-blank"]]
    cells = Counter(r[item] for r in records for item in case.data.survey_items)
    total = sum(cells.values())
    assert 0.02 < cells[""] / total < 0.045
    assert 0.012 < cells["8"] / total < 0.03
    assert 0.005 < cells["9"] / total < 0.016


def test_survey_comments_and_personal_data(case: Case) -> None:
    records = survey_records(case)
    comments = [r["comment"] for r in records if r["comment"]]
    assert 0.05 < len(comments) / len(records) < 0.3
    hostile = [c for c in comments if "<b>" in c and "&" in c and "</para>" in c]
    assert len(hostile) == 1 and len(hostile[0]) > 500 and "\n" not in hostile[0]
    assert any("\n" in c and '"' in c for c in comments)
    email = re.compile(r"^[a-zí'_.]+[0-9]*@(example\.(org|net|com)|mail\.example)$")
    assert all(email.match(r["email"]) for r in records), [r["email"] for r in records if not email.match(r["email"])]


def test_survey_alpha_per_dimension_is_between_0_7_and_0_9(case: Case) -> None:
    records = survey_records(case)
    for inst in case.instruments:
        for dim in inst.dimensions:
            if len(inst.items_in(dim.id)) < 2:
                continue
            value = alpha(scored(records, inst, dim.id))
            assert 0.7 <= value <= 0.9, (inst.id, dim.id, value)


def test_survey_follow_up_is_higher_on_the_changed_dimensions(case: Case) -> None:
    records = survey_records(case)
    wave = np.array([r["wave"] for r in records])
    diffs = {}
    for inst in case.instruments:
        for dim in inst.dimensions:
            if not inst.items_in(dim.id):
                continue
            score = row_means(scored(records, inst, dim.id))
            ok = ~np.isnan(score)
            diffs[f"{inst.id}/{dim.id}"] = score[ok & (wave == WAVES[1])].mean() - score[ok & (wave == WAVES[0])].mean()
    assert set(diffs) == set(case.data.changes)
    changed = [k for k, v in case.data.changes.items() if v > 0]
    unchanged = [k for k, v in case.data.changes.items() if v == 0]
    assert changed and unchanged
    assert all(0.2 <= case.data.changes[k] <= 0.4 for k in changed)
    assert all(diffs[k] > 0 for k in changed), diffs
    assert np.mean([diffs[k] for k in changed]) > np.mean([diffs[k] for k in unchanged]) + 0.1


# -- leadership 360 ----------------------------------------------------------------


def test_360_structure_and_rater_minimums(case: Case) -> None:
    rows = read_csv(case.out / "leadership-360.csv")
    leaders = [i for i in case.instruments if "self" in {f.id for f in i.forms}]
    items = tuple(it.id for inst in leaders for d in inst.dimensions for it in inst.items_in(d.id))
    assert tuple(rows[0]) == RATER_META + items
    records = as_dicts(rows)
    people = as_dicts(read_csv(case.out / "participants.csv"))
    assert [p["participant"] for p in people] == [f"P{i:03d}" for i in range(1, 25)]
    assert all(p["name"] and p["site"] in {s for s, _, _ in SITES} for p in people)
    cohort = {p["participant"]: p["cohort"] for p in people}
    assert len(set(cohort.values())) == 2
    assert all(r["cohort"] == cohort[r["participant"]] for r in records)
    assert {r["relationship"] for r in records} == {"self", "manager", "peer", "direct-report", "other"}
    assert {r["wave"] for r in records} == set(WAVES)
    counts = Counter((r["participant"], r["wave"], r["relationship"]) for r in records)
    for p in cohort:
        for w in WAVES:
            assert counts[(p, w, "self")] == counts[(p, w, "manager")] == 1
            assert counts[(p, w, "peer")] <= 5 and counts[(p, w, "direct-report")] <= 6
            assert counts[(p, w, "other")] <= 3
    peers = [counts[(p, w, "peer")] for p in cohort for w in WAVES]
    assert min(peers) < 3 <= max(peers)
    assert case.data.few_peers and all(counts[(p, w, "peer")] < 3 for p in case.data.few_peers for w in WAVES)
    assert 0.1 < sum(bool(r["comment"]) for r in records) / len(records) < 0.5
    assert len({r["respondent_id"] for r in records}) == len(records)


def test_360_others_rate_higher_after_the_programme_on_changed_dimensions(case: Case) -> None:
    records = [r for r in as_dicts(read_csv(case.out / "leadership-360.csv")) if r["relationship"] != "self"]
    wave = np.array([r["wave"] for r in records])
    changed = [k for k, v in case.data.changes_360.items() if v > 0]
    assert changed
    for key in changed:
        inst_id, dim_id = key.split("/")
        inst = next(i for i in case.instruments if i.id == inst_id)
        score = row_means(scored(records, inst, dim_id))
        ok = ~np.isnan(score)
        assert score[ok & (wave == WAVES[1])].mean() > score[ok & (wave == WAVES[0])].mean() + 0.05, key


def test_360_has_blind_spots_and_hidden_strengths(case: Case) -> None:
    """The built-in gaps exceed one third of the scale range (the Primalogik cut) in both waves."""
    records = as_dicts(read_csv(case.out / "leadership-360.csv"))
    kinds = Counter(kind for _, _, kind in case.data.self_gaps)
    assert kinds == {"blind-spot": 3, "hidden-strength": 2}
    for participant, key, kind in case.data.self_gaps:
        inst_id, dim_id = key.split("/")
        inst = next(i for i in case.instruments if i.id == inst_id)
        lo, hi = inst.scale_for(inst.items_in(dim_id)[0]).numeric_range()
        mine = [r for r in records if r["participant"] == participant]
        score = row_means(scored(mine, inst, dim_id))
        for w in WAVES:
            own = [s for s, r in zip(score, mine, strict=True) if r["wave"] == w and r["relationship"] == "self"]
            others = [s for s, r in zip(score, mine, strict=True) if r["wave"] == w and r["relationship"] != "self"]
            gap = own[0] - np.nanmean(others)
            assert (gap if kind == "blind-spot" else -gap) > (hi - lo) / 3, (participant, key, w, gap)


def test_without_a_self_form_there_is_no_360(tmp_path: Path) -> None:
    data = generate(attrs.evolve(_minimal(), forms=()), seed=1)
    assert data.rater360 is None and data.participants is None and data.kpis is None
    names = {p.name for p in write_sample(data, tmp_path)}
    assert names == {"org-survey.csv", "org-survey-qualtrics.csv", "README.txt"}


# -- Qualtrics export --------------------------------------------------------------


def test_qualtrics_export_has_three_header_rows_previews_a_test_and_a_ragged_row(case: Case) -> None:
    raw = (case.out / "org-survey-qualtrics.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = read_csv(case.out / "org-survey-qualtrics.csv", encoding="utf-8-sig")
    ids, texts, imports = rows[0], rows[1], rows[2]
    assert ids[:17] == [
        "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
        "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
        "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage",
    ]  # fmt: skip
    assert ids[17:20] == ["site", "role", "wave"]
    assert tuple(ids[20:-1]) == case.data.survey_items and ids[-1] == "comment"
    members = {m.id: m.form for m in case.source.instruments} if isinstance(case.source, Battery) else {}
    for inst in case.instruments:
        form = members.get(inst.id) or ("rater" if inst.forms else None)
        for item in inst.items:
            assert texts[ids.index(item.id)] == inst.render_text(item, form)
    parsed = [json.loads(cell) for cell in imports]
    assert [p["ImportId"] for p in parsed[:3]] == ["startDate", "endDate", "status"]
    qids = [p["ImportId"] for p in parsed[20:-1]]
    assert all(re.fullmatch(r"QID\d+", q) for q in qids) and len(set(qids)) == len(qids)

    body = rows[3:]
    status = Counter(r[2] for r in body)
    assert status == {"IP Address": 403 + 1, "Survey Preview": 2, "Survey Test": 1}
    ragged = [r for r in body if len(r) != len(ids)]
    assert ragged == [body[-1]] and body[-1][6] == "False"

    # The responses are the generic survey, row for row, with labels instead of values.
    generic = survey_records(case)
    responses = [dict(zip(ids, r, strict=True)) for r in body[3:-1]]
    assert [r["ExternalReference"] for r in responses] == [g["respondent_id"] for g in generic]
    labels = {}
    for inst in case.instruments:
        for item in inst.items:
            for opt in inst.scale_for(item).options:
                key = opt.code or opt.label if opt.non_substantive else str(int(opt.value or 0))
                labels[(item.id, key)] = opt.label
    for q, g in zip(responses, generic, strict=True):
        assert (q["site"], q["role"], q["wave"], q["RecipientEmail"]) == (g["site"], g["role"], g["wave"], g["email"])
        for item in case.data.survey_items:
            assert q[item] == labels.get((item, g[item]), g[item])


# -- KPIs --------------------------------------------------------------------------


def test_kpi_sheet_covers_every_kpi_with_a_trend(case: Case) -> None:
    kpis = [k for inst in case.instruments for k in inst.kpis]
    if not kpis:
        pytest.skip(f"{case.name} has no KPIs.")
    rows = read_csv(case.out / "kpis.csv")
    assert rows[0] == ["kpi", "period", "value", "unit"]
    records = as_dicts(rows)
    assert [(r["kpi"], r["period"]) for r in records] == [(k.id, p) for k in kpis for p in KPI_PERIODS]
    for kpi in kpis:
        values = [float(r["value"]) for r in records if r["kpi"] == kpi.id]
        assert {r["unit"] for r in records if r["kpi"] == kpi.id} == {kpi.unit}
        bounds = [*kpi.thresholds, kpi.target]
        span = max(bounds) - min(bounds)
        assert all(min(bounds) - span <= v <= max(bounds) + span for v in values), (kpi.id, values)
        better = values[-1] > values[0] if kpi.direction == "higher" else values[-1] < values[0]
        assert better, (kpi.id, values)
    levels = Counter(k.level_for(float(r["value"])) for k in kpis for r in records if r["kpi"] == k.id)
    assert len(levels) >= 2


def test_decimal_comma_kpi_sheet_parses_to_the_same_numbers(case: Case) -> None:
    if not any(inst.kpis for inst in case.instruments):
        pytest.skip(f"{case.name} has no KPIs.")
    plain = read_csv(case.out / "kpis.csv")
    comma = read_csv(case.out / "kpis-decimal-comma.csv", delimiter=";")
    assert comma[0] == plain[0]
    assert any("," in r[2] for r in comma[1:]) and not any("." in r[2] for r in comma[1:])
    assert [(r[0], r[1], float(r[2].replace(",", ".")), r[3]) for r in comma[1:]] == [
        (r[0], r[1], float(r[2]), r[3]) for r in plain[1:]
    ]


# -- invariants for any seed and size ----------------------------------------------


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(40, 160))
def test_any_seed_and_size_keeps_the_promised_shape(seed: int, n: int) -> None:
    data = generate(_minimal(), seed=seed, n_respondents=n, n_participants=6)
    records = data.survey.records()
    assert len(records) == n + 3
    assert len({r["respondent_id"] for r in records}) == n
    assert sum(r["site"] == SMALL_SITE for r in records) == 4
    ok = valid_cells(_minimal())
    flagged = {i for kind in ("out-of-range", "non-numeric") for i in data.anomalies[kind]}
    assert {r["respondent_id"] for r in records if any(r[i] not in ok[i] for i in data.survey_items)} == flagged
    assert [r["submitted_at"] for r in records] == sorted(r["submitted_at"] for r in records)
    assert data.rater360 is not None and {r[3] for r in data.rater360.rows} >= {"self", "manager", "peer"}


# -- errors, speed, CLI ------------------------------------------------------------


def test_generate_refuses_too_few_respondents_and_clashing_item_ids() -> None:
    with pytest.raises(ImplassessError) as exc:
        generate(_minimal(), seed=1, n_respondents=39)
    assert str(exc.value) == "The sample needs at least 40 survey respondents; got 39."
    with pytest.raises(ImplassessError) as exc:
        generate([_minimal(), attrs.evolve(_minimal(), id="copy")], seed=1)
    assert str(exc.value) == (
        "Item id 'p1' is used by both 'minimal' and 'copy'; the sample data name columns by item id, "
        "so the instruments cannot be fielded together."
    )


def test_unknown_battery_is_named_with_the_known_ones() -> None:
    with pytest.raises(NotFoundError) as exc:
        sample_source("no-such-battery")
    assert str(exc.value).startswith("No battery or instrument named 'no-such-battery'. Known: ")


def test_generating_and_writing_is_fast(case: Case, tmp_path: Path) -> None:
    start = time.perf_counter()
    write_sample(generate(case.source, seed=3, n_respondents=400, n_participants=24), tmp_path)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    ("fmt", "survey_files"),
    [
        ("generic", {"org-survey.csv"}),
        ("qualtrics", {"org-survey-qualtrics.csv"}),
        ("both", {"org-survey.csv", "org-survey-qualtrics.csv"}),
    ],
)
def test_cli_writes_the_requested_formats(fmt: str, survey_files: set[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        sample, ["--battery", str(MINIMAL), "--seed", "3", "--format", fmt, "-o", str(tmp_path)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    names = {p.name for p in tmp_path.iterdir()}
    assert names == survey_files | {"leadership-360.csv", "participants.csv", "README.txt"}
    assert result.output.splitlines() == [str(tmp_path / n) for n in _order(names)]


def _order(names: set[str]) -> list[str]:
    order = ["org-survey.csv", "org-survey-qualtrics.csv", "leadership-360.csv", "participants.csv", "README.txt"]
    return [n for n in order if n in names]


def test_cli_json_and_default_battery(tmp_path: Path) -> None:
    if DIAGNOSTIC not in plugins.get_batteries():
        pytest.skip(f"The built-in battery {DIAGNOSTIC!r} does not load in this checkout.")
    result = CliRunner().invoke(sample, ["-o", str(tmp_path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["seed"] == 7
    assert [Path(p).name for p in out["files"]] == [
        "org-survey.csv", "org-survey-qualtrics.csv", "leadership-360.csv", "participants.csv", "kpis.csv",
        "kpis-decimal-comma.csv", "README.txt",
    ]  # fmt: skip
    readme = (tmp_path / "README.txt").read_text(encoding="utf-8")
    assert "Harbourside Hospice has fewer than 5 respondents" in readme
