"""Text for the sample data: fictional names, comments, the Qualtrics layout and the README.

Kept apart from :mod:`implassess.sample` so the generator reads as a model, not as prose.
Every name and address is invented; addresses use the reserved ``example`` domains.
"""

from __future__ import annotations

import json
import string
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from implassess.sample.records import SampleData, Submission, Table

if TYPE_CHECKING:
    import numpy as np

FIRST_NAMES = (
    "Amara",
    "Ben",
    "Chiara",
    "Dev",
    "Eilidh",
    "Farah",
    "Gareth",
    "Hana",
    "Ibrahim",
    "Joanna",
    "Kwame",
    "Leila",
    "Mateo",
    "Niamh",
    "Olu",
    "Priya",
    "Quentin",
    "Rosa",
    "Sanjay",
    "Tamsin",
    "Uchenna",
    "Vera",
    "Wen",
    "Yusuf",
    "Zofia",
    "Aled",
    "Bronwen",
    "Cormac",
    "Dana",
    "Emeka",
    "Freya",
    "Goran",
    "Ines",
    "Jonah",
    "Keziah",
    "Lucia",
)
LAST_NAMES = (
    "Achebe",
    "Barlow",
    "Castellano",
    "Dunmore",
    "Ellery",
    "Fairclough",
    "Gill",
    "Haddad",
    "Iqbal",
    "Jensen",
    "Kowalczyk",
    "Lindqvist",
    "McAllister",
    "Nakamura",
    "Okafor",
    "Pereira",
    "Quayle",
    "Rahman",
    "Sorensen",
    "Thackeray",
    "Usman",
    "Varga",
    "Whitlock",
    "Xu",
    "Yardley",
    "Zielinski",
    "O'Donnell",
    "Ní Bhriain",
)

COMMENTS_SURVEY = (
    "Good intentions, but the new pathway was launched in the busiest month of the year.",
    "We were never told who signs off changes to the rota.",
    "Our ward manager makes time for the huddles and it shows.",
    "Training was useful; the follow-up support afterwards disappeared.",
    "Too many initiatives at once. Nobody knows which one matters most.",
    "The dashboards are great when they work — half the time the data is a month old.",
    "Handoffs between pharmacy and the ward are still done by phone and memory.",
    "I'd like to see the results of the last survey before filling in another one.",
    "Leadership listened this time. The café-style drop-in sessions helped.",
    "Night staff hear about changes last.",
    "Please stop adding steps without removing any.",
    "Clear goals, clear owners. More of this.",
)
#: Markup and a very long line, for escaping and wrapping in reports.
HOSTILE_COMMENT = (
    "Honestly? <b>Nothing changes</b> & nobody checks </para> — "
    + "we were promised protected time for the rollout and then the rota changed again and again " * 9
    + "<script>alert('x')</script>"
)
#: Quotes, a comma and a line break, for CSV quoting.
QUOTED_COMMENT = 'Two things:\n1) "protected time" is not protected, 2) the rota changes weekly.'

#: Comments from raters (index 0) and from the participant about themselves (index 1).
COMMENTS_360 = (
    (
        "Explains why a change matters before asking us to do it.",
        "Could delegate more; decisions queue up when they are away.",
        "Very good with external partners, less visible on the ward.",
        "Sets clear milestones and actually reviews them.",
        "Sometimes moves on to the next project before the last one has landed.",
        "Listens, then acts. Rare and appreciated.",
        "Would benefit from sharing the data behind decisions.",
        "Handles push-back from senior clinicians calmly.",
    ),
    (
        "I want to get better at saying no to new requests.",
        "I rely on a few trusted people too much.",
        "I think I plan well but follow-through slips when things get busy.",
        "My goal this year is to make our reviews more regular.",
    ),
)

