"""The response model behind the sample data: latent levels in, answer strings out.

An item answer is the respondent's latent level on the item's dimension plus item
noise, cut into the scale's categories (reversed for reverse-keyed items). The noise
is set from the number of items so that Cronbach's α lands near :data:`TARGET_ALPHA`
for every dimension, whatever its length. Missing answers follow the scale: blanks
always, "Don't know" and "Not applicable" where the scale offers them.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

from implassess.errors import ImplassessError
from implassess.model import Instrument, Item, Option, Scale

#: Cronbach's α the item noise is tuned for, and how much cutting a continuous answer
#: into a few categories shrinks the correlation between items (about 0.9 for five).
TARGET_ALPHA = 0.8
CATEGORY_ATTENUATION = 0.92
#: Correlation of a person's levels across dimensions (a general "halo" factor).
DIMENSION_CORRELATION = 0.5
P_BLANK, P_DONT_KNOW, P_NOT_APPLICABLE = 0.03, 0.02, 0.01

#: Response codes in the integer matrices: substantive options are 0 … k−1.
BLANK, DONT_KNOW, NOT_APPLICABLE = -1, -2, -3


@attrs.frozen
class ItemDimension:
    """A dimension that has survey items, with the scale of each item."""

    key: str
    """``instrument-id/dimension-id``."""
    items: tuple[Item, ...]
    """Its items, in file order."""
    scales: tuple[Scale, ...]
    """The scale of each item."""


def item_dimensions(instruments: Sequence[Instrument]) -> list[ItemDimension]:
    """Dimensions with items, in order; item ids must be unique across the instruments."""
    seen: dict[str, str] = {}
    dims = []
    for inst in instruments:
        for dim in inst.dimensions:
            items = inst.items_in(dim.id)
            for item in items:
                if item.id in seen:
                    raise ImplassessError(
                        f"Item id {item.id!r} is used by both {seen[item.id]!r} and {inst.id!r}; the sample "
                        "data name columns by item id, so the instruments cannot be fielded together."
                    )
                seen[item.id] = inst.id
            if items:
                dims.append(ItemDimension(f"{inst.id}/{dim.id}", items, tuple(inst.scale_for(i) for i in items)))
    return dims


def cuts(k: int) -> np.ndarray:
    """Category boundaries on a standardised answer, slightly skewed towards agreement."""
    return np.array([-0.2 + 4.0 * (j / k - 0.5) for j in range(1, k)])


def correlated(rng: np.random.Generator, n: int, d: int, sd: float) -> np.ndarray:
    """Normal levels (n × d) with standard deviation ``sd`` and correlation across columns."""
    common = rng.standard_normal((n, 1))
    own = rng.standard_normal((n, d))
    rho = DIMENSION_CORRELATION
    return sd * (np.sqrt(rho) * common + np.sqrt(1 - rho) * own)


def respond(rng: np.random.Generator, theta: np.ndarray, dims: list[ItemDimension]) -> np.ndarray:
    """Option indexes (respondents × items) from latent levels (respondents × dimensions)."""
    columns = []
    for d, dim in enumerate(dims):
        k = len(dim.items)
        v = float(np.var(theta[:, d])) or 1.0
        # Inter-item correlation giving α by Spearman–Brown, before the categories shrink it.
        r = min(0.95, TARGET_ALPHA / (k - (k - 1) * TARGET_ALPHA) / CATEGORY_ATTENUATION)
        sigma = np.sqrt(v * (1 - r) / r)
        scale_sd = np.sqrt(v + sigma**2)
        for item, scale in zip(dim.items, dim.scales, strict=True):
            n_opt = len(scale.substantive())
            y = (theta[:, d] + rng.normal(0, 0.15) + rng.normal(0, sigma, len(theta))) / scale_sd
            cat = np.searchsorted(cuts(n_opt), y)
            columns.append(n_opt - 1 - cat if item.reverse else cat)
    return np.stack(columns, axis=1) if columns else np.zeros((len(theta), 0), dtype=int)


def non_substantive(scale: Scale) -> tuple[Option | None, Option | None]:
    """The scale's "Don't know" and "Not applicable" options, where it has them."""
    ns = [o for o in scale.options if o.non_substantive]
    dk = next((o for o in ns if "know" in o.label.lower()), ns[0] if ns else None)
    na = next((o for o in ns if o is not dk), None)
    return dk, na


def blank_out(rng: np.random.Generator, codes: np.ndarray, scales: list[Scale], p_dk: np.ndarray) -> None:
    """Blank ~3% of answers and turn some into "Don't know" / "Not applicable", in place.

    A few respondents skip a lot and most skip nothing, as in real surveys: each row's
    rates are scaled by a skewed factor with mean 1.
    """
    u = rng.random(codes.shape)
    has = np.array([[o is not None for o in non_substantive(s)] for s in scales]).reshape(-1, 2)
    skew = np.minimum(rng.gamma(0.5, 2.0, len(codes)), 8.0)[:, None]
    blank, dk_end = P_BLANK * skew, (P_BLANK + p_dk[:, None]) * skew
    na_end = dk_end + P_NOT_APPLICABLE * skew
    codes[u < blank] = BLANK
    codes[(u >= blank) & (u < dk_end) & has[None, :, 0]] = DONT_KNOW
    codes[(u >= dk_end) & (u < na_end) & has[None, :, 1]] = NOT_APPLICABLE


def number(value: float | None) -> str:
    """A scale value as a survey tool exports it (``4``, not ``4.0``)."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def render(codes: np.ndarray, scales: Sequence[Scale], as_label: bool) -> list[list[str]]:
    """Answer strings (respondents × items): scale values or codes, or option labels."""
    columns = []
    for j, scale in enumerate(scales):
        dk, na = non_substantive(scale)
        if as_label:
            words = [o.label for o in scale.substantive()]
            extra = [dk.label if dk else "", na.label if na else ""]
        else:
            words = [number(o.value) for o in scale.substantive()]
            extra = [(o.code or o.label) if o else "" for o in (dk, na)]
        # Index k+1 is "Don't know", k+2 "Not applicable", k (via -1 → blank) blank.
        lookup = np.array([*words, "", *extra], dtype=object)
        col = codes[:, j]
        idx = np.where(col >= 0, col, len(words) - 1 - col)
        columns.append(lookup[idx])
    return [list(r) for r in zip(*columns, strict=True)] if columns else [[] for _ in range(len(codes))]


def out_of_range(scale: Scale) -> str:
    """A numeric answer just above the scale that is not one of its codes (7 on 1–5 with 8, 9)."""
    _, hi = scale.numeric_range() or (1.0, float(len(scale.substantive())))
    codes = {o.code for o in scale.options}
    bad = int(hi) + 2
    while str(bad) in codes:
        bad += 1
    return str(bad)
