"""Anonymity: an exact release check over every published cell, within a run and across runs.

The attacker model is linear. For one *measure* (the respondent count, the overall score,
a dimension, a facet or an item) a reader knows every published cell's n and sum
(n × mean), and the same for every cell published earlier from respondents this run shares
(the release ledger, :mod:`implassess.outputs.ledger`). Adding and subtracting cells gives
the n and sum of any set whose membership vector lies in the span of the published
cells' membership vectors. The promise: **no such set holds between 1 and minimum − 1
respondents.** A set of that size is "derivable"; the check below finds every one.

Respondents who fall in exactly the same published cells of a measure are
indistinguishable to any sum, so the check works on *atoms*: one per distinct pattern of
cell memberships, with its count of respondents. A derivable set is a union of atoms.

**Rule 1 (primary).** A cell with fewer than the minimum respondents for the measure shows
nothing, not even n; if the whole organisation is under the minimum, nothing is shown.

**Rule 2 (exact, complementary).** While some set of 1 … minimum − 1 respondents is
derivable, the smallest cell of this run that its derivation uses is hidden too, and the
check repeats. Sets that earlier releases alone already reveal cannot be undone; they are
counted and reported, never used to justify publishing more.

How the search is exact. Only atoms with fewer than the minimum respondents can belong to
a small set. Let K be those atoms and Z the vectors in the published span that are zero
outside K; every derivable small set is a 0/1 vector of Z. A basis of Z is found by linear
algebra (the coefficient vectors c with Pᵀc zero on the other atoms), put in reduced row
echelon form, so that each 0/1 vector of Z is the sum of the basis rows at its pivots; the
search enumerates those sums with pivot weight under the minimum, component by component
(rows that share no non-pivot atom cannot combine into a smaller set). This is a rank test
with a bounded enumeration rather than a lattice reduction: the candidate sets are tiny
(fewer than the minimum respondents), so enumeration is exact and cheap, and floating-point
rank with a tolerance is reliable on 0/1 matrices of this size. If one component would need
more than :data:`SEARCH_BUDGET` steps, the check stops being clever and hides the smallest
cell the component's derivation uses (over-suppression, never under-suppression).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise

import attrs
import numpy as np
from scipy.linalg import null_space

#: Enumeration steps per component before the check falls back to hiding (see module doc).
SEARCH_BUDGET = 20_000
_TOL = 1e-7


@attrs.frozen(eq=False)
class Layout:
    """Every group of every breakdown of this run, as sets of atoms of the breakdown columns."""

    atoms: np.ndarray
    """cells × atoms boolean membership."""

    @classmethod
    def build(cls, cell_atoms: Sequence[np.ndarray], n_atoms: int) -> Layout:
        """From each cell's atom ids."""
        atoms = np.zeros((len(cell_atoms), n_atoms), dtype=bool)
        for c, ids in enumerate(cell_atoms):
            atoms[c, ids] = True
        return cls(atoms)


@attrs.frozen
class Decision:
    """Which cells of this run a measure hides, and why."""

    org_hidden: bool
    """The organisation total is hidden (fewer respondents than the minimum)."""
    hidden: np.ndarray
    """Hidden flag per cell of this run."""
    inherited: int = 0
    """Small sets earlier releases alone already reveal (cannot be undone here)."""
    conservative: int = 0
    """Cells hidden by the budget fallback rather than by an exact derivation."""
    exposed_by_totals: int = 0
    """Small sets this run's organisation total exposes together with earlier releases (the
    data differ from an earlier released data set by fewer than the minimum respondents);
    no cell can be hidden to prevent it, so the caller must refuse the release."""


@attrs.frozen(eq=False)
class Problem:
    """One measure's check: atoms with counts, this run's cells, and fixed published vectors."""

    atom_n: np.ndarray
    """Respondents per atom (all > 0)."""
    cells: np.ndarray
    """This run's cells × atoms, boolean."""
    fixed: np.ndarray
    """Vectors already published or published regardless (organisation total, earlier releases) × atoms."""
    earlier: int = 0
    """How many of the last rows of ``fixed`` come from earlier releases."""


