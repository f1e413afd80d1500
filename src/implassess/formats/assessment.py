"""The assessment file: one TOML that ties a run together.

It names the client and engagement, the battery or instruments, the response files and
their mapping, the KPI sheet, breakdowns, privacy settings, targets, norms, theme and
outputs. Paths are relative to the assessment file. It crosses the same strict cattrs
boundary as instruments: unknown keys and wrong types are reported with key paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import attrs

from implassess.errors import Finding, InstrumentError
from implassess.formats.convert import header, structure
from implassess.formats.document import read_document


@attrs.frozen
class Client:
    """Who the report is for and who prepared it."""

    name: str
    """Client organisation, shown on the cover."""
    engagement: str = "Baseline diagnostic"
    """Engagement name, shown on the cover."""
    consultancy: str = ""
    """The consultancy's name (the report's author)."""
    date: str | None = None
    """Report date (ISO); defaults to today, or a fixed date in reproducible mode."""
    confidentiality: str = "Confidential"
    """Marking printed on every page."""
    language: str = "en-GB"
    """Language tag stored in the PDF."""


@attrs.frozen
class ResponseFile:
    """One survey export to read."""

    path: str
    """The export file."""
    format: str = "auto"
    """Reader name, or ``auto`` to detect."""
    mapping: str | None = None
    """Optional mapping TOML (columns and answer labels)."""
    form: str | None = None
    """Instrument form answered (``rater``, ``self``); defaults to the battery's."""
    duplicates: Literal["reject", "latest"] = "reject"
    """What to do with repeated respondent ids."""
    decimal: str | None = None
    """Decimal separator, if not detectable."""
    data_dictionary: str | None = None
    """REDCap data dictionary for REDCap records."""
    encoding: str | None = None
    """Text encoding, when not UTF-8 or UTF-16 (``cp1252`` for Excel on Windows)."""
    delimiter: str | None = None
    """Delimiter of a text file, when detection is not enough."""
    sheet: str | None = None
    """Worksheet of a workbook (name or 1-based number)."""
    review: Literal["exclude-rejected", "keep"] | None = None
    """KoboToolbox / ODK Central submissions rejected in review: set aside (default) or keep."""
    test_responses: Literal["exclude", "keep"] | None = None
    """Qualtrics test responses (Status 2): set aside (default) or keep."""
    repeats: Literal["latest", "first", "each"] | None = None
    """REDCap repeating forms: the latest instance per record (default), the first, or each."""


@attrs.frozen
class KpiFile:
    """The KPI sheet."""

    path: str
    """CSV or XLSX with columns kpi, period, value (unit optional)."""
    decimal: str | None = None
    """Decimal separator, if not detectable."""


@attrs.frozen
class ScoringSettings:
    """How results are broken down and protected."""

    by: tuple[str, ...] = ()
    """Attribute columns to break results down by (e.g. site, role)."""
    min_group_size: int = 5
    """Groups smaller than this are suppressed in every output."""
    accept_small_groups: bool = False
    """Allow a minimum below 3, accepting that readers may recognise individual answers."""
    small_groups: Literal["suppress", "combine"] = "suppress"
    """``combine``: pool each breakdown's groups under the minimum into one "Other" group."""
    ledger: str | None = None
    """Release ledger folder (e.g. on the engagement's shared drive); default ``$IMPLASSESS_LEDGER``
    or the user's data folder."""
    wave: str | None = None
    """Score only this wave (value of the ``wave`` column)."""
    compare_wave: str | None = None
    """A second wave to compare against (change over time)."""
    targets: str | None = None
    """Targets file (per dimension target and importance)."""
    norms: str | None = None
    """Norm pack to benchmark against."""


@attrs.frozen
class ReportSettings:
    """The PDF's look."""

    theme: str = "default"
    """Theme name or path to a theme TOML."""
    templates: str | None = None
    """Client template folder overriding narrative templates."""
    heatmap_by: str | None = None
    """Breakdown shown as the group heatmap; defaults to the first ``by`` column."""
    reproducible: bool = False
    """Byte-identical output (fixed dates, invariant PDF)."""


