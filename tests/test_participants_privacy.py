"""Privacy and accounting of participant reports, read back from what the batch writes.

- every row of the 360 export is used, rejected (listed with its reason) or set aside,
  and the counts reconcile;
- other participants' names are masked in comments, and listed for the programme lead
  without rater identity;
- no dropped rater group's size can be worked out from the counts a report prints
  (recomputed from the PDF text with pypdf);
- a rater minimum below 2 needs --accept-small-groups, and the reports then say so;
- Ctrl-C stops a process-pool batch cleanly (exit 130, no traceback, nothing half-written);
- a second batch into a locked folder is refused.
"""

from __future__ import annotations

import csv
import itertools
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
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import implassess
from implassess import plugins
from implassess.cli import cli as root_cli
from implassess.jobs.participants import SmallMinimumError, check_minimums
from implassess.participants import three_sixty as t3
from implassess.participants.assemble import BuildOptions, build_reports, load_360, read_roster
from implassess.participants.cohort import guard_total
from implassess.participants.masking import MASK, NameMasker
from implassess.participants.model import GROUP_LABELS, RATER_GROUPS, AnonymityRules, CohortBlock, CohortUnit
from implassess.report.participant_cohort import render_cohort_summary
from implassess.report.render import resolve_theme
from implassess.sample import generate, write_sample
from tests.test_participants_batch import _rows, _write, make_sample, pdf_text, run_cli

BATTERY = "implementation-leadership-360"
LABELS = {g: GROUP_LABELS[g] for g in RATER_GROUPS}


def instruments() -> list[Any]:
    return [plugins.get_instruments()[m.id] for m in plugins.get_batteries()[BATTERY].instruments]


def write_scenarios(
    root: Path,
    people: dict[str, dict[str, int]],
    *,
    names: dict[str, str] | None = None,
    comments: dict[tuple[str, str], list[str]] | None = None,
    cohorts: dict[str, str] | None = None,
) -> tuple[Path, Path]:
    """A one-wave 360 with exactly the raters asked for: participant → {group: raters}.

    Item answers are copied from a generated sample (a self row and a rater row), so
    only the counts differ between participants. ``comments[(participant, group)]``
    gives the comments of that group's raters (``self`` for the self-assessment).
    """
    battery = plugins.get_batteries()[BATTERY]
    write_sample(generate(battery, seed=4, n_participants=3, n_respondents=40), root / "template", formats=("generic",))
    head, rows = _rows(root / "template" / "leadership-360.csv")
    idc, pc, rc, wc, cc = (head.index(k) for k in ("respondent_id", "participant", "relationship", "wave", "comment"))
    me = next(r for r in rows if r[rc] == "self")
    rater = next(r for r in rows if r[rc] != "self")
    out: list[list[str]] = []
    for pid, counts in people.items():
        for group, n in {"self": 1, **counts}.items():
            texts = (comments or {}).get((pid, group), [])
            for k in range(n):
                row = list(me if group == "self" else rater)
                row[idc], row[pc], row[rc], row[wc] = f"R{len(out) + 1:04d}", pid, group, "follow-up"
                row[cc] = texts[k] if k < len(texts) else ""
                out.append(row)
    responses = root / "360.csv"
    _write(responses, head, out)
    roster = root / "participants.csv"
    _write(
        roster,
        ["participant", "name", "site", "cohort"],
        [[p, (names or {}).get(p, f"Person {p}"), "Site", (cohorts or {}).get(p, "2026")] for p in people],
    )
    return responses, roster