def decide(problem: Problem, min_size: int, initial: np.ndarray | None = None) -> Decision:
    """Hide cells of ``problem`` until no set of 1 … ``min_size`` − 1 respondents is derivable.

    ``initial`` cells start hidden (for a measure: the cells hidden for respondents).
    The organisation total is row 0 of ``fixed`` when published; pass it only when it holds
    at least ``min_size`` respondents.
    """
    atom_n = np.asarray(problem.atom_n, dtype=np.int64)
    cells = problem.cells.astype(bool)
    n = cells.astype(np.int64) @ atom_n if cells.size else np.zeros(len(cells), dtype=np.int64)
    total = int(atom_n.sum())
    if total < min_size:
        return Decision(True, np.ones(len(cells), dtype=bool))
    hidden = n < min_size
    if initial is not None:
        hidden |= initial
    fixed = problem.fixed.astype(np.float64)
    # A cell that earlier releases already give adds nothing: showing it again is harmless,
    # and hiding it would protect nothing (and make a rerun differ from the first run).
    out_already = _rows_in_span(fixed, cells.astype(np.float64)) if problem.earlier else np.zeros(len(cells), bool)
    seen: set[bytes] = set()
    inherited = conservative = exposed = 0
    earlier_rows = fixed[len(fixed) - problem.earlier :]
    while True:
        visible = np.nonzero(~hidden & (n > 0))[0]
        published = np.vstack([fixed, cells[visible].astype(np.float64)])
        picks: set[int] = set()
        pinv: np.ndarray | None = None
        for x, exact in small_sets(published, atom_n, min_size):
            key = np.packbits(x > 0.5).tobytes() if exact else b"~" + x.tobytes()
            if key in seen:
                continue
            if problem.earlier and _in_span(fixed, x):
                # Earlier releases (with the organisation total) already give this set: hiding
                # cells of this run cannot prevent it.
                seen.add(key)
                if _in_span(earlier_rows, x):
                    inherited += 1
                else:
                    exposed += 1
                continue
            if pinv is None:
                pinv = np.linalg.pinv(published.T)  # one factorisation per round, shared by its leaks
            coef = pinv @ x
            mine = [int(visible[i - len(fixed)]) for i in np.nonzero(np.abs(coef) > 1e-9)[0] if i >= len(fixed)]
            mine = [c for c in mine if not out_already[c]]
            if not mine:
                seen.add(key)
                inherited += 1
                continue
            if picks.intersection(mine):
                continue  # a cell hidden in this round already breaks this derivation
            # Several leaks are fixed per round (one cell each); the next round checks again.
            picks.add(min(mine, key=lambda c: (n[c], c)))
            if not exact:
                conservative += 1
        if not picks:
            return Decision(False, hidden, inherited, conservative, exposed)
        hidden[sorted(picks)] = True


