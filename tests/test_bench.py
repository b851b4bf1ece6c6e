"""The benchmark's quick mode runs end to end, so that the benchmark cannot rot."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_quick_benchmark_runs_and_reports_every_measure():
    result = subprocess.run([sys.executable, str(REPO / "bench/run.py"), "--quick"], capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    for line in ("| 100 | ours |", "| 100 | Pelican |", "| 100 | Hugo |", "| real content, cold build |",
                 "| N=100, rebuild after one topic edit |", "| serve: edit to rebuilt, N=100 |",
                 "| feed of 200 sessions |"):
        assert line in result.stdout, line
    assert "polling the page every 2 ms instead" in result.stdout  # the second way of timing the preview
