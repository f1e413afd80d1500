"""Participant reports for leadership programmes: a private 360 PDF per participant.

- :mod:`~implassess.participants.three_sixty` — the 360 arithmetic on arrays (rater
  minimums, gaps, blind spots, rankings, RCI);
- :mod:`~implassess.participants.assemble` — from a scored export to one view-model per
  participant and a cohort summary;
- :mod:`~implassess.participants.accounting` — what became of each row of the export;
- :mod:`~implassess.participants.masking` — other participants' names masked in comments;
- :mod:`~implassess.participants.batch` — the manifest, resumable runs and Ctrl-C, on the
  executors of :mod:`~implassess.participants.executors`;
- :mod:`~implassess.participants.model` — the records.

The PDFs are laid out by :mod:`implassess.report.participant`. numpy is imported by the
submodules, not here, so ``implassess --help`` stays fast.
"""

from __future__ import annotations
