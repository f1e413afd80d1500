"""Reading an export the same way in every command: waves never pooled, breakdown columns read by
name, reader options on ``score``, messages that scale to real files, and output piped into ``head``."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import implassess as ia
from implassess.cli import cli
from implassess.errors import InputError
from implassess.ingest import read_responses

WAVES = [
    ["respondent_id", "site", "wave", "education", "postcode", "p1", "p2", "p3", "l1", "l2"],
    *[[f"B{i}", "North" if i % 2 else "South", "baseline", "degree" if i % 3 else "school", "", "4", "4", "2", "4", "4"]
      for i in range(12)],
    *[[f"F{i}", "North" if i % 2 else "South", "follow-up", "degree", "", "2", "2", "4", "2", "2"] for i in range(8)],
]  # fmt: skip


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


# -- waves --------------------------------------------------------------------------------------------


def test_score_refuses_two_waves_and_names_them_with_counts(tmp_path: Path, minimal_path: Path) -> None:
    data = _write(tmp_path / "two.csv", WAVES)
    code, out = _invoke("score", str(data), "-i", str(minimal_path), "-o", str(tmp_path / "out"))
    assert code == 1
    assert "The 'wave' column holds 2 waves: 'baseline' (12 rows), 'follow-up' (8 rows)." in out
    assert "pass --wave 'baseline' on the command line" in out
    assert not (tmp_path / "out" / "profile.json").exists()


def test_score_one_wave_lists_the_other_waves_rows_and_reconciles(tmp_path: Path, minimal_path: Path) -> None:
    """Baseline answers are 4, 4, 2 (reverse-keyed p3 → 4), 4, 4: every item at 4 on 1–5 is 75 on 0–100."""
    data = _write(tmp_path / "two.csv", WAVES)
    out_dir = tmp_path / "out"
    code, out = _invoke(
        "score", str(data), "-i", str(minimal_path), "--wave", "baseline", "-o", str(out_dir), "--min-group-size", "3"
    )
    assert code == 0, out
    assert "20 rows read, 12 scored, 8 rejected." in out
    assert "Wave: 'baseline' (12 accepted)." in out
    profile = json.loads((out_dir / "profile.json").read_text())
    assert profile["organisation"]["n"] == 12
    assert profile["organisation"]["overall"]["score_0_100"] == pytest.approx(75.0)
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["responses"]["rows_read"] == 20 and manifest["responses"]["reconciles"] is True
    reasons = [r["reasons"][0] for r in manifest["responses"]["rejected_rows"]]
    assert len(reasons) == 8 and all("'follow-up' (another wave)" in r for r in reasons)


def test_api_and_check_take_a_wave_too(tmp_path: Path, minimal_path: Path) -> None:
    data = _write(tmp_path / "two.csv", WAVES)
    inst = ia.load_instrument(str(minimal_path))
    with pytest.raises(InputError, match="wave='baseline' in Python"):
        ia.read_responses(data, inst)
    rs = ia.read_responses(data, inst, wave="follow-up")
    assert rs.n == 8 and len(rs.rejected) == 12 and rs.reconciles()
    assert {r.reasons[0].split(";")[0] for r in rs.rejected} == {"Column 'wave': found 'baseline' (another wave)"}
    code, out = _invoke("responses", "check", str(data), "-i", str(minimal_path))
    assert code == 1 and "waves are never pooled" in out
    code, out = _invoke("responses", "check", str(data), "-i", str(minimal_path), "--wave", "follow-up")
    assert code == 0 and "Rows read: 20; accepted: 8; rejected: 12." in out


def test_a_wave_not_in_the_file_is_an_error_naming_the_waves(tmp_path: Path, minimal_path: Path) -> None:
    data = _write(tmp_path / "two.csv", WAVES)
    inst = ia.load_instrument(str(minimal_path))
    with pytest.raises(
        InputError, match=r"No accepted respondent is in wave 'year-2'; the accepted rows' waves are 'baseline'"
    ):
        read_responses(data, inst, wave="year-2")
    one = _write(tmp_path / "one.csv", [[c for c in r if c != r[2]] for r in WAVES[:5]])
    with pytest.raises(InputError, match="the file has no 'wave' column"):
        read_responses(one, inst, wave="baseline")


# -- --by reads the column of that name ----------------------------------------------------------------


def test_by_reads_an_unmapped_column_of_that_name(tmp_path: Path, minimal_path: Path) -> None:
    data = _write(tmp_path / "two.csv", WAVES)
    out_dir = tmp_path / "out"
    code, out = _invoke(
        "score", str(data), "-i", str(minimal_path), "--wave", "baseline", "--by", "education",
        "--min-group-size", "3", "-o", str(out_dir),
    )  # fmt: skip
    assert code == 0, out
    groups = list(csv.DictReader((out_dir / "groups.csv").open(encoding="utf-8")))
    ns = {g["group"]: g["n"] for g in groups if g["group"].startswith("education=")}
    assert ns == {"education=degree": "8", "education=school": "4"}


def test_by_on_a_personal_or_absent_column_says_which(tmp_path: Path, minimal_path: Path) -> None:
    data = _write(tmp_path / "two.csv", WAVES)
    inst = ia.load_instrument(str(minimal_path))
    with pytest.raises(InputError, match="column 'postcode' holds personal data"):
        read_responses(data, inst, wave="baseline", attributes=["postcode"])
    with pytest.raises(
        InputError, match=r"by 'educaton': the file has no column of that name\. Did you mean 'education'"
    ):
        read_responses(data, inst, wave="baseline", attributes=["educaton"])
    with pytest.raises(InputError, match=r"column 'p1' is read as the instrument's item 'p1'"):
        read_responses(data, inst, wave="baseline", attributes=["p1"])


# -- reader options and messages ---------------------------------------------------------------------------


def test_a_dictionary_on_a_file_that_is_not_redcap_is_an_error(tmp_path: Path, minimal_path: Path, fixtures) -> None:
    data = _write(tmp_path / "plain.csv", WAVES[:4])
    code, out = _invoke(
        "score", str(data), "-i", str(minimal_path), "-o", str(tmp_path / "o"),
        "--dictionary", str(fixtures / "exports" / "redcap_dictionary.csv"),
    )  # fmt: skip
    assert code == 1
    assert "A REDCap data dictionary was given (redcap_dictionary.csv), but the file was read by the 'csv'" in out


def test_score_takes_the_encoding(tmp_path: Path, minimal_path: Path) -> None:
    rows = [
        ["respondent_id", "site", "p1", "p2"],
        *[[f"R{i}", "Nordstraße" if i % 2 else "Süd", "4", "5"] for i in range(10)],
    ]
    data = tmp_path / "latin.csv"
    data.write_bytes("\n".join(",".join(r) for r in rows).encode("cp1252"))
    code, out = _invoke(
        "score", str(data), "-i", str(minimal_path), "--encoding", "cp1252", "--by", "site", "-o", str(tmp_path / "o")
    )
    assert code == 0, out
    assert "Nordstraße" in (tmp_path / "o" / "groups.csv").read_text(encoding="utf-8")


def test_many_rejections_are_summarised_by_cause_and_column(tmp_path: Path, minimal_path: Path) -> None:
    rows = [["respondent_id", "p1", "p2"], *[[f"R{i}", "maybe", "4"] for i in range(30)], ["R99", "4", "4"]]
    data = _write(tmp_path / "bad.csv", rows)
    code, out = _invoke("responses", "check", str(data), "-i", str(minimal_path))
    assert code == 0
    assert "Unreadable answer in column 'p1': 30 row(s) (rows 2, 3, 4, 5, 6, 7 …)" in out
    assert out.count("neither a value nor an answer label") == 2  # one example, one summary with its fix
    assert "Column 'p1': 30 row(s) hold 1 different answer(s) the scale does not have: 'maybe' (30)." in out
    assert "map it in a mapping file's [answers] (such as 'maybe' = 3" in out
    assert "add --rejected-out rejected.csv (30 rows)" in out


def test_long_question_headers_are_cut_in_warnings(tmp_path: Path, minimal_path: Path) -> None:
    long = "Please tell us, in as much detail as you like, " * 4
    data = _write(
        tmp_path / "long.csv",
        [["respondent_id", "p1", long + "- Platform A", long + "- Platform B"], ["R1", "4", "x", "y"]],
    )
    rs = read_responses(data, ia.load_instrument(str(minimal_path)))
    warning = next(w for w in rs.warnings if w.startswith("Columns not mapped"))
    assert long not in warning
    assert "'Please tell us, in as much detail as you … e, Platform A'" not in warning  # cut keeps the end
    assert "as you like, - Platform A'" in warning and "as you like, - Platform B'" in warning


def test_columns_of_other_instruments_are_counted_not_listed(tmp_path: Path) -> None:
    ia.make_sample(tmp_path / "data", seed=3)
    rs = ia.read_responses(tmp_path / "data" / "org-survey.csv", "clarity-gaps", wave="baseline")
    others = next(w for w in rs.warnings if "hold items of other instruments" in w)
    assert others.startswith("129 column(s) hold items of other instruments ('contextual-intelligence' (25)")
    assert not any(w.startswith("Columns not mapped") for w in rs.warnings)


def test_output_piped_into_head_stops_quietly(tmp_path: Path) -> None:
    """The reader of the pipe has gone before anything is written (as `| head` does after its lines)."""
    import os

    exe = Path(sys.executable).parent / "implassess"
    read_end, write_end = os.pipe()
    os.close(read_end)  # no reader at all: the first write fails, every time
    try:
        proc = subprocess.run(
            [str(exe), "instruments", "show", "clarity-gaps"], stdout=write_end, stderr=subprocess.PIPE, timeout=120
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr == b""


def _assessment(tmp_path: Path, minimal_path: Path, responses: str, scoring: str) -> Path:
    path = tmp_path / "assessment.toml"
    path.write_text(
        f"""format-version = 1
