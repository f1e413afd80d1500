"""Conformance cases: answers an instrument ships with the scores they must produce.

An instrument names its cases file with ``conformance = "conformance/ID.toml"``
(relative to the instrument file). ``implassess instruments verify ID`` scores every
case with the real engine and compares with the expected scores, levels and KPI
states, so an instrument's scoring can be proven right rather than trusted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from implassess.errors import ImplassessError
from implassess.formats.conformance import Case, Conformance, Expected, ExpectedScore, load_conformance
from implassess.model import Instrument, Scale

#: The case records and their reader live in :mod:`implassess.formats.conformance`.
__all__ = [
    "TOLERANCE",
    "Case",
    "CaseResult",
    "Conformance",
    "Expected",
    "ExpectedScore",
    "InstrumentVerification",
    "case_matrix",
    "conformance_path",
    "load_conformance",
    "verify",
    "verify_instruments",
]

#: Scores are compared to this many decimal places (the files hold hand-worked values).
TOLERANCE = 1e-6


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
            answer: float | str | None
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
    from implassess.plugins import scoring_rule_for
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
        scores = score_respondents(rs, scoring_rule_for(instrument))
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
        for kpi_id, kexp in kcase.expected.items():
            if kpi_id not in kpis or kpi_id not in kcase.values:
                problems.append(f"KPI {kpi_id!r} is not in the instrument or has no value in the case.")
                continue
            value = kcase.values[kpi_id]
            level, rag = kpis[kpi_id].level_for(value), kpis[kpi_id].rag(value)
            if level != kexp.level:
                problems.append(f"KPI {kpi_id!r} value {value:g}: expected level {kexp.level}, got {level}.")
            if rag != kexp.rag:
                problems.append(f"KPI {kpi_id!r} value {value:g}: expected {kexp.rag}, got {rag}.")
        results.append(CaseResult(kcase.id, tuple(problems)))
    return results


@attrs.frozen
class InstrumentVerification:
    """The conformance outcome of one instrument."""

    instrument: str
    """Instrument id."""
    version: str
    """Instrument version."""
    results: tuple[CaseResult, ...] = ()
    """One per case, in file order."""
    error: str | None = None
    """Why the instrument could not be verified (it ships no cases); None when it was."""

    @property
    def passed(self) -> bool:
        """Verified, and every case passed."""
        return self.error is None and all(r.passed for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: the instrument and its cases, or the instrument and the error."""
        if self.error is not None:
            return {"instrument": self.instrument, "error": self.error}
        return {
            "instrument": self.instrument,
            "version": self.version,
            "cases": [{"id": r.case, "passed": r.passed, "problems": list(r.problems)} for r in self.results],
        }


NO_CASES = "ships no conformance cases (no 'conformance' key)"


def verify_instruments(refs: Sequence[str] = (), *, all_instruments: bool = False) -> list[InstrumentVerification]:
    """Verify the instruments named (ids or TOML paths), or with ``all_instruments`` every loaded
    instrument that ships cases. A named instrument without cases gets an ``error`` entry
    (it fails); with ``all_instruments`` such instruments are skipped."""
    from implassess import plugins

    if all_instruments:
        targets = list(plugins.get_instruments().values())
    else:
        targets = [plugins.get_instrument(r) for r in refs]
    out: list[InstrumentVerification] = []
    for inst in targets:
        path = conformance_path(inst)
        if path is None:
            if not all_instruments:
                out.append(InstrumentVerification(instrument=inst.id, version=inst.version, error=NO_CASES))
            continue
        results = verify(inst, load_conformance(path))
        out.append(InstrumentVerification(instrument=inst.id, version=inst.version, results=tuple(results)))
    return out
