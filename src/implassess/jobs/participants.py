"""The participants job: one private 360 report per participant, a cohort summary, a manifest.

:func:`run_participants` is what ``implassess participants`` runs and what
``implassess.run_participants`` exposes to Python. It reads the 360 export and the
participants file, builds every participant's view-model in this process, renders them
on an executor (serial, a process pool or a Dask cluster) and writes ``manifest.json``
and ``manifest.csv``. A participant without a report is recorded, not fatal; the
summary says which.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from implassess.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from implassess.contracts import Theme
    from implassess.model import Instrument
    from implassess.participants.accounting import RowAccounting
    from implassess.participants.model import ManifestEntry

#: Rater groups whose minimum can be changed, in the order the manifest lists them.
MINIMUM_KEYS = ("manager", "peer", "direct-report", "other", "all-others")
#: The smallest rater minimum accepted without ``accept_small_groups``.
SAFE_MINIMUM = 2


class WaveError(InputError):
    """A wave asked for (``wave`` or ``compare_wave``) is not in the 360 export."""

    def __init__(self, source: str, option: str, value: str, waves: list[str]):
        self.option = option  # the argument that named it: "wave" or "compare_wave"
        self.value = value
        self.waves = waves
        super().__init__(source, f"{value!r} is not a wave of the file; found {', '.join(map(repr, waves))}.")


class SmallMinimumError(InputError):
    """A rater minimum below 2 without ``accept_small_groups``: one person's ratings would show."""

    def __init__(self, group: str, value: int):
        self.group = group  # the rater group key, as in MINIMUM_KEYS
        self.value = value
        super().__init__("min_raters", small_minimum_message(group, value, "accept_small_groups=True"))


def small_minimum_message(group: str, value: int, option: str) -> str:
    """Why a minimum below 2 is refused, and how to accept the risk with ``option``."""
    return (
        f"The minimum for {group!r} is {value}: a group of one rater would be shown, and that person's ratings "
        f"could be read from the report. Use {SAFE_MINIMUM} or more, or pass {option} to accept the risk; every "
        "report then says that the minimum was lowered."
    )


@attrs.frozen(kw_only=True)
class ParticipantsSummary:
    """What a participants batch wrote, for a caller to print or check."""

    out_dir: Path
    """Folder holding the reports."""
    manifest_path: Path
    """``manifest.json`` in ``out_dir``."""
    participants: int
    """Participants in the participants file."""
    ok: int
    """Participants with a report (rendered now or kept from an earlier run)."""
    kept: int
    """Reports kept from an earlier run because their file and view-model were unchanged."""
    failed: tuple[ManifestEntry, ...]
    """Participants without a report, each with its reason."""
    cohort_status: str
    """``ok`` when the cohort summary was written, else ``error``."""
    wave: str
    """Wave the reports show."""
    compare_wave: str | None
    """Wave change is shown from (None: no comparison)."""
    manifest: dict[str, Any]
    """The manifest document as written to ``manifest.json``."""
    rows: RowAccounting
    """What became of each row of the 360 export: used, rejected or set aside."""
    rejected_path: Path
    """``rejected-rows.csv`` in ``out_dir``: each rejected row with its reasons."""
    masked_comments: int
    """Comments in which other participants' names were masked."""
    masked_path: Path
    """``masked-comments.csv`` in ``out_dir``: those comments, for the programme lead."""

    @property
    def complete(self) -> bool:
        """Every participant has a report and the cohort summary was written."""
        return not self.failed and self.cohort_status == "ok"


def resolve_battery(ref: str) -> tuple[str, list[Instrument]]:
    """(programme title, instruments) of a battery or instrument id, or of an instrument TOML path."""
    from implassess import plugins
    from implassess.model import Battery, Instrument

    batteries, instruments = plugins.get_batteries(), plugins.get_instruments()
    record: Any = batteries.get(ref) or instruments.get(ref)
    if record is None and ref.endswith(".toml") and Path(ref).is_file():
        from implassess.formats.instrument import load_file

        record = load_file(Path(ref))
    if isinstance(record, Instrument):
        return record.title, [record]
    if isinstance(record, Battery):
        missing = [m.id for m in record.instruments if m.id not in instruments]
        if missing:
            raise NotFoundError("instrument", missing[0], list(instruments))
        return record.title, [instruments[m.id] for m in record.instruments]
    raise NotFoundError("battery or instrument", ref, sorted({*batteries, *instruments}))


