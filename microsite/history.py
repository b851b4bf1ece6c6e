"""When the content last changed: the DTSTAMP and LAST-MODIFIED of the feeds, never the build's clock."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path


def source_date_epoch(environ: dict[str, str] | None = None) -> datetime | None:
    """SOURCE_DATE_EPOCH as a UTC time, if set: the reproducible-builds convention, which CI,
    packagers and the tests use to fix every time the generator would otherwise look up."""
    epoch = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH", "").strip()
    return datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit() else None


def content_changed_at(content: Path, environ: dict[str, str] | None = None) -> datetime:
    """Return the UTC time the content last changed, the same on every machine that builds it.

    In order: SOURCE_DATE_EPOCH (the reproducible-builds convention, for CI and packagers), the
    time of the last git commit that touched content/, and, outside git, the newest modification
    time among the content files.
    """
    fixed = source_date_epoch(environ)
    if fixed is not None:
        return fixed
    committed = _last_commit_time(content)
    if committed is not None:
        return committed
    return datetime.fromtimestamp(int(_newest_modification(content)), timezone.utc)


def _newest_modification(folder: Path) -> float:
    """The newest modification time of any file under `folder` (os.scandir: no second look at each name)."""
    newest = 0.0
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                newest = max(newest, _newest_modification(Path(entry.path)))
            elif entry.is_file():
                newest = max(newest, entry.stat().st_mtime)
    return newest


def _last_commit_time(content: Path) -> datetime | None:
    import subprocess  # only when SOURCE_DATE_EPOCH does not say: reproducible builds set it

    try:
        result = subprocess.run(
            ["git", "log", "-1", "--format=%ct", "--", "."],
            cwd=content, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    stamp = result.stdout.strip()
    if result.returncode != 0 or not stamp.isdigit():
        return None
    return datetime.fromtimestamp(int(stamp), timezone.utc)
