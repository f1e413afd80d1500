"""Conformance cases: answers an instrument ships with the scores they must produce.

An instrument names its cases file with ``conformance = "conformance/ID.toml"``
(relative to the instrument file). ``implassess instruments verify ID`` scores every
case with the real engine and compares with the expected scores, levels and KPI
states, so an instrument's scoring can be proven right rather than trusted.
"""

from __future__ import annotations

import math
from pathlib import Path

import attrs

from implassess.errors import Finding, ImplassessError, InstrumentError
from implassess.formats.instrument import read_toml, structure
from implassess.model import Instrument, Scale

#: Scores are compared to this many decimal places (the files hold hand-worked values).
TOLERANCE = 1e-6


@attrs.frozen
class ExpectedScore:
    """What a dimension, facet or the overall must score."""

    score: float | None = None
    """0–100 score; omit with ``missing = true``."""
    level: int | None = None
    """Maturity level."""
    missing: bool = False
    """The score must be missing (too few items answered)."""


@attrs.frozen
class Expected:
    """Expected results of one case."""

    dimensions: dict[str, ExpectedScore] = attrs.field(factory=dict)
    """Dimension id → expected score."""
    facets: dict[str, ExpectedScore] = attrs.field(factory=dict)
    """Facet id → expected score."""
    overall: ExpectedScore | None = None
    """Expected overall score and level."""


@attrs.frozen
class Case:
    """One respondent's answers and what they must score."""

    id: str
    """Case id."""
    description: str
    """How the expected values were worked out."""
    expected: Expected
    """Expected results."""
    answers: dict[str, float | str] = attrs.field(factory=dict)
    """Item id → answer (a value, an option label or code; "" for blank)."""
    default: float | str | None = None
    """Answer for every item not listed in ``answers`` (None: blank)."""
    reverse_default: float | str | None = None
    """Answer for reverse-keyed items not listed (defaults to ``default``)."""
    form: str | None = None
    """Form the answers are given on."""


@attrs.frozen
class ExpectedKpi:
    """Expected state of a KPI value."""

    level: int
    """Maturity level."""
    rag: str
    """red, amber or green."""


@attrs.frozen
class KpiCase:
    """KPI values and the states they must produce."""

    id: str
    """Case id."""
    description: str
    """How the expected values were worked out."""
    values: dict[str, float]
    """KPI id → value."""
    expected: dict[str, ExpectedKpi]
    """KPI id → expected level and RAG."""


@attrs.frozen
class Conformance:
    """A conformance file."""

    instrument: str
    """Instrument id the cases are for."""
    version: str
    """Instrument version the expectations hold for."""
    cases: tuple[Case, ...] = ()
    """Respondent cases."""
    kpi_cases: tuple[KpiCase, ...] = ()
    """KPI cases."""


@attrs.frozen
class CaseResult:
    """The outcome of one case."""

    case: str
    """Case id."""
    problems: tuple[str, ...]
    """Each mismatch as a sentence; empty when the case passes."""

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.problems


def conformance_path(instrument: Instrument) -> Path | None:
    """The cases file an instrument names, resolved next to its source file."""
    if instrument.conformance is None:
        return None
    return Path(instrument.source).parent / instrument.conformance


def load_conformance(path: Path) -> Conformance:
    """Read a conformance file; problems are reported with key paths."""
    raw = dict(read_toml(path))
    raw.pop("format-version", None)
    kind = raw.pop("kind", "conformance")
    findings: list[Finding] = []
    if kind != "conformance":
        findings.append(Finding(str(path), "kind", f"Found {kind!r}; expected 'conformance'.", code="wrong-type"))
    record, problems = structure(raw, Conformance, str(path))
    findings += problems
    if findings:
        raise InstrumentError(findings)
    return record


def _answer_value(scale: Scale, answer: float | str | None, where: str) -> float:
    if answer is None or answer == "":
        return math.nan
    if isinstance(answer, (int, float)):
        return float(answer)
    key = answer.strip().casefold()
    for option in scale.options:
        if key in (option.label.casefold(), (option.code or "").casefold()):
            return math.nan if option.non_substantive else float(option.value)  # type: ignore[arg-type]
    raise ImplassessError(f"{where}: answer {answer!r} is not an option of scale {scale.id!r}.")