def check_minimums(
    minimums: Mapping[str, int], *, show_manager: bool = False, accept_small_groups: bool = False
) -> dict[str, int]:
    """Rater minimums keyed as in :data:`MINIMUM_KEYS` (``_`` is read as ``-``), each at least 1.

    A minimum below 2 lets one person's ratings be shown as a group, so it is refused
    (:class:`SmallMinimumError`) unless ``accept_small_groups`` is given; a manager
    minimum of 1 together with ``show_manager`` is the agreed single manager, not a risk taken.
    """
    out: dict[str, int] = {}
    for key, value in minimums.items():
        group = key.strip().lower().replace("_", "-")
        if group not in MINIMUM_KEYS:
            raise InputError("min_raters", f"{key!r} is not a rater group; expected one of {', '.join(MINIMUM_KEYS)}.")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError("min_raters", f"The minimum for {key!r} is {value!r}; expected a whole number ≥ 1.")
        by_agreement = group == "manager" and show_manager
        if value < SAFE_MINIMUM and not accept_small_groups and not by_agreement:
            raise SmallMinimumError(group, value)
        out[group] = value
    return out


def _report_date(date: dt.date | None, out_dir: Path) -> dt.date:
    """The date asked for, else the date of the run being resumed in ``out_dir``, else today."""
    from implassess.participants.batch import read_settings

    if date is not None:
        return date
    previous = read_settings(out_dir) if out_dir.is_dir() else {}
    try:
        return dt.date.fromisoformat(previous["date"])
    except (KeyError, TypeError, ValueError):
        return dt.date.today()


def _waves(
    source: Path, waves: list[str], wave: str | None, compare_wave: str | None, rated: Mapping[str, int] | None = None
) -> tuple[str, str | None]:
    """The wave shown and the wave compared with, defaulted and checked against the file's waves.

    The default is the last wave in the file in which at least half as many participants were
    rated as in the wave with the most (``rated``: participants per wave), so a stray row
    with a new wave name does not become the wave every report shows.
    """
    if wave is None:
        if rated:
            most = max(rated.values(), default=0)
            real = [w for w in waves if rated.get(w, 0) * 2 >= most]
        else:
            real = list(waves)
        wave = real[-1]
        if compare_wave is None and len(real) == 2:
            compare_wave = real[0]
    for option, value in (("wave", wave), ("compare_wave", compare_wave)):
        if value is not None and value not in waves:
            raise WaveError(str(source), option, value, waves)
    return wave, (None if compare_wave == wave else compare_wave)


