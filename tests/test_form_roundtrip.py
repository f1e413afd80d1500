"""Forms that carry their breakdowns: export, field, export back, score ``--by site`` unmapped.

A built-in instrument is exported with ``instruments export --assessment … --wave baseline``
in each format. The sample's baseline answers are then written as each tool's response
export of that form would hold them (column names, header rows, choice names, labels or
codes, metadata), from the exported file itself. Each export is scored with
``implassess score FILE -i clarity-gaps --by site`` and no mapping file, and must give
every site exactly what scoring the plain sample CSV gives it (``--wave baseline
--duplicates latest``): the same respondents, the same numbers.

The answers a form can return are the sample's baseline rows, the latest submission per
respondent, without the rows holding an answer the form does not offer (the sample's
deliberately malformed ones, which the plain scoring rejects too).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from implassess import plugins
from implassess.cli import cli
from implassess.ingest import ingest
from implassess.outputs.instrument_export import option_codes
from implassess.readers.redcap import read_dictionary
from implassess.readers.xlsx import read_sheet
from implassess.sample import SITES, SMALL_SITE, generate, write_sample
from tests.conftest import ledger_at

INSTRUMENT = "clarity-gaps"
SITE_NAMES = sorted([s for s, _, _ in SITES] + [SMALL_SITE])
ASSESSMENT = """\
format-version = 1
kind = "assessment"
instruments = ["clarity-gaps"]

[client]
name = "Northbridge Health"

[[responses]]
path = "data/org-survey.csv"
duplicates = "latest"