def case_matrix(instrument: Instrument, cases: tuple[Case, ...]):  # -> np.ndarray
    """Cases × items raw answers as the engine takes them."""
    import numpy as np

    known = {i.id for i in instrument.items}
    values = np.full((len(cases), len(instrument.items)), np.nan)
    for r, case in enumerate(cases):
        for item_id in case.answers:
            if item_id not in known:
                raise ImplassessError(f"Case {case.id!r} answers item {item_id!r}, which the instrument does not have.")
        for c, item in enumerate(instrument.items):
            if item.id in case.answers:
                answer = case.answers[item.id]
            elif item.reverse and case.reverse_default is not None:
                answer = case.reverse_default
            else:
                answer = case.default
            values[r, c] = _answer_value(instrument.scale_for(item), answer, f"case {case.id!r}, item {item.id!r}")
    return values


def _compare(label: str, expected: ExpectedScore, score: float, level: int) -> list[str]:
    problems = []
    if expected.missing:
        if not math.isnan(score):
            problems.append(f"{label}: expected no score (too few answers), got {score:.6g}.")
        return problems
    if expected.score is not None and (math.isnan(score) or abs(score - expected.score) > TOLERANCE):
        problems.append(f"{label}: expected score {expected.score:.6g}, got {score:.6g}.")
    if expected.level is not None and level != expected.level:
        problems.append(f"{label}: expected level {expected.level}, got {level}.")
    return problems


def verify(instrument: Instrument, conformance: Conformance) -> list[CaseResult]:
    """Score every case with the engine and compare with the expectations."""
    from implassess.responses import ResponseSet
    from implassess.scoring.engine import score_respondents

    if conformance.instrument != instrument.id or conformance.version != instrument.version:
        raise ImplassessError(
            f"The conformance cases are for {conformance.instrument!r} version {conformance.version!r}; "
            f"the instrument is {instrument.id!r} version {instrument.version!r}. Update the cases for this version."
        )
    results: list[CaseResult] = []
    if conformance.cases:
        values = case_matrix(instrument, conformance.cases)
        rs = ResponseSet(
            instrument=instrument,
            respondent_ids=tuple(c.id for c in conformance.cases),
            values=values,
            rows=tuple(range(2, 2 + len(conformance.cases))),
            rows_read=len(conformance.cases),
        )
        scores = score_respondents(rs)
        index = {u.id: j for j, u in enumerate(scores.units)}
        for r, case in enumerate(conformance.cases):
            problems: list[str] = []
            for kind, table in (("dimension", case.expected.dimensions), ("facet", case.expected.facets)):
                for unit_id, exp in table.items():
                    if unit_id not in index:
                        problems.append(f"{kind} {unit_id!r} does not exist in the instrument.")
                        continue
                    j = index[unit_id]
                    problems += _compare(f"{kind} {unit_id!r}", exp, float(scores.pomp[r, j]), int(scores.level[r, j]))
            if case.expected.overall is not None:
                problems += _compare(
                    "overall", case.expected.overall, float(scores.overall[r]), int(scores.overall_level[r])
                )
            results.append(CaseResult(case.id, tuple(problems)))
    kpis = {k.id: k for k in instrument.kpis}
    for kcase in conformance.kpi_cases:
        problems = []
        for kpi_id, exp in kcase.expected.items():
            if kpi_id not in kpis or kpi_id not in kcase.values:
                problems.append(f"KPI {kpi_id!r} is not in the instrument or has no value in the case.")
                continue
            value = kcase.values[kpi_id]
            level, rag = kpis[kpi_id].level_for(value), kpis[kpi_id].rag(value)
            if level != exp.level:
                problems.append(f"KPI {kpi_id!r} value {value:g}: expected level {exp.level}, got {level}.")
            if rag != exp.rag:
                problems.append(f"KPI {kpi_id!r} value {value:g}: expected {exp.rag}, got {rag}.")
        results.append(CaseResult(kcase.id, tuple(problems)))
    return results
