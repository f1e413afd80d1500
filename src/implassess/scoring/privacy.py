"""Anonymity: minimum group size and complementary suppression across all breakdowns.

The attacker model is linear: a reader knows every published group's n and sums (n ×
mean) — the organisation total and each visible group of every breakdown — and may add
and subtract them. Respondents are split into *atoms* (one per combination of values of
all breakdown columns); each group is a set of atoms.

Rules (``docs/methodology.md`` states them for users):

1. **Primary suppression.** A group with n < minimum shows no statistic, not even n.
   If the whole organisation is under the minimum, nothing is shown.
2. **No small group is derivable.** If the atom indicator of a group under the minimum
   lies in the linear span of the published groups' indicators, its n and mean can be worked
   out by subtraction; the smallest published group that subtraction uses is hidden
   too, and the check repeats.
   The same holds for every *atom* under the minimum (a combination nobody asked for,
   such as the one nurse of site B when only site and role are broken down separately).
3. **No small remainder.** For every *slice* of a breakdown (all its groups, or those
   sharing the values of some of its columns) whose total is derivable, the hidden
   groups in it must together hold 0 or ≥ minimum respondents; otherwise the next
   smallest visible group of the slice is hidden. With one breakdown column this is the
   familiar rule "suppress at least two groups, never one".

This is a conservative heuristic, not an optimal cell-suppression solver (τ-ARGUS); it
over-suppresses rather than under-suppresses. The same routine runs per measure (each
dimension, facet and item has its own n when answers are missing), starting from the
groups hidden for respondents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations

import attrs
import numpy as np
from scipy.linalg import orth

Derivable = Callable[[np.ndarray], bool]
"""Whether an atom indicator lies in the span of the published groups' indicators."""
Contributors = Callable[[np.ndarray], list[int]]
"""The visible groups a subtraction giving an atom indicator uses."""


@attrs.frozen(eq=False)
class Layout:
    """Every group of every breakdown, as sets of atoms, with the slices to guard."""

    breakdown: np.ndarray
    """Breakdown index of each group (cell)."""
    atoms: np.ndarray
    """cells × atoms boolean membership."""
    slices: tuple[tuple[int, tuple[int, ...]], ...]
    """(breakdown, cells) for every slice: a breakdown's cells sharing values on a proper
    subset of its columns (the empty subset gives the whole breakdown)."""

    @classmethod
    def build(
        cls,
        cell_keys: Sequence[Sequence[tuple[str, ...]]],
        columns: Sequence[Sequence[str]],
        cell_atoms: Sequence[np.ndarray],
        n_atoms: int,
    ) -> Layout:
        """From per-breakdown cell keys (values in column order) and each cell's atom ids."""
        breakdown: list[int] = []
        rows: list[np.ndarray] = []
        slices: list[tuple[int, tuple[int, ...]]] = []
        offset = 0
        for b, (keys, cols) in enumerate(zip(cell_keys, columns, strict=False)):
            for k in range(len(keys)):
                breakdown.append(b)
                row = np.zeros(n_atoms, dtype=bool)
                row[cell_atoms[offset + k]] = True
                rows.append(row)
            m = len(cols)
            for size in range(m):
                for fixed in combinations(range(m), size):
                    groups: dict[tuple[str, ...], list[int]] = {}
                    for k, key in enumerate(keys):
                        groups.setdefault(tuple(key[i] for i in fixed), []).append(offset + k)
                    for members in groups.values():
                        if len(members) > 1 or size == 0:
                            slices.append((b, tuple(members)))
            offset += len(keys)
        atoms = np.array(rows, dtype=bool).reshape(len(rows), n_atoms)
        return cls(np.array(breakdown, dtype=np.int64), atoms, tuple(slices))


