"""An independent, exact check of what published results let a reader work out.

The threat: a reader knows, for every published cell (the organisation, or a group of a
breakdown) and every measure (overall, dimension, facet, item), the cell's n and its sum
n × mean, in every release made from one data set. Adding and subtracting cells, can they
get the n and mean of a set of respondents smaller than the minimum group size?

This module answers that from the raw respondent table the test generated, the instrument
TOML and the output folders, without importing the engine's privacy code (nor anything of
implassess): a test's verdict then does not depend on the code under test.

**Model.** For a measure m, respondent i has a value x_i when i answered m (for a
dimension or facet: has a score in ``respondents_wide.csv``; for the overall: has an
overall score; for an item: answered it). A published cell c gives the reader
Σ_{i ∈ c, i answered m} x_i (and the count, and Σ x_i² through the SD, and the level and
option counts, which all have the same membership). Respondents with the same value in
every attribute column and the same answered measures ("atoms") are interchangeable, so
every published functional is the same on all of an atom's members, and a derivable set
is a union of atoms.

Two modes:

- ``per-measure`` (the reader combines cells of one measure): the unknowns are the atoms'
  sums of m; a cell is the 0/1 vector of the atoms it holds that answered m. A set T of
  atoms is derivable when its indicator lies in the span of the cells' vectors.
- ``joint`` (the reader also combines measures): the unknowns are the atoms' sums of each
  item; every measure is a linear function of the items a respondent answered (a dimension
  is the weighted mean of its answered items, the overall a weighted mean of dimension
  POMP scores, and the constant terms are known from the published n), so every published
  cell × measure is one linear equation. T leaks when some combination Σ λ_m · (T's sum of
  m) that is not zero lies in the span: for example, with one of twelve skipping dimension
  B, the organisation's A, B, C and overall give that person's A + C.

Not modelled: medians, α and item–total correlations (non-linear in the answers), and
counts on their own (that a set is small is not what the minimum protects). The SD, the
level distribution and the option counts of a cell have the same membership as its mean, so
the per-measure spans cover them.

**Exactness.** Spans are decided with :class:`fractions.Fraction` Gaussian elimination to
reduced row echelon form; a functional lies in the span exactly when its remainder modulo
the rows is zero, and the remainder is linear, so a union of atoms is derivable exactly
when the remainders of its atoms sum to zero. Candidate unions (atoms each under the
minimum, together under it) are enumerated in full, smallest first, and only minimal ones
are reported, each with the combination of published cells that gives it (which is
verified again before it is returned).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

#: The value a respondent without an attribute value is grouped under (methodology §5).
MISSING = "(missing)"
#: The label of the group pooling a breakdown's small groups (``--small-groups combine``).
OTHER = "Other"
OVERALL = "overall"

Mode = Literal["per-measure", "joint"]


def dimension(unit: str) -> str:
    return f"dimension:{unit}"


def facet(unit: str) -> str:
    return f"facet:{unit}"


def item(unit: str) -> str:
    return f"item:{unit}"


# -- the raw data, as a test generates it ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Respondent:
    """One row of the raw table: attributes and item answers (``None`` = blank)."""

    id: str
    attributes: Mapping[str, str]
    answers: Mapping[str, int | None]


def responses_csv(respondents: Sequence[Respondent], columns: Sequence[str], items: Sequence[str]) -> str:
    """The raw table as a plain CSV export (respondent_id, attribute columns, items)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["respondent_id", *columns, *items])
    for r in respondents:
        answers = ["" if r.answers.get(i) is None else str(r.answers[i]) for i in items]
        w.writerow([r.id, *(r.attributes.get(c, "") for c in columns), *answers])
    return out.getvalue()


# -- the instrument, read from its TOML (only what the model needs) -------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    id: str
    dimension: str
    facet: str | None
    weight: Fraction
    reverse: bool
    low: Fraction
    high: Fraction


