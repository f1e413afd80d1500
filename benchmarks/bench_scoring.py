"""Benchmark of the scoring engine.

    .venv/bin/python benchmarks/bench_scoring.py            # full run (about a minute)
    .venv/bin/python benchmarks/bench_scoring.py --quick    # smaller sizes, for a smoke test

Fixed seed. A 60-item instrument (6 dimensions × 10 items, 2 facets each, 5-point scale,
some items reversed, unequal weights) is built in code. Measured:

1. per-respondent scoring of 100,000 × 60 (median of 5) against a plain numpy script
   doing the same arithmetic in the same run (targets: < 1 s and ≤ 1.5× the baseline);
2. aggregation (organisation + 20 sites, all statistics and suppression);
3. the ``score`` command end to end on a CSV of the same data (read, score, write);
4. 1,000,000 × 60 scoring plus organisation aggregation in a fresh process, with peak
   memory from ``resource.getrusage`` (target < 1.5 GiB, input array included).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from implassess.model import (  # noqa: E402
    Dimension,
    Facet,
    Instrument,
    Item,
    Level,
    MaturityModel,
    Option,
    Scale,
    Scoring,
)

SEED = 20261123
DIMS, PER_DIM = 6, 10


def instrument() -> Instrument:
    """The 60-item benchmark instrument."""
    scale = Scale("agree5", tuple(Option(str(v), float(v)) for v in range(1, 6)))
    levels = tuple(Level(i + 1, f"L{i + 1}", 20.0 * i, 20.0 * (i + 1)) for i in range(5))
    dims, items = [], []
    for d in range(DIMS):
        did = f"d{d}"
        dims.append(
            Dimension(
                id=did, name=f"Dimension {d}", weight=1.0 + d % 3, facets=(Facet(f"{did}a", "A"), Facet(f"{did}b", "B"))
            )
        )
        for k in range(PER_DIM):
            items.append(
                Item(
                    id=f"{did}q{k}",
                    text="text",
                    dimension=did,
                    facet=f"{did}{'ab'[k % 2]}",
                    reverse=k % 4 == 3,
                    weight=1.0 + (k % 3) * 0.5,
                )
            )
    return Instrument(
        id="bench",
        version="1.0.0",
        title="Benchmark",
        description="",
        licence="CC0",
        maturity=MaturityModel(levels),
        dimensions=tuple(dims),
        scales=(scale,),
        items=tuple(items),
        scoring=Scoring(min_answered=0.5),
    )


def data(n: int, seed: int = SEED) -> tuple[np.ndarray, list[str]]:
    """n × 60 answers 1–5 with 5% blanks, and a site per respondent (20 sites)."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, DIMS * PER_DIM))
    for s in range(0, n, 1 << 16):  # in chunks, so generating the data does not inflate peak memory
        part = x[s : s + (1 << 16)]
        part[:] = rng.integers(1, 6, size=part.shape)
        part[rng.random(part.shape) < 0.05] = np.nan
    sites = [f"S{i:02d}" for i in rng.integers(0, 20, size=n)]
    return x, sites


def baseline(x: np.ndarray, inst: Instrument) -> tuple[np.ndarray, np.ndarray]:
    """The same arithmetic as the engine, written plainly with numpy."""
    rev = np.array([it.reverse for it in inst.items])
    w = np.array([it.weight for it in inst.items])
    xr = np.where(rev, 6.0 - x, x)
    ok = ~np.isnan(xr)
    xz = np.where(ok, xr, 0.0)
    units = [[j for j, it in enumerate(inst.items) if it.dimension == d.id] for d in inst.dimensions]
    units += [[j for j, it in enumerate(inst.items) if it.facet == f.id] for d in inst.dimensions for f in d.facets]
    member = np.zeros((len(inst.items), len(units)))
    for u, cols in enumerate(units):
        member[cols, u] = 1.0
    wm = member * w[:, None]
    mean = (xz @ wm) / (ok @ wm)
    need = np.ceil(0.5 * member.sum(axis=0))
    score = np.where((ok @ member) >= need, mean, np.nan)
    pomp = 100.0 * (score - 1.0) / 4.0
    level = np.searchsorted([20.0, 40.0, 60.0, 80.0], pomp, side="right") + 1
    dw = np.array([d.weight for d in inst.dimensions])
    overall = (pomp[:, :DIMS] @ dw) / dw.sum()
    return pomp, np.where(np.isnan(pomp), 0, level), overall


