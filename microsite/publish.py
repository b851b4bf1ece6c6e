"""`build.py publish`: record the schedule as published, in content/published.yaml.

The one place where the wall clock is read: the time of a publication is a fact about the
content's history, recorded once in a committed file, and from then on every build gives the
same bytes (see microsite.published).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .formatting import iso_minutes
from .model import Change, ContentError, Problem, Schedule, Session
from .published import RECORD_NAME, Record, Recorded, fingerprint

HEADER = """\
# What subscribers' calendars were last given. Written by `python build.py publish`; commit it
# with the content change it records, and do not edit it by hand. README.md explains it under
# "Changing a published schedule".
"""


def publication_time(environ: dict[str, str] | None = None) -> datetime:
    """Now, in whole seconds (or SOURCE_DATE_EPOCH, so that tests and packagers can fix it)."""
    environ = os.environ if environ is None else environ
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc).replace(microsecond=0)


def record_publication(schedule: Schedule, old: Record, now: datetime, withdraw: set[str]) -> Record:
    """The record after publishing `schedule`: changed sessions get SEQUENCE + 1 and `now`."""
    listed = {session.id for session in schedule.sessions}
    problems = [Problem(f"content/{RECORD_NAME}", 0, f"--withdraw {name}: no published session has this id; check it")
                for name in sorted(withdraw - set(old.sessions))]
    problems += [Problem("content/sessions.yaml", 0, (
        f"--withdraw {name}: the session is still listed; delete its entry first")) for name in sorted(withdraw & listed)]
    if problems:
        raise ContentError(problems)
    first_publication = not old.sessions and not old.changes
    # Calendar apps take the newer stamp as the newer version: never record one older than the last.
    latest = max((entry.modified for entry in old.sessions.values()), default=now)
    now = max(now, latest + timedelta(seconds=1)) if old.sessions else now
    sessions, changes = {}, []
    for session in schedule.sessions:
        recorded = old.sessions.get(session.id)
        current = fingerprint(session)
        if recorded is not None and recorded.fingerprint == current:
            sessions[session.id] = recorded
            continue
        moved = recorded is not None and recorded.start != session.start
        sessions[session.id] = Recorded(
            sequence=0 if recorded is None else recorded.sequence + 1, modified=now, fingerprint=current,
            start=session.start, location=session.location, status=session.status,
            moved_from=recorded.start if moved else (recorded.moved_from if recorded else None), line=0)
        if not first_publication:
            changes += _changes_of(session, recorded, now)
    for name in sorted(withdraw):
        changes.append(Change(now, "withdrawn", name, name, "", ""))
    if first_publication and schedule.sessions:
        changes.append(Change(now, "published", "", schedule.site.title, "", str(len(schedule.sessions))))
    return Record(sessions, (*changes, *old.changes))


def _changes_of(session: Session, recorded: Recorded | None, now: datetime) -> list[Change]:
    title = session.topic.title
    if recorded is None:
        return [Change(now, "added", session.id, title, "", iso_minutes(session.start))]
    found = []
    if recorded.status != session.status:
        found.append(Change(now, "cancelled" if session.is_cancelled else "reinstated", session.id, title, "",
                            iso_minutes(session.start)))
    if recorded.start != session.start:
        found.append(Change(now, "moved", session.id, title, iso_minutes(recorded.start), iso_minutes(session.start)))
    if recorded.location != session.location:
        found.append(Change(now, "relocated", session.id, title, recorded.location, session.location))
    return found


def record_text(record: Record) -> str:
    """published.yaml's text: fixed order, every string quoted, so its diffs are easy to review."""
    lines = [HEADER, "sessions:"] if record.sessions else [HEADER, "sessions: {}"]
    for name, entry in sorted(record.sessions.items()):
        lines += [f"  {name}:",
                  f"    sequence: {entry.sequence}",
                  f"    modified: {_stamp(entry.modified)}",
                  f"    fingerprint: {entry.fingerprint}",
                  f"    start: {json.dumps(entry.start.isoformat())}",
                  f"    location: {json.dumps(entry.location, ensure_ascii=False)}",
                  f"    status: {entry.status}",
                  f"    moved_from: {json.dumps(entry.moved_from.isoformat() if entry.moved_from else '')}"]
    lines.append("changes:" if record.changes else "changes: []")
    for change in record.changes:
        lines += [f"  - at: {_stamp(change.at)}",
                  f"    kind: {change.kind}",
                  f"    session: {json.dumps(change.session_id)}",
                  f"    title: {json.dumps(change.title, ensure_ascii=False)}",
                  f"    before: {json.dumps(change.before, ensure_ascii=False)}",
                  f"    after: {json.dumps(change.after, ensure_ascii=False)}"]
    return "\n".join(lines) + "\n"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_record(content: Path, record: Record) -> None:
    """Replace published.yaml in one step, so an interrupted publish leaves the old record whole."""
    target = content / RECORD_NAME
    staging = content / f".{RECORD_NAME}.new-{os.getpid()}"
    staging.write_text(record_text(record), encoding="utf-8", newline="\n")
    os.replace(staging, target)
