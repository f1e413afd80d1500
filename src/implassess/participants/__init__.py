"""Participant reports for leadership programmes: a private 360 PDF per participant.

- :mod:`~implassess.participants.three_sixty` — the 360 arithmetic on arrays (rater
  minimums, gaps, blind spots, rankings, RCI);
- :mod:`~implassess.participants.assemble` — from a scored export to one view-model per
  participant and a cohort summary;
- :mod:`~implassess.participants.batch` — executors, the manifest and resumable runs;
- :mod:`~implassess.participants.model` — the records.

The PDFs are laid out by :mod:`implassess.report.participant`. numpy is imported by the
submodules, not here, so ``implassess --help`` stays fast.
"""

from __future__ import annotations
