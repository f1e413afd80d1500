"""The scoring pipeline in one call: respondents → groups → KPIs, targets, norms → triggers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from implassess.scoring.assemble import finish_overall
from implassess.scoring.engine import RespondentScores, score_respondents
from implassess.scoring.groups import GroupResult, Prior, Release, ScoreSettings, aggregate
from implassess.scoring.kpis import KpiValue, apply_kpis, evaluate_kpis
from implassess.scoring.norms import Norms, apply_norms, check_compatible
from implassess.scoring.profile import DataSummary, Profile, ReleaseSummary, instrument_info, timestamp
from implassess.scoring.targets import Target, apply_targets
from implassess.scoring.triggers import evaluate_triggers

if TYPE_CHECKING:
    from implassess.contracts import ScoringRule
    from implassess.responses import ResponseSet


@attrs.frozen(eq=False)
class ScoringResult:
    """Respondent-level scores and the aggregated profile of one scoring run."""

    respondents: RespondentScores
    """Per-respondent arrays (confidential; not subject to group suppression)."""
    profile: Profile
    """Organisation, groups, KPIs, actions: safe to publish (suppression applied)."""
    release: Release | None = None
    """What the profile publishes, per measure and respondent (for the release ledger)."""


def score(
    responses: ResponseSet,
    settings: ScoreSettings | None = None,
    *,
    kpi_values: Iterable[KpiValue | Mapping[str, Any]] = (),
    kpi_source: str = "KPI sheet",
    targets: Iterable[Target] = (),
    norms: Norms | None = None,
    reproducible: bool = False,
    rule: ScoringRule | None = None,
    prior: Prior | None = None,
) -> ScoringResult:
    """Score a response set end to end.

    ``rule`` is the scoring rule the instrument names (``[scoring] rule``), resolved by the
    caller with :func:`implassess.plugins.scoring_rule_for`; None for the weighted mean.
    ``prior`` is what earlier runs published about these respondents (the release ledger,
    :func:`implassess.outputs.ledger.Ledger.prior`); cells that would combine with it are hidden.

    Example::

        from implassess.scoring import ScoreSettings, score
        result = score(responses, ScoreSettings(by=ScoreSettings.parse_by(["site"])))
        result.profile.organisation.dimensions[0].score_0_100
    """
    settings = settings or ScoreSettings()
    inst = responses.instrument
    if norms is not None:
        check_compatible(norms, inst.id, inst.version)
    respondents = score_respondents(responses, rule)
    org, breakdowns, release = aggregate(respondents, settings, prior)
    kpis = evaluate_kpis(inst, kpi_values, kpi_source)
    targets = tuple(targets)

    def finish(g: GroupResult) -> GroupResult:
        g = finish_overall(apply_kpis(g, inst, kpis), inst)
        g = apply_targets(g, targets)
        return apply_norms(g, norms) if norms is not None else g

    org = finish(org)
    breakdowns = tuple(attrs.evolve(b, groups=tuple(finish(g) for g in b.groups)) for b in breakdowns)
    data = DataSummary(
        source=responses.source.replace("\\", "/").rsplit("/", 1)[-1] if responses.source else "",
        sha256=responses.sha256,
        rows_read=responses.rows_read,
        accepted=responses.n,
        rejected=len(responses.rejected),
        scored_overall=int((respondents.overall_level > 0).sum()),
        form=responses.form,
        warnings=responses.warnings,
    )
    norms_info = None
    if norms is not None:
        norms_info = {
            "name": norms.name,
            "sector": norms.sector,
            "period": norms.period,
            "file": norms.source.replace("\\", "/").rsplit("/", 1)[-1],
        }
    profile = Profile(
        generated=timestamp(reproducible),
        instrument=instrument_info(respondents),
        settings=settings,
        data=data,
        organisation=org,
        breakdowns=breakdowns,
        kpis=kpis,
        actions=evaluate_triggers(inst, org, kpis),
        norms=norms_info,
        release=ReleaseSummary(
            hidden_because_earlier=release.hidden_because_earlier,
            already_derivable=release.inherited,
            conservative=release.conservative,
        ),
    )
    return ScoringResult(respondents, profile, release)
