"""The sample survey as KoboToolbox returns it from a form that ``instruments export`` wrote.

:func:`kobo_export` fills an XLSForm's questions with the answers of the sample's survey
(one wave) and lays them out as KoboToolbox's CSV export with "XML values and headers":
each question under its group path (``grp_outcome_clarity/cg-oc-01``), choice names as
answers, the submission metadata (``_id``, ``_uuid``, ``_submission_time`` …) at the end.
Only what a form can return is kept: a submission per respondent (the latest), and no
answer outside a question's choice list (the sample's deliberately malformed rows are
left out, as the tool would never have accepted them).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from implassess.errors import ImplassessError
from implassess.sample.records import SampleData, Table, iso_seconds

#: Kobo's submission metadata columns, in the order its exports put them.
KOBO_META = (
    "_id",
    "_uuid",
    "_submission_time",
    "_validation_status",
    "_notes",
    "_status",
    "_submitted_by",
    "__version__",
    "_tags",
    "_index",
)
#: The namespace the sample's submission uuids are derived in, so the same seed gives the same file.
_UUIDS = uuid.UUID("6f1d2a8e-5b1c-4c2e-9a57-0d3b8e1f4a60")


def kobo_export(
    data: SampleData, survey: Sequence[Sequence[str]], choices: Sequence[Sequence[str]], wave: str
) -> Table:
    """The sample's ``wave`` answers to the XLSForm whose ``survey`` and ``choices`` sheets are
    given (rows of text, header first), as KoboToolbox would export them.

    Questions are matched to the sample's columns by name; a ``calculate`` holds its constant.
    Raises :class:`ImplassessError` for a question the sample has no column for.
    """
    head = [h.strip() for h in survey[0]]
    col = {h: j for j, h in enumerate(head)}
    lists: dict[str, set[str]] = {}
    for row in choices[1:]:
        if len(row) > 1 and row[0]:
            lists.setdefault(row[0], set()).add(row[1])
    questions: list[tuple[str, str, set[str] | None, str | None]] = []  # (header, name, choices, constant)
    groups: list[str] = []

    def cell(row: Sequence[str], key: str) -> str:
        return row[col[key]].strip() if key in col and col[key] < len(row) else ""

    for row in survey[1:]:
        kind, name = cell(row, "type"), cell(row, "name")
        if kind == "begin group":
            groups.append(name)
        elif kind == "end group":
            groups.pop()
        elif kind in ("start", "end") or not name:
            continue
        elif kind == "calculate":
            questions.append(("/".join([*groups, name]), name, None, cell(row, "calculation").strip("'\"")))
        elif kind.startswith("select_one ") or kind == "text":
            known = lists.get(kind.split()[1]) if kind != "text" else None
            if name not in data.survey.columns:
                raise ImplassessError(f"The sample survey has no column for the form's question {name!r}.")
            questions.append(("/".join([*groups, name]), name, known, None))
    latest: dict[str, dict[str, str]] = {}
    for record in data.survey.records():
        if record["wave"] == wave:
            latest[record["respondent_id"]] = record  # rows are in submission order: the last one wins
    rows: list[tuple[str, ...]] = []
    for record in sorted(latest.values(), key=lambda r: (r["submitted_at"], r["respondent_id"])):
        answers = [record.get(name, "") if constant is None else constant for _, name, _, constant in questions]
        offered = (not a or known is None or a in known for a, (_, _, known, _) in zip(answers, questions, strict=True))
        if not all(offered):
            continue  # an answer the form does not offer: the tool would have refused the submission
        done = datetime.fromisoformat(record["submitted_at"])
        k = len(rows) + 1
        meta = (
            str(20_750_000 + k),
            str(uuid.uuid5(_UUIDS, f"{data.seed}/{record['respondent_id']}")),
            iso_seconds(done + timedelta(seconds=3)),
            "",
            "",
            "submitted_via_web",
            "",
            "",
            "",
            str(k),
        )
        start = iso_seconds(done - timedelta(minutes=6))
        rows.append((start, iso_seconds(done), *answers, *meta))
    return Table(("start", "end", *(h for h, _, _, _ in questions), *KOBO_META), tuple(rows))


def kobo_csv(table: Table) -> bytes:
    """The table as Kobo writes its CSV export: ``;``-separated, UTF-8."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return buf.getvalue().encode("utf-8")
