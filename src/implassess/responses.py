"""Accepted responses mapped onto an instrument: the input of scoring.

Readers produce a :class:`~implassess.contracts.RawTable`; the mapping step (see
:mod:`implassess.ingest`) turns it into a :class:`ResponseSet`, where every row read
is either a respondent here or a :class:`~implassess.contracts.RejectedRow`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from implassess.contracts import RejectedRow

if TYPE_CHECKING:
    import numpy as np

    from implassess.model import Instrument

#: Attribute columns the mapping recognises and scoring can break results down by.
KNOWN_ATTRIBUTES = ("site", "role", "cohort", "wave", "participant", "relationship", "team", "department")


@attrs.frozen(eq=False, kw_only=True)
class ResponseSet:
    """Respondents × items of one instrument, with attributes and accounting."""

    instrument: Instrument
    """The instrument the responses were mapped to."""
    respondent_ids: tuple[str, ...]
    """One id per accepted respondent (row order of ``values``)."""
    values: np.ndarray
    """float64 array, respondents × ``instrument.items``, raw scale values as answered
    (not reverse-keyed); NaN where missing or non-substantive."""
    non_substantive: np.ndarray | None = None
    """int16 array like ``values``: 0, or 1 + the index in the item's scale options of the
    non-substantive answer given ("Don't know", "Not applicable"), so reports can count
    them apart; None when the source did not record them."""
    attributes: dict[str, tuple[str | None, ...]] = attrs.field(factory=dict)
    """Attribute column → one value per respondent (site, role, wave, participant …)."""
    comments: dict[str, tuple[str | None, ...]] = attrs.field(factory=dict)
    """Free-text column → one comment per respondent (untrusted text)."""
    rows: tuple[int, ...] = ()
    """Source row number of each accepted respondent."""
    rejected: tuple[RejectedRow, ...] = ()
    """Rows read but not accepted, with reasons."""
    rows_read: int = 0
    """Data rows read from the source; equals accepted + rejected."""
    form: str | None = None
    """Form of the instrument the responses were given on (``self``, ``rater`` …)."""
    source: str = ""
    """The file read."""
    sha256: str = ""
    """Hash of the source file's bytes."""
    warnings: tuple[str, ...] = ()
    """File-level notes: unmapped columns, items absent from the file, personal columns dropped."""

    @property
    def n(self) -> int:
        """Number of accepted respondents."""
        return len(self.respondent_ids)

    def reconciles(self) -> bool:
        """Whether accepted + rejected = rows read."""
        return self.n + len(self.rejected) == self.rows_read

    def subset(self, keep: np.ndarray, excluded_reason: str | None = None) -> ResponseSet:
        """The respondents where ``keep`` (a boolean mask) is true.

        Rows dropped here were read and accepted but belong to another slice (such as
        another wave); they are not rejections, so ``rows_read`` shrinks with them and
        the set still reconciles.
        """
        import numpy as np

        idx = np.flatnonzero(keep)
        pick = lambda seq: tuple(seq[i] for i in idx)  # noqa: E731
        note = () if excluded_reason is None else (f"{self.n - len(idx)} respondent(s) left out: {excluded_reason}.",)
        return attrs.evolve(
            self,
            respondent_ids=pick(self.respondent_ids),
            values=self.values[idx],
            non_substantive=None if self.non_substantive is None else self.non_substantive[idx],
            attributes={k: pick(v) for k, v in self.attributes.items()},
            comments={k: pick(v) for k, v in self.comments.items()},
            rows=pick(self.rows) if self.rows else (),
            rows_read=self.rows_read - (self.n - len(idx)),
            warnings=self.warnings + note,
        )


def from_values(
    instrument: Instrument,
    values: Sequence[Sequence[float | None]] | np.ndarray,
    ids: Sequence[str] | None = None,
    attributes: dict[str, Sequence[str | None]] | None = None,
    source: str = "",
) -> ResponseSet:
    """A :class:`ResponseSet` from a respondents × items table of raw answers (None or NaN = missing),
    for data that is already in memory (a notebook, a test, a conformance case)."""
    import math

    import numpy as np

    if isinstance(values, np.ndarray):
        arr = values.astype(np.float64, copy=False)
    else:
        arr = np.array([[math.nan if v is None else float(v) for v in row] for row in values], dtype=np.float64)
    if arr.ndim != 2:
        arr = arr.reshape(0, len(instrument.items))
    n = arr.shape[0]
    return ResponseSet(
        instrument=instrument,
        respondent_ids=tuple(ids) if ids is not None else tuple(f"r{i + 1}" for i in range(n)),
        values=arr,
        attributes={k: tuple(v) for k, v in (attributes or {}).items()},
        rows=tuple(range(2, n + 2)),
        rows_read=n,
        source=source,
    )
