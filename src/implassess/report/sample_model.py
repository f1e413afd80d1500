"""A realistic example report model for tests, screenshots and the benchmark.

A fictional health system's baseline: 17 dimensions across four instruments, five
sites (one cell suppressed), 12 KPIs and an eight-step action plan. Answer counts are
drawn from a seeded generator and every statistic is computed from them, so the numbers
agree with each other the way a real profile's do. Does not import reportlab.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from implassess.report.model import (
    ActionView,
    AppendixView,
    DimensionView,
    Direction,
    FacetScore,
    HeatmapView,
    ItemDistribution,
    KpiView,
    LevelBand,
    Overall,
    PlanItem,
    Rag,
    ReliabilityRow,
    ReportMeta,
    ReportModel,
)

LEVELS = (
    LevelBand(1, "Initial", 0, 20),
    LevelBand(2, "Developing", 20, 40),
    LevelBand(3, "Defined", 40, 60),
    LevelBand(4, "Managed", 60, 80),
    LevelBand(5, "Optimising", 80, 100),
)

DESCRIPTORS = {
    1: "The practice is ad hoc and depends on individual effort, with little written down or repeated.",
    2: "Good practice appears in places but is inconsistent across teams and seldom measured.",
    3: "The practice is agreed, documented and used by most teams, though its results are not yet "
    "reviewed on a regular cycle.",
    4: "The practice is measured, reviewed on a regular cycle and adjusted in the light of evidence.",
    5: "The practice is embedded, improved continuously and shared with other teams and organisations.",
}

OPTIONS = (
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
    "Don't know",
    "Not applicable",
)
NON_SUBSTANTIVE = (False, False, False, False, False, True, True)

#: The true score of the suppressed heatmap cell. It is never put in the model; tests
#: check that it appears nowhere in the PDF.
SUPPRESSED_TRUE_SCORE = 12.3
SUPPRESSED_CELL = (4, 6)  # (site index, dimension index)

# (instrument title, dimension id, name, target score, facets, items; "R:" marks a reverse-keyed item)
_DIMENSIONS: list[tuple[str, str, str, float, tuple[str, ...], tuple[str, ...]]] = [
    (
        "Operational Clarity Gaps",
        "outcome-clarity",
        "Outcome clarity",
        70,
        ("Operational promises", "Single accountable owner"),
        (
            "Each initiative I work on is stated as a change in an operational measure by a date.",
            "I know who is accountable for the result of each initiative I work on.",
            "R:Success for our initiatives is described in general terms rather than numbers.",
            "We stop or defer initiatives that cannot say what they will change.",
        ),
    ),
    (
        "Operational Clarity Gaps",
        "decision-clarity",
        "Decision clarity",
        70,
        ("Decision rights", "Decision triggers"),
        (
            "At handoffs between teams it is clear who decides.",
            "Escalations are resolved within an agreed time.",
            "Steering meetings end with recorded decisions, not only updates.",
            "Thresholds on our measures trigger pre-agreed actions.",
        ),
    ),
    (
        "Operational Clarity Gaps",
        "workflow-clarity",
        "Workflow clarity",
        65,
        ("Lived workflow", "Handoff service levels"),
        (
            "New processes are designed with the staff who will use them.",
            "Handoffs between teams have agreed turnaround times.",
            "R:We discover missing steps only after go-live.",
        ),
    ),
    (
        "Operational Clarity Gaps",
        "capacity-clarity",
        "Capacity clarity",
        65,
        ("Governed capacity pools", "Trade-offs made explicit"),
        (
            "The time of scarce specialists is allocated to initiatives in planned blocks.",
            "When a new initiative starts, we agree what will pause to make room.",
            "R:Too many initiatives are labelled critical at the same time.",
            "I can see which work is not being done this quarter, and why.",
        ),
    ),
    (
        "Operational Clarity Gaps",
        "execution-blockers",
        "Execution blockers",
        60,
        ("Priority pile-up", "Decision-grade measurement"),
        (
            "Our measures are timely enough to change a decision.",
            "Integration work is planned as part of each initiative, not after it.",
            "R:Initiatives wait on the same few people.",
        ),
    ),
    (
        "Implementation Readiness",
        "resources",
        "Resources",
        70,
        ("Horizon scanning", "Implementation budget"),
        (
            "We scan for new practices and technologies on a regular cycle.",
            "Implementation work has its own budget, separate from purchase costs.",
            "Training time is funded before a change goes live.",
        ),
    ),
    (
        "Implementation Readiness",
        "rigorous-processes",
        "Rigorous processes",
        70,
        ("Stage gates", "Learning reviews"),
        (
            "We use a defined method to plan and review implementation.",
            "Each go-live is followed by a review of what worked.",
            "Lessons from one implementation change how we run the next.",
        ),
    ),
    (
        "Implementation Readiness",
        "value-demonstration",
        "Value demonstration",
        70,
        ("Baseline measures", "Benefit tracking"),
        (
            "We measure a baseline before a change starts.",
            "Benefits are tracked against the business case after go-live.",
            "R:Once a change is live, nobody checks whether it delivered.",
        ),
    ),
    (
        "Implementation Readiness",
        "time-and-attention",
        "Time and attention",
        65,
        ("Leadership attention", "Protected time"),
        (
            "Senior leaders review implementation progress at least monthly.",
            "Staff have protected time to learn new ways of working.",
            "R:Implementation is squeezed in around the day job.",
        ),
    ),
    (
        "People, Process and Purpose",
        "people",
        "People",
        70,
        ("Champions", "Skills"),
        (
            "Each change has local champions with time to support colleagues.",
            "Managers have the skills to lead their teams through change.",
            "People who raise concerns about a change are listened to.",
        ),
    ),
    (
        "People, Process and Purpose",
        "process",
        "Process",
        70,
        ("Standard work", "Feedback loops"),
        (
            "New practices are written into standard work.",
            "Frontline feedback reaches the people who can change the process.",
            "We adapt a practice to our setting without losing what makes it work.",
        ),
    ),
    (
        "People, Process and Purpose",
        "purpose",
        "Purpose",
        75,
        ("Shared why", "Patient outcomes"),
        (
            "I understand why the organisation is making its current changes.",
            "Changes are explained in terms of what they mean for patients.",
            "Our priorities stay stable long enough to finish what we start.",
        ),
    ),
    (
        "Implementation Leadership Diagnostic",
        "contextual-intelligence",
        "Contextual intelligence",
        70,
        ("Reading the system", "Stakeholder mapping"),
        (
            "Leaders anticipate how a change will land in different teams.",
            "Leaders involve the people whose work a change affects.",
            "Leaders adjust plans when the context changes.",
        ),
    ),
    (
        "Implementation Leadership Diagnostic",
        "behavioral-integration",
        "Behavioral integration",
        70,
        ("Psychological safety", "Habit design"),
        (
            "It is safe to say that a change is not working.",
            "New practices are built into existing routines and prompts.",
            "R:Resistance to change is treated as a discipline problem.",
        ),
    ),
    (
        "Implementation Leadership Diagnostic",
        "systematic-execution",
        "Systematic execution",
        70,
        ("Plans and milestones", "Course correction"),
        (
            "Implementation plans have milestones that are tracked.",
            "When a milestone slips, we agree a response within a week.",
            "Progress is reported with the same measures every month.",
        ),
    ),
    (
        "Megatrend Readiness",
        "regulatory-evolution",
        "Regulatory evolution and real-world evidence",
        60,
        ("Regulatory horizon", "Evidence generation"),
        (
            "We track regulatory changes that affect how we deliver care.",
            "We collect real-world evidence on the changes we implement.",
            "Evidence from our own data informs which practices we scale.",
        ),
    ),
    (
        "Megatrend Readiness",
        "ai-analytics",
        "AI and advanced analytics",
        60,
        ("Use cases", "Governance and monitoring"),
        (
            "We have clear criteria for which analytics or AI tools to adopt.",
            "AI tools in use are monitored for safety and performance.",
            "Staff know how an AI recommendation should be used in their decisions.",
        ),
    ),
]

# Answer-probability profiles: the centre of the answer distribution per dimension.
_CENTRES = [3.6, 2.5, 2.9, 2.2, 2.7, 3.1, 3.3, 2.6, 2.8, 3.7, 3.4, 4.0, 3.5, 3.2, 3.0, 2.9, 2.4]

_SITES = ("North Campus", "Riverside Hospital", "City Clinics", "Community Services", "Eastgate Day Unit")
_SITE_OFFSETS = (4.0, -2.5, 1.0, -6.0, 2.0)
_SITE_N = (121, 98, 74, 63, 33)

_ACTIONS: dict[str, tuple[str, str, str]] = {
    "promises": (
        "Rewrite the top initiatives as operational promises",
        "For the ten largest initiatives, state each as a change in one operational measure, by a date, under a "
        "stated constraint, with one accountable owner.",
        "2 weeks",
    ),
    "decision-charter": (
        "Publish decision rights at the key interfaces",
        "List the decisions that cross clinical, operational, finance and IT boundaries for one priority "
        "initiative; record who decides, who is consulted and the escalation path with a time limit.",
        "30 days",
    ),
    "triggers": (
        "Turn the steering committee into a decision-trigger forum",
        "Give each priority initiative three to seven triggers (measure, threshold, pre-agreed action) and "
        "record a decision for every trigger that fires.",
        "30 days",
    ),
    "capacity-map": (
        "Build a one-page capacity allocation map",
        "Quantify weekly hours of the scarcest roles, allocate them to initiatives in two- to four-week blocks "
        "and publish what is paused as a result.",
        "2 weeks",
    ),
    "walkthrough": (
        "Walk the lived workflow before build",
        "Shadow the frontline staff who will use the change, including nights and exception cases, and change "
        "the design before build starts.",
        "30 days",
    ),
    "benefits": (
        "Track benefits against the business case",
        "Agree a baseline and three benefit measures for every approved initiative and review them at 90 and "
        "180 days after go-live.",
        "90 days",
    ),
    "protected-time": (
        "Protect learning time for go-lives",
        "Fund backfill so that staff can train before go-live, and schedule the training in the rota rather than "
        "around it.",
        "90 days",
    ),
    "ai-governance": (
        "Set up monitoring for AI tools in use",
        "Name an owner for each AI tool in clinical or operational use and review its performance and safety "
        "measures quarterly.",
        "90 days",
    ),
}


def _level(score: float) -> LevelBand:
    for band in LEVELS:
        if band.min <= score < band.max:
            return band
    return LEVELS[-1]


def _counts(rng: random.Random, centre: float, n: int) -> tuple[int, ...]:
    """Answer counts for a 1–5 item centred on ``centre``, plus "Don't know" and "Not applicable"."""
    weights = [math.exp(-((v - centre) ** 2) / 1.6) for v in range(1, 6)]
    total = sum(weights)
    counts = [0] * 7
    for _ in range(n):
        if rng.random() < 0.05:
            counts[5 if rng.random() < 0.7 else 6] += 1
            continue
        r = rng.random() * total
        for i, w in enumerate(weights):
            r -= w
            if r <= 0:
                counts[i] += 1
                break
        else:
            counts[4] += 1
    return tuple(counts)


def _item_stats(counts: tuple[int, ...], reverse: bool) -> list[float]:
    values = []
    for i, c in enumerate(counts[:5]):
        v = i + 1
        values += [float(6 - v if reverse else v)] * c
    return values


def sample_model() -> ReportModel:
    """The example model: deterministic, internally consistent, board-realistic."""
    rng = random.Random(20261123)
    dims: list[DimensionView] = []
    for idx, (group, did, name, target, facet_names, items) in enumerate(_DIMENSIONS):
        centre = _CENTRES[idx]
        n_resp = 389 - rng.randint(0, 12)
        dists = []
        per_item_means = []
        for text in items:
            reverse = text.startswith("R:")
            text = text.removeprefix("R:")
            counts = _counts(rng, 6 - centre if reverse else centre, n_resp)
            dists.append(ItemDistribution(text, OPTIONS, counts, NON_SUBSTANTIVE, reverse))
            vals = _item_stats(counts, reverse)
            per_item_means.append(sum(vals) / len(vals))
        pooled = [v for d in dists for v in _item_stats(d.counts, d.reverse)]
        mean = sum(pooled) / len(pooled)
        sd = math.sqrt(sum((v - mean) ** 2 for v in pooled) / (len(pooled) - 1))
        score = 100 * (mean - 1) / 4
        half = 1.96 * (100 * sd / 4) / math.sqrt(n_resp) * 1.6  # design effect of clustered items
        band = _level(score)
        facets = tuple(
            FacetScore(fname, max(0.0, min(100.0, score + (-1) ** k * rng.uniform(2.0, 9.0))))
            for k, fname in enumerate(facet_names)
        )
        alpha = round(rng.uniform(0.66, 0.91), 6)
        rwg = round(rng.uniform(0.58, 0.9), 6)
        flags = []
        if rwg < 0.70:
            flags.append("low-agreement")
        if alpha < 0.70:
            flags.append("low-reliability")
        actions = tuple(ActionView(*_ACTIONS[k]) for k in _dimension_actions(did))
        dims.append(
            DimensionView(
                id=did,
                name=name,
                group=group,
                n=n_resp,
                mean=mean,
                sd=sd,
                ci_low=score - half,
                ci_high=score + half,
                score_0_100=score,
                level=band.level,
                level_name=band.name,
                descriptor=DESCRIPTORS[band.level],
                alpha=alpha,
                rwg_j=rwg,
                flags=tuple(flags),
                target=float(target),
                benchmark=max(0.0, min(100.0, score + rng.uniform(-12.0, 10.0))),
                facets=facets,
                items=tuple(dists),
                actions=actions,
            )
        )
    overall_score = sum(d.score_0_100 or 0.0 for d in dims) / len(dims)
    ob = _level(overall_score)
    ranked = sorted(dims, key=lambda d: d.score_0_100 or 0.0)
    cells: list[list[float | None]] = []
    for s, offset in enumerate(_SITE_OFFSETS):
        row: list[float | None] = []
        for j, d in enumerate(dims):
            if (s, j) == SUPPRESSED_CELL:
                row.append(None)
            else:
                row.append(max(0.0, min(100.0, (d.score_0_100 or 0.0) + offset + rng.uniform(-5.0, 5.0))))
        cells.append(row)
    return ReportModel(
        meta=ReportMeta(
            client="Northfield Health System",
            engagement="Implementation maturity baseline 2026",
            consultancy="Meridian Implementation Partners",
            date=dt.date(2026, 11, 23),
            title="Implementation maturity baseline",
            author="Meridian Implementation Partners",
            subject="Baseline diagnostic of implementation maturity for the board of Northfield Health System",
            keywords=("implementation", "maturity", "baseline", "operational clarity"),
            language="en-GB",
            confidentiality="Confidential – prepared for the board",
        ),
        overall=Overall(overall_score, ob.level, ob.name, DESCRIPTORS[ob.level]),
        levels=LEVELS,
        dimensions=dims,
        strengths=tuple(d.id for d in reversed(ranked[-3:])),
        gaps=tuple(d.id for d in ranked[:3]),
        heatmap=HeatmapView(
            row_label="Site",
            rows=_SITES,
            columns=tuple(d.name for d in dims),
            cells=cells,
            row_n=_SITE_N,
        ),
        kpis=_kpis(),
        action_plan=_plan(dims),
        appendix=AppendixView(
            rows_read=412,
            accepted=389,
            rejected=23,
            rejection_reasons=(
                ("Preview or test response (Status 1 or 2)", 9),
                ("Fewer than half of a dimension's items answered", 11),
                ("Duplicate response id", 3),
            ),
            min_group_size=5,
            missing_data_rule="A dimension score is computed when at least half of its items are answered; "
            "“Don't know” and “Not applicable” count as missing.",
            suppression_rule="Results of a group with fewer than 5 respondents are suppressed in every output, and "
            "so is any further group that would let a small group be worked out by adding and subtracting the "
            "groups shown, here or in any earlier release from the same responses.",
            instruments=(
                ("clarity-gaps", "1.0.0", "Operational Clarity Gaps"),
                ("implementation-readiness", "1.0.0", "Implementation Readiness"),
                ("people-process-purpose", "1.0.0", "People, Process and Purpose"),
                ("implementation-leadership-diagnostic", "1.0.0", "Implementation Leadership Diagnostic"),
                ("megatrend-kpis", "1.0.0", "Megatrend Readiness"),
            ),
            reliability=tuple(ReliabilityRow(d.name, d.alpha, d.rwg_j, d.n) for d in dims),
            notes=(
                "The survey was fielded in Qualtrics from 6 to 27 October 2026 to all staff involved in the "
                "twelve priority initiatives.",
                "KPI values come from the client's operational reporting for Q4 2025 to Q3 2026.",
            ),
        ),
    )


def _dimension_actions(did: str) -> tuple[str, ...]:
    return {
        "outcome-clarity": ("promises",),
        "decision-clarity": ("decision-charter", "triggers"),
        "workflow-clarity": ("walkthrough",),
        "capacity-clarity": ("capacity-map",),
        "execution-blockers": ("triggers",),
        "value-demonstration": ("benefits",),
        "time-and-attention": ("protected-time",),
        "ai-analytics": ("ai-governance",),
    }.get(did, ())


def _kpis() -> tuple[KpiView, ...]:
    q = ("Q4 2025", "Q1 2026", "Q2 2026", "Q3 2026")
    d = dt.date(2027, 6, 30)
    rows: list[tuple[str, str, tuple[float | None, ...], float, Direction]] = [
        ("Initiatives stated as operational promises", "%", (18.0, 25.0, 31.0, 42.5), 80.0, "higher"),
        ("Median days from approval to go-live", "days", (212.0, 198.0, 205.0, 187.0), 150.0, "lower"),
        ("Handoff SLA breaches per month", "count", (41.0, 37.0, 30.0, 26.0), 10.0, "lower"),
        ("Staff trained before go-live", "%", (61.0, 66.0, 72.0, 78.4), 85.0, "higher"),
        ("Escalations decided within 5 working days", "%", (55.0, 58.0, 64.0, 71.0), 90.0, "higher"),
        ("Specialist hours allocated in planned blocks", "%", (20.0, 34.0, 47.0, 58.0), 60.0, "higher"),
        ("Benefits tracked against the business case", "%", (12.0, 15.0, 22.0, 30.0), 75.0, "higher"),
        ("Adoption 90 days after go-live", "%", (68.0, 71.0, 74.0, 76.5), 75.0, "higher"),
        ("Real-world evidence studies informing decisions", "count", (2.0, 3.0, 3.0, 5.0), 6.0, "higher"),
        ("AI tools in use with active monitoring", "%", (40.0, 45.0, 50.0, 55.0), 100.0, "higher"),
        ("Critical initiatives running at once", "count", (19.0, 17.0, None, 12.0), 8.0, "lower"),
        ("Leadership hours on implementation reviews", "h/month", (3.0, 4.5, 6.0, 8.0), 8.0, "higher"),
    ]
    out = []
    for name, unit, values, target, direction in rows:
        value = values[-1]
        assert value is not None
        meets = value >= target if direction == "higher" else value <= target
        near = value >= 0.85 * target if direction == "higher" else value <= 1.2 * target
        rag: Rag = "green" if meets else "amber" if near else "red"
        ratio = value / target if direction == "higher" else target / value
        level = 5 if meets else 4 if ratio >= 0.9 else 3 if ratio >= 0.75 else 2 if ratio >= 0.5 else 1
        out.append(
            KpiView(
                name=name,
                unit=unit,
                value=value,
                target=target,
                level=level,
                rag=rag,
                trend=tuple(zip(q, values, strict=True)),
                direction=direction,
                deadline=d,
            )
        )
    return tuple(out)


def _plan(dims: list[DimensionView]) -> tuple[PlanItem, ...]:
    by_id = {d.id: d for d in dims}

    def score(did: str) -> float | None:
        return by_id[did].score_0_100

    entries = [
        (
            "high",
            "promises",
            "score < 50",
            "Outcome clarity",
            score("outcome-clarity"),
            "score",
            "Without measurable promises, initiatives cannot be prioritised or stopped.",
        ),
        (
            "high",
            "capacity-map",
            "score < 40",
            "Capacity clarity",
            score("capacity-clarity"),
            "score",
            "Scarce specialists are the critical path of most initiatives.",
        ),
        (
            "high",
            "decision-charter",
            "score < 40",
            "Decision clarity",
            score("decision-clarity"),
            "score",
            "Unclear decision rights at interfaces add weeks to every handoff.",
        ),
        (
            "medium",
            "triggers",
            "rwg(j) < 0.70",
            "Execution blockers",
            by_id["execution-blockers"].rwg_j,
            "rwg-j",
            "Teams disagree on what blocks execution; triggers make the blockers visible.",
        ),
        (
            "medium",
            "benefits",
            "score < 45",
            "Value demonstration",
            score("value-demonstration"),
            "score",
            "Benefits that are not tracked cannot justify the next investment.",
        ),
        (
            "medium",
            "walkthrough",
            "score < 50",
            "Workflow clarity",
            score("workflow-clarity"),
            "score",
            "Missing steps found after go-live cost more to fix than before build.",
        ),
        (
            "low",
            "protected-time",
            "value < 85",
            "Staff trained before go-live",
            78.4,
            "value",
            "Training squeezed around the day job lowers adoption.",
        ),
        (
            "low",
            "ai-governance",
            "value < 100",
            "AI tools in use with active monitoring",
            55.0,
            "value",
            "Unmonitored AI tools are a safety and regulatory risk.",
        ),
    ]
    out = []
    for rank, (priority, key, trigger, label, observed, statistic, why) in enumerate(entries, start=1):
        title, description, horizon = _ACTIONS[key]
        unit = "%" if statistic == "value" else ""
        out.append(
            PlanItem(
                rank=rank,
                priority=priority,
                title=title,
                description=description,
                trigger=trigger,
                rationale=why,
                target_label=label,
                observed=observed,
                horizon=horizon,
                statistic=statistic,
                unit=unit,
            )
        )
    return tuple(out)
