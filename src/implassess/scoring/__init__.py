"""The scoring engine: pure functions from a :class:`~implassess.responses.ResponseSet` to a profile.

Entry points:

- :func:`score` — everything in one call, returns a :class:`ScoringResult`
  (``.respondents`` arrays, ``.profile`` record, ``.write(outdir)``);
- :func:`score_respondents` — per-respondent scores only;
- :func:`aggregate` — organisation and breakdown results with suppression.

This package imports numpy and scipy; the CLI imports it lazily.
"""

from __future__ import annotations

from implassess.scoring.engine import RespondentScores, ScoreUnit, levels_for, score_respondents
from implassess.scoring.groups import (
    MISSING,
    Breakdown,
    GroupResult,
    IccStats,
    ItemStats,
    LevelShare,
    OptionCount,
    ScoreSettings,
    UnitStats,
    aggregate,
)
from implassess.scoring.kpis import KpiResult, KpiValue, evaluate_kpis
from implassess.scoring.norms import Norms, build_norms, load_norms
from implassess.scoring.pipeline import ScoringResult, score
from implassess.scoring.profile import Profile, profile_to_dict, write_outputs
from implassess.scoring.targets import Target, load_targets
from implassess.scoring.triggers import TriggeredAction, evaluate_triggers

__all__ = [
    "MISSING",
    "Breakdown",
    "GroupResult",
    "IccStats",
    "ItemStats",
    "KpiResult",
    "KpiValue",
    "LevelShare",
    "Norms",
    "OptionCount",
    "Profile",
    "RespondentScores",
    "ScoreSettings",
    "ScoreUnit",
    "ScoringResult",
    "Target",
    "TriggeredAction",
    "UnitStats",
    "aggregate",
    "build_norms",
    "evaluate_kpis",
    "evaluate_triggers",
    "levels_for",
    "load_norms",
    "load_targets",
    "profile_to_dict",
    "score",
    "score_respondents",
    "write_outputs",
]
