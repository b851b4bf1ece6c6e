"""The benchmark's quick mode runs end to end, so that the benchmark cannot rot."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_quick_benchmark_runs_and_reports_every_measure():
    result = subprocess.run([sys.executable, str(REPO / "bench/run.py"), "--quick"], capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    for line in ("| 100 | ours |", "| 100 | Pelican |", "| 100 | Hugo |",
                 "| real content | cold build: first build, no cache |",
                 "| real content | a fresh clone's first build.py: the cache in use and empty |",
                 "| real content | build in a fresh process, cache and site in place |",
                 "| real content | preview: save to page |", "| ten-year program | cold build: first build, no cache |",
                 "| ten-year program | preview: save to page |",
                 "| N=100 | cold build, no cache |", "| N=100 | rebuild after one topic edit |",
                 "| N=100 | preview: save to page |", "| N=100 | peak memory, cold build |"):
        assert line in result.stdout, line