def _rows_in_span(rows: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """For each row of ``xs``, whether it lies in the span of ``rows``."""
    if len(rows) == 0 or len(xs) == 0:
        return np.zeros(len(xs), dtype=bool)
    coef = np.linalg.lstsq(rows.T, xs.T, rcond=None)[0]
    resid = np.linalg.norm(rows.T @ coef - xs.T, axis=0)
    return np.asarray(resid < _TOL * np.maximum(1.0, np.linalg.norm(xs, axis=1)))


def _in_span(rows: np.ndarray, x: np.ndarray) -> bool:
    return bool(_rows_in_span(rows, x[None, :])[0])


def small_sets(published: np.ndarray, atom_n: np.ndarray, min_size: int) -> Iterator[tuple[np.ndarray, bool]]:
    """Vectors over atoms in the span of ``published`` rows that isolate a small set.

    Yields (x, True) for each 0/1 vector x with 0 < atom_n·x < ``min_size`` (the sets a
    reader can derive), and (z, False) for a span vector standing in for a component too
    large to enumerate within :data:`SEARCH_BUDGET` (treat as a leak: over-suppression).
    """
    atom_n = np.asarray(atom_n, dtype=np.int64)
    small = np.nonzero(atom_n < min_size)[0]
    if len(small) == 0 or len(published) == 0:
        return
    big = np.nonzero(atom_n >= min_size)[0]
    p = np.asarray(published, dtype=np.float64)
    # Coefficient vectors whose combination is zero on every atom of min_size or more.
    coef = null_space(p[:, big].T) if len(big) else np.eye(len(p))
    if coef.shape[1] == 0:
        return
    basis = _range(p[:, small].T @ coef)  # |small| × k: the span restricted to small atoms
    if basis.shape[1] == 0:
        return
    rows, pivots = _rref(basis.T)
    weight = atom_n[small]
    for comp in _components(rows, pivots):
        order = sorted(comp, key=lambda i: (weight[pivots[i]], pivots[i]))
        try:
            for x in _enumerate(rows, pivots, order, weight, min_size):
                full = np.zeros(len(atom_n))
                full[small] = x
                yield full, True
        except _BudgetExceeded:
            full = np.zeros(len(atom_n))
            full[small] = rows[order[0]]
            yield full, False


class _BudgetExceeded(Exception):
    pass


def _enumerate(
    rows: np.ndarray, pivots: list[int], order: list[int], weight: np.ndarray, min_size: int
) -> Iterator[np.ndarray]:
    steps = 0
    stack: list[tuple[int, np.ndarray, int]] = [(0, np.zeros(rows.shape[1]), 0)]
    while stack:
        start, acc, w = stack.pop()
        for pos in range(start, len(order)):
            i = order[pos]
            w2 = w + int(weight[pivots[i]])
            if w2 >= min_size:
                break  # order is by pivot weight: every later row is at least as heavy
            steps += 1
            if steps > SEARCH_BUDGET:
                raise _BudgetExceeded
            v = acc + rows[i]
            r = np.round(v)
            if np.all(np.abs(v - r) < 1e-6) and np.all((r == 0) | (r == 1)):
                total = int(weight @ r.astype(np.int64))
                if 0 < total < min_size:
                    yield r
            stack.append((pos + 1, v, w2))


def _range(m: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space, with an absolute tolerance (the inputs are 0/1-scaled)."""
    if m.size == 0:
        return np.zeros((m.shape[0], 0))
    u, sv, _ = np.linalg.svd(m, full_matrices=False)
    return u[:, sv > 1e-8]


def _rref(m: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Reduced row echelon form (partial pivoting) and pivot columns of a full-row-rank matrix."""
    a = np.array(m, dtype=np.float64)
    rows, cols = a.shape
    pivots: list[int] = []
    r = 0
    for c in range(cols):
        if r == rows:
            break
        p = r + int(np.argmax(np.abs(a[r:, c])))
        if abs(a[p, c]) < _TOL:
            continue
        a[[r, p]] = a[[p, r]]
        a[r] /= a[r, c]
        others = np.arange(rows) != r
        a[others] -= np.outer(a[others, c], a[r])
        pivots.append(c)
        r += 1
    a = a[:r]
    a[np.abs(a) < 1e-10] = 0.0
    return a, pivots


def _components(rows: np.ndarray, pivots: list[int]) -> list[list[int]]:
    """Groups of RREF rows linked through shared non-pivot columns (union-find)."""
    k = len(rows)
    parent = list(range(k))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    free = np.ones(rows.shape[1], dtype=bool)
    free[pivots] = False
    for col in np.nonzero(free)[0]:
        members = np.nonzero(rows[:, col])[0]
        for a, b in pairwise(members):
            parent[find(int(a))] = find(int(b))
    comps: dict[int, list[int]] = {}
    for i in range(k):
        comps.setdefault(find(i), []).append(i)
    return list(comps.values())
