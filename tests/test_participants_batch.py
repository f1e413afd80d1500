"""Participant report batches: isolation, hostile text, bad participants, manifest, resume, executors.

Every check reads the PDFs back with pypdf, so it tests what a participant would see.
The sample 360 is rewritten so every name and comment is unique and can be searched for.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import attrs
import pypdf
import pytest
from click.testing import CliRunner

from implassess import plugins
from implassess.cli.participants import participants as participants_cmd
from implassess.participants import batch
from implassess.participants.assemble import BuildOptions, build_reports, load_360, read_roster
from implassess.participants.model import ManifestEntry
from implassess.report.render import resolve_theme
from implassess.sample import generate, write_sample

HOSTILE = "<b>bold?</b> & </para> <font size=80>big</font> <script>alert('x')</script> &amp; done"
BATTERY = "implementation-leadership-360"


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *rows])


def make_sample(root: Path, n: int, *, seed: int = 11) -> tuple[Path, Path]:
    """A 360 export and roster with unique names and one unique comment per rater form."""
    battery = plugins.get_batteries()[BATTERY]
    write_sample(generate(battery, seed=seed, n_participants=n, n_respondents=40), root, formats=("generic",))
    head, rows = _rows(root / "participants.csv")
    for i, row in enumerate(rows):
        row[1] = f"Quinby{chr(65 + i // 26)}{chr(65 + i % 26)} Zamora{i:02d}x"
    _write(root / "participants.csv", head, rows)
    head, rows = _rows(root / "leadership-360.csv")
    c = head.index("comment")
    for row in rows:
        row[c] = f"Remark{row[0]}zq about this leader"
    _write(root / "leadership-360.csv", head, rows)
    return root / "leadership-360.csv", root / "participants.csv"


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(participants_cmd, list(args), catch_exceptions=False)


def pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(path)
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    meta = " ".join(str(v) for v in (reader.metadata or {}).values())
    return " ".join(f"{text} {meta}".split())


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_sample(tmp_path_factory.mktemp("sample360"), 8)


@pytest.fixture(scope="module")
def rendered(sample: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    responses, roster = sample
    out = tmp_path_factory.mktemp("reports")
    res = run_cli(
        str(responses),
        "--participants",
        str(roster),
        "--battery",
        BATTERY,
        "--out-dir",
        str(out),
        "--reproducible",
        "--date",
        "2026-11-23",
    )
    assert res.exit_code == 0, res.output
    return out


# -- isolation ------------------------------------------------------------------------------------


def test_each_report_holds_only_its_participant(sample: tuple[Path, Path], rendered: Path) -> None:
    responses, roster_path = sample
    _, roster = _rows(roster_path)
    head, rows = _rows(responses)
    pcol, ccol = head.index("participant"), head.index("comment")
    comments: dict[str, set[str]] = {}
    for row in rows:
        comments.setdefault(row[pcol], set()).add(row[ccol].split()[0])
    manifest = json.loads((rendered / "manifest.json").read_text())
    files = {e["participant"]: e["file"] for e in manifest["participants"] if e["status"] == "ok"}
    assert len(files) == len(roster)
    for pid, name, *_ in roster:
        text = pdf_text(rendered / files[pid])
        assert name in text
        for other, other_name, *_ in roster:
            if other == pid:
                continue
            assert other_name not in text, f"{other_name} in {pid}'s report"
            assert not re.search(rf"\b{re.escape(other)}\b", text), f"{other} in {pid}'s report"
            leaked = [c for c in comments.get(other, ()) if c in text]
            assert not leaked, f"comments of {other} in {pid}'s report: {leaked}"
    summary = pdf_text(rendered / "cohort-summary.pdf")
    for pid, name, *_ in roster:
        assert name not in summary and not re.search(rf"\b{re.escape(pid)}\b", summary)
        assert not [c for c in comments.get(pid, ()) if c in summary]


def test_comments_of_shown_raters_are_printed_without_identity(sample: tuple[Path, Path], rendered: Path) -> None:
    responses, _ = sample
    head, rows = _rows(responses)
    pcol, _rcol, wcol, ccol = (head.index(k) for k in ("participant", "relationship", "wave", "comment"))
    text = pdf_text(rendered / "P001.pdf")
    own = [r for r in rows if r[pcol] == "P001" and r[wcol] == "follow-up"]
    found = [r for r in own if r[ccol].split()[0] in text]
    assert found, "the participant's raters' comments are printed"
    for r in found:
        # No rater id or group label next to a comment.
        assert r[0] not in text.replace(r[ccol].split()[0], "")


# -- manifest ---------------------------------------------------------------------------------------


def test_manifest_matches_the_files(rendered: Path) -> None:
    doc = json.loads((rendered / "manifest.json").read_text())
    entries = [*doc["participants"], doc["cohort-summary"]]
    for e in entries:
        assert e["status"] == "ok"
        path = rendered / e["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == e["sha256"]
        assert len(pypdf.PdfReader(path).pages) == e["pages"]
    with (rendered / "manifest.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["participant"], r["file"], r["sha256"], int(r["pages"])) for r in rows] == [
        (e["participant"], e["file"], e["sha256"], e["pages"]) for e in entries
    ]
    assert doc["counts"] == {"participants": 8, "ok": 8, "error": 0, "kept": 0, "pending": 0}
    assert not [p for p in rendered.iterdir() if p.name.startswith(".")]


def test_rerun_keeps_unchanged_and_rerenders_damaged(sample: tuple[Path, Path], rendered: Path) -> None:
    responses, roster = sample
    damaged = rendered / "P003.pdf"
    damaged.write_bytes(damaged.read_bytes()[:-100])
    before = {p.name: p.stat().st_mtime_ns for p in rendered.glob("*.pdf")}
    res = run_cli(
        str(responses),
        "--participants",
        str(roster),
        "--battery",
        BATTERY,
        "--out-dir",
        str(rendered),
        "--reproducible",
        "--json",
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    kept = {e["participant"] for e in doc["participants"] if e["resumed"]}
    assert kept == {f"P{k:03d}" for k in range(1, 9)} - {"P003"}
    assert doc["settings"]["date"] == "2026-11-23"  # the resumed run keeps the first run's date
    after = {p.name: p.stat().st_mtime_ns for p in rendered.glob("*.pdf")}
    assert after["P003.pdf"] != before["P003.pdf"]
    assert all(after[n] == before[n] for n in before if n not in ("P003.pdf", "cohort-summary.pdf"))
    entry = next(e for e in doc["participants"] if e["participant"] == "P003")
    assert hashlib.sha256(damaged.read_bytes()).hexdigest() == entry["sha256"]


# -- bad data -------------------------------------------------------------------------------------


def test_bad_participants_are_recorded_not_fatal(tmp_path: Path) -> None:
    responses, roster = make_sample(tmp_path / "in", 6, seed=3)
    head, rows = _rows(responses)
    p, r = head.index("participant"), head.index("relationship")
    rows = [row for row in rows if not (row[p] == "P002" and row[r] == "self")]
    stranger = next(row for row in rows if row[p] == "P005")
    rows.append(["L9999", stranger[1], "P099", *stranger[3:]])
    _write(responses, head, rows)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        participants_cmd,
        [str(responses), "--participants", str(roster), "--battery", BATTERY, "--out-dir", str(out), "--json"],
    )
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    by = {e["participant"]: e for e in doc["participants"]}
    assert by["P002"]["status"] == "error" and "No self-assessment in wave 'follow-up'" in by["P002"]["reason"]
    assert by["P099"]["status"] == "error" and "no row in the participants file" in by["P099"]["reason"]
    assert [k for k, e in by.items() if e["status"] == "ok"] == ["P001", "P003", "P004", "P005", "P006"]
    assert not (out / "P002.pdf").exists()
    assert doc["cohort-summary"]["status"] == "ok"


def test_render_failure_is_recorded_and_the_batch_goes_on(sample: tuple[Path, Path], tmp_path: Path) -> None:
    responses, roster_path = sample
    data = load_360(responses, [plugins.get_instruments()[m.id] for m in plugins.get_batteries()[BATTERY].instruments])
    outcomes, summary = build_reports(data, read_roster(roster_path), BuildOptions(wave="follow-up"))
    broken = attrs.evolve(outcomes[1], report=attrs.evolve(outcomes[1].report, units=("not a unit row",)))
    outcomes = [outcomes[0], broken, outcomes[2]]
    seen: list[ManifestEntry] = []
    result = batch.run_batch(
        outcomes,
        summary,
        tmp_path,
        theme=resolve_theme("default"),
        executor=batch.SerialExecutor(),
        progress=seen.append,
    )
    assert [e.status for e in result.entries] == ["ok", "error", "ok"]
    assert result.entries[1].reason.startswith("Rendering failed: AttributeError")
    assert len(seen) == 4  # three participants and the cohort summary
    assert not (tmp_path / "P002.pdf").exists()


def test_hostile_comment_is_printed_literally(tmp_path: Path) -> None:
    responses, roster = make_sample(tmp_path / "in", 5, seed=5)
    head, rows = _rows(responses)
    p, r, w, c = (head.index(k) for k in ("participant", "relationship", "wave", "comment"))
    target = next(row for row in rows if row[p] == "P001" and row[r] == "direct-report" and row[w] == "follow-up")
    target[c] = HOSTILE + " " + "long " * 300
    _write(responses, head, rows)
    out = tmp_path / "out"
    res = run_cli(str(responses), "--participants", str(roster), "--battery", BATTERY, "--out-dir", str(out))
    assert res.exit_code == 0, res.output
    text = pdf_text(out / "P001.pdf")
    for piece in ("<b>bold?</b>", "& </para>", "<font size=80>big</font>", "<script>alert('x')</script>", "&amp; done"):
        assert piece in text


# -- names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pid", "stem"),
    [("P001", "P001"), ("p-17_a.b", "p-17_a.b")],
)
def test_safe_names_keep_safe_ids(pid: str, stem: str) -> None:
    assert batch.safe_stem(pid) == stem


def test_unsafe_ids_are_sanitised_and_distinct() -> None:
    ids = ["../../etc/passwd", "P 001", "P/001", "con", "manifest", "Émile", ".hidden", "", "P001", "p001"]
    names = batch.assign_files(ids)
    assert len({n.lower() for n in names.values()}) == len(ids)
    for _pid, name in names.items():
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.pdf", name), name
        assert "/" not in name and name.lower() not in ("manifest.json", "cohort-summary.pdf")
    assert names["P001"] == "P001.pdf"
    assert names["P 001"].startswith("P_001-") and names["P 001"] != names["P/001"]
    assert batch.assign_files(ids) == names  # deterministic


# -- executors --------------------------------------------------------------------------------------


def test_process_pool_gives_the_same_bytes(sample: tuple[Path, Path], rendered: Path, tmp_path: Path) -> None:
    responses, roster = sample
    res = run_cli(
        str(responses),
        "--participants",
        str(roster),
        "--battery",
        BATTERY,
        "--out-dir",
        str(tmp_path),
        "--reproducible",
        "--date",
        "2026-11-23",
        "--workers",
        "2",
    )
    assert res.exit_code == 0, res.output
    one = {e["participant"]: e["sha256"] for e in json.loads((tmp_path / "manifest.json").read_text())["participants"]}
    for pid, sha in one.items():
        assert hashlib.sha256((rendered / f"{pid}.pdf").read_bytes()).hexdigest() == sha


def test_dask_executor_on_a_local_cluster(sample: tuple[Path, Path], tmp_path: Path) -> None:
    distributed = pytest.importorskip(
        "distributed", reason="Dask distributed is not installed (pip install 'implassess[dask]')"
    )
    responses, roster_path = sample
    data = load_360(responses, [plugins.get_instruments()[m.id] for m in plugins.get_batteries()[BATTERY].instruments])
    outcomes, summary = build_reports(data, read_roster(roster_path), BuildOptions(wave="follow-up"))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            executor = batch.DaskExecutor(client)
            result = batch.run_batch(outcomes[:3], summary, tmp_path, theme=resolve_theme("default"), executor=executor)
    assert [e.status for e in result.entries] == ["ok", "ok", "ok"]
    for e in result.entries:
        assert hashlib.sha256((tmp_path / e.file).read_bytes()).hexdigest() == e.sha256


# -- resume after a killed run ---------------------------------------------------------------------


def test_resume_after_killed_run(tmp_path: Path) -> None:
    responses, roster = make_sample(tmp_path / "in", 14, seed=2)
    out = tmp_path / "out"
    args = [str(responses), "--participants", str(roster), "--battery", BATTERY, "--out-dir", str(out)]
    code = "from implassess.cli.participants import participants; participants()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list(out.glob("P*.pdf"))) >= 4:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the batch finished before it could be interrupted"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    done_before = set(out.glob("P*.pdf"))
    assert 4 <= len(done_before) < 14
    for p in done_before:
        assert len(pypdf.PdfReader(p).pages) > 5  # complete files only: written then renamed
    res = run_cli(*args, "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["counts"]["ok"] == 14 and doc["counts"]["kept"] >= len(done_before) - 1
    for e in [*doc["participants"], doc["cohort-summary"]]:
        path = out / e["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == e["sha256"]
        assert len(pypdf.PdfReader(path).pages) == e["pages"]
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_manifest_csv_round_trip() -> None:
    e = ManifestEntry(
        participant="P1",
        file="P1.pdf",
        status="ok",
        sha256="ab",
        pages=3,
        warnings=("w1", "w2"),
        reason="",
        model_sha256="cd",
    )
    rows = list(csv.DictReader(io.StringIO(batch.manifest_csv([e]))))
    assert rows == [
        {
            "participant": "P1",
            "file": "P1.pdf",
            "status": "ok",
            "sha256": "ab",
            "pages": "3",
            "warnings": "w1 | w2",
            "reason": "",
            "resumed": "false",
        }
    ]


def test_dropped_groups_are_named_without_their_n(sample: tuple[Path, Path], rendered: Path) -> None:
    responses, roster_path = sample
    data = load_360(responses, [plugins.get_instruments()[m.id] for m in plugins.get_batteries()[BATTERY].instruments])
    outcomes, _ = build_reports(data, read_roster(roster_path), BuildOptions(wave="follow-up", compare_wave="baseline"))
    reports = [o.report for o in outcomes if o.report is not None]
    dropped = [(r, g) for r in reports for g in r.groups if not g.shown]
    assert dropped, "the sample has groups below their minimum"
    for r, g in dropped:
        assert g.n is None and g.note.startswith("Not shown")
        assert g.key not in r.group_columns
        text = pdf_text(rendered / f"{r.participant}.pdf")
        assert f"{g.label} {g.note}" in text
    # RCI by hand from the SD and alpha the report states it used.
    for r in reports:
        for c in r.change:
            if c.rci is not None:
                assert c.rci == pytest.approx((c.after - c.before) / (c.sd * 2**0.5 * (1 - c.alpha) ** 0.5))


def test_a_rater_id_reused_across_waves_never_merges_two_participants(tmp_path: Path) -> None:
    """The reviewer's case: a rater id used for P-a at baseline and P-b at follow-up. The rows
    must stay apart, so P-b's comment cannot appear in P-a's report."""
    from implassess.participants.data import load_360

    responses, _ = make_sample(tmp_path, 4)
    head, rows = _rows(responses)
    idc, pc, wc, cc = (head.index(k) for k in ("respondent_id", "participant", "wave", "comment"))
    base = next(r for r in rows if r[wc] == "baseline" and r[pc] != "P001")
    follow = next(r for r in rows if r[wc] == "follow-up" and r[pc] == "P001")
    follow[idc] = base[idc]
    follow[cc] = "CONFIDENTIAL-ABOUT-P001"
    base[cc] = ""
    _write(responses, head, rows)
    battery = plugins.get_batteries()[BATTERY]
    data = load_360(responses, [plugins.get_instrument(m.id) for m in battery.instruments])
    mine = [i for i, c in enumerate(data.comment) if c == "CONFIDENTIAL-ABOUT-P001"]
    assert [data.participant[i] for i in mine] == ["P001"]
    assert sum(1 for rid in data.respondent_ids if rid == base[idc]) == 2