_TZ = "Europe/London"
QUALTRICS_META = (
    ("StartDate", "Start Date", {"ImportId": "startDate", "timeZone": _TZ}),
    ("EndDate", "End Date", {"ImportId": "endDate", "timeZone": _TZ}),
    ("Status", "Response Type", {"ImportId": "status"}),
    ("IPAddress", "IP Address", {"ImportId": "ipAddress"}),
    ("Progress", "Progress", {"ImportId": "progress"}),
    ("Duration (in seconds)", "Duration (in seconds)", {"ImportId": "duration"}),
    ("Finished", "Finished", {"ImportId": "finished"}),
    ("RecordedDate", "Recorded Date", {"ImportId": "recordedDate", "timeZone": _TZ}),
    ("ResponseId", "Response ID", {"ImportId": "_recordId"}),
    ("RecipientLastName", "Recipient Last Name", {"ImportId": "recipientLastName"}),
    ("RecipientFirstName", "Recipient First Name", {"ImportId": "recipientFirstName"}),
    ("RecipientEmail", "Recipient Email", {"ImportId": "recipientEmail"}),
    ("ExternalReference", "External Data Reference", {"ImportId": "externalDataReference"}),
    ("LocationLatitude", "Location Latitude", {"ImportId": "locationLatitude"}),
    ("LocationLongitude", "Location Longitude", {"ImportId": "locationLongitude"}),
    ("DistributionChannel", "Distribution Channel", {"ImportId": "distributionChannel"}),
    ("UserLanguage", "User Language", {"ImportId": "userLanguage"}),
)
QUALTRICS_EMBEDDED = ("site", "role", "wave")
COMMENT_QUESTION = "Is there anything else you would like to tell us?"
_STAMP = "%Y-%m-%d %H:%M:%S"


def _json(obj: dict[str, str]) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _response_id(rng: np.random.Generator) -> str:
    chars = string.ascii_letters + string.digits
    return "R_" + "".join(chars[int(i)] for i in rng.integers(0, len(chars), 15))


