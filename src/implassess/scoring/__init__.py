"""The scoring engine: pure functions from a :class:`~implassess.responses.ResponseSet` to a profile.

Entry points:

- :func:`score` — everything in one call, returns a :class:`ScoringResult`
  (``.respondents`` arrays, ``.profile`` record; :mod:`implassess.outputs.profile` writes it);
- :func:`score_respondents` — per-respondent scores only;
- :func:`aggregate` — organisation and breakdown results with suppression.

Nothing here reads plugins or files: a Python scoring rule an instrument names is
resolved by the caller (:func:`implassess.plugins.scoring_rule_for`) and passed in as
``rule=``; readers and :mod:`implassess.outputs` do the I/O. This package imports numpy
and scipy; the CLI imports it lazily.
"""

from __future__ import annotations

from implassess.scoring.engine import RespondentScores, ScoreUnit, levels_for, score_respondents
from implassess.scoring.groups import aggregate
from implassess.scoring.kpis import KpiResult, KpiValue, evaluate_kpis
from implassess.scoring.norms import Norms, build_norms
from implassess.scoring.pipeline import ScoringResult, score
from implassess.scoring.profile import Profile, profile_to_dict
from implassess.scoring.results import (
    MISSING,
    OTHER,
    SAFE_MINIMUM,
    Breakdown,
    GroupResult,
    IccStats,
    ItemStats,
    LevelShare,
    OptionCount,
    ScoreSettings,
    UnitStats,
)
from implassess.scoring.targets import Target
from implassess.scoring.triggers import TriggeredAction, evaluate_triggers

__all__ = [
    "MISSING",
    "OTHER",
    "SAFE_MINIMUM",
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
    "profile_to_dict",
    "score",
    "score_respondents",
]