@dataclass(frozen=True)
class InstrumentSpec:
    items: Mapping[str, ItemSpec]
    dimension_weights: Mapping[str, Fraction]
    dimension_names: Mapping[str, str]
    facets: Mapping[str, tuple[str, ...]]

    def dimension_items(self, dim: str) -> tuple[str, ...]:
        return tuple(i.id for i in self.items.values() if i.dimension == dim)

    def range_of(self, dim: str) -> tuple[Fraction, Fraction]:
        ranges = {(i.low, i.high) for i in self.items.values() if i.dimension == dim}
        if len(ranges) != 1:
            raise NotImplementedError(f"{dim}: items on different scales (mixed ranges) are not modelled")
        (r,) = ranges
        return r

    @classmethod
    def load(cls, path: Path) -> InstrumentSpec:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        scales: dict[str, tuple[Fraction, Fraction]] = {}
        for s in doc.get("scales", []):
            values = [Fraction(str(o["value"])) for o in s["options"] if "value" in o and not o.get("non-substantive")]
            scales[s["id"]] = (min(values), max(values))
        default_scale = doc["scales"][0]["id"]
        items = {}
        for it in doc["items"]:
            low, high = scales[it.get("scale", default_scale)]
            items[it["id"]] = ItemSpec(
                id=it["id"],
                dimension=it["dimension"],
                facet=it.get("facet"),
                weight=Fraction(str(it.get("weight", 1))),
                reverse=bool(it.get("reverse", False)),
                low=low,
                high=high,
            )
        dims = [d for d in doc["dimensions"] if any(i.dimension == d["id"] for i in items.values())]
        facets = {
            f["id"]: tuple(i.id for i in items.values() if i.facet == f["id"])
            for d in dims
            for f in d.get("facets", [])
        }
        return cls(
            items=items,
            dimension_weights={d["id"]: Fraction(str(d.get("weight", 1))) for d in dims},
            dimension_names={d["id"]: d["name"] for d in dims},
            facets=facets,
        )

    def coefficients(self, measure: str, answered_items: frozenset[str]) -> dict[str, Fraction]:
        """Measure m of a respondent as Σ coef_j · x_j over answered items (+ a constant per measure,
        the same for everyone, so known to the reader through n): methodology §2 and §4."""
        kind, _, unit = measure.partition(":")
        if kind == "item":
            return {unit: Fraction(1)}
        if kind in ("dimension", "facet"):
            members = self.dimension_items(unit) if kind == "dimension" else self.facets[unit]
            used = [i for i in members if i in answered_items]
            total = sum((self.items[i].weight for i in used), Fraction(0))
            return {i: self.items[i].weight / total for i in used}
        assert measure == OVERALL, measure
        out: dict[str, Fraction] = {}
        weight_sum = sum(self.dimension_weights.values(), Fraction(0))
        for dim, w in self.dimension_weights.items():
            low, high = self.range_of(dim)
            for i, c in self.coefficients(dimension(dim), answered_items).items():
                out[i] = out.get(i, Fraction(0)) + w / weight_sum * 100 / (high - low) * c
        return out

    def value(self, measure: str, answers: Mapping[str, int | None]) -> float:
        """The respondent's score on a measure (recoded items; overall on 0–100)."""
        answered = frozenset(i for i, v in answers.items() if v is not None and i in self.items)

        def recoded(i: str) -> Fraction:
            spec, x = self.items[i], Fraction(answers[i] or 0)
            return spec.low + spec.high - x if spec.reverse else x

        if measure == OVERALL:
            weight_sum = sum(self.dimension_weights.values(), Fraction(0))
            total = Fraction(0)
            for dim, w in self.dimension_weights.items():
                low, high = self.range_of(dim)
                raw = sum((c * recoded(i) for i, c in self.coefficients(dimension(dim), answered).items()), Fraction(0))
                total += w / weight_sum * 100 * (raw - low) / (high - low)
            return float(total)
        return float(sum((c * recoded(i) for i, c in self.coefficients(measure, answered).items()), Fraction(0)))