def qualtrics_table(
    rng: np.random.Generator, subs: Sequence[Submission], item_ids: Sequence[str], texts: Sequence[str]
) -> Table:
    """A Qualtrics choice-text export of the survey submissions ``subs``.

    Adds two preview rows and one test row before the responses, and a partial
    response at the end whose row stops short of the header (ragged).
    """
    n_items = len(item_ids)
    columns = (*(m[0] for m in QUALTRICS_META), *QUALTRICS_EMBEDDED, *item_ids, "comment")
    text_row = (*(m[1] for m in QUALTRICS_META), *QUALTRICS_EMBEDDED, *texts, COMMENT_QUESTION)
    import_row = (
        *(_json(m[2]) for m in QUALTRICS_META),
        *(_json({"ImportId": e}) for e in QUALTRICS_EMBEDDED),
        *(_json({"ImportId": f"QID{j + 1}"}) for j in range(n_items)),
        _json({"ImportId": f"QID{n_items + 1}_TEXT"}),
    )

    def line(
        end: datetime,
        status: str,
        progress: int,
        channel: str,
        who: Sequence[str],
        embedded: Sequence[str],
        answers: Sequence[str],
        comment: str,
    ) -> tuple[str, ...]:
        """One export row; ``who`` is last name, first name, email, external reference."""
        duration = int(rng.integers(150, 1500))
        real = status == "IP Address"  # previews and tests carry no IP address or location
        ip = f"{('192.0.2', '198.51.100', '203.0.113')[int(rng.integers(0, 3))]}.{int(rng.integers(1, 255))}"
        lat, lon = f"{51.45 + rng.normal(0, 0.05):.4f}", f"{-2.58 + rng.normal(0, 0.08):.4f}"
        recorded = end + timedelta(seconds=int(rng.integers(1, 6)))
        return (
            *(t.strftime(_STAMP) for t in (end - timedelta(seconds=duration), end)),
            status, ip if real else "", str(progress), str(duration), str(progress == 100),
            recorded.strftime(_STAMP), _response_id(rng), *who, lat if real else "", lon if real else "",
            channel, "EN-GB", *embedded, *answers, comment,
        )  # fmt: skip

    nobody = ("", "", "", "")
    body = []
    for k, (status, channel) in enumerate((("Survey Preview", "preview"),) * 2 + (("Survey Test", "test"),)):
        tried = subs[int(rng.integers(0, len(subs)))].labels
        end = subs[0].submitted_at.replace(hour=11) - timedelta(days=3 - k, minutes=int(rng.integers(0, 300)))
        body.append(line(end, status, 100, channel, nobody, ("", "", ""), tried, ""))
    for s in subs:
        who = (s.last_name, s.first_name, s.email, s.respondent_id)
        body.append(
            line(s.submitted_at, "IP Address", 100, "email", who, (s.site, s.role, s.wave), s.labels, s.comment)
        )
    last = subs[-1]
    answered = max(1, (n_items * 2) // 5)
    answers = [*last.labels[:answered], *[""] * (n_items - answered)]
    partial = line(last.submitted_at + timedelta(hours=2), "IP Address", 41, "anonymous", nobody,
                   ("Northbridge General", "nurse", last.wave), answers, "")  # fmt: skip
    # The ragged row: a partial response whose export stops after the last answered item.
    body.append(partial[: len(QUALTRICS_META) + len(QUALTRICS_EMBEDDED) + answered])
    return Table(columns, tuple(body), header_rows=(text_row, import_row))


def readme_text(data: SampleData, files: Sequence[str]) -> str:
    """The README written next to the sample files."""
    survey = data.survey
    items = ", ".join(data.survey_items[:4]) + (" …" if len(data.survey_items) > 4 else "")
    sites = sorted(set(survey.column("site")))
    roles = sorted(set(survey.column("role")))
    lines = [
        "Northbridge Health sample data (fictional)",
        "==========================================",
        "",
        *_wrap(
            f"Generated by `implassess sample` with seed {data.seed} for: {', '.join(data.instruments)}. "
            "Every person, address and comment is invented. The same seed gives byte-identical files."
        ),
        "",
        "Files",
        "-----",
    ]
    describe = {
        "org-survey.csv": (
            f"Organisation survey, one row per submission ({len(survey.rows)} rows, two waves: baseline and "
            "follow-up). Columns: respondent_id, submitted_at (ISO), site, role, wave, email (personal data: "
            f"must not reach a report), comment (free text, untrusted), then one column per item ({items}). "
            "Leadership items are worded for the rater form. Answers are scale values; Don't know and Not "
            "applicable appear as the scale's codes (8 and 9 on the built-in scales); blank = skipped."
        ),
        "org-survey-qualtrics.csv": (
            "The same survey as a Qualtrics choice-text export: three header rows (column ids, question text, "
            "ImportId JSON), answers as option labels, Status as text (IP Address / Survey Preview / Survey "
            "Test), two preview rows and one test row to be excluded, and a partial response whose row is "
            "shorter than the header. UTF-8 with a byte-order mark, CRLF line ends."
        ),
        "leadership-360.csv": (
            "Leadership 360, one row per rater form: respondent_id, submitted_at, participant, relationship "
            "(self, manager, peer, direct-report, other), wave (baseline = before the programme, follow-up = "
            "after), cohort, comment, then the item columns of the instruments with a self form."
        ),
        "participants.csv": "The 360 participants: participant, name, site, cohort.",
        "kpis.csv": "KPI sheet: kpi, period (2025-Q4 … 2026-Q3), value (decimal point), unit.",
        "kpis-decimal-comma.csv": "The same KPI sheet as a European spreadsheet saves it: ';' between fields, "
        "decimal commas (0,33 means a third, not 33).",
    }
    for name in files:
        lines += [name, *_wrap(describe[name]), ""]
    notes = [
        f"Sites: {', '.join(sites)}. {data.small_site} has fewer than 5 respondents, so its results must be "
        "suppressed.",
        f"Roles: {', '.join(roles)}.",
        *(f"{kind}: {len(ids)} row(s), respondent_id {', '.join(ids) or '-'}." for kind, ids in data.anomalies.items()),
        "About 3% of answers are blank, 2% Don't know and 1% Not applicable. One comment holds markup "
        "(<b>, &, </para>) and a very long line; another holds quotes and a line break.",
    ]
    if data.few_peers:
        notes.append(f"360 participants rostered with fewer than three peers: {', '.join(data.few_peers)}.")
    notes += [f"360 {kind} built in: {who} on {key}." for who, key, kind in data.self_gaps]
    lines += ["Deliberate flaws (readers must reject or flag them)", "-" * 51]
    for note in notes:
        lines += _wrap(note)
    lines += ["", "True change built into the data (latent SD)", "-" * 43]
    lines += [f"survey {k}: {v:+.2f}" for k, v in data.changes.items()]
    lines += [f"360 others' ratings {k}: {v:+.2f}" for k, v in data.changes_360.items()]
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int = 88) -> list[str]:
    out, cur = [], ""
    for word in text.split():
        if cur and len(cur) + 1 + len(word) > width:
            out.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    return [*out, cur] if cur else out