def protect(
    layout: Layout, n: np.ndarray, atom_n: np.ndarray, min_size: int, initial: np.ndarray | None = None
) -> tuple[bool, np.ndarray]:
    """Which cells to hide for a measure with per-cell ``n`` and per-atom ``atom_n``.

    Returns (organisation hidden, hidden mask over cells). ``initial`` cells start hidden.
    """
    n = np.asarray(n, dtype=np.int64)
    cells = len(n)
    total = int(atom_n.sum())
    if total < min_size:
        return True, np.ones(cells, dtype=bool)
    hidden = n < min_size
    if initial is not None:
        hidden |= initial
    keep = atom_n > 0
    ind = layout.atoms[:, keep].astype(np.float64)
    ones = np.ones((1, ind.shape[1]))
    skipped: set[int] = set()
    skipped_atoms: set[int] = set()
    while True:
        visible = np.nonzero(~hidden)[0]
        published = np.vstack([ones, ind[visible]])
        basis = orth(published.T) if ind.shape[1] else np.zeros((0, 0))

        def derivable(v: np.ndarray, basis: np.ndarray = basis) -> bool:
            if not v.any():
                return False
            resid = v - basis @ (basis.T @ v)
            return float(np.linalg.norm(resid)) < 1e-7 * max(1.0, float(np.linalg.norm(v)))

        def contributors(v: np.ndarray, published: np.ndarray = published, visible: np.ndarray = visible) -> list[int]:
            coef = np.linalg.lstsq(published.T, v, rcond=None)[0]
            return [int(visible[i - 1]) for i in np.nonzero(np.abs(coef) > 1e-9)[0] if i > 0]

        fix = _single_leak(n, hidden, ind, derivable, contributors, skipped, min_size)
        if fix is None:
            fix = _atom_leak(atom_n[keep], n, derivable, contributors, skipped_atoms, min_size)
        if fix is None:
            fix = _remainder_leak(layout, n, hidden, ind, derivable, min_size)
        if fix is None:
            return False, hidden
        hidden[fix] = True


def _smallest(candidates: list[int], n: np.ndarray) -> int | None:
    return min(candidates, key=lambda c: (n[c], c)) if candidates else None


def _single_leak(
    n: np.ndarray,
    hidden: np.ndarray,
    ind: np.ndarray,
    derivable: Derivable,
    contributors: Contributors,
    skipped: set[int],
    min_size: int,
) -> int | None:
    # Only groups under the minimum need protecting; a derivable complementary group is harmless
    # by itself, and any small group it would expose is checked here directly.
    for h in sorted(np.nonzero(hidden)[0], key=lambda c: (n[c], c)):
        if n[h] == 0 or n[h] >= min_size or h in skipped or not derivable(ind[h]):
            continue
        # Hide the smallest published group that the subtraction uses.
        pick = _smallest(contributors(ind[h]), n)
        if pick is None:
            skipped.add(int(h))  # only the organisation total is used; nothing left to hide
            continue
        return pick
    return None


def _atom_leak(
    atom_n: np.ndarray,
    n: np.ndarray,
    derivable: Derivable,
    contributors: Contributors,
    skipped: set[int],
    min_size: int,
) -> int | None:
    """Rule 2 for combinations nobody asked for: with ``--by site --by role``, site B minus
    role admin can be exactly the one nurse of site B. Every atom (combination of all
    breakdown values) under the minimum must stay underivable too."""
    for a in sorted(np.nonzero((atom_n > 0) & (atom_n < min_size))[0], key=lambda a: (atom_n[a], a)):
        if a in skipped:
            continue
        unit = np.zeros(len(atom_n))
        unit[a] = 1.0
        if not derivable(unit):
            continue
        pick = _smallest(contributors(unit), n)
        if pick is None:
            skipped.add(int(a))  # only the organisation total is used; nothing left to hide
            continue
        return pick
    return None


def _remainder_leak(
    layout: Layout, n: np.ndarray, hidden: np.ndarray, ind: np.ndarray, derivable: Derivable, min_size: int
) -> int | None:
    for b, members in layout.slices:
        hid = [c for c in members if hidden[c]]
        rem = int(n[hid].sum()) if hid else 0
        if rem == 0 or rem >= min_size:
            continue
        if not derivable(ind[list(members)].sum(axis=0)):
            continue
        pick = _smallest([c for c in members if not hidden[c]], n)
        if pick is None:
            pick = _smallest([int(c) for c in np.nonzero(layout.breakdown == b)[0] if not hidden[c]], n)
        if pick is not None:
            return pick
    return None
