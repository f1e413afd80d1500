"""Row accounting of a participants batch: every row of the 360 export is used, rejected or set aside.

``rows read = used + rejected + set aside``. *Rejected* rows are listed with their
reasons in ``rejected-rows.csv`` (the format every command writes, see
:mod:`implassess.outputs.rejected`): rows the reader refused (duplicates, malformed
rows, previews), and rows the 360 cannot use (no participant, no relationship, a
self-assessment replaced by a later one). *Set aside* rows are valid but not in any
report: rows of waves that are neither shown nor compared, and rows about participants
without a report (the manifest says why for each). A row that some instruments of the
battery could not score but others could is *used*, and its problems are listed too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from implassess.participants import three_sixty as t3
from implassess.participants.model import SELF

if TYPE_CHECKING:
    from implassess.participants.data import Data360
    from implassess.participants.records import BuildOptions, Outcome

#: File the rejected rows are written to, in the output folder.
REJECTED_FILE = "rejected-rows.csv"


@attrs.frozen(kw_only=True)
class RowAccounting:
    """What became of each row of the 360 export."""

    file: str
    """The export's file name."""
    read: int
    """Data rows read."""
    used: int
    """Rows in a participant's report (the wave shown or the wave compared with)."""
    rejected: tuple[tuple[int, tuple[str, ...]], ...]
    """(row, reasons) of rows not used because of a problem with the row, in row order."""
    other_waves: int
    """Valid rows of waves neither shown nor compared."""
    no_report: int
    """Valid rows about participants without a report."""
    partly_scored: tuple[tuple[int, tuple[str, ...]], ...] = ()
    """(row, reasons) of used rows that some instruments of the battery could not score."""

    @property
    def set_aside(self) -> int:
        """Valid rows in no report."""
        return self.other_waves + self.no_report

    def reconciles(self) -> bool:
        """Whether read = used + rejected + set aside."""
        return self.read == self.used + len(self.rejected) + self.set_aside

    def listed(self) -> list[tuple[str, int, Sequence[str]]]:
        """Rows of ``rejected-rows.csv``: the rejected rows, then the partly scored ones, in row order."""
        rows = [(r, reasons) for r, reasons in self.rejected]
        rows += [(r, (*reasons, "The row is used for the other instruments.")) for r, reasons in self.partly_scored]
        return [(self.file, r, reasons) for r, reasons in sorted(rows, key=lambda x: x[0])]

    def as_dict(self) -> dict[str, Any]:
        """The ``rows`` block of the manifest."""
        return {
            "file": self.file,
            "read": self.read,
            "used": self.used,
            "rejected": len(self.rejected),
            "set-aside": {"other-waves": self.other_waves, "no-report": self.no_report},
            "partly-scored": len(self.partly_scored),
            "list": REJECTED_FILE,
            "rejected-rows": [{"row": r, "reasons": list(reasons)} for r, reasons in self.rejected],
        }

    def summary(self) -> str:
        """One sentence with the counts, for the terminal."""
        parts = []
        if self.other_waves:
            parts.append(f"other waves {self.other_waves}")
        if self.no_report:
            parts.append(f"participants without a report {self.no_report}")
        aside = f" ({', '.join(parts)})" if parts else ""
        text = (
            f"Rows of {self.file}: {self.read} read = {self.used} used + {len(self.rejected)} rejected + "
            f"{self.set_aside} set aside{aside}."
        )
        if self.partly_scored:
            text += f" {len(self.partly_scored)} used row(s) could not be scored on every instrument."
        return text


def _reasons(per_instrument: Mapping[str, list[str]], instruments: Sequence[str]) -> tuple[str, ...]:
    """Each reason once; prefixed with the instruments that gave it unless every instrument did."""
    by_reason: dict[str, list[str]] = {}
    for inst in instruments:
        for reason in per_instrument.get(inst, ()):
            by_reason.setdefault(reason, []).append(inst)
    out = []
    for reason, insts in by_reason.items():
        named = list(dict.fromkeys(insts))
        out.append(reason if len(named) == len(instruments) else f"{', '.join(named)}: {reason}")
    return tuple(out)


def account_rows(data: Data360, outcomes: Sequence[Outcome], options: BuildOptions) -> RowAccounting:
    """Sort every row of the export into used, rejected or set aside (see the module docstring)."""
    instruments = [inst.id for inst in data.instruments]
    problems: dict[int, dict[str, list[str]]] = {}
    for inst, row, reasons in data.rejections:
        problems.setdefault(row, {}).setdefault(inst, []).extend(reasons)
    accepted = set(data.rows)
    rejected: dict[int, tuple[str, ...]] = {
        row: _reasons(by_inst, instruments) for row, by_inst in problems.items() if row not in accepted
    }
    partly = {row: _reasons(by_inst, instruments) for row, by_inst in problems.items() if row in accepted}
    waves = {options.wave, *([options.compare_wave] if options.compare_wave else [])}
    with_report = {o.participant for o in outcomes if o.report is not None}
    used = other_waves = no_report = 0
    last_self: dict[tuple[str, str], int] = {}
    for i, (p, rel, w) in enumerate(zip(data.participant, data.relationship, data.wave, strict=True)):
        row = data.rows[i]
        if not p:
            rejected[row] = ("Column 'participant' is blank; expected the id of the participant rated.",)
        elif t3.relationship_group(rel)[0] is None:
            rejected[row] = ("Column 'relationship' is blank; expected self, manager, peer, direct-report or other.",)
        elif w not in waves:
            other_waves += 1
        elif p not in with_report:
            no_report += 1
        elif t3.relationship_group(rel)[0] == SELF:
            earlier = last_self.get((p, w))
            if earlier is not None:
                # The report uses the last self-assessment in the file: the earlier one is rejected.
                rejected[data.rows[earlier]] = (
                    f"Participant {p!r} has another self-assessment in wave {w!r} later in the file (row {row}); "
                    "only the last one is used.",
                )
            else:
                used += 1
            last_self[(p, w)] = i
        else:
            used += 1
    for row in rejected.keys() & partly.keys():
        rejected[row] = (*rejected[row], *partly.pop(row))
    return RowAccounting(
        file=data.source,
        read=data.rows_read,
        used=used,
        rejected=tuple(sorted(rejected.items())),
        other_waves=other_waves,
        no_report=no_report,
        partly_scored=tuple(sorted(partly.items())),
    )
