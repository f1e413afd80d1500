"""The release ledger: what every run published from a data set, so later runs cannot be subtracted from it.

Each run of ``score`` or ``run`` records, before it writes its outputs, which respondents
each published cell of each measure counted (never a value, a label or an id). The next run
over respondents the ledger has seen loads those releases as fixed published vectors and
hides whatever of its own cells would combine with them to isolate fewer than the minimum
(:mod:`implassess.scoring.privacy`).

Respondents are matched by a *fingerprint*: a keyed BLAKE2b hash (16 bytes) of the row's
answers and attribute values, with the row's occurrence number among identical rows. The
key is a random secret made on first use in the ledger folder, so a fingerprint cannot be
recomputed from data without the ledger, and nothing in it names anyone. Runs over the same
rows (the same export, another output folder, other breakdowns or minimum) share one data
set entry; a run over a data set that shares some rows with an earlier one (a respondent
removed or added) is checked against the earlier one's releases as well, over the rows
they share. A row that was edited between runs no longer matches (see docs/privacy.md).

Layout: ``<ledger>/key`` (the secret), ``<ledger>/<instrument id>/<data hash>/``
``fingerprints.npy`` and ``releases.json`` (what each run was: time, command, breakdowns,
minimum, measures), with one ``release-<k>.npz`` per run (each respondent's cell per
breakdown, and per measure who answered and which cells were published).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import attrs
import numpy as np
import platformdirs

from implassess.errors import ImplassessError
from implassess.outputs.files import write_atomic
from implassess.outputs.lock import folder_lock
from implassess.scoring.groups import measure_masks
from implassess.scoring.results import Prior, Release

if TYPE_CHECKING:
    from implassess.responses import ResponseSet
    from implassess.scoring.engine import RespondentScores
    from implassess.scoring.groups import ScoreSettings
    from implassess.scoring.pipeline import ScoringResult
    from implassess.scoring.profile import ReleaseSummary

#: Environment variable naming the ledger folder.
LEDGER_ENV = "IMPLASSESS_LEDGER"
#: Seconds a run waits for another run using the same ledger (and instrument) to finish.
LEDGER_WAIT = 600.0
_FORMAT = 1


def default_location() -> Path:
    """The user's data folder: e.g. ``~/.local/share/implassess/ledger`` on Linux."""
    return platformdirs.user_data_path("implassess", appauthor=False) / "ledger"


def location(option: str | os.PathLike[str] | None = None) -> Path:
    """The ledger folder: ``option`` (``--ledger``), else ``$IMPLASSESS_LEDGER``, else the default."""
    if option:
        return Path(option)
    env = os.environ.get(LEDGER_ENV, "").strip()
    return Path(env) if env else default_location()


@attrs.frozen
class Link:
    """How this run relates to what the ledger holds."""

    data_set: str
    """Hash of this run's rows (the data set's folder name)."""
    releases: int
    """Earlier releases checked against (of this data set and of data sets sharing rows)."""
    shared_data_sets: int
    """Other data sets that share rows with this one."""
    extra: int
    """Respondents of those data sets who are not in this run."""
    largest_minimum: int = 0
    """The largest minimum group size of those earlier releases (0: none)."""
    fingerprints: np.ndarray = attrs.field(eq=False, repr=False, factory=lambda: np.empty(0, dtype="V16"))
    """This run's fingerprints (kept so recording does not hash the rows twice)."""


