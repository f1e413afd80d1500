"""Reproducible sample data for a fictional health system, Northbridge Health.

:func:`generate` builds, from any instrument or battery, an organisation survey (two
waves), a leadership 360 (self and raters, before and after a programme) and a KPI
sheet, all in memory; :func:`write_sample` writes them as CSV files. The same seed
gives byte-identical files.

Answers come from a latent model (:mod:`implassess.sample.model`): each respondent's
level on a dimension is dimension base + site effect + role effect + person noise
(correlated across dimensions) + the change at follow-up. The data carry the flaws
real exports have (blanks, "Don't know", malformed and duplicate rows, a site too
small to report), so readers and reports are exercised on them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import attrs
import numpy as np

from implassess.errors import ImplassessError, NotFoundError
from implassess.model import Battery, Instrument
from implassess.outputs.files import write_atomic
from implassess.sample.model import (
    P_DONT_KNOW,
    ItemDimension,
    blank_out,
    correlated,
    item_dimensions,
    number,
    out_of_range,
    render,
    respond,
)
from implassess.sample.records import SMALL_SITE, SampleData, Submission, Table, iso_seconds
from implassess.sample.text import (
    COMMENTS_360,
    COMMENTS_SURVEY,
    FIRST_NAMES,
    HOSTILE_COMMENT,
    LAST_NAMES,
    QUOTED_COMMENT,
    qualtrics_table,
    readme_text,
)

ORGANISATION = "Northbridge Health"
#: Site, share of respondents, effect on every dimension (in latent SD).
SITES = (
    ("Northbridge General", 0.40, 0.20),
    ("Riverside Community", 0.27, -0.10),
    ("Hillcrest Clinic", 0.15, 0.05),
    ("Eastgate Rehabilitation", 0.18, -0.25),
)
SMALL_SITE_N = 4
#: Role, share of respondents, effect on every dimension.
ROLES = (
    ("clinician", 0.22, -0.10),
    ("nurse", 0.32, -0.15),
    ("allied health", 0.16, 0.0),
    ("administrator", 0.14, -0.05),
    ("manager", 0.11, 0.25),
    ("executive", 0.05, 0.45),
)
WAVES = ("baseline", "follow-up")
#: Relationship, effect on ratings (self has its own bias), chance of "Don't know".
RELATIONSHIPS = (
    ("self", 0.0, 0.0),
    ("manager", -0.15, 0.01),
    ("peer", 0.0, 0.04),
    ("direct-report", 0.10, 0.03),
    ("other", -0.05, 0.05),
)
COHORTS = ("2025-A", "2025-B")
KPI_PERIODS = ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3")
SURVEY_WINDOWS = (datetime(2025, 10, 6), datetime(2026, 5, 4))
RATER_WINDOWS = (datetime(2025, 9, 8), datetime(2026, 6, 1))
N_DUPLICATES = 3


def _resolve(
    source: Battery | Instrument | Sequence[Instrument], lookup: Mapping[str, Instrument] | None
) -> list[tuple[Instrument, str | None]]:
    """Instruments with the form the organisation survey fields (``rater`` when there is one)."""
    if isinstance(source, Instrument):
        pairs: list[tuple[Instrument, str | None]] = [(source, None)]
    elif isinstance(source, Battery):
        if lookup is None:
            from implassess.plugins import get_instruments

            lookup = get_instruments()
        pairs = []
        for member in source.instruments:
            if member.id not in lookup:
                raise NotFoundError("instrument", member.id, list(lookup))
            pairs.append((lookup[member.id], member.form))
    else:
        pairs = [(inst, None) for inst in source]
    out = []
    for inst, form in pairs:
        forms = {f.id for f in inst.forms}
        out.append((inst, form or ("rater" if "rater" in forms else None)))
    return out


def _times(rng: np.random.Generator, start: datetime, n: int, days: int = 26) -> list[datetime]:
    day = rng.integers(0, days, n)
    sec = rng.integers(7 * 3600, 19 * 3600, n)
    return sorted(start + timedelta(days=int(d), seconds=int(s)) for d, s in zip(day, sec, strict=True))


def _pick(rng: np.random.Generator, choices: Sequence[str]) -> str:
    return choices[int(rng.integers(0, len(choices)))]


def _email(rng: np.random.Generator, first: str, last: str) -> str:
    domain = _pick(rng, ("example.org", "example.net", "mail.example", "example.com"))
    sep = _pick(rng, (".", "_", ""))
    suffix = str(int(rng.integers(1, 99))) if rng.random() < 0.4 else ""
    return f"{first.lower()}{sep}{last.lower().replace(' ', '').replace(chr(39), '')}{suffix}@{domain}"


def _survey(
    rng: np.random.Generator, pairs: list[tuple[Instrument, str | None]], dims: list[ItemDimension], n_respondents: int
) -> tuple[Table, Table, dict[str, tuple[str, ...]], dict[str, float]]:
    n_main = n_respondents - SMALL_SITE_N
    sites: list[str] = []
    roles: list[str] = []
    waves: list[str] = []
    for w, wave in enumerate(WAVES):
        n = n_main // 2 + (n_main % 2) * w
        sites += list(rng.choice([s[0] for s in SITES], n, p=[s[1] for s in SITES]))
        sites += [SMALL_SITE] * (SMALL_SITE_N // 2 + (SMALL_SITE_N % 2) * w)
        roles += list(rng.choice([r[0] for r in ROLES], len(sites) - len(roles), p=[r[1] for r in ROLES]))
        waves += [wave] * (len(sites) - len(waves))
    n, d = len(sites), len(dims)
    site_fx = {s: e + rng.normal(0, 0.1, d) for s, _, e in SITES}
    site_fx[SMALL_SITE] = rng.normal(0.1, 0.1, d)
    role_fx = {r: e + rng.normal(0, 0.1, d) for r, _, e in ROLES}
    base = rng.normal(0.1, 0.3, d)
    # Every other dimension improves by 0.2–0.4 SD at follow-up; the rest stay where they were.
    shift = np.where(np.arange(d) % 2 == 0, rng.uniform(0.2, 0.4, d), 0.0)
    follow = np.array([w == WAVES[1] for w in waves])
    theta = base + np.array([site_fx[s] for s in sites]) + np.array([role_fx[r] for r in roles])
    theta = theta + correlated(rng, n, d, 1.0) + follow[:, None] * shift
    scales = [s for dim in dims for s in dim.scales]
    codes = respond(rng, theta, dims)
    blank_out(rng, codes, scales, np.full(n, P_DONT_KNOW))

    when = [t for w in (0, 1) for t in _times(rng, SURVEY_WINDOWS[w], int((follow == w).sum()))]
    order = np.concatenate([np.flatnonzero(~follow), np.flatnonzero(follow)])
    values, labels = render(codes, scales, as_label=False), render(codes, scales, as_label=True)
    subs = []
    for i, row in enumerate(order):
        first, last = _pick(rng, FIRST_NAMES), _pick(rng, LAST_NAMES)
        comment = _pick(rng, COMMENTS_SURVEY) if rng.random() < 0.12 else ""
        email = _email(rng, first, last)
        subs.append(
            Submission(
                respondent_id=f"R{i + 1:04d}",
                submitted_at=when[i],
                site=sites[row],
                role=roles[row],
                wave=waves[row],
                email=email,
                comment=comment,
                values=values[row],
                labels=labels[row],
                first_name=first,
                last_name=last,
            )
        )
    subs[n // 3].comment = HOSTILE_COMMENT
    subs[n // 2].comment = QUOTED_COMMENT

    # Flaws go on rows of the large sites without a comment, so the small site keeps
    # exactly SMALL_SITE_N respondents and the crafted comments stay intact.
    eligible = [s for s in subs if s.site != SMALL_SITE and not s.comment]
    flawed = [eligible[int(j)] for j in rng.choice(len(eligible), 3 + N_DUPLICATES, replace=False)]
    n_items = codes.shape[1]
    anomalies: dict[str, list[str]] = {"out-of-range": [], "non-numeric": [], "all-blank": [], "duplicate": []}
    if n_items:
        j = int(rng.integers(0, n_items))
        flawed[0].values[j] = flawed[0].labels[j] = out_of_range(scales[j])
        j = int(rng.integers(0, n_items))
        flawed[1].values[j] = flawed[1].labels[j] = "agree-ish"
        flawed[2].values = flawed[2].labels = [""] * n_items
        for kind, sub in zip(("out-of-range", "non-numeric", "all-blank"), flawed, strict=False):
            anomalies[kind].append(sub.respondent_id)
    for sub in flawed[3:]:
        # A resubmission: same respondent, a few hours to two days later, a few answers changed.
        again = attrs.evolve(sub, values=list(sub.values), labels=list(sub.labels))
        again.submitted_at += timedelta(seconds=int(rng.integers(3 * 3600, 48 * 3600)))
        for j in rng.choice(n_items, min(3, n_items), replace=False) if n_items else []:
            option = scales[j].substantive()[int(rng.integers(0, len(scales[j].substantive())))]
            again.values[j], again.labels[j] = number(option.value), option.label
        subs.append(again)
        anomalies["duplicate"].append(again.respondent_id)
    subs.sort(key=lambda s: (s.submitted_at, s.respondent_id))

    item_ids = tuple(it.id for dim in dims for it in dim.items)
    columns = ("respondent_id", "submitted_at", "site", "role", "wave", "email", "comment", *item_ids)
    survey = Table(columns, tuple(s.generic_row() for s in subs))
    texts = [inst.render_text(it, form) for inst, form in pairs for d in inst.dimensions for it in inst.items_in(d.id)]
    qualtrics = qualtrics_table(rng, subs, item_ids, texts)
    changes = {dim.key: round(float(s), 3) for dim, s in zip(dims, shift, strict=True)}
    return survey, qualtrics, {k: tuple(v) for k, v in anomalies.items()}, changes


def _leadership(
    rng: np.random.Generator, dims: list[ItemDimension], n_participants: int
) -> tuple[Table, Table, dict[str, float], tuple[str, ...], tuple[tuple[str, str, str], ...]]:
    d = len(dims)
    ids = [f"P{p + 1:03d}" for p in range(n_participants)]
    people = Table(
        ("participant", "name", "site", "cohort"),
        tuple(
            (
                pid,
                f"{_pick(rng, FIRST_NAMES)} {_pick(rng, LAST_NAMES)}",
                SITES[p % len(SITES)][0],
                COHORTS[p * len(COHORTS) // n_participants],
            )
            for p, pid in enumerate(ids)
        ),
    )
    level = rng.normal(0.0, 0.3, d) + correlated(rng, n_participants, d, 0.7)
    # Self-ratings run high on average; a dimension-specific part makes blind spots and hidden strengths.
    self_bias = rng.normal(0.35, 0.3, (n_participants, 1)) + rng.normal(0, 0.45, (n_participants, d))
    # A few clear blind spots (self far above others) and hidden strengths (far below).
    gaps = []
    for k, p in enumerate(rng.choice(n_participants, min(5, n_participants), replace=False)):
        j, blind = int(rng.integers(0, d)), k < 3
        level[p, j] = min(level[p, j], -0.9) if blind else max(level[p, j], 0.6)
        self_bias[p, j] = 5.0 if blind else -5.0
        gaps.append((ids[p], dims[j].key, "blind-spot" if blind else "hidden-strength"))
    shift = np.where(np.arange(d) % 3 != 2, rng.uniform(0.25, 0.45, d), 0.0)
    self_shift = rng.normal(0.0, 0.1, d)  # self-ratings barely move: the programme recalibrates them
    effect = {rel: fx for rel, fx, _ in RELATIONSHIPS}
    p_dk = {rel: p for rel, _, p in RELATIONSHIPS}
    peers = rng.choice([2, 3, 4, 5], n_participants, p=[0.1, 0.3, 0.35, 0.25])
    peers[[p for p in (3, 14) if p < n_participants]] = 2
    roster = []
    for p in range(n_participants):
        counts = {
            "self": 1,
            "manager": 1,
            "peer": int(peers[p]),
            "direct-report": int(rng.integers(2, 7)),
            "other": int(rng.integers(0, 4)),
        }
        for rel, count in counts.items():
            for _ in range(count):
                roster.append((p, rel, float(rng.normal(0, 0.3)) if rel != "self" else 0.0))
    meta: list[tuple[int, str, str, float]] = []
    thetas: list[np.ndarray] = []
    for w, wave in enumerate(WAVES):
        for p, rel, lenient in roster:
            if rel in ("peer", "direct-report", "other") and rng.random() > 0.9:
                continue  # not every rater answers every wave
            t = level[p] + lenient + effect[rel]
            t = t + (self_bias[p] + w * self_shift if rel == "self" else w * shift)
            meta.append((p, rel, wave, p_dk[rel]))
            thetas.append(t + rng.normal(0, 0.3, d))
    theta = np.array(thetas)
    codes = respond(rng, theta, dims)
    scales = [s for dim in dims for s in dim.scales]
    blank_out(rng, codes, scales, np.array([m[3] for m in meta]))
    answers = render(codes, scales, as_label=False)
    when = [t for w in (0, 1) for t in _times(rng, RATER_WINDOWS[w], sum(m[2] == WAVES[w] for m in meta), 19)]
    order = sorted(range(len(meta)), key=lambda i: (meta[i][2] != WAVES[0], rng.random()))
    rows = []
    for i, row in enumerate(order):
        p, rel, wave, _ = meta[row]
        comment = _pick(rng, COMMENTS_360[rel == "self"]) if rng.random() < 0.3 else ""
        at = iso_seconds(when[i])
        rows.append((f"L{i + 1:04d}", at, ids[p], rel, wave, people.rows[p][3], comment, *answers[row]))
    item_ids = tuple(it.id for dim in dims for it in dim.items)
    columns = ("respondent_id", "submitted_at", "participant", "relationship", "wave", "cohort", "comment", *item_ids)
    changes = {dim.key: round(float(s), 3) for dim, s in zip(dims, shift, strict=True)}
    few = tuple(ids[p] for p in range(n_participants) if peers[p] < 3)
    return Table(columns, tuple(rows)), people, changes, few, tuple(sorted(gaps))


def _digits(unit: str, bounds: list[float], span: float) -> int:
    """Decimals a client's sheet would show: one for percentages, none for counts."""
    if "%" in unit or "percent" in unit or "point" in unit:
        return 1
    if all(float(b).is_integer() for b in bounds):
        timed = unit.split()[0] in ("hours", "days", "weeks", "months", "years") if unit.split() else False
        return 1 if timed and span < 20 else 0
    return 3 if span <= 1 else 2


