"""The only code that touches the output folder: checks every path, then swaps in a whole new site.

The new site is written to a hidden folder beside the output and exchanged with it in one
rename, so a reader (or a static host syncing the folder) sees the old site or the new one,
never a mixture, and a build that fails or is killed leaves the old site as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from . import memo
from .model import ContentError, OutputFile, Problem


def check_outputs(files: list[OutputFile]) -> None:
    """Refuse two outputs with one path (naming both sources) and any path that leaves the folder."""
    paths = [file.path for file in files]
    if memo.seen_before("good output paths", paths):
        return  # the preview server found these very paths good in an earlier build
    claimed: dict[str, str] = {}
    problems = [problem for file in files if (problem := _path_problem(file, claimed))]
    if problems:
        raise ContentError(problems)
    memo.note("good output paths", paths)


def _path_problem(file: OutputFile, claimed: dict[str, str]) -> Problem | None:
    parts = file.path.split("/")
    if file.path.startswith("/") or ".." in parts or "\\" in file.path or "" in parts:
        return Problem(file.source, 0, f"would write outside the site as '{file.path}'; rename it")
    key = file.path.lower()  # two names differing in case collide on macOS and Windows disks
    if key in claimed:
        return Problem(file.source, 0, f"writes {file.path}, which {claimed[key]} also writes; rename one of them")
    claimed[key] = file.source
    return None


def write_site(files: Iterable[OutputFile], out: Path) -> None:
    """Replace `out` with exactly `files`, all at once.

    `files` may be produced while this writes them into a private staging folder: nothing is
    swapped in unless every file was made and every path is safe and unique (all problems are
    reported together), so readers only ever see the old site or the complete new one.
    """
    out = out.absolute()
    if out.exists() and (out.is_symlink() or not out.is_dir()):
        raise ContentError([Problem(str(out), 0, "is not a folder; choose another --out or move it away")])
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out)
    staging = out.parent / f".{out.name}.new-{os.getpid()}"
    staging.mkdir()
    try:
        made, claimed, problems = {staging}, {}, []
        for file in files:
            if problem := _path_problem(file, claimed):
                problems.append(problem)
                continue
            target = staging / file.path
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            if not _reuse(out / file.path, target, file.content):
                target.write_bytes(file.content)
        if problems:
            raise ContentError(problems)
        if out.exists():
            _exchange(staging, out)  # staging now holds the previous site
            shutil.rmtree(staging)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _reuse(previous: Path, target: Path, content: bytes) -> bool:
    """Hard-link an unchanged file from the previous site instead of writing it again.

    Creating files is the slowest part of a build on many disks; a link is a fraction of a write,
    and comparing with the previous bytes (read from the page cache) costs less than either.
    """
    try:
        if previous.stat().st_size != len(content) or previous.is_symlink() or previous.read_bytes() != content:
            return False
        os.link(previous, target)
    except OSError:  # no previous file, or a file system without hard links
        return False
    return True


def remove_leftovers(out: Path) -> None:
    """Delete staging folders that a killed build left beside `out`."""
    for leftover in sorted(out.parent.glob(f".{out.name}.new-*")) + sorted(out.parent.glob(f".{out.name}.old-*")):
        owner = leftover.name.rsplit("-", 1)[-1]
        if owner.isdigit() and int(owner) != os.getpid() and _is_running(int(owner)):
            continue  # another build is writing it right now
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(first: Path, second: Path) -> None:
    """Swap two folders atomically where the kernel can (Linux renameat2); else in two renames."""
    libc_name = ctypes.util.find_library("c")
    renameat2 = getattr(ctypes.CDLL(libc_name, use_errno=True), "renameat2", None) if libc_name else None
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
            return
    # Fallback: a moment exists where `second` is missing, but never one where it is half written.
    parked = second.parent / f".{second.name}.old-{os.getpid()}"
    second.rename(parked)
    first.rename(second)
    parked.rename(first)