[scoring]
by = ["site", "role"]
wave = "baseline"
"""


def run(*args: object) -> Any:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def instrument() -> Any:
    return plugins.get_instrument(INSTRUMENT)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, instrument: Any) -> Path:
    """The sample (clarity-gaps only) and an assessment that breaks it down by site and role."""
    root = tmp_path_factory.mktemp("roundtrip")
    write_sample(generate(instrument, seed=7), root / "data", ("generic",))
    (root / "assessment.toml").write_text(ASSESSMENT, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def answers(folder: Path, instrument: Any) -> list[dict[str, str]]:
    """The baseline submissions a form can return: the latest per respondent, every answer offered."""
    offered = {item.id: {code for code, _ in option_codes(instrument.scale_for(item))} for item in instrument.items}
    with (folder / "data" / "org-survey.csv").open(newline="", encoding="utf-8") as f:
        records = [r for r in csv.DictReader(f) if r["wave"] == "baseline"]
    latest: dict[str, dict[str, str]] = {}
    for r in sorted(records, key=lambda r: r["submitted_at"]):
        latest[r["respondent_id"]] = r
    keep = [r for r in latest.values() if all(not r[i] or r[i] in offered[i] for i in offered)]
    assert 150 < len(keep) < len(latest) <= len(records)  # the malformed rows are really left out
    return sorted(keep, key=lambda r: r["submitted_at"])


@pytest.fixture(scope="module")
def plain(folder: Path) -> dict[str, Any]:
    """The profile from the plain sample CSV, scored by site."""
    out = folder / "plain"
    with ledger_at(folder / "ledger-plain"):
        run("score", folder / "data" / "org-survey.csv", "-i", INSTRUMENT, "--by", "site", "--wave", "baseline",
            "--duplicates", "latest", "-o", out, "--reproducible")  # fmt: skip
    return json.loads((out / "profile.json").read_text(encoding="utf-8"))


def export_form(folder: Path, out: Path, fmt: str, suffix: str) -> Path:
    """The instrument exported with the breakdowns of the assessment in ``folder``, into ``out``."""
    path = out / f"form-{fmt}.{suffix}"
    result = run("instruments", "export", INSTRUMENT, "--format", fmt, "-o", path,
                 "--assessment", folder / "assessment.toml", "--wave", "baseline")  # fmt: skip
    assert result.stderr.splitlines()[1:] == [
        f"Breakdown {'columns' if fmt == 'csv-template' else 'questions'}: site (5 answers), role (6 answers).",
        "Fill the wave column with 'baseline'." if fmt == "csv-template" else "Every response records wave 'baseline'.",
    ]
    return path


def write_csv(
    path: Path, rows: list[list[str]], *, delimiter: str = ",", bom: bool = False, crlf: bool = False
) -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8-sig" if bom else "utf-8")
    return path


# -- the tools' exports, built from the exported form ---------------------------------------------------------


def _sheet(path: Path, name: str) -> list[list[str]]:
    return [["" if v is None else str(v) for v in values] for _, values in read_sheet(path, name).rows]


def _xlsform_questions(form: Path) -> tuple[list[tuple[list[str], str, str, str, str]], dict[str, dict[str, str]]]:
    """(group path, type, name, label, calculation) per question, and choice list → name → label."""
    survey = _sheet(form, "survey")
    col = {h: j for j, h in enumerate(survey[0])}
    questions, groups = [], []
    for row in survey[1:]:
        cell = [*row, *[""] * len(col)]
        kind, name, label = cell[col["type"]], cell[col["name"]], cell[col["label"]]
        if kind == "begin group":
            groups.append(name)
        elif kind == "end group":
            groups.pop()
        elif kind not in ("start", "end"):
            questions.append(
                (list(groups), kind, name, label, cell[col["calculation"]] if "calculation" in col else "")
            )
    lists: dict[str, dict[str, str]] = {}
    for list_name, name, label in (r[:3] for r in _sheet(form, "choices")[1:]):
        lists.setdefault(list_name, {})[name] = label
    return questions, lists


def kobo(folder: Path, out: Path, answers: list[dict[str, str]], *, labels: bool) -> tuple[Path, dict[str, Any]]:
    """KoboToolbox CSV export: "XML values and headers" (group/name, choice names) or "Labels"."""
    questions, lists = _xlsform_questions(export_form(folder, out, "xlsform", "xlsx"))
    header = ["start", "end"]
    for groups, _, name, label, _ in questions:
        header.append((label or name) if labels else "/".join([*groups, name]))
    header += ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by", "_index"]
    rows = [header]
    for k, r in enumerate(answers, start=1):
        cells = []
        for _, kind, name, _, calculation in questions:
            if kind == "calculate":
                cells.append(calculation.strip("'"))
            elif kind.startswith("select_one"):
                cells.append(lists[kind.split()[1]][r[name]] if labels and r[name] else r[name])
            else:
                cells.append(r[name])
        rows.append([r["submitted_at"], r["submitted_at"], *cells, str(k), f"uuid-{r['respondent_id']}",
                     r["submitted_at"], "", "", "submitted_via_web", "", str(k)])  # fmt: skip
    return write_csv(out / f"kobo-{'labels' if labels else 'values'}.csv", rows, delimiter=";"), {}


def odk_central(folder: Path, out: Path, answers: list[dict[str, str]]) -> tuple[Path, dict[str, Any]]:
    """ODK Central CSV export: SubmissionDate first, group-name columns with "-", choice names, KEY."""
    questions, _ = _xlsform_questions(export_form(folder, out, "xlsform", "xlsx"))
    header = ["SubmissionDate", "start", "end", *("-".join([*g, name]) for g, _, name, _, _ in questions)]
    header += ["meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
               "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]  # fmt: skip
    rows = [header]
    for r in answers:
        cells = [calc.strip("'") if kind == "calculate" else r[name] for _, kind, name, _, calc in questions]
        key = f"uuid:{r['respondent_id']}"
        rows.append([r["submitted_at"] + "Z", r["submitted_at"], r["submitted_at"], *cells, key, key, "7", "collector",
                     "0", "0", "", "", "", "0", "1.0.0-baseline"])  # fmt: skip
    return write_csv(out / "odk-central.csv", rows), {}


def _qualtrics_questions(text: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Questions of an Advanced Format TXT (id, type, text, choices recode → text), and embedded data."""
    questions: list[dict[str, Any]] = []
    embedded: dict[str, str] = {}
    section = None
    for line in text.splitlines():
        if m := re.fullmatch(r"\[\[ED:([^:\]]+)(?::(.*))?\]\]", line):
            embedded[m.group(1)] = m.group(2) or ""
        elif m := re.fullmatch(r"\[\[Question:(.+)\]\]", line):
            questions.append({"type": m.group(1), "id": None, "text": None, "choices": {}})
            section = "text"
        elif m := re.fullmatch(r"\[\[ID:(.+)\]\]", line):
            questions[-1]["id"] = m.group(1)
        elif m := re.fullmatch(r"\[\[Choice:(\d+)\]\]", line):
            code = m.group(1)
            section = "choice"
        elif line.startswith("[["):
            section = None if line != "[[AdvancedChoices]]" else section
        elif line and section == "text" and questions[-1]["text"] is None:
            questions[-1]["text"] = line
        elif line and section == "choice":
            questions[-1]["choices"][code] = line
            section = None
    return questions, embedded


