"""Non-substantive answers ("Don't know", "Not applicable") count as missing in scoring but
are counted apart, option by option, from the export to the profile and the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from implassess.formats.instrument import load_file
from implassess.ingest import read_responses
from implassess.report.model import ReportMeta
from implassess.report.viewmodel import ScoredInstrument, build_report_model
from implassess.scoring import ScoreSettings, score


def test_dont_know_and_not_applicable_are_counted_apart(tmp_path: Path, minimal_path: Path) -> None:
    inst = load_file(minimal_path)
    csv = tmp_path / "export.csv"
    # p1: two answers (4, 5), one "Don't know" (code 8), one "Not applicable" label, one blank.
    csv.write_text(
        "respondent_id,p1,p2,p3,l1,l2\na,4,3,2,4,4\nb,5,3,2,4,4\nc,8,3,2,4,4\nd,Not applicable,3,2,4,4\ne,,3,2,4,4\n"
    )
    rs = read_responses(csv, inst)
    assert rs.n == 5
    assert np.isnan(rs.values[2:, 0]).all()
    assert rs.non_substantive[:, 0].tolist() == [0, 0, 6, 7, 0]  # 1 + index of the option in the scale
    result = score(rs, ScoreSettings(min_group_size=1, accept_small_groups=True))
    p1 = next(i for i in result.profile.organisation.items if i.id == "p1")
    assert p1.n == 2 and p1.missing == 3
    assert p1.set_apart == {"Don't know": 1, "Not applicable": 1}
    assert [c.count for c in p1.distribution] == [0, 0, 0, 1, 1]
    meta = ReportMeta(client="C", engagement="E", consultancy="X", date=__import__("datetime").date(2026, 1, 1))
    model = build_report_model([ScoredInstrument(inst, result.profile)], meta)
    (dist,) = [d for d in model.dimension("planning").items if "measurable goal" in d.text]
    assert dict(dist.set_apart()) == {"Don't know": 1, "Not applicable": 1}
    assert dict(dist.substantive())["Strongly agree"] == 1


def test_subset_keeps_non_substantive_codes_aligned(tmp_path: Path, minimal_path: Path) -> None:
    inst = load_file(minimal_path)
    csv = tmp_path / "export.csv"
    csv.write_text("respondent_id,wave,p1,p2,p3,l1,l2\na,1,8,3,2,4,4\nb,2,9,3,2,4,4\nc,2,4,3,2,4,4\n")
    rs = read_responses(csv, inst, all_waves=True)
    later = rs.subset(np.array([w == "2" for w in rs.attributes["wave"]]), "other wave")
    assert later.respondent_ids == ("b", "c")
    assert later.non_substantive[:, 0].tolist() == [7, 0]
    assert later.reconciles()