@attrs.frozen
class Outputs:
    """Where and what to write."""

    dir: str = "implassess-output"
    """Output folder."""
    pdf: bool = True
    """Write the organisation report."""


@attrs.frozen
class Assessment:
    """A whole run."""

    client: Client
    """Who the report is for."""
    battery: str | None = None
    """Battery id; or list ``instruments`` instead."""
    instruments: tuple[str, ...] = ()
    """Instrument ids or TOML paths, when no battery is named."""
    variables: dict[str, str] = attrs.field(factory=dict)
    """Values for item text variables such as ``{intervention}``."""
    responses: tuple[ResponseFile, ...] = ()
    """Survey exports."""
    kpis: KpiFile | None = None
    """KPI sheet."""
    scoring: ScoringSettings = ScoringSettings()
    """Breakdowns and privacy."""
    report: ReportSettings = ReportSettings()
    """Report look."""
    outputs: Outputs = Outputs()
    """Where to write."""
    base_dir: str = ""
    """Folder the file was read from (paths are relative to it); not in TOML."""
    source: str = ""
    """The assessment file itself, for messages; not in TOML."""

    def resolve(self, relative: str) -> Path:
        """A path from the file, made absolute against the assessment's folder."""
        p = Path(relative).expanduser()
        return p if p.is_absolute() else Path(self.base_dir) / p


def load_assessment(path: Path) -> Assessment:
    """Read and check an assessment file; every problem is reported at once."""
    raw = dict(read_document(path))
    source = str(path)
    _, findings = header(raw, source, ("assessment",))
    record, problems = structure(raw, Assessment, source, document=True)
    findings += problems
    findings += _check_raw(raw, source, path.resolve().parent)
    if record is not None and (record.battery is None) == (not record.instruments):
        findings.append(
            Finding(source, "", "Name either 'battery' or 'instruments' (exactly one of them).", code="target")
        )
    if findings:
        raise InstrumentError(findings)
    assert record is not None
    return attrs.evolve(record, base_dir=str(path.resolve().parent), source=str(path))


def _check_raw(raw: dict[str, Any], source: str, base: Path) -> list[Finding]:
    """Checks that need no structured record, so they are reported alongside type errors."""
    findings: list[Finding] = []
    scoring: dict[str, Any] = raw["scoring"] if isinstance(raw.get("scoring"), dict) else {}
    size = scoring.get("min-group-size")
    if isinstance(size, int) and not isinstance(size, bool) and size < 1:
        findings.append(
            Finding(
                source, "scoring.min-group-size", f"Found {size}; expected a whole number of at least 1.", code="range"
            )
        )
    elif (
        isinstance(size, int)
        and not isinstance(size, bool)
        and size < 3
        and scoring.get("accept-small-groups") is not True
    ):
        findings.append(
            Finding(
                source,
                "scoring.min-group-size",
                f"Found {size}; groups this small let readers recognise individual answers, so the smallest "
                "allowed is 3. To go lower, add accept-small-groups = true under [scoring]; every report then "
                "says that the minimum was lowered.",
                code="range",
            )
        )
    files: list[tuple[str, Any]] = []
    responses: list[Any] = raw["responses"] if isinstance(raw.get("responses"), list) else []
    for i, rf in enumerate(responses):
        if isinstance(rf, dict):
            files += [(f"responses[{i}].{key}", rf.get(key)) for key in ("path", "mapping", "data-dictionary")]
    if isinstance(raw.get("kpis"), dict):
        files.append(("kpis.path", raw["kpis"].get("path")))
    for key in ("targets", "norms"):
        files.append((f"scoring.{key}", scoring.get(key)))
    for where, value in files:
        if isinstance(value, str) and not (base / value).exists():
            findings.append(
                Finding(source, where, f"File {value!r} does not exist (relative to {base}).", code="missing-file")
            )
    return findings