def qualtrics(folder: Path, out: Path, answers: list[dict[str, str]]) -> tuple[Path, dict[str, Any]]:
    """Qualtrics CSV, choice text: export tags, question text, ImportId rows; embedded data last."""
    questions, embedded = _qualtrics_questions(
        export_form(folder, out, "qualtrics-txt", "txt").read_text(encoding="utf-8")
    )
    meta = [("StartDate", "Start Date", "startDate"), ("EndDate", "End Date", "endDate"),
            ("Status", "Response Type", "status"), ("IPAddress", "IP Address", "ipAddress"),
            ("Progress", "Progress", "progress"), ("Finished", "Finished", "finished"),
            ("RecordedDate", "Recorded Date", "recordedDate"), ("ResponseId", "Response ID", "_recordId"),
            ("RecipientEmail", "Recipient Email", "recipientEmail"),
            ("DistributionChannel", "Distribution Channel", "distributionChannel")]  # fmt: skip
    rows = [
        [c for c, _, _ in meta] + [q["id"] for q in questions] + list(embedded),
        [t for _, t, _ in meta] + [q["text"] for q in questions] + list(embedded),
        [json.dumps({"ImportId": i}) for _, _, i in meta]
        + [json.dumps({"ImportId": f"QID{k}" + ("_TEXT" if q["type"].startswith("TextEntry") else "")})
           for k, q in enumerate(questions, start=1)]
        + [json.dumps({"ImportId": e}) for e in embedded],
    ]  # fmt: skip
    for r in answers:
        cells = []
        for q in questions:
            value = r[q["id"]]
            if q["type"].startswith("MC") and value and value not in q["choices"].values():
                value = q["choices"][value]  # an item's code as its choice text (an attribute's answer is text)
            cells.append(value)
        at = r["submitted_at"].replace("T", " ")
        rows.append([at, at, "IP Address", "192.0.2.1", "100", "True", at, f"R_{r['respondent_id']}",
                     "someone@example.org", "anonymous", *cells, *embedded.values()])  # fmt: skip
    return write_csv(out / "qualtrics.csv", rows, bom=True, crlf=True), {}


def redcap(folder: Path, out: Path, answers: list[dict[str, str]]) -> tuple[Path, dict[str, Any]]:
    """REDCap raw records export (codes), read with the exported data dictionary."""
    dictionary = export_form(folder, out, "redcap", "csv")
    fields = read_dictionary(dictionary)
    form = next(iter(fields.values())).form
    header = [*fields, f"{form}_complete"]
    column = {re.sub(r"[-.]", "_", c.lower()): c for c in answers[0]}  # REDCap names allow no '-'
    rows = [header]
    for k, r in enumerate(answers, start=1):
        cells = [str(k)]
        for name, f in list(fields.items())[1:]:
            value = "baseline" if name == "wave" else r[column[name]]
            if f.type == "dropdown" and value:
                value = next(code for code, label in f.choices.items() if label == value)
            cells.append(value)
        rows.append([*cells, "2"])
    return write_csv(out / "redcap-records.csv", rows), {"--dictionary": dictionary}


def csv_template(folder: Path, out: Path, answers: list[dict[str, str]]) -> tuple[Path, dict[str, Any]]:
    """The CSV template, filled in."""
    header = next(csv.reader([export_form(folder, out, "csv-template", "csv").read_text(encoding="utf-8")]))
    rows = [header] + [[r.get(c, "") for c in header] for r in answers]
    return write_csv(out / "template-filled.csv", rows), {}


BUILDERS: dict[str, Callable[[Path, Path, list[dict[str, str]]], tuple[Path, dict[str, Any]]]] = {
    "kobo-values": lambda f, o, a: kobo(f, o, a, labels=False),
    "kobo-labels": lambda f, o, a: kobo(f, o, a, labels=True),
    "odk-central": odk_central,
    "qualtrics": qualtrics,
    "redcap": redcap,
    "csv-template": csv_template,
}
#: The reader each export is detected as.
READERS = {"kobo-values": "xlsform", "kobo-labels": "xlsform", "odk-central": "xlsform", "qualtrics": "qualtrics",
           "redcap": "redcap", "csv-template": "csv"}  # fmt: skip