# -- 1. row accounting ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def accounted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample with one row of each kind that is not used, and the batch's outputs."""
    root = tmp_path_factory.mktemp("accounting")
    responses, roster = make_sample(root / "in", 6, seed=7)
    head, rows = _rows(responses)
    idc, pc, rc, wc = (head.index(k) for k in ("respondent_id", "participant", "relationship", "wave"))
    ci = [j for j, h in enumerate(head) if h.startswith("ci-")]
    pilot = [list(r) for r in rows[:3]]
    stranger = [list(r) for r in rows if r[pc] == "P002" and r[wc] == "follow-up"][:5]
    follow = [r for r in rows if r[wc] == "follow-up" and r[rc] != "self"]
    # A rater id used twice in one wave for the same participant: the reader keeps the first and
    # rejects the second (one rater may rate several participants, so the participant counts).
    follow[5][idc], follow[5][pc], follow[5][rc] = follow[2][idc], follow[2][pc], follow[2][rc]
    follow[6][pc] = ""  # no participant
    follow[7][rc] = ""  # no relationship
    for j in ci:  # nothing answered on one instrument: the row still counts for the other two
        follow[8][j] = ""
    self_p001 = next(r for r in rows if r[pc] == "P001" and r[wc] == "follow-up" and r[rc] == "self")
    again = list(self_p001)
    again[idc] = "L-SELF-AGAIN"
    rows.append(again)  # a second self-assessment, later in the file: it replaces the first
    for k, r in enumerate(pilot):
        r[idc], r[wc] = f"L-PILOT-{k}", "pilot"
    rows += pilot  # a wave neither shown nor compared
    for k, r in enumerate(stranger):
        r[idc], r[pc] = f"L-P099-{k}", "P099"
    rows += stranger  # a participant who is not in the participants file
    _write(responses, head, rows)
    line_of = {id(r): k for k, r in enumerate(rows, start=2)}  # the header is row 1
    out = root / "out"
    result = run_cli(
        str(responses),
        "--participants",
        str(roster),
        "--battery",
        BATTERY,
        "--out-dir",
        str(out),
        "--wave",
        "follow-up",
        "--compare-wave",
        "baseline",
    )
    return {
        "result": result,
        "out": out,
        "rows": rows,
        "head": head,
        "line": {
            "duplicate": line_of[id(follow[5])],
            "first-of-duplicate": line_of[id(follow[2])],
            "no-participant": line_of[id(follow[6])],
            "no-relationship": line_of[id(follow[7])],
            "partly": line_of[id(follow[8])],
            "replaced-self": line_of[id(self_p001)],
            "later-self": line_of[id(again)],
        },
    }


def test_every_row_is_used_rejected_or_set_aside(accounted: dict[str, Any]) -> None:
    out, rows, line = accounted["out"], accounted["rows"], accounted["line"]
    assert accounted["result"].exit_code == 1  # P099 has no report
    block = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["rows"]
    # Recounted from the file: the shown and compared waves of the six rostered participants,
    # less the four rows that are rejected.
    head = accounted["head"]
    pc, wc = head.index("participant"), head.index("wave")
    in_reports = sum(
        1 for r in rows if r[wc] in ("baseline", "follow-up") and r[pc] in {f"P00{k}" for k in range(1, 7)}
    )
    rejected_in_reports = 3  # duplicate, no relationship, replaced self (the blank participant is in no report)
    assert block == {
        "file": "leadership-360.csv",
        "read": len(rows),
        "used": in_reports - rejected_in_reports,
        "rejected": 4,
        "set-aside": {"other-waves": 3, "no-report": 5},
        "partly-scored": 1,
        "list": "rejected-rows.csv",
        "rejected-rows": block["rejected-rows"],
    }
    assert block["read"] == block["used"] + block["rejected"] + sum(block["set-aside"].values())
    assert [r["row"] for r in block["rejected-rows"]] == sorted(
        [line["duplicate"], line["no-participant"], line["no-relationship"], line["replaced-self"]]
    )


def test_rejected_rows_are_listed_with_their_reasons(accounted: dict[str, Any]) -> None:
    out, line = accounted["out"], accounted["line"]
    with (out / "rejected-rows.csv").open(encoding="utf-8", newline="") as f:
        listed = {int(r["row"]): (r["file"], r["reasons"]) for r in csv.DictReader(f)}
    assert set(listed) == {
        line[k] for k in ("duplicate", "no-participant", "no-relationship", "replaced-self", "partly")
    }
    assert {f for f, _ in listed.values()} == {"leadership-360.csv"}
    assert (
        listed[line["no-participant"]][1] == "Column 'participant' is blank; expected the id of the participant rated."
    )
    assert listed[line["no-relationship"]][1] == (
        "Column 'relationship' is blank; expected self, manager, peer, direct-report or other."
    )
    assert listed[line["replaced-self"]][1] == (
        f"Participant 'P001' has another self-assessment in wave 'follow-up' later in the file "
        f"(row {line['later-self']}); only the last one is used."
    )
    # The reader's reason, once (every instrument gave it), not once per instrument.
    dup = listed[line["duplicate"]][1]
    assert dup.startswith("Column 'respondent_id': found ") and "again in wave 'follow-up'" in dup
    assert f"row {line['first-of-duplicate']} already has it" in dup and " | " not in dup
    partly = listed[line["partly"]][1]
    assert partly.startswith("contextual-intelligence: ")
    assert partly.endswith(" | The row is used for the other instruments.")


