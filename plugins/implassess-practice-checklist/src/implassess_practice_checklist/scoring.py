"""The ``practice-gating`` scoring rule: cumulative maturity gating of a practice checklist.

Each item is a practice. The facet it sits in ends in ``-level-N``, and N (2 up to the
top maturity level) is the level the practice is required for. A practice is **met**
when it is answered 3 ("Largely implemented") or 4 ("Fully implemented") on the 1–4
implementation scale; a blank counts as not met, because a practice nobody confirms
cannot carry a level.

For each respondent and dimension:

* the achieved level L is 1 plus the number of consecutive practice levels, starting at
  level 2, whose practices are all met. A gap holds the dimension at the level below
  it, whatever is met higher up (cumulative gating, as in C2M2 and CSET);
* the score is the lower edge of L's band plus the band's width times the share of the
  level-(L+1) practices that are met, and 100 at the top level.

With the five 20-point bands of ``implementation-practices`` (0–20–40–60–80–100) this is

    score = 20·(L − 1) + 20·share(level L+1 practices met)   for L < 5
    score = 100                                              for L = 5

Worked example: level-2 and level-3 practices all met, one of the two level-4 practices
met. Then L = 3 and share = 1/2, so score = 20·2 + 20·0.5 = 50, which is in band 40–60
(level 3).

**The score always lies in the band of the achieved level.** When L is below the top,
at least one level-(L+1) practice is not met (otherwise L would be higher), so the share
is below 1 and the score is at least the band's lower edge and below its upper edge;
only the top level scores 100. The engine's bands therefore give back exactly L, and
the profile's numbers and levels never disagree.

Dimensions with no items (scored from KPIs alone) get no score from this rule.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs
import numpy as np

from implassess.contracts import ScoringRule
from implassess.errors import Finding, ImplassessError, InstrumentError

if TYPE_CHECKING:
    from implassess.model import Instrument

#: The rule's name, as an instrument's ``[scoring] rule`` names it.
NAME = "practice-gating"
#: A facet id ending like this holds the practices of maturity level N.
LEVEL_FACET = re.compile(r"-level-([0-9]+)$")
#: Answers from this value up ("Largely implemented", "Fully implemented") meet a practice.
MET_FROM = 3.0
#: The declared range of the implementation scale the threshold above is defined on.
SCALE_RANGE = (1.0, 4.0)


@attrs.frozen(eq=False)
class PracticePlan:
    """Where each practice sits: the layout the vectorised scoring works from."""

    dimension: np.ndarray
    """Per item, the index of its dimension in ``instrument.dimensions``."""
    level: np.ndarray
    """Per item, the maturity level (2 … top) the practice is required for."""
    top: int
    """Number of maturity levels (the top level)."""
    scored: np.ndarray
    """Per dimension, whether it has practices (items) to score."""


def practice_plan(instrument: Instrument) -> PracticePlan:
    """Read each practice's level from its facet id and check the layout the rule needs.

    Raises :class:`~implassess.errors.InstrumentError` (an ``ImplassessError``) listing every
    item whose facet does not end in ``-level-N`` with N from 2 to the top level, every item
    not on a 1–4 scale, and every dimension missing practices at some level.
    """
    source = instrument.source or instrument.id
    top = len(instrument.maturity.levels)
    dim_index = {d.id: k for k, d in enumerate(instrument.dimensions)}
    n_items = len(instrument.items)
    dimension = np.zeros(n_items, dtype=np.intp)
    level = np.zeros(n_items, dtype=np.intp)
    problems: list[Finding] = []
    for j, item in enumerate(instrument.items):
        dimension[j] = dim_index[item.dimension]
        match = LEVEL_FACET.search(item.facet or "")
        if match is None or not 2 <= int(match.group(1)) <= top:
            found = "has no facet" if item.facet is None else f"is in facet {item.facet!r}"
            problems.append(
                Finding(
                    source,
                    f"items[{j}].facet",
                    f"Item {item.id!r} {found}; the {NAME!r} scoring rule reads the maturity level a practice "
                    f"is required for from its facet id, which must end in '-level-N' with N from 2 to {top}. "
                    f"Put the item in a facet such as '{item.dimension}-level-2'.",
                    code="practice-level-facet",
                )
            )
        else:
            level[j] = int(match.group(1))
        scale = instrument.scale_for(item)
        rng = scale.numeric_range()
        if rng != SCALE_RANGE:
            shown = "no numeric range" if rng is None else f"range {rng[0]:g}–{rng[1]:g}"
            problems.append(
                Finding(
                    source,
                    f"items[{j}].scale",
                    f"Item {item.id!r} is answered on scale {scale.id!r} with {shown}; the {NAME!r} scoring rule "
                    f"counts answers of {MET_FROM:g} or more as largely or fully implemented, so it needs a scale "
                    f"from {SCALE_RANGE[0]:g} (not implemented) to {SCALE_RANGE[1]:g} (fully implemented).",
                    code="practice-scale",
                )
            )
    scored = np.zeros(len(instrument.dimensions), dtype=bool)
    scored[dimension] = n_items > 0
    if not problems:
        # A level without practices would count as met with nothing to show for it.
        for d, dim in enumerate(instrument.dimensions):
            if not scored[d]:
                continue
            present = set(level[dimension == d].tolist())
            for lvl in range(2, top + 1):
                if lvl not in present:
                    problems.append(
                        Finding(
                            source,
                            f"dimensions[{d}]",
                            f"Dimension {dim.id!r} has no practice for level {lvl}; the {NAME!r} scoring rule needs "
                            f"at least one item in a facet ending '-level-{lvl}' for every level from 2 to {top}, "
                            "because a level with no practices would count as met without evidence.",
                            code="practice-level-empty",
                        )
                    )
    if problems:
        raise InstrumentError(problems)
    return PracticePlan(dimension, level, top, scored)


def score_practice_gating(instrument: Instrument, values: np.ndarray) -> np.ndarray:
    """Respondents × dimensions scores (0–100) by cumulative practice gating.

    ``values`` is the respondents × items array of recoded answers (NaN = missing).
    """
    plan = practice_plan(instrument)
    x = np.asarray(values, dtype=np.float64)
    n_items = len(instrument.items)
    if x.ndim != 2 or x.shape[1] != n_items:
        raise ImplassessError(
            f"The {NAME!r} scoring rule got an answer array of shape {x.shape}; instrument {instrument.id!r} "
            f"needs one column per item ({n_items})."
        )
    n_dims = len(instrument.dimensions)
    steps = plan.top - 1  # practice levels 2 … top
    # items × (dimension, practice level) membership, so one matrix product counts
    # the met practices of every respondent in every cell.
    member = np.zeros((n_items, n_dims * steps))
    member[np.arange(n_items), plan.dimension * steps + plan.level - 2] = 1.0
    total = member.sum(axis=0).reshape(n_dims, steps)
    met = np.nan_to_num(x, nan=-np.inf) >= MET_FROM  # missing is not met
    met_count = (met.astype(np.float64) @ member).reshape(len(x), n_dims, steps)
    complete = met_count == total  # counts are small integers, so equality is exact
    passed = np.cumprod(complete, axis=2).sum(axis=2)  # consecutive complete levels from 2
    achieved = 1 + passed
    # The level just above the achieved one (clipped at the top, where it is unused).
    nxt = np.minimum(passed, steps - 1)[..., None]
    nxt_total = np.take_along_axis(np.broadcast_to(total, met_count.shape), nxt, axis=2)[..., 0]
    nxt_met = np.take_along_axis(met_count, nxt, axis=2)[..., 0]
    share = nxt_met / np.where(nxt_total > 0, nxt_total, 1.0)

    bands = sorted(instrument.maturity.levels, key=lambda lv: lv.level)
    low = np.array([lv.min for lv in bands])
    width = np.array([lv.max - lv.min for lv in bands])
    scores = np.where(achieved == plan.top, 100.0, low[achieved - 1] + width[achieved - 1] * share)
    scores[:, ~plan.scored] = np.nan
    return scores


RULE = ScoringRule(
    name=NAME,
    description=(
        "Cumulative gating: a level counts only when every practice at it and below is largely or fully "
        "implemented; the score sits in that level's band, raised by the share of next-level practices met."
    ),
    score=score_practice_gating,
)