@pytest.mark.parametrize("tool", list(BUILDERS))
def test_export_maps_unedited_and_scores_by_site_like_the_plain_csv(
    tool: str, folder: Path, instrument: Any, answers: list[dict[str, str]], plain: dict[str, Any], tmp_path: Path
) -> None:
    path, extra = BUILDERS[tool](folder, tmp_path, answers)
    options = {"dictionary": extra["--dictionary"]} if "--dictionary" in extra else None
    result = ingest(path, instrument, options=options)
    assert result.reader == READERS[tool]
    # Every item and every breakdown mapped, by the file alone.
    assert sorted(m.target for m in result.columns if m.role == "item") == sorted(i.id for i in instrument.items)
    breakdowns = [("role", "header"), ("site", "header"), ("wave", "header")]
    if tool == "qualtrics":
        breakdowns = [("finished", "reader"), ("progress", "reader"), *breakdowns]
    assert sorted((m.target, m.how) for m in result.columns if m.role == "attribute") == breakdowns
    assert [m.column for m in result.columns if m.role == "comment"] == [
        "Comments" if tool == "kobo-labels" else "comment"
    ]
    assert result.missing_items == () and result.unmapped == ()
    assert not any(m.how == "mapping file" for m in result.columns)
    assert set(result.responses.attributes["site"]) == set(SITE_NAMES)
    assert set(result.responses.attributes["wave"]) == {"baseline"}

    out = tmp_path / "scored"
    args = [a for k, v in extra.items() for a in (k, v)]
    run("score", path, "-i", INSTRUMENT, "--by", "site", "-o", out, "--reproducible", *args)
    mine = json.loads((out / "profile.json").read_text(encoding="utf-8"))
    # Each site's n is its respondents with at least one answer, and every number is the plain CSV's.
    answered = Counter(r["site"] for r in answers if any(r[i.id] for i in instrument.items))
    groups = {g["key"]["site"]: g for g in mine["breakdowns"][0]["groups"]}
    assert sorted(groups) == SITE_NAMES
    assert groups[SMALL_SITE]["suppressed"] is True
    shown = {s: g["n"] for s, g in groups.items() if not g.get("suppressed")}
    assert len(shown) >= 3 and shown == {s: answered[s] for s in shown}
    assert mine["organisation"]["n"] == sum(answered.values())
    assert mine["breakdowns"] == plain["breakdowns"]
    assert mine["organisation"] == plain["organisation"]


def test_assessment_breakdowns_offer_the_values_of_its_responses(folder: Path) -> None:
    assessment = folder / "assessment.toml"
    result = run("instruments", "export", INSTRUMENT, "--format", "qualtrics-txt", "--assessment", assessment,
                 "--attribute", "role=nurse,manager", "--attribute", "team=A,B")  # fmt: skip
    questions, embedded = _qualtrics_questions(result.stdout)
    assert embedded == {}
    assert [(q["id"], list(q["choices"].values())) for q in questions[:3]] == [
        ("site", SITE_NAMES),
        ("role", ["nurse", "manager"]),  # --attribute replaces the assessment's answers, in its place
        ("team", ["A", "B"]),
    ]
    assert result.stderr.splitlines() == [
        "Breakdown questions: site (5 answers), role (2 answers), team (2 answers).",
        "The assessment's responses hold the waves 'baseline', 'follow-up'; give --wave NAME so that every "
        "response to this form records its wave.",
    ]


def test_assessment_breakdown_without_answers_is_a_clean_error(folder: Path, tmp_path: Path) -> None:
    text = ASSESSMENT.replace('by = ["site", "role"]', 'by = ["site", "site,team"]').replace(
        "data/", f"{folder / 'data'}/"
    )
    path = tmp_path / "assessment.toml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["instruments", "export", INSTRUMENT, "--format", "redcap", "--assessment", path])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {path}: results are broken down by 'team', but its response files hold no answers for it. "
        "Give the answers to offer, e.g. --attribute team=A,B,C.\n"
    )
    ok = run("instruments", "export", INSTRUMENT, "--format", "redcap", "--assessment", path, "--attribute", "team=A,B")
    assert ok.stderr.splitlines()[0] == "Breakdown questions: site (5 answers), team (2 answers)."


def test_assessment_fills_item_text_and_picks_the_battery_form(tmp_path: Path) -> None:
    """A battery fields contextual-intelligence with its rater form; the assessment's variables fill the text."""
    data = tmp_path / "data"
    write_sample(generate(plugins.get_batteries()["implementation-leadership-diagnostic"], seed=3), data, ("generic",))
    text = ASSESSMENT.replace('instruments = ["clarity-gaps"]', 'battery = "implementation-leadership-diagnostic"')
    (tmp_path / "assessment.toml").write_text(text + '\n[variables]\nintervention = "the virtual ward"\n')
    inst = plugins.get_instrument("contextual-intelligence")
    result = run("instruments", "export", inst.id, "--format", "qualtrics-txt", "--assessment",
                 tmp_path / "assessment.toml")  # fmt: skip
    rater = {inst.render_text(i, "rater", {"intervention": "the virtual ward"}) for i in inst.items}
    texts = {q["text"] for q in _qualtrics_questions(result.stdout)[0] if q["id"] not in ("site", "role", "comment")}
    assert texts == rater
    assert any("the virtual ward" in t for t in texts)
