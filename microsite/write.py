"""The only code that touches the output folder: checks every path, then swaps in a whole new site.

The new site is written to a hidden folder beside the output and exchanged with it in one
rename, so a reader (or a static host syncing the folder) sees the old site or the new one,
never a mixture, and a build that fails or is killed leaves the old site as it was.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path

from .model import ContentError, OutputFile, Problem


def check_outputs(files: list[OutputFile]) -> None:
    """Refuse two outputs with one path (naming both sources) and any path that leaves the folder."""
    claimed: dict[str, str] = {}
    problems = [problem for file in files if (problem := _path_problem(file, claimed))]
    if problems:
        raise ContentError(problems)


def _path_problem(file: OutputFile, claimed: dict[str, str]) -> Problem | None:
    parts = file.path.split("/")
    if file.path.startswith("/") or ".." in parts or "\\" in file.path or "" in parts:
        return Problem(file.source, 0, f"would write outside the site as '{file.path}'; rename it")
    key = file.path.lower()  # two names differing in case collide on macOS and Windows disks
    if key in claimed:
        return Problem(file.source, 0, f"writes {file.path}, which {claimed[key]} also writes; rename one of them")
    claimed[key] = file.source
    return None


def write_site(files: Iterable[OutputFile], out: Path, spare: Path | None = None) -> None:
    """Replace `out` with exactly `files`, all at once.

    `files` may be produced while this writes them into a private staging folder: nothing is
    swapped in unless every file was made and every path is safe and unique (all problems are
    reported together), so readers only ever see the old site or the complete new one.

    `spare` (in the build cache) keeps the site before last between builds: the next build
    brings that tree up to date instead of making every folder again, and the site it replaces
    becomes the spare. Creating and deleting thousands of folders is most of a rebuild otherwise.
    """
    out = out.absolute()
    if out.exists() and (out.is_symlink() or not out.is_dir()):
        raise ContentError([Problem(str(out), 0, "is not a folder; choose another --out or move it away")])
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out)
    staging = out.parent / f".{out.name}.new-{os.getpid()}"
    claimed_spare = _claim(spare, staging, out) if spare is not None and out.is_dir() else None
    if claimed_spare is None:
        staging.mkdir()
    existing, existing_folders = claimed_spare or (set(), set())
    try:
        made, claimed, problems = {""}, {}, []  # folders made, relative to the site
        staging_at, out_at = f"{staging}/", f"{out}/"  # plain strings: thousands of Paths cost more than the work
        for file in files:
            if problem := _path_problem(file, claimed):
                problems.append(problem)
                continue
            target, previous = staging_at + file.path, out_at + file.path
            if (folder := file.path.rpartition("/")[0]) not in made:
                if folder not in existing_folders:
                    _make_folder(staging / folder, staging, claimed_spare is not None)
                made.add(folder)
            if file.path in existing:
                existing.discard(file.path)
                if _is_same_file(previous, target, file.content):
                    continue
                _remove(Path(target))
            elif file.path in existing_folders:  # the spare has a folder where the new site has a file
                _remove(Path(target))
            if not _reuse(previous, target, file.content):
                with open(target, "wb") as written:
                    written.write(file.content)
        if problems:
            raise ContentError(problems)
        _prune(staging, existing, existing_folders, made)
        if out.exists():
            _exchange(staging, out)  # staging now holds the previous site
            _keep_or_remove(staging, spare)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _claim(spare: Path, staging: Path, out: Path) -> tuple[set[str], set[str]] | None:
    """Take the spare tree as this build's staging folder: the files and folders it holds
    (relative to it), or None."""
    try:
        if spare.is_symlink() or os.stat(spare).st_dev != os.stat(out.parent).st_dev:
            return None  # hard links and the exchange need one file system
        spare.rename(staging)  # atomic: of two builds at once, one takes it and the other starts afresh
    except OSError:
        return None
    files, folders, start = set(), set(), len(str(staging)) + 1
    for root, subfolders, names in os.walk(staging):  # symbolic links are listed, never followed
        relative = root[start:].replace(os.sep, "/")
        prefix = relative + "/" if relative else ""
        folders.add(relative)
        files.update(prefix + name for name in names)
        files.update(prefix + name for name in subfolders if os.path.islink(os.path.join(root, name)))
    return files, folders


def _make_folder(folder: Path, staging: Path, in_spare: bool) -> None:
    """Make a folder in the staging tree; in a spare tree, first remove what stands in its way:
    a file, or a symbolic link (which would lead the files written below it out of the site)."""
    if in_spare:
        relative = folder.relative_to(staging)
        for part in [*reversed(relative.parents[:-1]), relative]:  # outermost first, without "."
            if (staging / part).is_symlink() or (staging / part).is_file():
                (staging / part).unlink()
    folder.mkdir(parents=True, exist_ok=True)


def _is_same_file(previous: str, target: str, content: bytes) -> bool:
    """Whether the spare's file is the previous site's very file, and that already holds `content`."""
    try:
        before, now = os.stat(previous, follow_symlinks=False), os.stat(target, follow_symlinks=False)
    except OSError:
        return False
    if (before.st_ino, before.st_dev) != (now.st_ino, now.st_dev):
        return False
    return before.st_size == len(content) and _read(previous) == content


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _prune(staging: Path, leftover_files: set[str], spare_folders: set[str], made: set[str]) -> None:
    """Delete what the spare tree holds and the new site does not: files, then emptied folders."""
    for path in leftover_files:
        leftover = staging / path
        if leftover.is_symlink() or not leftover.is_dir():  # a folder there now is the new site's
            leftover.unlink(missing_ok=True)
    for folder in sorted(spare_folders - made, key=lambda path: -path.count("/")):
        try:
            (staging / folder).rmdir()  # only if empty: a folder of the new site keeps its files
        except OSError:
            pass


def _keep_or_remove(previous_site: Path, spare: Path | None) -> None:
    """Keep the replaced site as the next build's spare tree, or delete it."""
    if spare is not None:
        try:
            spare.parent.mkdir(parents=True, exist_ok=True)
            previous_site.rename(spare)
            return
        except OSError:
            pass
    shutil.rmtree(previous_site)


def _reuse(previous: str, target: str, content: bytes) -> bool:
    """Hard-link an unchanged file from the previous site instead of writing it again.

    Creating files is the slowest part of a build on many disks; a link is a fraction of a write,
    and comparing with the previous bytes (read from the page cache) costs less than either.
    """
    try:
        status = os.stat(previous, follow_symlinks=False)
        if status.st_size != len(content) or stat.S_ISLNK(status.st_mode) or _read(previous) != content:
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
    import ctypes  # here, not at the top: only a build into an existing folder swaps (12 ms to import)

    # The process's own symbols include the C library's; no search for libc (which runs ldconfig).
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
            return
    # Fallback: a moment exists where `second` is missing, but never one where it is half written.
    parked = second.parent / f".{second.name}.old-{os.getpid()}"
    second.rename(parked)
    first.rename(second)
    parked.rename(first)
