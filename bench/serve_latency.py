"""Measure `build.py serve`: the time from saving a topic file to the page served with the change.

For the real content and for a synthetic program of N topics, start the preview server, save an
edit to one topic several times, and time each save until the edited page is served. Reports
the median (and all runs): a benchmark, not a test; the machine may be busy.

    python bench/serve_latency.py --runs 5 --topics 1000
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import write_program  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _page(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError):
        return ""


def measure(project: Path, topic: str, runs: int, timeout: float = 300) -> list[float]:
    """Seconds from each save of content/topics/<topic>.md until its page shows the edit."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/topics/{topic}/index.html"
    server = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--project", str(project),
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while "<h1>" not in _page(url):
            if time.monotonic() > deadline:
                raise RuntimeError("the preview did not start")
            time.sleep(0.05)
        path = project / "content" / "topics" / f"{topic}.md"
        original, timings = path.read_text(), []
        for run in range(runs):
            marker = f"Edited {run}"
            saved = time.perf_counter()
            path.write_text(original.replace("\n---\n", f"\n---\n{marker}\n\n", 1))
            while marker not in _page(url):
                if time.perf_counter() - saved > timeout:
                    raise RuntimeError("the edit never appeared")
                time.sleep(0.002)
            timings.append(time.perf_counter() - saved)
            time.sleep(0.3)  # let the watcher settle before the next save
        return timings
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--topics", type=int, default=1000, help="size of the synthetic program")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="microsite-bench-"))
    try:
        real = work / "real"
        shutil.copytree(REPO / "content", real / "content")
        shutil.copytree(REPO / "layouts", real / "layouts")
        cases = [("real content (7 topics, 13 sessions)", real, "psychological-safety"),
                 (f"synthetic, {args.topics} topics", write_program(args.topics, work / "synthetic"), "topic-00000")]
        for name, project, topic in cases:
            timings = measure(project, topic, args.runs)
            print(f"{name}: edit to rebuilt, median {statistics.median(timings) * 1000:.0f} ms"
                  f" (runs: {', '.join(f'{t * 1000:.0f}' for t in timings)} ms)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