def test_the_terminal_shows_the_counts_and_where_the_list_is(accounted: dict[str, Any]) -> None:
    out, rows = accounted["out"], accounted["rows"]
    block = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["rows"]
    lines = accounted["result"].stdout.splitlines()
    assert lines[1] == (
        f"Rows of leadership-360.csv: {len(rows)} read = {block['used']} used + 4 rejected + 8 set aside "
        f"(other waves 3, participants without a report 5). 1 used row(s) could not be scored on every "
        f"instrument. Listed with their reasons in {out / 'rejected-rows.csv'}."
    )


def test_the_python_summary_carries_the_accounting(tmp_path: Path) -> None:
    responses, roster = write_scenarios(tmp_path, {"P1": {"peer": 4}, "P2": {"peer": 3}})
    summary = implassess.run_participants(responses, roster, battery=BATTERY, out_dir=tmp_path / "out")
    assert (summary.rows.read, summary.rows.used, summary.rows.set_aside) == (9, 9, 0)
    assert summary.rows.reconciles() and summary.rows.rejected == ()
    assert summary.rejected_path.read_text(encoding="utf-8") == "file,row,reasons\n"


# -- 2. names in comments ---------------------------------------------------------------------


def test_masking_rules_by_hand() -> None:
    m = NameMasker(
        {"P1": "Lucia Haddad", "P2": "Lucia Okafor", "P3": "Keziah Haddad", "P4": "Sam Lee-Park", "P5": "Anna de Vries"}
    )
    cases = {
        # another participant's full name, any case, also before a possessive
        "Lucia Okafor and LUCIA OKAFOR's team": (f"{MASK} and {MASK}'s team", 2),
        # the report's own first and last name stay, even when someone else shares them
        "Lucia listens; Haddad too": ("Lucia listens; Haddad too", 0),
        # a first name only the other participant has; whole words only
        "Keziah’s idea, not Keziahs or Sammy": (f"{MASK}’s idea, not Keziahs or Sammy", 1),
        # each part of a hyphenated name, and the whole of it as one
        "Sam Lee-Park and Park and Lee": (f"{MASK} and {MASK} and {MASK}", 3),
        # a surname with its particle; the particle alone is a word
        "de Vries, de facto": (f"{MASK}, de facto", 1),
    }
    for text, expected in cases.items():
        assert m.mask(text, "P1") == expected, text
    assert m.mask("Lucia Haddad is here", "P2") == (f"{MASK} is here", 1)  # her full name is someone else's


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Brook", "TAMSIN", "carys", "Avery", "quill", "team", "Brooke", "Tamsins", "said"]),
            st.sampled_from(["", "'s", "’s"]),
            st.sampled_from([" ", ", ", ". ", "\n", "-", "  "]),
        ),
        max_size=12,
    )
)
def test_no_other_name_survives_and_own_names_stay(parts: list[tuple[str, str, str]]) -> None:
    """Whatever words surround them, another participant's name words are gone and the
    report's own participant's name words are all still there."""
    m = NameMasker({"P1": "Avery Quill", "P2": "Brook Tamsin", "P3": "Carys Lloyd"})
    text = "".join(w + s + sep for w, s, sep in parts)
    out, n = m.mask(text, "P1")
    words = [w.casefold() for w in re.findall(r"[^\W\d_]+", out)]
    assert not {"brook", "tamsin", "carys"} & set(words)
    for own in ("avery", "quill", "brooke", "tamsins", "team"):
        assert words.count(own) == [w.casefold() for w in re.findall(r"[^\W\d_]+", text)].count(own)
    assert out.count(MASK) == n