def median_time(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def big_run(n: int) -> None:
    """Child process: score n × 60 and aggregate the organisation; print peak RSS and times."""
    import resource

    from implassess.responses import from_values as make_response_set
    from implassess.scoring import ScoreSettings, aggregate, score_respondents

    inst = instrument()
    x, _ = data(n)
    rs = make_response_set(inst, x)
    t0 = time.perf_counter()
    s = score_respondents(rs)
    t1 = time.perf_counter()
    aggregate(s, ScoreSettings())
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    print(json.dumps({"score_s": t1 - t0, "aggregate_s": t2 - t1, "peak_bytes": peak}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        big_run(args.child)
        return
    from implassess.responses import from_values as make_response_set
    from implassess.scoring import ScoreSettings, aggregate, score_respondents

    n, big = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    inst = instrument()
    x, sites = data(n)
    rs = make_response_set(inst, x, attributes={"site": sites})
    engine_s = median_time(lambda: score_respondents(rs))
    base_s = median_time(lambda: baseline(x, inst))
    s = score_respondents(rs)
    pomp, _, overall = baseline(x, inst)
    np.testing.assert_allclose(s.pomp, pomp, rtol=1e-12, atol=1e-9)  # same arithmetic, same answers
    np.testing.assert_allclose(s.overall, overall, rtol=1e-12, atol=1e-9)
    agg_s = median_time(lambda: aggregate(s, ScoreSettings(by=(("site",),))), repeat=3)

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "responses.csv"
        header = ["respondent_id", "site", *[it.id for it in inst.items]]
        with csv_path.open("w", encoding="utf-8") as fh:
            fh.write(",".join(header) + "\n")
            for i in range(n):
                cells = ["" if np.isnan(v) else str(int(v)) for v in x[i]]
                fh.write(f"r{i},{sites[i]}," + ",".join(cells) + "\n")
        toml_path = Path(tmp) / "bench.toml"
        toml_path.write_text(_instrument_toml(inst), encoding="utf-8")
        cmd = [
            sys.executable,
            "-c",
            "from implassess.cli.score import score; score()",
            str(csv_path),
            "-i",
            str(toml_path),
            "--by",
            "site",
            "-o",
            str(Path(tmp) / "out"),
            "--reproducible",
        ]
        # The command records its release in a ledger: a fresh one here, never the user's.
        env = {**os.environ, "IMPLASSESS_LEDGER": str(Path(tmp) / "ledger")}
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        e2e_s = time.perf_counter() - t0

    child = subprocess.run([sys.executable, __file__, "--child", str(big)], check=True, capture_output=True, text=True)
    bigres = json.loads(child.stdout)

    rows = [
        (f"score {n:,} × 60 (median of 5)", f"{engine_s:.3f} s", "< 1 s" if not args.quick else ""),
        (f"numpy baseline {n:,} × 60", f"{base_s:.3f} s", ""),
        ("ratio engine / baseline", f"{engine_s / base_s:.2f}×", "≤ 1.5×"),
        (f"aggregate {n:,}, 20 sites (median of 3)", f"{agg_s:.3f} s", ""),
        (f"CLI end to end, CSV {n:,} × 60", f"{e2e_s:.2f} s", ""),
        (f"score {big:,} × 60", f"{bigres['score_s']:.2f} s", ""),
        (f"aggregate {big:,} (organisation)", f"{bigres['aggregate_s']:.2f} s", ""),
        (f"peak memory {big:,} × 60 (input incl.)", f"{bigres['peak_bytes'] / 2**30:.2f} GiB", "< 1.5 GiB"),
    ]
    w = max(len(r[0]) for r in rows)
    print(f"{'measure':<{w}}  {'result':>10}  target")
    for name, value, target in rows:
        print(f"{name:<{w}}  {value:>10}  {target}")


def _instrument_toml(inst: Instrument) -> str:
    lines = [
        "format-version = 1",
        'kind = "instrument"',
        'id = "bench"',
        'version = "1.0.0"',
        'title = "Benchmark"',
        'description = "Benchmark instrument."',
        'licence = "CC0-1.0"',
        "",
        "[scoring]",
        "min-answered = 0.5",
        "",
        "[[scales]]",
        'id = "agree5"',
        "options = [",
    ]
    lines += [f'  {{ label = "{v}", value = {v} }},' for v in range(1, 6)] + ["]", "", "[maturity]", "levels = ["]
    lines += [
        f'  {{ level = {lv.level}, name = "{lv.name}", min = {lv.min:g}, max = {lv.max:g} }},'
        for lv in inst.maturity.levels
    ] + ["]"]
    for d in inst.dimensions:
        facets = ", ".join(f'{{ id = "{f.id}", name = "{f.name}" }}' for f in d.facets)
        lines += [
            "",
            "[[dimensions]]",
            f'id = "{d.id}"',
            f'name = "{d.name}"',
            f"weight = {d.weight:g}",
            f"facets = [{facets}]",
        ]
    for it in inst.items:
        lines += [
            "",
            "[[items]]",
            f'id = "{it.id}"',
            'text = "An item."',
            f'dimension = "{it.dimension}"',
            f'facet = "{it.facet}"',
            f"reverse = {'true' if it.reverse else 'false'}",
            f"weight = {it.weight:g}",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
