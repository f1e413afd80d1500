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
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

        The hashed content is the row's answers (item ids and values) and attribute values,
        with the row's occurrence number among identical rows, so two people who answered alike
        stay two respondents.
        """
        key = self._key()
        n = rs.n
        if n == 0:
            return np.empty(0, dtype="V16")
        values = np.ascontiguousarray(np.where(np.isnan(rs.values), np.inf, rs.values + 0.0), dtype="<f8")
        parts = [values.view(np.uint8).reshape(n, values.shape[1] * 8)]
        for name in sorted(rs.attributes):
            column = rs.attributes[name]
            codes: dict[str, bytes] = {}
            cells = np.empty((n, 8), dtype=np.uint8)
            for r, v in enumerate(column):
                text = "" if v is None else str(v)
                digest = codes.get(text)
                if digest is None:
                    digest = codes[text] = hashlib.blake2b(f"{name}={text}".encode(), digest_size=8).digest()
                cells[r] = np.frombuffer(digest, dtype=np.uint8)
            parts.append(cells)
        header = "\x1f".join([it.id for it in rs.instrument.items] + ["@" + a for a in sorted(rs.attributes)])
        rows = np.ascontiguousarray(np.hstack(parts)) if parts else np.zeros((n, 0), dtype=np.uint8)
        as_void = rows.view(np.dtype((np.void, rows.shape[1]))).reshape(n)
        _, inverse = np.unique(as_void, return_inverse=True)
        inverse = inverse.reshape(-1)
        order = np.argsort(inverse, kind="stable")
        starts = np.r_[0, np.nonzero(np.diff(inverse[order]))[0] + 1]
        occurrence = np.empty(n, dtype=np.int64)
        occurrence[order] = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
        prefix = header.encode("utf-8") + b"\x1e"
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
        shared = 0
        for data_dir in sorted(p for p in here.parent.glob("*") if p.is_dir()):
            theirs = _load_fps(data_dir)
            if theirs is None or not len(theirs):
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
        others = sum(1 for _, _, rel in parts if settings is None or rel.get("settings") != dict(settings))
        link = Link(here.name, others, shared, len(extra_index), fps)
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
                doc: dict[str, Any] = (
                    json.loads(index.read_text(encoding="utf-8")) if index.exists() else {"format": _FORMAT}
                )
                releases: list[dict[str, Any]] = doc.setdefault("releases", [])
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
    prior, link = ledger.prior(rs, described)
    result = score(rs, settings, prior=prior, **options)
    if result.release is not None and result.release.exposed_by_totals:
        raise ImplassessError(
            f"{rs.source or 'These responses'}: the rows share respondents with a data set released before "
            f"(ledger {ledger.folder}) and differ from it by fewer than {settings.min_group_size} respondents, so "
            "subtracting this run's organisation totals from the earlier ones would reveal those respondents' "
            "answers. Nothing was written. Wait until the difference holds at least "
            f"{settings.min_group_size} respondents, or, only if the earlier results were never shared with "
            "anyone who will see these, score with a separate ledger (--ledger or IMPLASSESS_LEDGER)."
        )
    if result.release is not None:
        ledger.record(
            result.respondents, result.release, command=command, settings=described, fingerprints=link.fingerprints
        )
    summary = attrs.evolve(result.profile.release, earlier_releases=link.releases)
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
            cells = arrays["cells"]
            if f"m{m}_answered" not in arrays:
                continue
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

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def _arrays(self, path: Path) -> Any:
        if path not in self._loaded:
            try:
                self._loaded[path] = dict(np.load(path, allow_pickle=False))
            except (OSError, ValueError) as exc:
                raise ImplassessError(
                    f"The release ledger file {path} cannot be read ({exc}); it may be damaged. "
                    "Restore the ledger folder from a backup; deleting it forgets what was published."
                ) from None
        return self._loaded[path]


def _load_fps(data_dir: Path) -> np.ndarray | None:
    path = data_dir / "fingerprints.npy"
    if not path.exists():
        return None
    try:
        fps = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ImplassessError(f"The release ledger file {path} cannot be read ({exc}); it may be damaged.") from None
    return np.asarray(fps).view("V16").reshape(-1)


def _releases(data_dir: Path) -> list[dict[str, Any]]:
    index = data_dir / "releases.json"
    if not index.exists():
        return []
    try:
        doc = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImplassessError(f"The release ledger file {index} cannot be read ({exc}); it may be damaged.") from None
    return [r for r in doc.get("releases", []) if isinstance(r, dict) and (data_dir / str(r.get("file", ""))).exists()]


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