kind = "assessment"
instruments = [{json.dumps(str(minimal_path))}]

[client]
name = "Test client"

[[responses]]
{responses}

[scoring]
{scoring}
""",
        encoding="utf-8",
    )
    return path


def test_run_reads_a_breakdown_column_no_rule_knows(tmp_path: Path, minimal_path: Path) -> None:
    """``[scoring] by = ["education"]`` in an assessment works like ``--by education``."""
    _write(tmp_path / "two.csv", WAVES)
    _assessment(tmp_path, minimal_path, 'path = "two.csv"', 'by = ["education"]\nwave = "baseline"\nmin-group-size = 3')
    code, out = _invoke("run", str(tmp_path / "assessment.toml"), "--out-dir", str(tmp_path / "run"))
    assert code == 0, out
    groups = next((tmp_path / "run").rglob("groups.csv")).read_text(encoding="utf-8")
    assert "education=degree" in groups and "education=school" in groups


def test_run_takes_the_encoding_from_the_assessment(tmp_path: Path, minimal_path: Path) -> None:
    rows = [
        ["respondent_id", "site", "p1", "p2"],
        *[[f"R{i}", "Nordstraße" if i % 2 else "Süd", "4", "5"] for i in range(10)],
    ]
    (tmp_path / "latin.csv").write_bytes("\n".join(",".join(r) for r in rows).encode("cp1252"))
    _assessment(tmp_path, minimal_path, 'path = "latin.csv"\nencoding = "cp1252"', 'by = ["site"]')
    code, out = _invoke("run", str(tmp_path / "assessment.toml"), "--out-dir", str(tmp_path / "run"))
    assert code == 0, out
    assert "Nordstraße" in next((tmp_path / "run").rglob("groups.csv")).read_text(encoding="utf-8")


def test_a_plain_table_that_matches_nothing_points_to_format(tmp_path: Path, minimal_path: Path) -> None:
    data = _write(tmp_path / "other.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(InputError, match=r"read as a plain table; if it is a survey tool's export, name the tool's"):
        read_responses(data, ia.load_instrument(str(minimal_path)))


def test_repeats_and_test_responses_reach_the_reader_from_the_cli_and_a_mapping_file(
    tmp_path: Path, fixtures: Path
) -> None:
    """``--repeats each`` scores every REDCap instance (ids ``1#1`` …); ``--test-responses keep``
    scores a legacy Qualtrics test response; a mapping file's ``[options]`` do the same."""
    real = fixtures / "instruments" / "real"
    code, out = _invoke(
        "responses", "check", str(fixtures / "exports" / "redcap_repeating.csv"),
        "-i", str(fixtures / "instruments" / "minimal.toml"), "--repeats", "each", "--json",
    )  # fmt: skip
    assert code == 0, out
    assert json.loads(out)["accepted"] == 4
    mapping = tmp_path / "m.toml"
    mapping.write_text('[options]\nrepeats = "each"\n', encoding="utf-8")
    code, out = _invoke(
        "responses", "check", str(fixtures / "exports" / "redcap_repeating.csv"),
        "-i", str(fixtures / "instruments" / "minimal.toml"), "--mapping", str(mapping), "--json",
    )  # fmt: skip
    assert json.loads(out)["accepted"] == 4
    legacy = [str(fixtures / "exports" / "qualtrics_legacy.csv"), "-i", str(real / "qualtrics_fixtures.toml")]
    kept = json.loads(_invoke("responses", "check", *legacy, "--test-responses", "keep", "--json")[1])
    default = json.loads(_invoke("responses", "check", *legacy, "--json")[1])
    assert (kept["rows_read"], kept["accepted"]) == (8, 7)
    assert default["accepted"] == 6


def test_stray_personal_values_in_the_wave_column_never_pool_the_waves(tmp_path: Path, minimal_path: Path) -> None:
    """Two e-mail addresses typed into 'wave' read as blank; the column stays, so the waves stay apart."""
    rows = [list(r) for r in WAVES]
    rows[1][2] = "j.smith@nhs.net"
    rows[14][2] = "07700 900123"
    rows[2][2] = ""
    data = _write(tmp_path / "stray.csv", rows)
    inst = ia.load_instrument(str(minimal_path))
    with pytest.raises(InputError, match=r"'follow-up' \(7 rows\), and 3 row\(s\) have no wave \(blank\)"):
        read_responses(data, inst)
    rs = read_responses(data, inst, wave="baseline")
    assert rs.n == 10 and rs.reconciles()
    blank = [r for r in rs.rejected if "is blank, so the row is in no wave" in r.reasons[0]]
    assert [r.row for r in blank] == [2, 3, 15]
    assert not any("nhs.net" in reason or "07700" in reason for r in rs.rejected for reason in r.reasons)
    with pytest.raises(InputError, match="The wave to score is blank"):
        read_responses(data, inst, wave=" ")


def test_respondent_ids_never_reach_a_file(tmp_path: Path, minimal_path: Path) -> None:
    """A hospital-number-like id (and a duplicate of it) appears in no file ``score`` writes; rows are named by their
    row in the export, and the duplicate's reason says ``[respondent id not shown]``."""
    rows = [["respondent_id", "site", "p1", "p2", "p3", "l1", "l2"]]
    rows += [[f"MRN-88{i:04d}", "North", "4", "4", "2", "4", "4"] for i in range(8)]
    rows += [["MRN-880003", "North", "5", "5", "1", "5", "5"]]
    data = _write(tmp_path / "ids.csv", rows)
    out_dir = tmp_path / "out"
    code, out = _invoke(
        "score", str(data), "-i", str(minimal_path), "-o", str(out_dir), "--rejected-out", str(tmp_path / "rej.csv")
    )
    assert code == 0, out
    assert "found 'MRN-880003' again" in out  # the terminal, for the analyst at the export
    written = [*out_dir.iterdir(), tmp_path / "rej.csv"]
    for path in written:
        assert b"MRN-88" not in path.read_bytes(), path.name
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["responses"]["rejected_rows"] == [
        {
            "row": 10,
            "reasons": [
                "Column 'respondent_id': found [respondent id not shown] again; respondent ids must be unique and "
                "row 5 already has it (duplicates='reject' keeps the first)."
            ],
        }
    ]
    assert (out_dir / "respondents_wide.csv").read_text(encoding="utf-8").startswith("row,planning.raw,")
