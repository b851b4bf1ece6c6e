"""Shared fixtures: a throwaway project made from a dict of files, and ways to build it."""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The 2023 series as the program announced it: a fixture copy of content/, so that what editors
# change in content/ never reaches the generator's tests (content/ itself is checked by
# `build.py check`, in the workflow's pull-request job).
PROGRAM_2023 = Path(__file__).resolve().parent / "program-2023"

# The smallest valid program; a test replaces or removes files to show exactly what it changes.
MINIMAL_FILES = {
    "content/site.yaml": """\
        title: Test Program
        organisation: Test Office
        description: A schedule used by the tests.
        time_zone: America/Detroit
        time_zone_label: Eastern Time
        base_url: https://schedule.example.org/
        """,
    "content/topics/alpha.md": """\
        ---
        title: Alpha
        summary: The alpha topic.
        ---
        Alpha is the first topic.
        """,
    "content/sessions.yaml": """\
        - id: alpha-1
          topic: alpha
          date: 2023-02-17
          start: 12:00
          end: 14:00
        """,
}


def write_project(root: Path, files: dict[str, str | bytes | None], layouts: bool = True) -> Path:
    """Lay out a project: MINIMAL_FILES overridden by `files` (None leaves one out), plus the real layouts."""
    merged = {**MINIMAL_FILES, **files}
    for name, content in merged.items():
        if content is None:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8", newline="\n")
    if layouts and not (root / "layouts").exists():
        shutil.copytree(REPO / "layouts", root / "layouts")
    return root


def copy_of_2023_program(root: Path) -> Path:
    """A project of the 2023 series (tests/program-2023/content) with the generator's layouts."""
    shutil.copytree(PROGRAM_2023 / "content", root / "content")
    shutil.copytree(REPO / "layouts", root / "layouts")
    return root


def apply_files(root: Path, files: dict[str, str | bytes | None]) -> None:
    """Change an existing project as an editor would: write each file, delete those given as None."""
    for name, content in files.items():
        path = root / name
        if content is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8", newline="\n")
    if not any(path.is_file() for path in (root / "content").rglob("*")):
        shutil.rmtree(root / "content")


@pytest.fixture
def make_project(tmp_path):
    """make_project({"content/sessions.yaml": "..."}) -> a project folder with that content."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes | None] | None = None, layouts: bool = True) -> Path:
        return write_project(tmp_path / f"project{next(counter)}", files or {}, layouts)

    return make


def run_build(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run build.py as an editor would, on `project`."""
    environment = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "1672531200", **(env or {})}
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--project", str(project), *args],
        capture_output=True, text=True, env=environment, timeout=120, check=False)


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` with a hash of its bytes, to compare whole trees."""
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright: one per test module."""
    from browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
