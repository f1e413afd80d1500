"""The main job end to end: `implassess demo` and `implassess run` on the sample data.

The PDF, the profile JSON and the CSVs must show the same numbers; every row read is
scored, rejected with a reason or left out as another wave; no suppressed group's
statistics reach any output; reproducible runs are byte-identical.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from implassess.cli import cli
from implassess.report.fmt import fmt_r, fmt_score
from tests.conftest import ledger_at

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    with ledger_at(out.parent / f"{out.name}-ledger"):
        result = CliRunner().invoke(cli, ["demo", "--out-dir", str(out), "--reproducible"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def pdf_text(demo: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(demo / "report.pdf").pages)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_rows_reconcile_and_rejections_have_reasons(demo: Path) -> None:
    manifest = json.loads((demo / "manifest.json").read_text())
    rows = manifest["rows"]
    assert rows["read"] == rows["scored"] + rows["rejected"] + rows["other_wave"]
    with (demo / "data" / "org-survey.csv").open(newline="", encoding="utf-8") as f:
        assert rows["read"] == sum(1 for _ in csv.reader(f)) - 1
    with (demo / "rejected-rows.csv").open(newline="", encoding="utf-8") as f:
        rejected = [r for r in csv.DictReader(f) if r["file"] == "org-survey.csv"]
    assert len(rejected) == rows["rejected"] >= 5
    assert all(r["reasons"] for r in rejected)
    assert any("found '7', which is outside scale 'agree5'" in r["reasons"] for r in rejected)
    assert sum("again in wave" in r["reasons"] for r in rejected) == 3


def test_manifest_hashes_every_output(demo: Path) -> None:
    manifest = json.loads((demo / "manifest.json").read_text())
    assert "report.pdf" in manifest["outputs"]
    for entry in manifest["outputs"].values():
        assert hashlib.sha256((demo / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    # Personal columns are dropped and named, never carried into outputs.
    survey = next(v for k, v in manifest["inputs"].items() if k.endswith("org-survey.csv"))
    assert "email" in survey["instruments"]["clarity-gaps"]["personal_columns_dropped"]
    for path in demo.rglob("*"):
        if path.is_file() and path.suffix in {".json", ".csv"} and "data" not in path.parts:
            assert "@" not in path.read_text(encoding="utf-8"), path


def test_every_section_appears(pdf_text: str) -> None:
    for heading in (
        "Contents",
        "Executive summary",
        "Maturity profile",
        "Dimension results",
        "Results by group",
        "KPI scorecard",
        "Action plan",
        "Methodology and data quality",
    ):
        assert heading in pdf_text, heading


def test_pdf_numbers_match_the_profile_json(demo: Path, pdf_text: str) -> None:
    text = _norm(pdf_text)
    checked = 0
    for inst in ("clarity-gaps", "contextual-intelligence", "implementation-readiness"):
        profile = json.loads((demo / inst / "profile.json").read_text())
        for dim in profile["organisation"]["dimensions"]:
            if dim.get("source") == "kpis" or dim.get("suppressed"):
                continue
            name = next(u["name"] for u in profile["instrument"]["units"] if u["id"] == dim["id"])
            assert f"{name} scores {fmt_score(dim['score_0_100'])} of 100" in text, name
            assert fmt_r(dim["alpha"]) in text and fmt_r(dim["rwg_j"]) in text
            checked += 1
    assert checked >= 10


def test_groups_csv_matches_profile_json(demo: Path) -> None:
    profile = json.loads((demo / "clarity-gaps" / "profile.json").read_text())
    with (demo / "clarity-gaps" / "groups.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    org = {d["id"]: d for d in profile["organisation"]["dimensions"]}
    org_rows = [r for r in rows if r["group"] == "organisation" and r["unit"] in org]
    assert org_rows
    for r in org_rows:
        assert float(r["score_0_100"]) == org[r["unit"]]["score_0_100"]


def test_suppressed_groups_reach_no_output(demo: Path, pdf_text: str) -> None:
    profile = json.loads((demo / "clarity-gaps" / "profile.json").read_text())
    suppressed = [g["key"] for b in profile["breakdowns"] for g in b["groups"] if g.get("suppressed")]
    assert {"site": "Harbourside Hospice"} in suppressed
    for b in profile["breakdowns"]:
        for g in b["groups"]:
            if g.get("suppressed"):
                assert set(g) <= {"key", "label", "suppressed"}, g
    with (demo / "clarity-gaps" / "groups.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if "Harbourside Hospice" in row["group"]:
                assert all(not row[c] for c in ("n", "mean", "score_0_100") if c in row), row
    # In the PDF the small site appears only in the heatmap, marked suppressed.
    lines = [ln for ln in pdf_text.splitlines() if "Harbourside" in ln]
    assert lines and all(not re.search(r"\d", ln.replace("Harbourside Hospice", "")) for ln in lines)


def test_reproducible_runs_are_byte_identical(demo: Path, tmp_path: Path) -> None:
    shutil.copytree(demo / "data", tmp_path / "data")
    for name in ("assessment.toml", "targets.toml"):
        shutil.copy(demo / name, tmp_path / name)
    # A rerun against the same ledger: nothing new is released, and every byte is the same.
    ledger = demo.parent / f"{demo.name}-ledger"
    result = CliRunner().invoke(
        cli,
        ["run", str(tmp_path / "assessment.toml"), "--reproducible", "--ledger", str(ledger)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    for rel in ("report.pdf", "clarity-gaps/profile.json", "clarity-gaps/groups.csv", "manifest.json"):
        if rel == "manifest.json":
            a = json.loads((demo / rel).read_text())["outputs"]
            b = json.loads((tmp_path / rel).read_text())["outputs"]
            assert {k: v["sha256"] for k, v in a.items()} == {k: v["sha256"] for k, v in b.items()}
        else:
            assert (demo / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_hostile_client_text_renders_literally(demo: Path, tmp_path: Path) -> None:
    shutil.copytree(demo / "data", tmp_path / "data")
    shutil.copy(demo / "targets.toml", tmp_path / "targets.toml")
    text = (demo / "assessment.toml").read_text()
    text = text.replace('name = "Northbridge Health"', 'name = "<b>Acme</b> & Sons </para><font size=80>"')
    (tmp_path / "assessment.toml").write_text(text)
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "assessment.toml")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    first = PdfReader(tmp_path / "report.pdf").pages[0].extract_text()
    assert "<b>Acme</b> & Sons </para><font size=80>" in first


def test_assessment_errors_name_the_key_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "assessment.toml"
    bad.write_text(
        'battery = "implementation-leadership-diagnostic"\n'
        "colour = 3\n"
        '[client]\nname = "X"\n'
        '[[responses]]\npath = "missing.csv"\n'
        "[scoring]\nmin-group-size = 0\n"
    )
    result = CliRunner().invoke(cli, ["run", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: colour: error: Unknown key 'colour'" in result.output
    assert f"{bad}: responses[0].path: error: File 'missing.csv' does not exist" in result.output
    assert "Traceback" not in result.output


def test_headline_score_is_in_the_manifest_and_says_how_it_is_formed(demo: Path, pdf_text: str) -> None:
    manifest = json.loads((demo / "manifest.json").read_text())
    overall = manifest["overall"]
    scores = [
        json.loads((demo / i["id"] / "profile.json").read_text())["organisation"]["overall"]["score_0_100"]
        for i in manifest["instruments"]
    ]
    assert overall["score_0_100"] == sum(scores) / len(scores)  # battery weights are all 1
    assert overall["basis"] == "the mean of the overall scores of 7 instruments"
    assert (
        f"scores {fmt_score(overall['score_0_100'])} out of 100 overall (the mean of the overall scores of 7 "
        "instruments)" in _norm(pdf_text)
    )


def _copy_demo(demo: Path, tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    shutil.copytree(demo / "data", tmp_path / "data")
    shutil.copy(demo / "targets.toml", tmp_path / "targets.toml")
    text = (demo / "assessment.toml").read_text()
    if edit is not None:
        assert edit[0] in text
        text = text.replace(*edit)
    (tmp_path / "assessment.toml").write_text(text)
    return tmp_path / "assessment.toml"


def test_the_pdf_data_table_reconciles_with_other_waves(demo: Path, pdf_text: str) -> None:
    rows = json.loads((demo / "manifest.json").read_text())["rows"]
    text = _norm(pdf_text)
    assert f"Read from the exports {rows['read']}" in text
    assert f"Scored {rows['scored']}" in text and f"Set aside {rows['rejected']}" in text
    assert f"Other waves than 'baseline' {rows['other_wave']}" in text


def test_two_waves_are_never_pooled_silently(demo: Path, tmp_path: Path) -> None:
    path = _copy_demo(demo, tmp_path, ('wave = "baseline"\n', ""))
    result = CliRunner().invoke(cli, ["run", str(path)])
    assert result.exit_code == 1
    assert "The 'wave' column holds 2 waves: 'baseline' (" in result.output
    assert "set [scoring] wave = 'baseline' in the assessment" in result.output


def test_compare_wave_scores_both_waves_and_writes_the_change(demo: Path, tmp_path: Path) -> None:
    path = _copy_demo(demo, tmp_path, ('wave = "baseline"\n', 'wave = "follow-up"\ncompare-wave = "baseline"\n'))
    result = CliRunner().invoke(cli, ["run", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["rows"]["other_wave"] == 0
    assert manifest["rows"]["read"] == manifest["rows"]["scored"] + manifest["rows"]["rejected"]
    change = json.loads((tmp_path / "clarity-gaps" / "change.json").read_text())
    assert change["from"] == "baseline" and change["to"] == "follow-up" and change["changes"]


def test_a_breakdown_typo_names_the_assessment_key(demo: Path, tmp_path: Path) -> None:
    path = _copy_demo(demo, tmp_path, ('by = ["site", "role"]', 'by = ["site", "sight"]'))
    result = CliRunner().invoke(cli, ["run", str(path)])
    assert result.exit_code == 1
    assert f"{path}: scoring.by[1]: error: Found 'sight', which is not an attribute column of org-survey.csv" in (
        result.output
    )


def test_a_target_typo_is_reported_at_its_own_index(demo: Path, tmp_path: Path) -> None:
    path = _copy_demo(demo, tmp_path)
    targets = (tmp_path / "targets.toml").read_text().replace('"workflow-clarity"', '"workflow-clarty"')
    (tmp_path / "targets.toml").write_text(targets)
    result = CliRunner().invoke(cli, ["run", str(path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'targets.toml'}: targets[2].dimension: error: Found 'workflow-clarty', which no " in (
        result.output
    )
    assert "'workflow-clarity'" in result.output


def test_the_report_shows_change_since_the_earlier_wave(demo: Path, tmp_path: Path) -> None:
    path = _copy_demo(demo, tmp_path, ('wave = "baseline"\n', 'wave = "follow-up"\ncompare-wave = "baseline"\n'))
    assert CliRunner().invoke(cli, ["run", str(path)], catch_exceptions=False).exit_code == 0
    text = _norm("\n".join(p.extract_text() for p in PdfReader(tmp_path / "report.pdf").pages))
    assert "Change since the last assessment" in text
    change = json.loads((tmp_path / "clarity-gaps" / "change.json").read_text())["changes"]
    org = {c["unit"]: c for c in change if c["group"] == "organisation"}
    before = json.loads((demo / "clarity-gaps" / "profile.json").read_text())["organisation"]["dimensions"]
    after = json.loads((tmp_path / "clarity-gaps" / "profile.json").read_text())["organisation"]["dimensions"]
    b = next(d for d in before if d["id"] == "decision-clarity")["score_0_100"]
    a = next(d for d in after if d["id"] == "decision-clarity")["score_0_100"]
    d = org["decision-clarity"]["score_diff"]
    assert d == pytest.approx(a - b)
    from implassess.report.fmt import fmt_delta, fmt_delta_ci

    ci = fmt_delta_ci(org["decision-clarity"]["score_ci_low"], org["decision-clarity"]["score_ci_high"])
    assert f"Decision clarity {fmt_score(b)} {fmt_score(a)} {fmt_delta(d)} {ci}" in text


def test_a_single_wave_report_has_no_change_section(pdf_text: str) -> None:
    assert "Change since the last assessment" not in pdf_text


def test_run_prints_a_json_summary_that_reconciles(demo: Path, tmp_path: Path) -> None:
    path = _copy_demo(demo, tmp_path)
    result = CliRunner().invoke(cli, ["run", str(path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = data["rows"]
    assert rows["read"] == rows["scored"] + rows["rejected"] + rows["other_wave"]
    assert Path(data["outputs"]["report.pdf"]).exists() and data["pages"] > 20
    assert {i["id"] for i in data["instruments"]} >= {"clarity-gaps", "megatrend-kpis"}


def test_the_demo_renders_the_leadership_cohort(demo: Path) -> None:
    manifest = json.loads((demo / "participants" / "manifest.json").read_text())
    people = manifest["participants"]
    assert len(people) == 24 and all(p["status"] == "ok" for p in people)
    for p in people:
        pdf = demo / "participants" / p["file"]
        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == p["sha256"]


def test_a_lowered_minimum_and_pooled_groups_are_stated(demo: Path, tmp_path: Path) -> None:
    """min-group-size 2 needs accept-small-groups; the report and the terminal then say so, and
    small-groups = "combine" is stated with the rule."""
    shutil.copytree(demo / "data", tmp_path / "data")
    shutil.copy(demo / "targets.toml", tmp_path / "targets.toml")
    text = (demo / "assessment.toml").read_text()
    (tmp_path / "refused.toml").write_text(text.replace("min-group-size = 5", "min-group-size = 2"))
    refused = CliRunner().invoke(cli, ["run", str(tmp_path / "refused.toml")])
    assert refused.exit_code != 0 and "accept-small-groups = true" in refused.output
    lowered = text.replace(
        "min-group-size = 5", 'min-group-size = 2\naccept-small-groups = true\nsmall-groups = "combine"'
    )
    (tmp_path / "assessment.toml").write_text(lowered)
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "assessment.toml")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.count("below the safe minimum of 3") == 1
    pdf = _norm("\n".join(page.extract_text() for page in PdfReader(tmp_path / "report.pdf").pages))
    assert "Caution: the minimum group size was lowered to 2, below the safe minimum of 3" in pdf
    assert 'groups under 2 are combined into one group labelled "Other"' in pdf
