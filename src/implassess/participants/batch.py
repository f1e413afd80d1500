"""Render many participant reports: safe file names, the manifest, resuming, Ctrl-C.

A batch turns each :class:`~implassess.participants.assemble.Outcome` into a
:class:`RenderJob` and hands the jobs to an :class:`Executor` (in this process, a local
process pool, or a Dask cluster: :mod:`implassess.participants.executors`, re-exported
here). Every finished job is appended to a journal at once, so a killed run loses nothing
it completed; the manifest (JSON and CSV) is written at the end. A rerun keeps a report
whose file exists, whose SHA-256 matches the manifest and whose content hash is
unchanged, and renders the rest. Reports are written to a temporary file and moved into
place, so an interrupted run leaves no half-written PDF; stale temporary files of an
earlier run are removed at the start. Ctrl-C cancels what has not started, records what
finished and raises :class:`BatchInterrupted`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import signal
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from implassess._version import __version__
from implassess.outputs.cells import csv_text
from implassess.outputs.files import is_partial, sha256_file, write_atomic
from implassess.participants.executors import (
    DaskExecutor,
    Executor,
    ProcessExecutor,
    SerialExecutor,
    make_executor,
)
from implassess.participants.model import CohortSummary, ManifestEntry, ParticipantReport

if TYPE_CHECKING:
    from implassess.contracts import Theme
    from implassess.participants.assemble import Outcome

__all__ = [
    "BatchInterrupted",
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "RenderJob",
    "SerialExecutor",
    "assign_files",
    "make_executor",
    "run_batch",
]

MANIFEST_JSON = "manifest.json"
MANIFEST_CSV = "manifest.csv"
JOURNAL = ".manifest-journal.jsonl"
COHORT_FILE = "cohort-summary.pdf"
COHORT_ID = "cohort-summary"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {
    "con", "prn", "aux", "nul", "manifest", "cohort-summary",
    *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10)),
}  # fmt: skip


# -- jobs ---------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RenderJob:
    """One PDF to render (picklable: sent to worker processes)."""

    participant: str
    """Participant id, or ``cohort-summary``."""
    path: str
    """Where to write the PDF."""
    model: ParticipantReport | CohortSummary
    """What to render."""
    theme: Theme
    """The theme."""
    reproducible: bool
    """Fixed PDF dates and ids."""
    model_sha256: str
    """Content hash, kept in the manifest."""
    warnings: tuple[str, ...] = ()
    """Carried into the manifest."""


def render_job(job: RenderJob) -> ManifestEntry:
    """Render one job and describe the result (a failure is returned, not raised)."""
    name = Path(job.path).name
    try:
        if isinstance(job.model, CohortSummary):
            from implassess.report.participant_cohort import render_cohort_summary

            res = render_cohort_summary(job.model, job.theme, Path(job.path), reproducible=job.reproducible)
        else:
            from implassess.report.participant import render_participant

            res = render_participant(job.model, job.theme, Path(job.path), reproducible=job.reproducible)
    except Exception as exc:
        return ManifestEntry(
            participant=job.participant,
            file="",
            status="error",
            warnings=job.warnings,
            reason=f"Rendering failed: {type(exc).__name__}: {exc}",
            model_sha256=job.model_sha256,
        )
    return ManifestEntry(
        participant=job.participant,
        file=name,
        status="ok",
        sha256=res.sha256,
        pages=res.pages,
        warnings=job.warnings,
        reason="",
        model_sha256=job.model_sha256,
    )


def model_digest(model: ParticipantReport | CohortSummary, theme: Theme, reproducible: bool) -> str:
    """SHA-256 of everything that decides a PDF's content: the view-model, theme and version."""
    body = json.dumps(
        {
            "model": attrs.asdict(model, recurse=True),
            "theme": attrs.asdict(theme),
            "reproducible": reproducible,
            "version": __version__,
            "kind": type(model).__name__,
        },
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# -- names --------------------------------------------------------------------------------------


def safe_stem(participant: str) -> str:
    """A file name stem for an id: letters, digits, ``.``, ``_`` and ``-`` only.

    An id that had to be changed (or is a reserved name) gets the first 8 hex digits of
    its SHA-1, so two ids never map to the same name by sanitising.
    """
    text = unicodedata.normalize("NFKC", participant)
    stem = _UNSAFE.sub("_", text).strip("._-")[:64]
    if not stem or stem != participant or stem.lower() in _RESERVED:
        stem = f"{stem or 'participant'}-{hashlib.sha1(participant.encode('utf-8')).hexdigest()[:8]}"
    return stem


def assign_files(participants: Iterable[str]) -> dict[str, str]:
    """``participant → file name``, unique even on a case-insensitive file system."""
    taken: set[str] = {COHORT_FILE.lower(), MANIFEST_JSON.lower(), MANIFEST_CSV.lower()}
    out: dict[str, str] = {}
    for p in participants:
        stem = safe_stem(p)
        name = f"{stem}.pdf"
        k = 1
        while name.lower() in taken:
            k += 1
            name = f"{stem}-{hashlib.sha1(p.encode('utf-8')).hexdigest()[:8]}-{k}.pdf"
        taken.add(name.lower())
        out[p] = name
    return out


# -- manifest ---------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes ("" when it cannot be read)."""
    return sha256_file(path, missing_ok=True)


def _entry(d: Mapping[str, Any]) -> ManifestEntry | None:
    try:
        return ManifestEntry(
            participant=str(d["participant"]),
            file=str(d.get("file", "")),
            status="ok" if d.get("status") == "ok" else "error",
            sha256=str(d.get("sha256", "")),
            pages=int(d.get("pages", 0)),
            warnings=tuple(d.get("warnings", ())),
            reason=str(d.get("reason", "")),
            model_sha256=str(d.get("model_sha256", "")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def read_previous(out_dir: Path) -> dict[str, ManifestEntry]:
    """Entries of the last manifest, updated by the journal of an interrupted run."""
    found: dict[str, ManifestEntry] = {}
    with contextlib.suppress(OSError, ValueError):
        doc = json.loads((out_dir / MANIFEST_JSON).read_text(encoding="utf-8"))
        for d in [*doc.get("participants", []), doc.get("cohort-summary") or {}]:
            e = _entry(d) if d else None
            if e is not None:
                found[e.participant] = e
    with contextlib.suppress(OSError):
        for line in (out_dir / JOURNAL).read_text(encoding="utf-8").splitlines():
            try:
                e = _entry(json.loads(line))
            except ValueError:
                continue  # a line cut short when the run was killed
            if e is not None:
                found[e.participant] = e
    return found


def read_settings(out_dir: Path) -> dict[str, Any]:
    """The settings recorded by the last run in ``out_dir`` (empty when none)."""
    try:
        return dict(json.loads((out_dir / MANIFEST_JSON).read_text(encoding="utf-8")).get("settings", {}))
    except (OSError, ValueError, AttributeError):
        return {}


def _atomic_write(path: Path, text: str) -> None:
    write_atomic(path, text)


def manifest_csv(entries: Sequence[ManifestEntry]) -> str:
    """The manifest as CSV: participant, file, status, sha256, pages, warnings, reason, resumed."""
    return csv_text(
        ["participant", "file", "status", "sha256", "pages", "warnings", "reason", "resumed"],
        (
            [
                e.participant,
                e.file,
                e.status,
                e.sha256,
                e.pages,
                " | ".join(e.warnings),
                e.reason,
                str(e.resumed).lower(),
            ]
            for e in entries
        ),
    )


#: File listing the comments in which names were masked, in the output folder.
MASKED_FILE = "masked-comments.csv"


def masked_comments_csv(outcomes: Sequence[Outcome], files: Mapping[str, str]) -> str:
    """participant, file, source, names_masked, comment: one row per comment with a masked name.

    No rater id, rater group or row number: ``source`` says only whether a rater or the
    participant wrote it, and the comments of a report keep the report's shuffled order.
    """
    return csv_text(
        ["participant", "file", "source", "names_masked", "comment"],
        (
            [o.participant, files.get(o.participant, ""), m.source, m.names, m.text]
            for o in outcomes
            if o.report is not None
            for m in o.masked
        ),
    )


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a batch. Finished reports are in the manifest; a rerun renders the rest."""

    def __init__(self, out_dir: Path, written: int, total: int):
        self.out_dir = out_dir
        self.written = written  # participants' reports in the folder (rendered now or kept)
        self.total = total  # participants of the batch
        super().__init__(
            f"Interrupted: {written} of {total} reports are in {out_dir}, and nothing half-written was left. "
            "Run the same command again to finish the rest."
        )


@attrs.frozen
class BatchResult:
    """What a batch did."""

    entries: tuple[ManifestEntry, ...]
    """One per participant, in roster order."""
    cohort: ManifestEntry
    """The cohort summary."""
    manifest: dict[str, Any]
    """The manifest document as written to ``manifest.json``."""

    @property
    def failed(self) -> list[ManifestEntry]:
        """Participants without a report."""
        return [e for e in self.entries if e.status != "ok"]


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore Ctrl-C for a moment (only possible in the main thread, where Ctrl-C arrives)."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _clean_temp(out_dir: Path) -> None:
    for p in out_dir.iterdir():
        if is_partial(p.name) and p.is_file():
            with contextlib.suppress(OSError):
                p.unlink()


def run_batch(
    outcomes: Sequence[Outcome],
    summary: CohortSummary,
    out_dir: Path,
    *,
    theme: Theme,
    executor: Executor,
    reproducible: bool = False,
    inputs: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    progress: Callable[[ManifestEntry], None] | None = None,
) -> BatchResult:
    """Render every outcome and the cohort summary into ``out_dir``; write the manifest.

    A participant whose report could not be built gets an ``error`` entry with the reason;
    the batch goes on. ``progress`` is called once per participant and once for the summary.
    ``extra`` adds blocks to the manifest (row accounting, masked comments). Ctrl-C
    cancels the jobs not started, lets running ones finish their file, records what is
    done and raises :class:`BatchInterrupted`.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clean_temp(out_dir)
    previous = read_previous(out_dir)
    files = assign_files(o.participant for o in outcomes)
    done: dict[str, ManifestEntry] = {}
    jobs: list[RenderJob] = []

    def keep_or_queue(pid: str, name: str, model: ParticipantReport | CohortSummary, warnings: tuple[str, ...]) -> None:
        digest = model_digest(model, theme, reproducible)
        prev = previous.get(pid)
        path = out_dir / name
        if (
            prev is not None
            and prev.status == "ok"
            and prev.file == name
            and prev.model_sha256 == digest
            and path.is_file()
            and file_sha256(path) == prev.sha256
        ):
            done[pid] = attrs.evolve(prev, warnings=warnings, resumed=True)
            if progress:
                progress(done[pid])
            return
        jobs.append(
            RenderJob(
                participant=pid,
                path=str(path),
                model=model,
                theme=theme,
                reproducible=reproducible,
                model_sha256=digest,
                warnings=warnings,
            )
        )

    for o in outcomes:
        if o.report is None:
            done[o.participant] = ManifestEntry(
                participant=o.participant, file="", status="error", warnings=o.warnings, reason=o.reason
            )
            prev = previous.get(o.participant)
            if prev is not None and prev.file and prev.file == files[o.participant]:
                # A report from an earlier run no longer matches the data: do not leave it behind.
                with contextlib.suppress(OSError):
                    (out_dir / prev.file).unlink()
            if progress:
                progress(done[o.participant])
        else:
            keep_or_queue(o.participant, files[o.participant], o.report, o.warnings)
    keep_or_queue(COHORT_ID, COHORT_FILE, summary, ())

    def manifest() -> dict[str, Any]:
        entries = [done[o.participant] for o in outcomes if o.participant in done]
        ok = sum(1 for e in entries if e.status == "ok")
        return {
            "format-version": 1,
            "generator": f"implassess {__version__}",
            "inputs": dict(inputs or {}),
            "settings": dict(settings or {}),
            "counts": {
                "participants": len(outcomes),
                "ok": ok,
                "error": sum(1 for e in entries if e.status == "error"),
                "kept": sum(1 for e in entries if e.resumed),
                "pending": len(outcomes) - len(entries),
            },
            **dict(extra or {}),
            "cohort-summary": done[COHORT_ID].as_dict() if COHORT_ID in done else None,
            "participants": [e.as_dict() for e in entries],
        }

    def record(job: RenderJob, res: ManifestEntry | BaseException, journal: Any) -> None:
        if isinstance(res, BaseException):
            res = ManifestEntry(
                participant=job.participant,
                file="",
                status="error",
                warnings=job.warnings,
                reason=f"Rendering failed: {type(res).__name__}: {res}",
                model_sha256=job.model_sha256,
            )
        done[job.participant] = res
        journal.write(json.dumps(res.as_dict(), ensure_ascii=False) + "\n")
        journal.flush()
        if progress:
            progress(res)

    def finish() -> dict[str, Any]:
        doc = manifest()
        _atomic_write(out_dir / MANIFEST_JSON, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        _atomic_write(out_dir / MANIFEST_CSV, manifest_csv([done[k] for k in [*pids, COHORT_ID] if k in done]))
        with contextlib.suppress(OSError):
            (out_dir / JOURNAL).unlink()
        return doc

    pids = [o.participant for o in outcomes]

    _atomic_write(out_dir / MANIFEST_JSON, json.dumps(manifest(), indent=2, ensure_ascii=False) + "\n")
    # Everything worth keeping from an earlier journal is in the manifest just written.
    with (out_dir / JOURNAL).open("w", encoding="utf-8") as journal:
        try:
            for job, res in executor.run(render_job, jobs):
                record(job, res, journal)
        except KeyboardInterrupt:
            # A second Ctrl-C must not cut the clean-up short: it takes a moment (the
            # running jobs finish their file) and leaves the folder ready to resume.
            with _sigint_ignored():
                for job, res in executor.cancel():
                    if job.participant not in done:
                        record(job, res, journal)
                _clean_temp(out_dir)
                finish()
            written = sum(1 for pid in pids if pid in done and done[pid].status == "ok")
            raise BatchInterrupted(out_dir, written, len(pids)) from None
    doc = finish()
    entries = tuple(done[o.participant] for o in outcomes)
    return BatchResult(entries, done[COHORT_ID], doc)