def _kpi_table(rng: np.random.Generator, instruments: Sequence[Instrument]) -> Table | None:
    rows = []
    for inst in instruments:
        for kpi in inst.kpis:
            th = sorted(kpi.thresholds) or [kpi.target]
            bounds = [*th, kpi.target]
            span = (max(bounds) - min(bounds)) or max(abs(kpi.target), 1.0)
            u = rng.uniform(0.2, 0.8)
            if kpi.direction == "higher":
                start = th[0] + u * (th[1] - th[0]) if len(th) > 1 else th[0] - 0.1 * span
            else:
                start = th[-1] - u * (th[-1] - th[-2]) if len(th) > 1 else th[-1] + 0.1 * span
            end = start + rng.uniform(0.5, 1.15) * (kpi.target - start)
            values = np.linspace(start, end, len(KPI_PERIODS)) + rng.normal(0, 0.03 * span, len(KPI_PERIODS))
            if min(bounds) >= 0:
                values = np.maximum(values, 0.0)
            if kpi.unit.strip() == "%" and max(bounds) <= 100:
                values = np.minimum(values, 100.0)
            digits = _digits(kpi.unit, bounds, span)
            for period, value in zip(KPI_PERIODS, values, strict=True):
                rows.append((kpi.id, period, f"{round(float(value), digits) + 0.0:.{digits}f}", kpi.unit))
    return Table(("kpi", "period", "value", "unit"), tuple(rows)) if rows else None