# -- people and published cells --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A respondent as the checker sees them: attributes, the measures answered, and per measure the
    coefficients on items (joint mode only; empty for hand-made per-measure cases)."""

    id: str
    attributes: Mapping[str, str]
    answered: frozenset[str]
    coefficients: Mapping[str, Mapping[str, Fraction]] = field(default_factory=dict)

    def attribute(self, column: str) -> str:
        value = self.attributes.get(column, "")
        return value if value != "" else MISSING


@dataclass(frozen=True)
class Cell:
    """One published (not suppressed) cell × measure: what a reader sees."""

    release: str
    label: str
    key: tuple[tuple[str, str], ...]
    measure: str
    n: int | None = None
    mean: float | None = None
    named: tuple[tuple[tuple[str, str], ...], ...] = ()
    """For a pooled "Other" group: the keys of its breakdown's groups listed on their own rows;
    its members are everyone of the breakdown in none of them."""

    def describe(self) -> str:
        n = "" if self.n is None else f", n={self.n}"
        return f"{self.release}: {self.label} · {self.measure}{n}"


@dataclass(frozen=True)
class Leak:
    """A set of fewer than the minimum respondents whose sum (and n) on a measure is derivable."""

    measure: str
    respondents: tuple[str, ...]
    atoms: tuple[str, ...]
    combination: tuple[tuple[Fraction, str], ...]

    def __str__(self) -> str:
        terms = " ".join(f"{'+' if c > 0 else '−'} {abs(c)} × [{cell}]" for c, cell in self.combination)
        return (
            f"{self.measure}: {len(self.respondents)} respondent(s) {list(self.respondents)} "
            f"(atoms {list(self.atoms)}) = {terms}"
        )


@dataclass
class _Atom:
    attributes: tuple[tuple[str, str], ...]
    answered: frozenset[str]
    coefficients: Mapping[str, Mapping[str, Fraction]]
    members: list[str]

    def describe(self) -> str:
        attrs = ", ".join(f"{k}={v}" for k, v in self.attributes) or "everyone"
        return f"{attrs} ×{len(self.members)}"


def _atoms(people: Sequence[Person], columns: Sequence[str]) -> list[_Atom]:
    atoms: dict[Any, _Atom] = {}
    for p in people:
        attrs = tuple((c, p.attribute(c)) for c in columns)
        coef = {m: dict(sorted(v.items())) for m, v in sorted(p.coefficients.items())}
        key = (attrs, p.answered, repr(coef))
        if key not in atoms:
            atoms[key] = _Atom(attrs, p.answered, coef, [])
        atoms[key].members.append(p.id)
    return list(atoms.values())


# -- exact linear algebra --------------------------------------------------------------------------------------------

Vector = dict[int, Fraction]


class _Span:
    """Rows in reduced row echelon form over the rationals (sparse); each row also remembers the
    combination of original equations it is."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple[Vector, Vector]] = {}

    def reduce(self, vec: Mapping[int, Fraction]) -> tuple[Vector, Vector]:
        """(remainder, combination): vec = remainder + Σ combination[e] · equation e."""
        rem = {k: v for k, v in vec.items() if v}
        comb: Vector = {}
        for p in [p for p in rem if p in self.rows]:
            factor = rem.get(p)
            if not factor:
                continue
            row, row_comb = self.rows[p]
            _axpy(rem, -factor, row)
            _axpy(comb, factor, row_comb)
        return rem, comb

    def add(self, vec: Mapping[int, Fraction], equation: int) -> None:
        rem, comb = self.reduce(vec)
        if not rem:
            return
        comb = {e: -c for e, c in comb.items()}
        comb[equation] = comb.get(equation, Fraction(0)) + 1
        pivot = min(rem)
        scale = rem[pivot]
        rem = {k: v / scale for k, v in rem.items()}
        comb = {k: v / scale for k, v in comb.items() if v}
        for row, row_comb in self.rows.values():
            factor = row.get(pivot)
            if factor:
                _axpy(row, -factor, rem)
                _axpy(row_comb, -factor, comb)
        self.rows[pivot] = (rem, comb)


def _axpy(target: Vector, factor: Fraction, source: Mapping[int, Fraction]) -> None:
    for k, v in source.items():
        value = target.get(k, Fraction(0)) + factor * v
        if value:
            target[k] = value
        else:
            target.pop(k, None)


# -- the check -------------------------------------------------------------------------------------------------------


def find_leaks(
    people: Sequence[Person],
    cells: Sequence[Cell],
    min_size: int,
    mode: Mode = "per-measure",
    columns: Sequence[str] | None = None,
    limit: int = 20,
) -> list[Leak]:
    """Every minimal set of 0 < |T| < ``min_size`` respondents whose sum on some measure lies in
    the span of the published cells (see the module docstring). ``columns`` are the attribute
    columns that define atoms (default: every attribute of anyone)."""
    if columns is None:
        columns = sorted({c for p in people for c in p.attributes})
    atoms = _atoms(people, columns)
    var_ids: dict[tuple[int, str], int] = {}

    def var(atom: int, unit: str) -> int:
        return var_ids.setdefault((atom, unit), len(var_ids))

    def functional(atom: int, measure: str) -> Vector:
        a = atoms[atom]
        if measure not in a.answered:
            return {}
        if mode == "per-measure":
            return {var(atom, measure): Fraction(1)}
        return {var(atom, i): c for i, c in a.coefficients[measure].items()}

    def cell_vector(cell: Cell) -> Vector:
        out: Vector = {}
        for k, a in enumerate(atoms):
            if _holds(cell, a):
                _axpy(out, Fraction(1), functional(k, cell.measure))
        return out

    measures = sorted({m for a in atoms for m in a.answered})
    if mode == "joint":
        span = _Span()
        for e, cell in enumerate(cells):
            span.add(cell_vector(cell), e)
        return _search_joint(atoms, measures, min_size, functional, span, cells, cell_vector, limit)
    leaks: list[Leak] = []
    for m in measures:
        equations = [e for e, c in enumerate(cells) if c.measure == m]
        if not equations:
            continue
        span = _Span()
        for e in equations:
            span.add(cell_vector(cells[e]), e)
        leaks += _search(atoms, m, min_size, functional, span, cells, vectors_for=cell_vector, limit=limit)
        if len(leaks) >= limit:
            return leaks[:limit]
    return leaks


