"""The benchmark scripts still run (tiny sizes, no timing asserted: speed is measured by
running them in full, not in tests). A benchmark that rots silently measures nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

CASES = {
    "bench_reading.py": ["--rows", "300", "--items", "6", "--repeat", "1"],
    "bench_scoring.py": ["--quick"],
    "bench_report.py": ["--repeat", "1"],
    "bench_participants.py": ["--participants", "4", "--compare", "1"],
}


@pytest.mark.parametrize("script", sorted(CASES))
def test_benchmark_runs(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *CASES[script]],
        capture_output=True,
        text=True,
        timeout=600,
    )
    # Exit 1 means "ran, but missed a target" (meaningless at these sizes); a crash is a failure.
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "ratio" in done.stdout  # every benchmark compares against a plain baseline