@pytest.fixture(scope="module")
def masked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("masking")
    names = {"M1": "Avery Quill", "M2": "Brook Tamsin", "M3": "Carys O'Dell"}
    comments = {
        ("M1", "peer"): ["Works well with Brook Tamsin and tamsin's team.", "Avery listens.", "Plain remark."],
        ("M1", "self"): ["I lean on Carys too much."],
        ("M2", "direct-report"): ["Better than Avery Quill at feedback.", "Asks O'Dell for advice."],
    }
    responses, roster = write_scenarios(
        root,
        {"M1": {"peer": 4, "direct-report": 3}, "M2": {"peer": 3, "direct-report": 4}, "M3": {"peer": 4}},
        names=names,
        comments=comments,
    )
    out = root / "out"
    result = run_cli(str(responses), "--participants", str(roster), "--battery", BATTERY, "--out-dir", str(out))
    assert result.exit_code == 0, result.output
    return {"out": out, "result": result, "responses": responses}


def test_other_participants_names_are_masked_in_the_reports(masked: dict[str, Any]) -> None:
    out = masked["out"]
    m1, m2 = pdf_text(out / "M1.pdf"), pdf_text(out / "M2.pdf")
    assert f"Works well with {MASK} and {MASK}'s team." in m1
    assert "Avery listens." in m1  # her own name stays
    assert f"I lean on {MASK} too much." in m1
    assert f"Better than {MASK} at feedback." in m2
    assert f"Asks {MASK} for advice." in m2
    for text, others in ((m1, ("Brook", "Tamsin", "tamsin", "Carys")), (m2, ("Avery", "Quill", "O'Dell"))):
        assert not [n for n in others if n in text]


def test_masked_comments_are_listed_for_the_programme_lead(masked: dict[str, Any]) -> None:
    out = masked["out"]
    with (out / "masked-comments.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(tuple(r.values()) for r in rows) == sorted(
        [
            ("M1", "M1.pdf", "raters", "2", f"Works well with {MASK} and {MASK}'s team."),
            ("M1", "M1.pdf", "self", "1", f"I lean on {MASK} too much."),
            ("M2", "M2.pdf", "raters", "1", f"Better than {MASK} at feedback."),
            ("M2", "M2.pdf", "raters", "1", f"Asks {MASK} for advice."),
        ]
    )
    # Nothing that points to the rater: no respondent id, no rater group, no row number.
    text = (out / "masked-comments.csv").read_text(encoding="utf-8")
    assert not re.search(r"R\d{4}|peer|direct|manager|row", text, re.I)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["masked-comments"] == {"file": "masked-comments.csv", "comments": 4, "names": 5}
    assert masked["result"].stdout.splitlines()[2] == (
        f"Names of other participants were masked in 4 comment(s); see {out / 'masked-comments.csv'}."
    )


# -- 3. rater counts ----------------------------------------------------------------------------


def printed_counts(text: str) -> dict[str, Any]:
    """What the summary's Group / Raters / Shown table says, from a report's text."""
    table = text[text.index("Group Raters Shown") : text.index("Key points")]
    shown: dict[str, int] = {}
    dropped: list[str] = []
    pooled = False
    for g, label in LABELS.items():
        hit = re.search(rf"{label} (\d+) Yes", table)  # "All others" is lower-case
        if hit:
            shown[g] = int(hit.group(1))
            continue
        note = re.search(rf"{label} Not shown: (.+?)\.", table)
        assert note is not None, f"{label} is neither shown nor named as not shown"
        dropped.append(g)
        pooled = pooled or "included in All others" in table[note.start() : note.start() + 200]
    everyone = re.search(r"All others (at least )?(\d+) Yes", table)
    return {
        "shown": shown,
        "dropped": dropped,
        "pooled": pooled,
        "all-others": None if everyone is None else int(everyone.group(2)),
        "at-least": bool(everyone and everyone.group(1)),
    }


def possible_sizes(seen: dict[str, Any], rules: AnonymityRules) -> dict[str, set[int]]:
    """For each dropped group, every size consistent with what the report prints and the rules."""
    sizes: dict[str, set[int]] = {g: set() for g in seen["dropped"]}
    for combo in itertools.product(range(10), repeat=len(seen["dropped"])):
        counts = {**seen["shown"], **dict(zip(seen["dropped"], combo, strict=True))}
        v = t3.decide_visibility(counts, rules)
        if set(v.shown) != set(seen["shown"]) or v.all_others_shown != (seen["all-others"] is not None):
            continue
        if v.all_others_shown and v.residual_pooled != seen["pooled"]:
            continue
        if seen["all-others"] is not None:
            total = sum(counts[g] for g in v.pooled)
            if total < seen["all-others"] if seen["at-least"] else total != seen["all-others"]:
                continue
        for g, n in zip(seen["dropped"], combo, strict=True):
            sizes[g].add(n)
    return sizes


