"""The outputs layer: safe CSV cells in every CSV writer, output paths kept inside the output
folder, one rejected-rows format, one input-provenance record."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import attrs
import pytest

from implassess.errors import ImplassessError
from implassess.formats.assessment import load_assessment
from implassess.formats.instrument import load_file
from implassess.jobs import run as run_job
from implassess.outputs.cells import csv_text, safe_cell
from implassess.outputs.paths import inside
from implassess.outputs.profile import write_scoring
from implassess.outputs.provenance import input_record
from implassess.outputs.rejected import rejected_rows_csv
from implassess.responses import from_values
from implassess.scoring import ScoreSettings, score

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL = FIXTURES / "instruments" / "minimal.toml"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-0.5", "-0.5"),
        ("+3", "+3"),
        ("-1.25e-3", "-1.25e-3"),
        ("North", "North"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_a_text_cell_a_spreadsheet_would_run_is_quoted_and_numbers_stay_numbers(cell: str, written: str) -> None:
    assert safe_cell(cell) == written


def test_non_text_cells_pass_unchanged() -> None:
    assert safe_cell(-3) == -3 and safe_cell(-0.5) == -0.5 and safe_cell(None) is None
    assert csv_text(["a", "=b"], [[-1, "=c"]]) == "a,'=b\n-1,'=c\n"


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_every_scoring_csv_makes_formula_cells_safe(tmp_path: Path) -> None:
    inst = load_file(MINIMAL)
    ids = ["=1+2", "@cmd", "-x", "r4", "r5", "r6"]
    values = [[4, 4, 2, 3, 4], [5, 3, 4, 4, 5], [3, 3, 3, 3, 3], [2, 2, 4, 2, 2], [4, 4, 2, 4, 4], [5, 5, 1, 5, 5]]
    rs = from_values(inst, values, ids=ids, attributes={"@team": ["x"] * 6})
    result = score(rs, ScoreSettings(by=ScoreSettings.parse_by(["@team"]), min_group_size=5))
    paths = write_scoring(result, tmp_path / "out")
    groups = _rows(paths["groups.csv"].read_text(encoding="utf-8"))
    assert {(r[0], r[1]) for r in groups[1:] if r[0] != "organisation"} == {("'@team", "'@team=x")}
    # Respondent files name rows, never the export's ids (personal data), so a formula id cannot reach them.
    wide = _rows(paths["respondents_wide.csv"].read_text(encoding="utf-8"))
    assert wide[0][0] == "row" and [r[0] for r in wide[1:]] == ["2", "3", "4", "5", "6", "7"]
    long = _rows(paths["respondents_long.csv"].read_text(encoding="utf-8"))
    assert {r[0] for r in long[1:]} == {"2", "3", "4", "5", "6", "7"}
    assert not any("=1+2" in p.read_text(encoding="utf-8") for p in paths.values())
    assert rejected_rows_csv([("=x.csv", 3, ["-bad", "-bad", "-0.5"])]) == "file,row,reasons\n'=x.csv,3,'-bad | -0.5\n"


def test_an_output_path_must_stay_inside_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert inside(out, "clarity-gaps", owner="Instrument id 'clarity-gaps'") == out / "clarity-gaps"
    with pytest.raises(ImplassessError) as err:
        inside(out, "../../x", owner="Instrument id '../../x'")
    assert str(err.value) == (
        f"Instrument id '../../x' would write '../../x' outside the output folder {out.resolve()} (it resolves to "
        f"{(tmp_path.parent / 'x').resolve()}); expected a name that stays inside the folder: no '..', no absolute "
        "path."
    )
    with pytest.raises(ImplassessError, match="Instrument id '/etc' would write '/etc' outside the output folder"):
        inside(out, "/etc", owner="Instrument id '/etc'")


def test_the_run_refuses_an_instrument_id_that_climbs_out_and_writes_nothing_outside(tmp_path: Path) -> None:
    """Through the run's phases: an instrument whose id is ``../../x`` (as a plugin could give)."""
    project = tmp_path / "deep" / "project"
    project.mkdir(parents=True)
    (project / "export.csv").write_bytes((FIXTURES / "exports" / "generic.csv").read_bytes())
    (project / "assessment.toml").write_text(
        f'instruments = ["{MINIMAL.as_posix()}"]\n[client]\nname = "X"\n[[responses]]\npath = "export.csv"\n'
        '[scoring]\nmin-group-size = 1\naccept-small-groups = true\nwave = "1"\n[outputs]\ndir = "out"\npdf = false\n',
        encoding="utf-8",
    )
    plan = run_job.plan(load_assessment(project / "assessment.toml"), reproducible=True)
    scored = run_job.score(plan, run_job.read(plan))
    (member, result), *_ = scored.results
    hostile = attrs.evolve(member, instrument=attrs.evolve(member.instrument, id="../../x"))
    scored = attrs.evolve(scored, results=((hostile, result),))
    with pytest.raises(ImplassessError) as err:
        run_job.write(plan, run_job.read(plan), scored)
    out = (project / "out").resolve()
    assert str(err.value).startswith(
        f"Instrument id '../../x' would write '../../x' outside the output folder {out} (it resolves to "
        f"{(tmp_path / 'deep' / 'x').resolve()})"
    )
    assert not (tmp_path / "deep" / "x").exists()


def test_input_record_keeps_a_fixed_key_order_and_leaves_out_what_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "kpis.csv"
    path.write_bytes(b"kpi,period,value\n")
    sha = hashlib.sha256(b"kpi,period,value\n").hexdigest()
    record = input_record(path, file="kpis.csv", rejected=0, rows_read=12, rejected_rows=[])
    assert list(record.items()) == [
        ("file", "kpis.csv"),
        ("sha256", sha),
        ("rows_read", 12),
        ("rejected", 0),
        ("rejected_rows", []),
    ]
    assert input_record(path, sha256="given", kind="kpi sheet") == {"sha256": "given", "kind": "kpi sheet"}
    assert input_record(tmp_path / "gone.csv", file="gone.csv", missing_ok=True) == {"file": "gone.csv", "sha256": ""}
    with pytest.raises(OSError):
        input_record(tmp_path / "gone.csv")