def _holds(cell: Cell, atom: _Atom) -> bool:
    attrs = dict(atom.attributes)
    if cell.key and all(value == OTHER for _, value in cell.key):
        return not any(all(attrs.get(col, MISSING) == value for col, value in key) for key in cell.named)
    return all(attrs.get(col, MISSING) == value for col, value in cell.key)


def _search(
    atoms: list[_Atom],
    measure: str,
    min_size: int,
    functional: Any,
    span: _Span,
    cells: Sequence[Cell],
    vectors_for: Any,
    limit: int,
) -> list[Leak]:
    small = [k for k, a in enumerate(atoms) if measure in a.answered and len(a.members) < min_size]
    reduced = {k: span.reduce(functional(k, measure)) for k in small}
    free = sorted({v for rem, _ in reduced.values() for v in rem})
    scale = math.lcm(*(x.denominator for rem, _ in reduced.values() for x in rem.values())) if free else 1
    dense = {k: tuple(int(reduced[k][0].get(v, 0) * scale) for v in free) for k in small}
    small.sort(key=lambda k: (len(atoms[k].members), k))
    found: list[int] = []  # bit masks over positions in ``small``
    leaks: list[Leak] = []
    for size in range(1, min_size):
        for combo in _combinations(small, [len(atoms[k].members) for k in small], size, min_size - 1):
            mask = sum(1 << i for i in combo)
            if any(mask & f == f for f in found):
                continue
            chosen = [small[i] for i in combo]
            if any(sum(col) for col in zip(*(dense[k] for k in chosen), strict=True)):
                continue
            found.append(mask)
            leaks.append(_explain(atoms, chosen, measure, reduced, cells, functional, vectors_for))
            if len(leaks) >= limit:
                return leaks
    return leaks