SCENARIOS = {
    # manager and direct reports dropped and pooled: 2 + 2 could only be read as (2, 2)
    "C1": {"manager": 2, "peer": 3, "direct-report": 2, "other": 3},
    "C2": {"manager": 1, "peer": 5, "direct-report": 2, "other": 3},
    "C3": {"manager": 1, "peer": 4, "direct-report": 4, "other": 1},  # dropped groups left out
    "C4": {"manager": 1, "peer": 2, "direct-report": 2, "other": 2},  # pooled, nothing shown apart
    "C5": {"manager": 1, "peer": 3},  # too few for any rater result
    "C6": {"manager": 2, "peer": 6, "direct-report": 2, "other": 2},
}


def test_the_oracle_catches_an_exact_all_others_count() -> None:
    """What reports printed before: All others 10 with peers 3 and others 3 shown gives away
    the two dropped groups (4 raters, each group below 3: two each)."""
    seen = {
        "shown": {"peer": 3, "other": 3},
        "dropped": ["manager", "direct-report"],
        "pooled": True,
        "all-others": 10,
        "at-least": False,
    }
    assert possible_sizes(seen, AnonymityRules()) == {"manager": {2}, "direct-report": {2}}


@pytest.mark.parametrize("show_manager", [False, True])
def test_no_dropped_group_size_can_be_worked_out_from_the_reports(tmp_path: Path, show_manager: bool) -> None:
    rules = AnonymityRules.default(show_manager=show_manager)
    responses, roster = write_scenarios(tmp_path, SCENARIOS)
    out = tmp_path / "out"
    args = ["--show-manager"] if show_manager else []
    result = run_cli(str(responses), "--participants", str(roster), "--battery", BATTERY, "-o", str(out), *args)
    assert result.exit_code == 0, result.output
    pooled_seen = 0
    for pid, counts in SCENARIOS.items():
        seen = printed_counts(pdf_text(out / f"{pid}.pdf"))
        assert seen["shown"] == {g: n for g, n in counts.items() if g in seen["shown"]}  # shown n are exact
        pooled_seen += seen["pooled"]
        for g, sizes in possible_sizes(seen, rules).items():
            if rules.minimum(g) >= 2:
                assert len(sizes) >= 2, f"{pid}: {g} can only hold {sizes}"
                assert counts.get(g, 0) in sizes
    assert pooled_seen >= 2  # the cases that used to leak are among them
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert '"n"' not in manifest and "raters" not in manifest.lower()  # no group sizes in the manifest


def test_all_others_count_is_a_bound_from_the_rules_alone() -> None:
    rules = AnonymityRules()
    for counts in ({"peer": 3, "other": 3, "manager": 2, "direct-report": 2}, {"peer": 3, "other": 3, "manager": 1}):
        counts.setdefault("direct-report", 2)
        v = t3.decide_visibility(counts, rules)
        assert t3.all_others_count(counts, v, rules) == (9, True)  # 6 shown + the smallest minimum, 3
    v = t3.decide_visibility({"peer": 4, "direct-report": 4, "manager": 1}, rules)
    assert t3.all_others_count({"peer": 4, "direct-report": 4, "manager": 1}, v, rules) == (8, False)


def _unit(n: int, shown: bool) -> CohortUnit:
    return CohortUnit(
        key="u", name="U", kind="dimension", n=n, mean_self=50.0 if shown else None,
        mean_others=60.0 if shown else None, mean_gap=-10.0 if shown else None,
    )  # fmt: skip