def generate(
    battery_or_instruments: Battery | Instrument | Sequence[Instrument],
    *,
    seed: int = 7,
    n_respondents: int = 400,
    n_participants: int = 24,
    instruments: Mapping[str, Instrument] | None = None,
) -> SampleData:
    """Generate the Northbridge Health sample for a battery or instruments.

    ``n_respondents`` counts survey respondents over both waves (before duplicate
    submissions are added). ``instruments`` resolves battery members (default: the
    loaded plugins). The 360 covers the instruments that have a ``self`` form.
    """
    if n_respondents < 40:
        raise ImplassessError(f"The sample needs at least 40 survey respondents; got {n_respondents}.")
    if n_participants < 1:
        raise ImplassessError(f"The 360 needs at least one participant; got {n_participants}.")
    rng = np.random.default_rng(seed)
    pairs = _resolve(battery_or_instruments, instruments)
    insts = [inst for inst, _ in pairs]
    dims = item_dimensions(insts)
    survey, qualtrics, anomalies, changes = _survey(rng, pairs, dims, n_respondents)
    leaders = [inst for inst in insts if "self" in {f.id for f in inst.forms}]
    rater360 = people = None
    changes_360: dict[str, float] = {}
    few: tuple[str, ...] = ()
    gaps: tuple[tuple[str, str, str], ...] = ()
    if leaders and item_dimensions(leaders):
        rater360, people, changes_360, few, gaps = _leadership(rng, item_dimensions(leaders), n_participants)
    return SampleData(
        seed=seed,
        instruments=tuple(i.id for i in insts),
        survey=survey,
        qualtrics=qualtrics,
        survey_items=survey.columns[7:],
        rater360=rater360,
        participants=people,
        kpis=_kpi_table(rng, insts),
        anomalies=anomalies,
        changes=changes,
        changes_360=changes_360,
        few_peers=few,
        self_gaps=gaps,
    )