def _combinations(keys: list[int], sizes: list[int], k: int, budget: int) -> Iterator[tuple[int, ...]]:
    """Index tuples of ``k`` positions (ascending) whose sizes sum to at most ``budget``; sizes ascend."""

    def rec(start: int, left: int, room: int, prefix: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
        if left == 0:
            yield prefix
            return
        for i in range(start, len(keys) - left + 1):
            if sizes[i] * left > room:  # sizes ascend, so the rest cannot fit either
                break
            yield from rec(i + 1, left - 1, room - sizes[i], (*prefix, i))

    yield from rec(0, k, budget, ())


def _explain(
    atoms: list[_Atom],
    chosen: list[int],
    measure: str,
    reduced: Mapping[int, tuple[Vector, Vector]],
    cells: Sequence[Cell],
    functional: Any,
    vectors_for: Any,
) -> Leak:
    comb: Vector = {}
    target: Vector = {}
    for k in chosen:
        _axpy(comb, Fraction(1), reduced[k][1])
        _axpy(target, Fraction(1), functional(k, measure))
    # Verify the combination independently of the elimination: Σ c_e · cell_e must equal the target.
    check: Vector = {}
    for e, c in comb.items():
        _axpy(check, c, vectors_for(cells[e]))
    assert check == target, f"internal error: combination does not reproduce the set on {measure}"
    members = tuple(sorted(m for k in chosen for m in atoms[k].members))
    terms = tuple(sorted(((c, cells[e].describe()) for e, c in comb.items()), key=lambda t: (-t[0], t[1])))
    return Leak(measure, members, tuple(atoms[k].describe() for k in chosen), terms)


def _search_joint(
    atoms: list[_Atom],
    measures: Sequence[str],
    min_size: int,
    functional: Any,
    span: _Span,
    cells: Sequence[Cell],
    vectors_for: Any,
    limit: int,
) -> list[Leak]:
    """Sets T of small atoms (together under the minimum) for which some combination of measures
    Σ λ_m · (T's sum of m) is derivable and not zero: the measures' sums over T span a space that
    meets the published span, i.e. rank{G_m} > rank{remainder(G_m)}."""
    small = [k for k, a in enumerate(atoms) if len(a.members) < min_size and a.answered]
    small.sort(key=lambda k: (len(atoms[k].members), k))
    g = {(k, m): functional(k, m) for k in small for m in measures}
    reduced = {key: span.reduce(vec) for key, vec in g.items()}
    found: list[int] = []
    leaks: list[Leak] = []
    for size in range(1, min_size):
        for combo in _combinations(small, [len(atoms[k].members) for k in small], size, min_size - 1):
            mask = sum(1 << i for i in combo)
            if any(mask & f == f for f in found):
                continue
            chosen = [small[i] for i in combo]
            sums: dict[str, Vector] = {}
            rems: dict[str, Vector] = {}
            combs: dict[str, Vector] = {}
            for m in measures:
                total: Vector = {}
                rem: Vector = {}
                comb: Vector = {}
                for k in chosen:
                    _axpy(total, Fraction(1), g[(k, m)])
                    _axpy(rem, Fraction(1), reduced[(k, m)][0])
                    _axpy(comb, Fraction(1), reduced[(k, m)][1])
                if total:
                    sums[m], rems[m], combs[m] = total, rem, comb
            lam = _hidden_dependency(sums, rems)
            if lam is None:
                continue
            found.append(mask)
            target: Vector = {}
            combination: Vector = {}
            for m, c in lam.items():
                _axpy(target, c, sums[m])
                _axpy(combination, c, combs[m])
            check: Vector = {}
            for e, c in combination.items():
                _axpy(check, c, vectors_for(cells[e]))
            assert check == target, "internal error: combination does not reproduce the functional"
            label = " ".join(f"{'+' if c > 0 else '−'} {abs(c)}·{m}" for m, c in sorted(lam.items()))
            if len(lam) == 1 and next(iter(lam.values())) == 1:
                label = next(iter(lam))
            members = tuple(sorted(x for k in chosen for x in atoms[k].members))
            terms = tuple(
                sorted(((c, cells[e].describe()) for e, c in combination.items()), key=lambda t: (-t[0], t[1]))
            )
            leaks.append(Leak(label, members, tuple(atoms[k].describe() for k in chosen), terms))
            if len(leaks) >= limit:
                return leaks
    return leaks


def _hidden_dependency(sums: Mapping[str, Vector], rems: Mapping[str, Vector]) -> dict[str, Fraction] | None:
    """λ with Σ λ_m rems[m] = 0 (the combination is derivable) but Σ λ_m sums[m] ≠ 0, if any."""
    names = sorted(sums)
    index = {m: k for k, m in enumerate(names)}
    basis = _Span()
    for m in names:
        rem = {v: c for v, c in rems[m].items()}
        remainder, comb = basis.reduce(rem)
        if remainder:
            basis.add(rem, index[m])
            continue
        lam = {names[e]: -c for e, c in comb.items()}
        lam[m] = lam.get(m, Fraction(0)) + 1
        value: Vector = {}
        for n, c in lam.items():
            _axpy(value, c, sums[n])
        if value:
            return {n: c for n, c in lam.items() if c}
    return None


# -- reading releases -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """A group (or the organisation) as profile.json or groups.csv publishes it."""

    label: str
    key: tuple[tuple[str, str], ...]
    suppressed: bool
    n: int | None
    units: Mapping[str, Mapping[str, Any]]  # measure -> the published record


def release_folders(folder: Path) -> list[Path]:
    """The folders holding a profile.json: the folder itself (``score``) or one per instrument (``run``)."""
    if (folder / "profile.json").exists():
        return [folder]
    return sorted(p.parent for p in folder.glob("*/profile.json"))


def profile_groups(folder: Path) -> list[Group]:
    doc = json.loads((folder / "profile.json").read_text(encoding="utf-8"))
    raw = [doc["organisation"]] + [g for b in doc["breakdowns"] for g in b["groups"]]
    out = []
    for g in raw:
        units: dict[str, Mapping[str, Any]] = {}
        if not g["suppressed"]:
            if g.get("overall") is not None:
                units[OVERALL] = g["overall"]
            for d in g.get("dimensions", []):
                if d.get("source", "items") == "items" or d.get("suppressed"):
                    units[dimension(d["id"])] = d
            for f in g.get("facets", []):
                units[facet(f["id"])] = f
            for i in g.get("items", []):
                units[item(i["id"])] = i
        out.append(Group(g["label"], tuple(g["key"].items()), bool(g["suppressed"]), g.get("n"), units))
    return out


def published_cells(folder: Path, release: str) -> list[Cell]:
    """Every (group, measure) of profile.json that is not suppressed, with its n and mean."""
    cells = []
    doc = json.loads((folder / "profile.json").read_text(encoding="utf-8"))
    named: dict[frozenset[str], tuple[tuple[tuple[str, str], ...], ...]] = {
        frozenset(b["by"]): tuple(
            tuple(g["key"].items()) for g in b["groups"] if any(v != OTHER for v in g["key"].values())
        )
        for b in doc["breakdowns"]
    }
    for g in profile_groups(folder):
        for measure, u in g.units.items():
            if not u.get("suppressed") and u.get("n") is not None:
                listed = named.get(frozenset(c for c, _ in g.key), ())
                cells.append(Cell(release, g.label, g.key, measure, int(u["n"]), u.get("mean"), listed))
    return cells


def people_from_outputs(respondents: Sequence[Respondent], spec: InstrumentSpec, folder: Path) -> list[Person]:
    """Answered measures from respondents_wide.csv (a score is present) and the raw answers (items);
    coefficients from the instrument. Respondents the run did not score are left out."""
    text = (folder / "respondents_wide.csv").read_text(encoding="utf-8")
    # Output files name respondents by their row in the export (never by id): responses_csv writes
    # respondent k on row k + 2, under the header.
    wide = {row["row"]: row for row in csv.DictReader(io.StringIO(text))}
    people = []
    for k, r in enumerate(respondents):
        row = wide.get(str(k + 2))
        if row is None:
            continue
        items = frozenset(i for i in spec.items if r.answers.get(i) is not None)
        answered = {item(i) for i in items}
        for d in spec.dimension_weights:
            if row.get(f"{d}.raw", ""):
                answered.add(dimension(d))
        for f in spec.facets:
            if row.get(f"{f}.raw", ""):
                answered.add(facet(f))
        if row.get("overall.score_0_100", ""):
            answered.add(OVERALL)
        coefficients = {m: spec.coefficients(m, items) for m in answered}
        people.append(Person(r.id, dict(r.attributes), frozenset(answered), coefficients))
    return people


def model_problems(
    respondents: Sequence[Respondent], spec: InstrumentSpec, folder: Path, people: Sequence[Person]
) -> list[str]:
    """Does the checker's model match the release? For every published cell × measure, the
    respondents of the cell who answered the measure must be exactly n, and their mean (from the
    raw answers and the instrument's formulas) the published mean; every score in
    respondents_wide.csv must equal the formula's."""
    problems = []
    by_id = {r.id: r for r in respondents}
    by_row = {str(k + 2): r for k, r in enumerate(respondents)}  # the row responses_csv wrote each on
    text = (folder / "respondents_wide.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(text)):
        r = by_row[row["row"]]
        for d in [*spec.dimension_weights, *spec.facets]:
            measure = dimension(d) if d in spec.dimension_weights else facet(d)
            if row.get(f"{d}.raw", ""):
                expected = spec.value(measure, r.answers)
                if not math.isclose(float(row[f"{d}.raw"]), expected, rel_tol=1e-9, abs_tol=1e-9):
                    problems.append(f"{folder}: {r.id} {d}.raw = {row[f'{d}.raw']}, formula gives {expected}")
        if row.get("overall.score_0_100", ""):
            expected = spec.value(OVERALL, r.answers)
            if not math.isclose(float(row["overall.score_0_100"]), expected, rel_tol=1e-9, abs_tol=1e-9):
                problems.append(f"{folder}: {r.id} overall = {row['overall.score_0_100']}, formula gives {expected}")
    doc = json.loads((folder / "profile.json").read_text(encoding="utf-8"))
    named = {
        frozenset(b["by"]): [g["key"] for g in b["groups"] if any(v != OTHER for v in g["key"].values())]
        for b in doc["breakdowns"]
    }

    def member(p: Any, key: tuple[tuple[str, str], ...]) -> bool:
        if key and all(v == OTHER for _, v in key):  # the pooled group: in no listed group
            listed = named.get(frozenset(c for c, _ in key), [])
            return not any(all(p.attribute(c) == v for c, v in k.items()) for k in listed)
        return all(p.attribute(c) == v for c, v in key)

    for g in profile_groups(folder):
        members = [p for p in people if member(p, g.key)]
        if g.n is not None and g.n != len(members):
            problems.append(f"{folder}: {g.label} publishes n={g.n}, the raw data has {len(members)}")
        for measure, u in g.units.items():
            if u.get("suppressed") or u.get("n") is None:
                continue
            answered = [p for p in members if measure in p.answered]
            if int(u["n"]) != len(answered):
                problems.append(f"{folder}: {g.label} · {measure} n={u['n']}, answered in raw data: {len(answered)}")
                continue
            if u.get("mean") is None or not answered:
                continue
            values = [spec.value(measure, by_id[p.id].answers) for p in answered]
            if measure.startswith("item:"):
                unit = measure.partition(":")[2]
                raw = [float(by_id[p.id].answers[unit] or 0) for p in answered]
                candidates = [sum(values) / len(values), sum(raw) / len(raw)]
            else:
                candidates = [sum(values) / len(values)]
            if not any(math.isclose(float(u["mean"]), c, rel_tol=1e-9, abs_tol=1e-9) for c in candidates):
                problems.append(f"{folder}: {g.label} · {measure} mean={u['mean']}, raw data gives {candidates[0]}")
    return problems


@dataclass
class Ledger:
    """The checker's own ledger: every release of one data set, parsed right after its run (so a
    later run writing into the same folder does not hide an earlier release)."""

    respondents: Sequence[Respondent]
    instrument: Path
    cells: list[Cell] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)

    def add(self, name: str, folder: Path) -> None:
        """Add a ``score`` output folder or a ``run`` output folder (one release per instrument).
        Raises AssertionError when the outputs disagree with the raw data (the model would be wrong)."""
        spec = InstrumentSpec.load(self.instrument)
        releases = release_folders(folder)
        assert releases, f"{folder}: no profile.json"
        for sub in releases:
            ps = people_from_outputs(self.respondents, spec, sub)
            problems = model_problems(self.respondents, spec, sub, ps)
            if self.people and {(p.id, p.answered) for p in ps} != {(p.id, p.answered) for p in self.people}:
                problems.append(f"{sub}: scored other respondents, or other answered sets, than the first release")
            assert not problems, "\n".join(problems)
            self.people = self.people or ps
            self.cells += published_cells(sub, name)

    def leaks(self, min_size: int, mode: Mode = "per-measure") -> list[Leak]:
        columns = sorted({c for r in self.respondents for c in r.attributes})
        return find_leaks(self.people, self.cells, min_size, mode, columns)


def check_releases(
    respondents: Sequence[Respondent],
    instrument: Path,
    folders: Sequence[tuple[str, Path]],
    min_size: int,
    mode: Mode = "per-measure",
) -> list[Leak]:
    """The derivable small sets of the union of the releases (name, output folder)."""
    ledger = Ledger(respondents, instrument)
    for name, folder in folders:
        ledger.add(name, folder)
    return ledger.leaks(min_size, mode)


# -- agreement between the outputs of one folder ---------------------------------------------------------------------

_IDENTITY = {"id", "kind", "dimension", "source", "suppressed", "reverse", "label", "key"}
_CSV_IDENTITY = {"breakdown", "group", "unit", "kind", "suppressed"}


def _num(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def consistency_problems(folder: Path) -> list[str]:
    """groups.csv and profile.json publish the same cells with the same numbers, and a suppressed
    cell carries no number in either."""
    problems = []
    groups = {g.label: g for g in profile_groups(folder)}
    doc = json.loads((folder / "profile.json").read_text(encoding="utf-8"))
    for g in [doc["organisation"]] + [g for b in doc["breakdowns"] for g in b["groups"]]:
        if g["suppressed"] and set(g) - {"key", "label", "suppressed"}:
            problems.append(f"profile.json: suppressed {g['label']} carries {sorted(set(g) - {'key', 'label'})}")
        for kind in ("dimensions", "facets", "items"):
            for u in g.get(kind, []):
                if u.get("suppressed") and set(u) - _IDENTITY:
                    problems.append(
                        f"profile.json: {g['label']} suppressed {u['id']} carries {sorted(set(u) - _IDENTITY)}"
                    )
        u = g.get("overall")
        if u is not None and u.get("suppressed") and set(u) - _IDENTITY:
            problems.append(f"profile.json: {g['label']} suppressed overall carries {sorted(set(u) - _IDENTITY)}")
    text = (folder / "groups.csv").read_text(encoding="utf-8")
    seen: set[tuple[str, str]] = set()
    for row in csv.DictReader(io.StringIO(text)):
        label, unit, suppressed = row["group"], row["unit"], row["suppressed"] == "true"
        numbers = {k: v for k, v in row.items() if k not in _CSV_IDENTITY and v not in ("", None)}
        g = groups.get(label)
        if g is None:
            problems.append(f"groups.csv: group {label} is not in profile.json")
            continue
        if suppressed and numbers:
            problems.append(f"groups.csv: suppressed {label} · {unit or '(group)'} carries {sorted(numbers)}")
        if not unit:
            if not (suppressed and g.suppressed):
                problems.append(f"groups.csv: {label} has a row without unit but is not a suppressed group")
            continue
        if g.suppressed and not suppressed:
            problems.append(f"groups.csv: {label} · {unit} is shown, but the group is suppressed in profile.json")
            continue
        measure = OVERALL if row["kind"] == "overall" else f"{row['kind']}:{unit}"
        seen.add((label, measure))
        u = g.units.get(measure)
        if u is None:
            problems.append(f"groups.csv: {label} · {measure} is not in profile.json")
            continue
        if bool(u.get("suppressed")) != suppressed:
            problems.append(
                f"{label} · {measure}: suppressed {suppressed} in groups.csv, {u.get('suppressed')} in JSON"
            )
            continue
        for column, value in numbers.items():
            if column in ("flags", "level_name"):
                listed = ";".join(u.get(column) or []) if column == "flags" else u.get(column)
                if listed != value:
                    problems.append(f"{label} · {measure} {column}: {value!r} in groups.csv, {listed!r} in JSON")
                continue
            theirs = u.get(column)
            if theirs is None or not math.isclose(float(value), float(theirs), rel_tol=1e-12, abs_tol=1e-12):
                problems.append(f"{label} · {measure} {column}: {value} in groups.csv, {theirs} in profile.json")
    for g in groups.values():
        for measure, u in g.units.items():
            if measure.startswith("item:"):
                continue  # items are published in profile.json only
            if not u.get("suppressed") and (g.label, measure) not in seen:
                problems.append(f"profile.json: {g.label} · {measure} is shown but missing from groups.csv")
    return problems


# -- the PDF's group heatmap -----------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[−-]?\d+(\.\d+)?$")


def pdf_heatmap(pdf: Path, dimension_names: Sequence[str]) -> dict[str, dict[str, str]]:
    """The heatmap's cells as printed: group label → dimension name → the cell's text (a score,
    "suppressed" or "–"). Read from the text of the "Results by group" pages in drawing order:
    the chunk's group labels, then per dimension its name followed by one token per group."""
    from pypdf import PdfReader

    out: dict[str, dict[str, str]] = {}
    for page in PdfReader(str(pdf)).pages:
        text = page.extract_text() or ""
        if "Results by group" not in text or "Scores by" not in text:
            continue
        lines = [ln.strip() for ln in text.splitlines()]
        tokens = [t for t in lines if t]
        start = next(i for i, t in enumerate(tokens) if t.endswith("no data")) + 1
        end = next((i for i, t in enumerate(tokens) if i > start and "cells are suppressed" in t), len(tokens))
        body = tokens[start:end]
        end = next((i for i, t in enumerate(body) if "cell is suppressed" in t or "Prepared with" in t), len(body))
        body = body[:end]
        i = 0
        while i < len(body):
            header = []
            while i < len(body) and body[i] not in dimension_names:
                if not body[i].startswith("n = "):
                    header.append(body[i])
                i += 1
            while i < len(body) and body[i] in dimension_names:
                name = body[i]
                row = body[i + 1 : i + 1 + len(header)]
                for g, value in zip(header, row, strict=False):
                    out.setdefault(g, {})[name] = value
                i += 1 + len(header)
    return out


def pdf_problems(run_dir: Path, release: Path, heatmap_by: str, dimension_names: Mapping[str, str]) -> list[str]:
    """The PDF's heatmap shows a number only for a cell groups.csv publishes, and the same number
    (rounded to one decimal); a suppressed group or cell shows "suppressed"."""
    problems = []
    printed = pdf_heatmap(run_dir / "report.pdf", list(dimension_names.values()))
    text = (release / "groups.csv").read_text(encoding="utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["breakdown"] == heatmap_by]
    by_group: dict[str, dict[str, dict[str, str]]] = {}
    for r in rows:
        value = r["group"].split("=", 1)[1]
        by_group.setdefault(value, {})[r["unit"]] = r
    for value, cells in printed.items():
        if value not in by_group:
            problems.append(f"report.pdf shows a group {value!r} that groups.csv does not list")
            continue
        for dim_id, name in dimension_names.items():
            shown = cells.get(name)
            found = by_group[value].get(dim_id) or by_group[value].get("")
            published = found is not None and found["suppressed"] == "false" and found["score_0_100"] != ""
            if shown is None:
                problems.append(f"report.pdf: no heatmap cell for {value} · {name}")
            elif not published and shown != "suppressed":
                problems.append(f"report.pdf: {value} · {name} shows {shown!r}, but groups.csv suppresses it")
            elif published and found is not None:
                expected = f"{float(found['score_0_100']):.1f}"
                if shown != expected and not (_NUMBER.match(shown) and abs(float(shown) - float(expected)) < 0.051):
                    problems.append(f"report.pdf: {value} · {name} shows {shown!r}, groups.csv has {expected}")
    for value in by_group:
        if value not in printed:
            problems.append(f"report.pdf: heatmap lacks group {value!r} listed in groups.csv")
    return problems


def describe(leaks: Iterable[Leak]) -> str:
    """One line per derivable set: the measures it is derivable on, and how (for the first)."""
    by_set: dict[tuple[str, ...], list[Leak]] = {}
    for leak in leaks:
        by_set.setdefault(leak.respondents, []).append(leak)
    lines = []
    for same in by_set.values():
        first = same[0]
        others = [leak.measure for leak in same[1:]]
        also = f" (also on {', '.join(others)})" if others else ""
        lines.append(f"{first}{also}")
    return "\n".join(lines)
