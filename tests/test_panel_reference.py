"""A Qualtrics panel reference (ExternalReference) catches repeated submissions that got new
response ids, without the personal value ever appearing in a message or output."""

from __future__ import annotations

from pathlib import Path

from implassess.ingest import read_responses
from implassess.plugins import get_instrument
from implassess.sample import generate, write_sample


def test_qualtrics_duplicates_are_found_by_panel_reference(tmp_path: Path) -> None:
    data = generate(get_instrument("clarity-gaps"), seed=4, n_respondents=80)
    write_sample(data, tmp_path, ("generic", "qualtrics"))
    generic = read_responses(tmp_path / "org-survey.csv", get_instrument("clarity-gaps"), all_waves=True)
    qualtrics = read_responses(tmp_path / "org-survey-qualtrics.csv", get_instrument("clarity-gaps"), all_waves=True)
    dup_generic = [r for r in generic.rejected if "again" in r.reasons[0]]
    dup_qualtrics = [r for r in qualtrics.rejected if "ExternalReference (kept private)" in r.reasons[0]]
    assert len(dup_generic) == len(dup_qualtrics) >= 1
    assert generic.n == qualtrics.n
    refs = (tmp_path / "org-survey.csv").read_text().splitlines()
    ids = {line.split(",")[0] for line in refs[1:]}
    for rr in dup_qualtrics:
        assert not any(i in rr.reasons[0] for i in ids)  # the reference value is never quoted


def test_every_rejection_of_the_sample_has_its_kind(tmp_path: Path) -> None:
    """The sample's flaws are known (see its README): a preview, a test, a ragged row, three
    duplicates, an all-blank row, an out-of-range and a non-numeric answer."""
    from implassess.ingest.rows import rejection_kind

    data = generate(get_instrument("people-process-purpose"), seed=7)
    write_sample(data, tmp_path, ("generic", "qualtrics"))
    kinds: dict[str, int] = {}
    for name in ("org-survey.csv", "org-survey-qualtrics.csv"):
        rs = read_responses(tmp_path / name, get_instrument("people-process-purpose"), all_waves=True)
        for rr in rs.rejected:
            kind = rejection_kind(rr.reasons[0])
            kinds[kind] = kinds.get(kind, 0) + 1
    assert "Other" not in kinds
    assert kinds["Survey preview"] == 2 and kinds["Test response"] == 1 and kinds["Malformed row"] == 1
    assert kinds["Duplicate submission"] == 6 and kinds["No item answered"] == 2
    assert kinds.get("Answer out of range", 0) + kinds.get("Unreadable answer", 0) >= 2


def test_a_shifted_row_never_carries_an_email_into_messages_or_the_rejected_csv(
    tmp_path: Path, minimal_path: Path
) -> None:
    """An unquoted comma in the comment shifts the row: the email lands under 'site' or
    after the last column. Neither the reason nor the rejected-rows CSV may show it."""
    from click.testing import CliRunner

    from implassess.cli import cli

    rows = ["respondent_id,comment,email,site,role,p1,p2,p3,l1,l2"]
    rows += [f"r{i},fine,person{i}@corp.example,A,nurse,3,3,3,3,3" for i in range(6)]
    rows.append("r9,fine, really,secret@corp.example,A,nurse,3,3,3,3,3")
    (tmp_path / "mid.csv").write_text("\n".join(rows) + "\n")
    rows[-1] = "r9,fine,A,nurse,3,3,3,3,3,x,secret@corp.example"
    (tmp_path / "last.csv").write_text("\n".join(rows) + "\n")
    for name in ("mid.csv", "last.csv"):
        out = tmp_path / f"rejected-{name}"
        result = CliRunner().invoke(
            cli,
            ["responses", "check", str(tmp_path / name), "--instrument", str(minimal_path), "--rejected-out", str(out)],
            catch_exceptions=False,
        )
        assert "The row has 11 cells but the header has 10 columns" in result.output
        assert "@" not in result.output and "@" not in out.read_text()