def _csv_text(table: Table, delimiter: str = ",", lineterminator: str = "\n") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerow(table.columns)
    writer.writerows(table.header_rows)
    writer.writerows(table.rows)
    return buf.getvalue()


def decimal_comma(table: Table) -> Table:
    """The KPI table with decimal commas in the ``value`` column."""
    j = table.columns.index("value")
    return attrs.evolve(table, rows=tuple((*r[:j], r[j].replace(".", ","), *r[j + 1 :]) for r in table.rows))


def write_sample(data: SampleData, out_dir: Path, formats: Sequence[str] = ("generic", "qualtrics")) -> list[Path]:
    """Write the sample's files into ``out_dir`` (created if needed); returns the paths written.

    ``formats`` chooses the organisation survey's layout: ``generic`` (``org-survey.csv``)
    and/or ``qualtrics`` (``org-survey-qualtrics.csv``). The other files are always written.
    """
    unknown = [f for f in formats if f not in ("generic", "qualtrics")]
    if unknown or not formats:
        raise ImplassessError(f"Unknown sample format(s) {unknown!r}; expected 'generic' and/or 'qualtrics'.")
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[tuple[str, str, str]] = []
    if "generic" in formats:
        files.append(("org-survey.csv", _csv_text(data.survey), "utf-8"))
    if "qualtrics" in formats:
        # Qualtrics writes a byte-order mark and CRLF line ends.
        files.append(("org-survey-qualtrics.csv", _csv_text(data.qualtrics, lineterminator="\r\n"), "utf-8-sig"))
    if data.rater360 is not None and data.participants is not None:
        files.append(("leadership-360.csv", _csv_text(data.rater360), "utf-8"))
        files.append(("participants.csv", _csv_text(data.participants), "utf-8"))
    if data.kpis is not None:
        files.append(("kpis.csv", _csv_text(data.kpis), "utf-8"))
        files.append(("kpis-decimal-comma.csv", _csv_text(decimal_comma(data.kpis), delimiter=";"), "utf-8"))
    files.append(("README.txt", readme_text(data, [name for name, _, _ in files]), "utf-8"))
    paths = []
    for name, text, encoding in files:
        path = out_dir / name
        write_atomic(path, text.encode(encoding))
        paths.append(path)
    return paths
