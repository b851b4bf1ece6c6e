"""Read .ics files with parsers that did not write them: vobject, ical, and ical.js under Node.

Each reader returns {uid: (start_utc, end_utc)} per file, so tests compare instants, not text.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream

NODE_TOOLS = Path(__file__).resolve().parent / "node"

Instants = dict[str, tuple[datetime, datetime]]


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def read_with_vobject(path: Path) -> Instants:
    # vobject keeps the first VTIMEZONE it sees for a TZID in a process-wide table and ignores
    # later files' own definitions; clear it so that each file is read with its own VTIMEZONE.
    vars(vobject.icalendar)["__tzidMap"].clear()
    calendar = vobject.readOne(path.read_text(encoding="utf-8"))
    return {event.uid.value: (_utc(event.dtstart.value), _utc(event.dtend.value))
            for event in getattr(calendar, "vevent_list", [])}


def read_with_ical(path: Path) -> Instants:
    calendar = IcsCalendarStream.calendar_from_ics(path.read_text(encoding="utf-8"))
    return {event.uid: (_utc(event.dtstart), _utc(event.dtend)) for event in calendar.events}


def require_node_package(name: str) -> None:
    """Skip where Node or the package is absent locally; in CI their absence is a failure."""
    if shutil.which("node") is None or not (NODE_TOOLS / "node_modules" / name).is_dir():
        message = f"{name} not installed: run `npm ci --prefix tests/node` (needs Node.js)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def require_icaljs() -> None:
    require_node_package("ical.js")


def read_with_icaljs(paths: list[Path]) -> dict[Path, Instants]:
    """All files in one Node process; ical.js registers each file's own VTIMEZONE, as Thunderbird does."""
    require_icaljs()
    output = subprocess.run(["node", str(NODE_TOOLS / "read_feeds.mjs"), *map(str, paths)],
                            capture_output=True, text=True, check=True, timeout=120).stdout
    parsed = json.loads(output)
    return {Path(name): {event["uid"]: (_parse_js(event["start"]), _parse_js(event["end"]))
                         for event in events}
            for name, events in parsed.items()}


def read_icaljs_events(paths: list[Path]) -> dict[str, list[dict]]:
    """ical.js's view of each file's events, with uid, sequence, status and summary."""
    require_icaljs()
    output = subprocess.run(["node", str(NODE_TOOLS / "read_feeds.mjs"), *map(str, paths)],
                            capture_output=True, text=True, check=True, timeout=120).stdout
    return json.loads(output)


def _parse_js(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