def run_participants(
    responses: str | Path,
    roster: str | Path,
    *,
    battery: str,
    out_dir: str | Path,
    workers: int = 1,
    scheduler: Any = None,
    wave: str | None = None,
    compare_wave: str | None = None,
    theme: str | Theme = "default",
    reproducible: bool = False,
    show_manager: bool = False,
    min_raters: Mapping[str, int] | None = None,
    accept_small_groups: bool = False,
    gap_threshold: float = 1 / 3,
    min_cohort: int = 5,
    client: str = "",
    consultancy: str = "",
    programme: str | None = None,
    date: dt.date | str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ParticipantsSummary:
    """Render a private 360 report per participant of ``roster``, a cohort summary and a manifest.

    ``wave`` defaults to the last wave in ``responses``; with exactly two waves and neither
    wave given, the first is compared with the last. A rater minimum below 2 raises
    :class:`SmallMinimumError` unless ``accept_small_groups`` is true (the reports then say
    so). A rerun into the same ``out_dir`` keeps reports that still match the manifest, and
    reuses its date unless ``date`` is given. ``progress(done, total)`` is called once
    before rendering starts (``done`` 0) and after each participant and the cohort summary.
    Raises :class:`WaveError` for a wave not in the file and other :mod:`implassess.errors`
    for unreadable input; one participant's problem is recorded in the summary's ``failed``
    instead. Ctrl-C raises :class:`~implassess.participants.batch.BatchInterrupted` (a
    ``KeyboardInterrupt``) once the folder is ready to resume.
    """
    from implassess.outputs.files import write_atomic
    from implassess.outputs.lock import folder_lock
    from implassess.outputs.provenance import input_record
    from implassess.outputs.rejected import write_rejected_rows
    from implassess.participants.accounting import REJECTED_FILE, account_rows
    from implassess.participants.assemble import BuildOptions, build_reports, load_360, read_roster
    from implassess.participants.batch import (
        MANIFEST_JSON,
        MASKED_FILE,
        assign_files,
        make_executor,
        masked_comments_csv,
        run_batch,
    )
    from implassess.participants.model import AnonymityRules
    from implassess.report.render import resolve_theme

    responses, roster, out_dir = Path(responses), Path(roster), Path(out_dir)
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            raise InputError("date", f"{date!r} is not a date like 2026-11-23.") from None
    minimums = check_minimums(min_raters or {}, show_manager=show_manager, accept_small_groups=accept_small_groups)
    title, instruments = resolve_battery(battery)
    th = resolve_theme(theme)
    rules = AnonymityRules.default(show_manager=show_manager).with_minimums(**minimums)
    if not 0.01 <= gap_threshold <= 1.0:
        raise InputError("gap_threshold", f"{gap_threshold!r} is out of range; expected a share from 0.01 to 1.")
    if min_cohort < 2:
        raise InputError("min_cohort", f"{min_cohort!r} is too small; expected at least 2.")
    # One batch per folder at a time: a second one would mix its reports and manifest with ours.
    with folder_lock(out_dir, "participants"):
        report_date = _report_date(date, out_dir)
        data = load_360(responses, instruments)
        people = read_roster(roster)
        rated = {
            w: len({p for p, pw in zip(data.participant, data.wave, strict=True) if pw == w}) for w in data.waves()
        }
        wave, compare_wave = _waves(responses, list(data.waves()), wave, compare_wave, rated)
        options = BuildOptions(
            wave=wave,
            compare_wave=compare_wave,
            rules=rules,
            gap_fraction=gap_threshold,
            min_cohort=min_cohort,
            programme=programme or title,
            client=client,
            consultancy=consultancy,
            date=report_date,
        )
        outcomes, cohort = build_reports(data, people, options)
        rows = account_rows(data, outcomes, options)
        masked = [m for o in outcomes if o.report is not None for m in o.masked]
        settings = {
            "battery": battery,
            "wave": wave,
            "compare-wave": compare_wave,
            "theme": th.name,
            "reproducible": reproducible,
            "date": report_date.isoformat(),
            "minimums": {k: rules.minimum(k) for k in MINIMUM_KEYS},
            "show-manager": show_manager,
            "accept-small-groups": accept_small_groups,
            "lowered-minimums": {key: minimum for key, minimum, _ in rules.lowered()},
            "gap-threshold": gap_threshold,
            "min-cohort": min_cohort,
        }
        # The manifest shows each input path as given, so a reader can find the file again.
        inputs = {
            "responses": input_record(responses, file=str(responses)),
            "participants": input_record(roster, file=str(roster)),
        }
        extra = {
            "rows": rows.as_dict(),
            "masked-comments": {"file": MASKED_FILE, "comments": len(masked), "names": sum(m.names for m in masked)},
        }
        total = len(outcomes) + 1
        done = 0

        def tick(_entry: ManifestEntry) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, total)

        write_rejected_rows(out_dir / REJECTED_FILE, rows.listed())
        files = assign_files(o.participant for o in outcomes)
        write_atomic(out_dir / MASKED_FILE, masked_comments_csv(outcomes, files))
        if progress is not None:
            progress(0, total)
        executor = make_executor(workers, scheduler)
        try:
            result = run_batch(
                outcomes,
                cohort,
                out_dir,
                theme=th,
                executor=executor,
                reproducible=reproducible,
                inputs=inputs,
                settings=settings,
                extra=extra,
                progress=tick,
            )
        finally:
            executor.close()
    counts = result.manifest["counts"]
    return ParticipantsSummary(
        out_dir=out_dir,
        manifest_path=out_dir / MANIFEST_JSON,
        participants=counts["participants"],
        ok=counts["ok"],
        kept=counts["kept"],
        failed=tuple(result.failed),
        cohort_status=result.cohort.status,
        wave=wave,
        compare_wave=compare_wave,
        manifest=result.manifest,
        rows=rows,
        rejected_path=out_dir / REJECTED_FILE,
        masked_comments=len(masked),
        masked_path=out_dir / MASKED_FILE,
    )
