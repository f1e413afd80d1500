"""The ``score`` job: one export, one instrument → profile JSON, CSVs and a manifest in a folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from implassess.ingest.core import Duplicates, Invalid
    from implassess.responses import ResponseSet
    from implassess.scoring.pipeline import ScoringResult

IccK = Literal["mean", "adjusted"]
"""How ICC(1) counts group size (see :class:`implassess.scoring.groups.ScoreSettings`)."""


@attrs.frozen(kw_only=True)
class ScoreSummary:
    """What ``score`` read, scored and wrote."""

    responses: ResponseSet
    """The mapped responses (rows read, accepted, rejected with reasons)."""
    result: ScoringResult
    """Respondent scores and the profile."""
    outputs: dict[str, Path]
    """Name → path of every file written."""


def _kpi_values(path: Path, instrument: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from implassess.ingest import read_kpis
    from implassess.outputs.provenance import input_record

    sheet = read_kpis(path, instrument)
    return sheet.records(), input_record(
        path,
        file=path.name,
        rows_read=sheet.rows_read,
        rejected=len(sheet.rejected),
        rejected_rows=[{"row": r.row, "reasons": list(r.reasons)} for r in sheet.rejected],
    )


def score_export(
    responses: Path,
    instrument_ref: str | Path,
    out_dir: Path,
    *,
    by: Sequence[str] = (),
    min_group_size: int = 5,
    norms: Path | None = None,
    targets: Path | None = None,
    kpis: Path | None = None,
    format: str | None = None,
    form: str | None = None,
    mapping: Path | None = None,
    duplicates: Duplicates | None = None,
    wave: str | None = None,
    invalid: Invalid | None = None,
    decimal: str | None = None,
    variables: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
    confidence: float = 0.95,
    rwg_null: str = "uniform",
    icc_k: IccK = "mean",
    reproducible: bool = False,
    small_groups: Literal["suppress", "combine"] = "suppress",
    accept_small_groups: bool = False,
    ledger: Path | None = None,
) -> ScoreSummary:
    """Read ``responses`` onto the instrument, score it and write every output into ``out_dir``.

    Cells that would combine with what earlier runs published from the same respondents are
    hidden too: the release ledger at ``ledger`` (default: ``$IMPLASSESS_LEDGER`` or the
    user's data folder) remembers every release.

    Reading takes the options of :func:`implassess.ingest.read_responses`: ``wave`` names
    the wave to score (a file of several waves is refused without it), ``options`` go to
    the reader (``dictionary``, ``encoding``, ``delimiter``, ``sheet``, ``review``), and a
    column named by ``by`` is read as that attribute.
    """
    from implassess import plugins
    from implassess.formats.norms import load_norms
    from implassess.formats.targets import load_targets
    from implassess.ingest import read_responses
    from implassess.outputs.ledger import Ledger, location, score_released
    from implassess.outputs.lock import folder_lock
    from implassess.outputs.profile import write_scoring
    from implassess.outputs.provenance import input_record
    from implassess.scoring import ScoreSettings

    instrument = plugins.get_instrument(instrument_ref)
    settings = ScoreSettings(
        by=ScoreSettings.parse_by(by),
        min_group_size=min_group_size,
        small_groups=small_groups,
        accept_small_groups=accept_small_groups,
        confidence=confidence,
        rwg_null=rwg_null,
        icc_k=icc_k,
    )
    rs = read_responses(
        responses,
        instrument,
        form=form,
        format=format,
        mapping=mapping,
        duplicates=duplicates,
        invalid=invalid,
        decimal=decimal,
        variables=variables,
        options=options,
        wave=wave,
        attributes=[c for spec in settings.by for c in spec],
    )
    inputs: dict[str, dict[str, Any]] = {}
    kpi_values: list[dict[str, Any]] = []
    if kpis is not None:
        kpi_values, inputs["kpis"] = _kpi_values(kpis, instrument)
    if targets is not None:
        inputs["targets"] = input_record(targets, file=targets.name)
    if norms is not None:
        inputs["norms"] = input_record(norms, file=norms.name)
    with folder_lock(out_dir, "score"):
        # The lock covers the ledger too: a run refused here records no release.
        result = score_released(
            rs,
            settings,
            ledger=Ledger(location(ledger)),
            command="score",
            kpi_values=kpi_values,
            kpi_source=str(kpis or ""),
            targets=load_targets(targets, instrument) if targets else (),
            norms=load_norms(norms) if norms else None,
            reproducible=reproducible,
            rule=plugins.scoring_rule_for(instrument),
        )
        outputs = write_scoring(result, out_dir, inputs)
    return ScoreSummary(responses=rs, result=result, outputs=outputs)
