"""Benchmark: reading a large generic CSV export into a ResponseSet.

Writes a fixed-seed CSV of 100,000 respondents × 60 items (values 1–5, 8 = Don't know,
9 = Not applicable, blanks) with id, date and attribute columns, then times, median of 5:

- implassess: reader detection + reading + mapping to a ResponseSet (``read_responses``);
- csv: the plain ``csv`` module reading the same file into lists;
- csv + float: the same, then ``float()`` on every item cell (blank → NaN).

The target is implassess ≤ 2× plain csv. Run:

    .venv/bin/python benchmarks/bench_reading.py [--rows 100000] [--items 60] [--repeat 5]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from implassess.ingest import read_responses
from implassess.model import Dimension, Instrument, Item, Level, MaturityModel, Option, Scale

SEED = 20260301


def instrument(n_items: int) -> Instrument:
    """An instrument with ``n_items`` items on a 1–5 scale with Don't know (8) and N/A (9)."""
    scale = Scale(
        "agree5",
        (
            *(Option(label, float(v)) for v, label in enumerate(("SD", "D", "N", "A", "SA"), start=1)),
            Option("Don't know", None, "8", True),
            Option("Not applicable", None, "9", True),
        ),
    )
    n_dims = max(1, n_items // 10)
    dims = tuple(Dimension(id=f"d{k}", name=f"Dimension {k}") for k in range(n_dims))
    items = tuple(Item(id=f"q{j:02d}", text=f"Statement {j}.", dimension=f"d{j % n_dims}") for j in range(n_items))
    levels = tuple(Level(k + 1, f"L{k + 1}", 20.0 * k, 20.0 * (k + 1)) for k in range(5))
    return Instrument(
        id="bench", version="1", title="Benchmark", description="", licence="", maturity=MaturityModel(levels),
        dimensions=dims, scales=(scale,), items=items,
    )  # fmt: skip


def write_csv(path: Path, n_rows: int, n_items: int) -> None:
    """A generic export with realistic answer frequencies (about 4% blank, 3% non-substantive)."""
    rng = np.random.default_rng(SEED)
    codes = np.array(["1", "2", "3", "4", "5", "8", "9", ""])
    probs = np.array([0.07, 0.15, 0.25, 0.30, 0.16, 0.02, 0.01, 0.04])
    answers = codes[rng.choice(len(codes), size=(n_rows, n_items), p=probs)]
    sites = np.array(["North", "South", "East", "West"])[rng.integers(0, 4, n_rows)]
    roles = np.array(["nurse", "doctor", "manager", "admin"])[rng.integers(0, 4, n_rows)]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["respondent_id", "submitted_at", "site", "role", "wave", *(f"q{j:02d}" for j in range(n_items))])
        for i in range(n_rows):
            w.writerow([f"R{i:06d}", f"2026-03-{1 + i % 28:02d}T09:{i % 60:02d}:00", sites[i], roles[i], "1",
                        *answers[i]])  # fmt: skip


def plain_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def csv_float(path: Path, first_item: int) -> list[list[float]]:
    nan = float("nan")
    rows = plain_csv(path)
    return [[float(c) if c else nan for c in r[first_item:]] for r in rows[1:]]


def median_times(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median wall time of each function; the functions take turns so load on the machine hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    inst = instrument(args.items)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        write_csv(path, args.rows, args.items)
        size = path.stat().st_size / 1e6
        rs = read_responses(path, inst)
        assert rs.reconciles() and rs.n == args.rows, (rs.n, len(rs.rejected), rs.rows_read)
        med = median_times(
            {
                "ours": lambda: read_responses(path, inst),
                "base": lambda: plain_csv(path),
                "floats": lambda: csv_float(path, 5),
            },
            args.repeat,
        )
        ours, base, floats = med["ours"], med["base"], med["floats"]
    print(f"{args.rows:,} rows × {args.items} items ({size:.1f} MB), median of {args.repeat}:")
    print(f"  csv module into lists      {base:7.3f} s")
    print(f"  csv module + float()       {floats:7.3f} s")
    print(f"  implassess read_responses  {ours:7.3f} s")
    print(f"  ratio to plain csv         {ours / base:7.2f}×  (target ≤ 2×)")
    print(f"  ratio to csv + float       {ours / floats:7.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