class Ledger:
    """One ledger folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _key(self) -> bytes:
        path = self.folder / "key"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                if any(self.folder.glob("*/*/releases.json")):
                    _damaged(
                        path, "is missing, but the ledger holds earlier releases (a new key would unlink them all)"
                    )
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(secrets.token_bytes(32))
            key = path.read_bytes()
        except FileExistsError:
            key = path.read_bytes()
        except OSError as exc:
            raise ImplassessError(
                f"The release ledger at {self.folder} cannot be used: {exc.strerror or exc}. "
                f"Choose a writable folder with --ledger or the {LEDGER_ENV} environment variable."
            ) from None
        if len(key) != 32:
            raise ImplassessError(
                f"The release ledger's key {path} is damaged ({len(key)} bytes; expected 32). "
                "Restore it from a backup; a new key would unlink every earlier release."
            )
        return key

    def fingerprints(self, rs: ResponseSet) -> np.ndarray:
        """One 16-byte keyed hash per respondent (``V16`` array), stable across runs of the same rows.

        The hashed content is the row's answers (item ids and values) and its occurrence number
        among rows with the same answers, so two people who answered alike stay two
        respondents. Attribute columns are not hashed (a column added to the export, or mapped
        in one run and not the other, must not unlink a data set from its history); they only
        order the rows that answered alike, so a re-sorted export matches too.
        """
        key = self._key()
        n = rs.n
        if n == 0:
            return np.empty(0, dtype="V16")
        values = np.ascontiguousarray(np.where(np.isnan(rs.values), np.inf, rs.values + 0.0), dtype="<f8")
        rows = values.view(np.uint8).reshape(n, values.shape[1] * 8)
        as_void = rows.view(np.dtype((np.void, rows.shape[1]))).reshape(n) if rows.shape[1] else np.zeros(n)
        _, inverse = np.unique(as_void, return_inverse=True)
        inverse = inverse.reshape(-1)
        names = sorted(rs.attributes)
        tiebreak = [
            "\x1f".join("" if rs.attributes[a][r] is None else str(rs.attributes[a][r]) for a in names)
            for r in range(n)
        ]
        order = sorted(range(n), key=lambda r: (inverse[r], tiebreak[r], r))
        occurrence = np.empty(n, dtype=np.int64)
        previous, count = -1, 0
        for r in order:
            count = count + 1 if inverse[r] == previous else 0
            previous = inverse[r]
            occurrence[r] = count
        prefix = "\x1f".join(it.id for it in rs.instrument.items).encode("utf-8") + b"\x1e"
        out = np.empty(n, dtype="V16")
        for r in range(n):
            h = hashlib.blake2b(prefix + rows[r].tobytes() + str(occurrence[r]).encode(), key=key, digest_size=16)
            out[r] = np.frombuffer(h.digest(), dtype="V16")[0]
        return out

    def _data_dir(self, instrument: str, fps: np.ndarray) -> Path:
        digest = hashlib.sha256(np.sort(fps).tobytes()).hexdigest()[:32]
        return self.folder / _safe(instrument) / digest

    def prior(self, rs: ResponseSet, settings: Mapping[str, Any] | None = None) -> tuple[Prior | None, Link]:
        """What earlier runs published about these respondents, mapped onto this run's rows.

        ``Link.releases`` counts the earlier releases made with other ``settings`` (a rerun of
        the same command is not news, and reruns must give the same bytes).
        """
        fps = self.fingerprints(rs)
        here = self._data_dir(rs.instrument.id, fps)
        n = len(fps)
        order = np.argsort(fps)
        sorted_fps = fps[order]
        extra_index: dict[bytes, int] = {}
        parts: list[tuple[np.ndarray, Path, dict[str, Any]]] = []
        shared = others = largest = 0
        for data_dir in sorted(p for p in here.parent.glob("*") if p.is_dir()):
            theirs = _load_fps(data_dir)
            if theirs is None:
                if (data_dir / "releases.json").exists():
                    _damaged(data_dir / "fingerprints.npy", "is missing, but the folder holds releases")
                continue
            if not len(theirs):
                continue
            pos = np.searchsorted(sorted_fps, theirs)
            pos = np.minimum(pos, max(n - 1, 0))
            hit = (sorted_fps[pos] == theirs) if n else np.zeros(len(theirs), dtype=bool)
            if not hit.any():
                continue
            if data_dir != here:
                shared += 1
            coords = np.where(hit, order[pos] if n else 0, -1)
            for i in np.nonzero(~hit)[0]:
                coords[i] = n + extra_index.setdefault(theirs[i].tobytes(), len(extra_index))
            for rel in _releases(data_dir):
                parts.append((coords, data_dir / rel["file"], rel))
                # A rerun of the same command on the same rows is not news (and reruns must give
                # the same bytes); anything else is an earlier release to count.
                if data_dir != here or settings is None or rel.get("settings") != dict(settings):
                    others += 1
                    largest = max(largest, _minimum_of(rel))
        link = Link(here.name, others, shared, len(extra_index), largest, fps)
        if not parts:
            return None, link
        return Prior(len(extra_index), _LazyPublished(parts, n + len(extra_index))), link

    def record(
        self,
        scores: RespondentScores,
        release: Release,
        *,
        command: str,
        settings: Mapping[str, Any],
        fingerprints: np.ndarray | None = None,
    ) -> Path:
        """Add this run's release; returns the data set's folder."""
        fps = self.fingerprints(scores.responses) if fingerprints is None else fingerprints
        data_dir = self._data_dir(scores.instrument.id, fps)
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            with folder_lock(data_dir, command=f"{command} (release ledger)"):
                fp_path = data_dir / "fingerprints.npy"
                if not fp_path.exists():
                    write_atomic(fp_path, _npy(fps))
                index = data_dir / "releases.json"
                doc: dict[str, Any] = _index(data_dir) if index.exists() else {"format": _FORMAT, "releases": []}
                releases: list[dict[str, Any]] = doc["releases"]
                k = len(releases) + 1
                arrays: dict[str, np.ndarray] = {"cells": release.cells}
                measures: dict[str, int] = {}
                for m, (key, _, mask) in enumerate(measure_masks(scores)):
                    if key not in release.visible:
                        continue
                    measures[key] = m
                    arrays[f"m{m}_answered"] = np.packbits(mask)
                    for col, vis in enumerate(release.visible[key]):
                        arrays[f"m{m}_v{col}"] = vis
                digest = _digest(arrays)
                if any(r.get("digest") == digest and r.get("settings") == dict(settings) for r in releases):
                    return data_dir  # the same cells were published before: nothing new to record
                name = f"release-{k}.npz"
                write_atomic(data_dir / name, _npz(arrays))
                releases.append(
                    {
                        "digest": digest,
                        "file": name,
                        "recorded": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
                        "command": command,
                        "settings": dict(settings),
                        "rows": len(fps),
                        "measures": measures,
                    }
                )
                write_atomic(index, json.dumps(doc, indent=1, sort_keys=True) + "\n")
        except OSError as exc:
            if isinstance(exc, ImplassessError):
                raise
            raise ImplassessError(
                f"Could not record this release in the ledger at {self.folder}: {exc.strerror or exc}. "
                f"Nothing was written to the output folder. Choose a writable folder with --ledger or {LEDGER_ENV}."
            ) from None
        return data_dir


def score_released(
    rs: ResponseSet, settings: ScoreSettings, *, ledger: Ledger | None, command: str, **options: Any
) -> ScoringResult:
    """Score ``rs`` against everything the ledger holds about its respondents, then record the release.

    ``options`` go to :func:`implassess.scoring.score`. With ``ledger=None`` only this run's own
    cells are checked (the Python API without a ledger). The release is recorded before any
    output is written, so a run that fails later can only make the next run more careful.
    """
    from implassess.scoring import score

    if ledger is None:
        return score(rs, settings, **options)
    described = {
        "by": [list(b) for b in settings.by],
        "min_group_size": settings.min_group_size,
        "small_groups": settings.small_groups,
    }
    ledger._key()  # a ledger that cannot be used says so before anything else
    # One run at a time per instrument in a ledger, from reading what was released to recording
    # this release: two runs that both checked before either recorded could be subtracted.
    with folder_lock(
        ledger.folder / _safe(rs.instrument.id),
        f"{command} (release ledger)",
        wait=LEDGER_WAIT,
        advice=f"another run is using the release ledger; it was waited for {LEDGER_WAIT:.0f} s. Run again when "
        "it has finished",
    ):
        prior, link = ledger.prior(rs, described)
        result = score(rs, settings, prior=prior, **options)
        if result.release is not None and result.release.exposed_by_totals:
            raise ImplassessError(
                f"{rs.source or 'These responses'}: the rows share respondents with a data set released before "
                f"(ledger {ledger.folder}) and differ from it by fewer than {settings.min_group_size} respondents, "
                "so subtracting this run's organisation totals from the earlier ones would reveal those "
                "respondents' answers. Nothing was written. Wait until the difference holds at least "
                f"{settings.min_group_size} respondents, or, only if the earlier results were never shared with "
                "anyone who will see these, score with a separate ledger (--ledger or IMPLASSESS_LEDGER)."
            )
        if result.release is not None:
            ledger.record(
                result.respondents, result.release, command=command, settings=described, fingerprints=link.fingerprints
            )
    summary = attrs.evolve(result.profile.release, earlier_releases=link.releases, earlier_minimum=link.largest_minimum)
    return attrs.evolve(result, profile=attrs.evolve(result.profile, release=summary))


def release_lines(release: ReleaseSummary | None, minimum: int, lowered: bool) -> list[str]:
    """What the anonymity check did because of earlier runs, and a lowered minimum, in plain words."""
    out = []
    if lowered and minimum < 3:
        out.append(
            f"The minimum group size is {minimum}, below the safe minimum of 3, as --accept-small-groups "
            "(or accept-small-groups = true) allows: readers may recognise individual answers. Every output says so."
        )
    if release is None:
        return out
    if release.earlier_minimum > minimum:
        out.append(
            f"Warning: an earlier release of these respondents used a minimum group size of "
            f"{release.earlier_minimum}; with {minimum} here, groups of {minimum} to {release.earlier_minimum - 1} "
            "people can now be shown or worked out, which that release's readers were told would stay hidden."
        )
    if release.hidden_because_earlier:
        out.append(
            f"{release.hidden_because_earlier} more cell(s) are suppressed because, with an earlier release of "
            f"the same respondents ({release.earlier_releases} in the ledger), they would expose a group of fewer "
            f"than {minimum}."
        )
    elif release.earlier_releases:
        out.append(f"Checked against {release.earlier_releases} earlier release(s) of the same respondents.")
    if release.already_derivable:
        out.append(
            f"Warning: earlier releases of these respondents already expose {release.already_derivable} group(s) "
            f"of fewer than {minimum} when combined; this run adds nothing to that, but it cannot be undone."
        )
    return out


class _LazyPublished(Mapping[str, np.ndarray]):
    """Measure key → published-cell matrix, built when a measure asks (a run has many measures)."""

    def __init__(self, parts: list[tuple[np.ndarray, Path, dict[str, Any]]], size: int):
        self._parts = parts
        self._size = size
        self._keys = sorted({k for _, _, rel in parts for k in rel.get("measures", {})})
        self._loaded: dict[Path, Any] = {}

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, key: str) -> np.ndarray:
        columns: list[np.ndarray] = []
        for coords, path, rel in self._parts:
            m = rel.get("measures", {}).get(key)
            if not isinstance(m, int):
                continue
            arrays = self._arrays(path)
            cells = arrays.get("cells")
            if (
                not isinstance(cells, np.ndarray)
                or cells.ndim != 2
                or len(cells) != len(coords)
                or f"m{m}_answered" not in arrays
                or any(f"m{m}_v{col}" not in arrays for col in range(cells.shape[1]))
            ):
                _damaged(path, f"does not hold what releases.json says (measure {key!r})")
            answered = np.unpackbits(arrays[f"m{m}_answered"])[: len(cells)].astype(bool)
            for col in range(cells.shape[1]):
                vis = arrays[f"m{m}_v{col}"]
                cell = cells[:, col]
                ok = answered & (cell >= 0) & (cell < len(vis))
                ok[ok] = vis[cell[ok]]
                column = np.full(self._size, -1, dtype=np.int64)
                column[coords[ok]] = cell[ok]
                if (column >= 0).any():
                    columns.append(column)
        if not columns:
            raise KeyError(key)
        return np.unique(np.stack(columns, axis=1), axis=1)

    def _arrays(self, path: Path) -> Any:
        if path not in self._loaded:
            try:
                self._loaded[path] = dict(np.load(path, allow_pickle=False))
            except (OSError, ValueError, zipfile.BadZipFile) as exc:
                _damaged(path, f"cannot be read ({exc})")
        return self._loaded[path]


def _minimum_of(release: Mapping[str, Any]) -> int:
    settings = release.get("settings")
    value = settings.get("min_group_size") if isinstance(settings, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _damaged(path: Path, what: str) -> NoReturn:
    raise ImplassessError(
        f"The release ledger is damaged: {path} {what}. Restore the ledger folder from a backup. Deleting it "
        "forgets what was published, so later runs could be subtracted from the earlier ones; only if no "
        "earlier result was ever shared, point --ledger (or IMPLASSESS_LEDGER) at a new folder."
    )


def _load_fps(data_dir: Path) -> np.ndarray | None:
    path = data_dir / "fingerprints.npy"
    if not path.exists():
        return None
    try:
        fps = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        _damaged(path, f"cannot be read ({exc})")
    fps = np.asarray(fps)
    if fps.dtype != np.uint8 or fps.ndim != 2 or fps.shape[1] != 16:
        _damaged(path, f"holds {fps.dtype} values of shape {fps.shape}; expected rows of 16 bytes")
    return np.ascontiguousarray(fps).view("V16").reshape(-1)


def _index(data_dir: Path) -> dict[str, Any]:
    index = data_dir / "releases.json"
    try:
        doc = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _damaged(index, f"cannot be read ({exc})")
    if not isinstance(doc, dict) or not isinstance(doc.get("releases"), list):
        _damaged(index, "is not an object with a list of releases")
    for k, r in enumerate(doc["releases"]):
        if not (
            isinstance(r, dict)
            and isinstance(r.get("file"), str)
            and re.fullmatch(r"release-\d+\.npz", r["file"])
            and isinstance(r.get("measures"), dict)
            and all(isinstance(v, int) for v in r["measures"].values())
        ):
            _damaged(index, f"has a damaged entry at releases[{k}]")
        if not (data_dir / r["file"]).is_file():
            _damaged(data_dir / r["file"], "is listed in releases.json but missing")
    return doc


def _releases(data_dir: Path) -> list[dict[str, Any]]:
    if not (data_dir / "releases.json").exists():
        return []
    releases: list[dict[str, Any]] = _index(data_dir)["releases"]
    return releases


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".") or "instrument"


def _npy(array: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, np.asarray(array).view(np.uint8).reshape(-1, 16), allow_pickle=False)
    return buf.getvalue()


def _digest(arrays: Mapping[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, allow_pickle=False, **arrays)
    return buf.getvalue()