def test_all_participants_cannot_be_split_into_a_hidden_cohort() -> None:
    options = BuildOptions(wave="w", min_cohort=5)
    total = CohortBlock("All participants", 9, True, [_unit(9, True)], [("Peers", 30, 9)])
    small = [CohortBlock("A", 6, True, [_unit(6, True)]), CohortBlock("B", 3, False)]
    guarded = guard_total(total, small, options)
    assert not guarded.shown and guarded.raters == () and guarded.units == ()
    assert guarded.note.startswith("Not summarised: the cohorts not summarised have 3 participant(s)")
    # Two hidden cohorts with 6 participants together are a group of their own: shown.
    big = [CohortBlock("A", 6, True, [_unit(6, True)]), CohortBlock("B", 3, False), CohortBlock("C", 3, False)]
    total12 = attrs.evolve(total, participants=12, units=[_unit(12, True)])
    assert guard_total(total12, big, options) == total12
    # Per unit: cohort B shown but its mean on U is not (3 participants with a score).
    split = [CohortBlock("A", 6, True, [_unit(6, True)]), CohortBlock("B", 6, True, [_unit(3, False)])]
    unit = guard_total(attrs.evolve(total12, units=[_unit(9, True)]), split, options).units[0]
    assert (unit.mean_self, unit.mean_others, unit.mean_gap) == (None, None, None)


def test_cohort_summary_pdf_says_why_all_participants_is_not_summarised(tmp_path: Path) -> None:
    responses, roster = make_sample(tmp_path / "in", 8, seed=3)
    head, rows = _rows(roster)
    for k, r in enumerate(rows):
        r[3] = "A" if k < 6 else "B"
    _write(roster, head, rows)
    _, summary = build_reports(load_360(responses, instruments()), read_roster(roster), BuildOptions(wave="follow-up"))
    assert [(b.label, b.shown) for b in summary.blocks] == [("A", True), ("B", False), ("All participants", False)]
    render_cohort_summary(summary, resolve_theme("default"), tmp_path / "cohort.pdf", reproducible=True)
    text = pdf_text(tmp_path / "cohort.pdf")
    assert (
        "Not summarised: the cohorts not summarised have 2 participant(s) with a report together, fewer than 5, "
        "and All participants minus the cohorts shown would reveal their results." in text
    )


# -- 4. rater minimums below 2 ---------------------------------------------------------------------


def test_a_minimum_of_one_needs_the_acknowledgement() -> None:
    with pytest.raises(SmallMinimumError) as info:
        check_minimums({"peer": 1})
    assert str(info.value) == (
        "min_raters: The minimum for 'peer' is 1: a group of one rater would be shown, and that person's ratings "
        "could be read from the report. Use 2 or more, or pass accept_small_groups=True to accept the risk; every "
        "report then says that the minimum was lowered."
    )
    with pytest.raises(SmallMinimumError):
        check_minimums({"manager": 1})  # without --show-manager a single manager is a small group too
    assert check_minimums({"manager": 1}, show_manager=True) == {"manager": 1}
    assert check_minimums({"all-others": 1, "peer": 2}, accept_small_groups=True) == {"all-others": 1, "peer": 2}


def test_the_command_names_the_option_and_the_reports_say_the_minimum_was_lowered(tmp_path: Path) -> None:
    responses, roster = write_scenarios(tmp_path, {"S1": {"peer": 1, "direct-report": 3}, "S2": {"peer": 4}})
    base = [str(responses), "--participants", str(roster), "--battery", BATTERY, "-o", str(tmp_path / "out")]
    refused = CliRunner().invoke(root_cli, ["participants", *base, "--min-raters", "peer=1"])
    assert refused.exit_code == 2
    assert refused.output.splitlines()[-1] == (
        "Error: Invalid value for --min-raters: The minimum for 'peer' is 1: a group of one rater would be shown, "
        "and that person's ratings could be read from the report. Use 2 or more, or pass --accept-small-groups to "
        "accept the risk; every report then says that the minimum was lowered."
    )
    assert not (tmp_path / "out").exists()
    result = run_cli(*base, "--min-raters", "peer=1", "--accept-small-groups")
    assert result.exit_code == 0, result.output
    for pid in ("S1", "S2"):
        text = pdf_text(tmp_path / "out" / f"{pid}.pdf")
        assert (
            "The minimum for Peers was lowered to 1 for this programme (usually 3). A Peers result can therefore "
            "come from a single person, and that person's ratings can be read directly from it: they are not "
            "anonymous." in text
        )
        assert "A rater minimum was lowered below 2 for this programme" in text
    assert "Peers 1 Yes" in pdf_text(tmp_path / "out" / "S1.pdf")
    settings = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["settings"]
    assert (settings["accept-small-groups"], settings["lowered-minimums"]) == (True, {"peer": 1})


def test_the_agreed_single_manager_is_not_a_lowered_minimum(tmp_path: Path) -> None:
    responses, roster = write_scenarios(tmp_path, {"S1": {"manager": 1, "peer": 3}})
    result = run_cli(
        str(responses), "--participants", str(roster), "--battery", BATTERY, "-o", str(tmp_path / "o"), "--show-manager"
    )
    assert result.exit_code == 0, result.output
    text = pdf_text(tmp_path / "o" / "S1.pdf")
    assert "lowered" not in text and "Your manager's ratings are shown on their own, as agreed" in text
    assert "Manager 1 Yes" in text


# -- 5. Ctrl-C -------------------------------------------------------------------------------------


def test_ctrl_c_stops_a_pool_batch_cleanly_and_a_rerun_finishes(tmp_path: Path) -> None:
    responses, roster = make_sample(tmp_path / "in", 40, seed=9)
    out = tmp_path / "out"
    args = [str(responses), "--participants", str(roster), "--battery", BATTERY, "--out-dir", str(out)]
    code = "from implassess.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "participants", *args, "-j", "2"],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None and not list(out.glob("P*.pdf")):
            time.sleep(0.02)
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the whole process group
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    err = stderr.decode()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    written = len(list(out.glob("P*.pdf")))
    assert err.strip().splitlines() == [
        f"Interrupted: {written} of 40 reports are in {out}, and nothing half-written was left. Run the same "
        "command again to finish the rest."
    ]
    assert stdout == b""
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no .part file, journal or lock
    doc = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert doc["counts"]["ok"] == written and doc["counts"]["pending"] == 40 - written
    res = run_cli(*args, "--json", "-j", "2")
    assert res.exit_code == 0, res.output
    again = json.loads(res.output)
    assert again["counts"]["ok"] == 40 and again["counts"]["kept"] == written


# -- 6. one batch per folder -----------------------------------------------------------------------


def test_a_second_batch_into_a_locked_folder_is_refused(tmp_path: Path) -> None:
    responses, roster = write_scenarios(tmp_path, {"S1": {"peer": 4}})
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from implassess.outputs.lock import folder_lock\n"
            f"with folder_lock({str(out)!r}, 'run'):\n    print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        args = [str(responses), "--participants", str(roster), "--battery", BATTERY, "-o", str(out)]
        refused = CliRunner().invoke(root_cli, ["participants", *args])
        assert refused.exit_code == 1
        # The lock's own message (outputs/lock.py), naming the holder and the folder.
        assert re.match(
            rf"Error: Another implassess command \(run, pid {holder.pid}, started at \S+\) is writing to "
            rf"{re.escape(str(out))}; wait for it to finish",
            refused.output,
        ), refused.output
        assert not list(out.glob("*.pdf"))
    finally:
        holder.communicate(b"")
    assert run_cli(*args).exit_code == 0
    assert [p.name for p in out.glob("*.pdf")] and not (out / ".implassess.lock").exists()


def test_a_participant_column_of_email_addresses_gets_a_clear_error(tmp_path: Path) -> None:
    """Such a column is dropped as personal; the job says so and how to keep it, not 'no column'."""
    from click.testing import CliRunner

    from implassess.cli import cli

    sample = tmp_path / "s"
    assert CliRunner().invoke(cli, ["sample", "-o", str(sample), "--participants", "4"]).exit_code == 0
    text = (sample / "leadership-360.csv").read_text(encoding="utf-8")
    text = re.sub(r",(P\d{3}),", lambda m: f",{m.group(1).lower()}@example.org,", text)
    (sample / "leadership-360.csv").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "participants",
            str(sample / "leadership-360.csv"),
            *("--participants", str(sample / "participants.csv")),
            *("--battery", "implementation-leadership-360", "-o", str(tmp_path / "out")),
        ],
    )
    assert result.exit_code != 0
    assert "'participant' column was dropped because its values look like personal data" in result.output
    assert '"participant" = "attribute:participant"' in result.output
    assert "Traceback" not in result.output
