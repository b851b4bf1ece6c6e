"""What subscribers' calendars were last given: content/published.yaml, read, applied and written.

Calendar apps keep an event until the feed says otherwise, and apply a change only when its
SEQUENCE rises. So the build needs a memory of what was published, kept where every machine that
builds the site finds it: content/published.yaml, committed with the content. It is written only
by `python build.py publish`; an ordinary build only reads it and applies it as its own step
after reading the content: an unchanged session keeps its recorded SEQUENCE and time stamps (so
its bytes never change); a new or changed one gets the SEQUENCE and stamp that publishing would
record, and is marked pending until it is recorded. Comparing with the record, not with the last
local build, means that previews, repeated builds and an edit undone before publishing never
inflate SEQUENCE.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .formatting import iso_minutes
from .history import source_date_epoch
from .model import Change, ContentError, Problem, Schedule, Session
from .sourcefile import Mapping, Sequence, YamlParser, parse_yaml, read_yaml

RECORD_NAME = "published.yaml"
UNPUBLISHED = "unpublished"  # the code of the warning about changes not yet recorded
HEADER = """\
# What subscribers' calendars were last given. Written by `python build.py publish`; commit it
# with the content change it records, and do not edit it by hand. README.md explains it under
# "Changing a published schedule".
"""


@dataclass(frozen=True)
class Recorded:
    """One session as it was last published."""

    sequence: int
    modified: datetime
    fingerprint: str
    start: datetime  # for "moved from" and the change log
    location: str
    status: str
    moved_from: datetime | None
    line: int = 0  # where its entry starts in published.yaml; 0 for an entry not yet written


@dataclass(frozen=True)
class Record:
    sessions: dict[str, Recorded] = field(default_factory=dict)
    changes: tuple[Change, ...] = ()  # newest first


def fingerprint(session: Session) -> str:
    """A digest of everything a session's calendar event says, apart from its stamps and SEQUENCE."""
    facts = [session.topic.slug, session.topic.title, session.topic.summary, session.start.isoformat(),
             session.end.isoformat(), session.location, session.status, session.note, session.reason]
    return hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def read_record(content: Path, parse_yaml: YamlParser = parse_yaml) -> tuple[Record, list[Problem]]:
    """Read content/published.yaml; a missing file means nothing has been published yet."""
    path = content / RECORD_NAME
    shown = f"{content.name}/{RECORD_NAME}"
    if not path.is_file():
        return Record(), []
    data, found = read_yaml(path, shown, parse_yaml)
    if found:
        return Record(), found
    try:
        return _record_from(data or Mapping()), []
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        return Record(), [Problem(shown, getattr(data, "line", 1), (
            f"is damaged ({error}); restore it from git (`git checkout -- {shown}`): it is written by"
            " `python build.py publish` and is not edited by hand"))]


def _record_from(data: Mapping) -> Record:
    sessions = {}
    entries = data.get("sessions") or Mapping()
    for session_id, entry in entries.items():
        moved_from = entry.get("moved_from") or ""
        sessions[session_id] = Recorded(
            sequence=int(entry["sequence"]), modified=_utc(entry["modified"]), fingerprint=entry["fingerprint"],
            start=datetime.fromisoformat(entry["start"]), location=entry.get("location") or "",
            status=entry["status"], moved_from=datetime.fromisoformat(moved_from) if moved_from else None,
            line=entries.key_lines[session_id])
    changes = tuple(
        Change(at=_utc(item["at"]), kind=item["kind"], session_id=item["session"], title=item["title"],
               before=item.get("before") or "", after=item.get("after") or "")
        for item in (data.get("changes") or Sequence()))
    return Record(sessions, changes)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def apply_record(schedule: Schedule, record: Record, withdrawing: frozenset[str] = frozenset()) -> Schedule:
    """The schedule with each session's SEQUENCE and stamps as the record implies.

    A session the record does not hold as it is now is stamped with the content's own time (never
    before its last record) and gets the SEQUENCE that publishing will record. A published session
    missing from the content is an error, unless `withdrawing` names it (`publish --withdraw`).
    """
    ghosts = [Problem(f"content/{RECORD_NAME}", recorded.line, (
        f"session '{session_id}' was published but is no longer in content/sessions.yaml, so subscribers"
        f" would keep it as a ghost; to cancel it, put its entry back with `status: cancelled`;"
        f" to remove it anyway, run `python build.py publish --withdraw {session_id}`"))
        for session_id, recorded in sorted(record.sessions.items())
        if schedule.session(session_id) is None and session_id not in withdrawing]
    if ghosts:
        raise ContentError([*ghosts, *schedule.warnings])
    pending_at = _not_before_record(record, schedule.content_changed_at)
    sessions = []
    for session in schedule.sessions:
        recorded = record.sessions.get(session.id)
        entry = _entry_for(session, recorded, pending_at)
        sessions.append(replace(session, sequence=entry.sequence, modified=entry.modified,
                                moved_from=entry.moved_from, is_pending=entry is not recorded))
    notices = _pending_notice(sessions) if record.sessions else []
    return replace(schedule, sessions=tuple(sessions), changes=record.changes,
                   warnings=tuple(sorted([*schedule.warnings, *notices])))


def _entry_for(session: Session, recorded: Recorded | None, at: datetime) -> Recorded:
    """The record's entry for a session published at `at`: the old one if nothing changed, else
    the next SEQUENCE (0 for a new session), stamped `at`, remembering where a moved session was."""
    current = fingerprint(session)
    if recorded is not None and recorded.fingerprint == current:
        return recorded
    moved = recorded is not None and recorded.start != session.start
    return Recorded(
        sequence=0 if recorded is None else recorded.sequence + 1, modified=at, fingerprint=current,
        start=session.start, location=session.location, status=session.status,
        moved_from=recorded.start if moved else (recorded.moved_from if recorded else None))


def _not_before_record(record: Record, moment: datetime) -> datetime:
    """Calendar apps take the newer stamp as the newer version: never stamp one older than the last."""
    latest = max((entry.modified for entry in record.sessions.values()), default=None)
    return moment if latest is None else max(moment, latest + timedelta(seconds=1))


def _pending_notice(sessions: list[Session]) -> list[Problem]:
    """A warning for changes that are built but not yet recorded as published."""
    pending = [s for s in sessions if s.is_pending]
    if not pending:
        return []
    names = ", ".join(f"'{s.id}'" for s in pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
    return [Problem("content/sessions.yaml", pending[0].source_line, (
        f"{len(pending)} session{'s' * (len(pending) != 1)} new or changed since the last publication ({names});"
        " run `python build.py publish` to record them, then commit content/published.yaml with your change"),
        is_warning=True, code=UNPUBLISHED)]


def publication_time(environ: dict[str, str] | None = None) -> datetime:
    """Now, in whole seconds (or SOURCE_DATE_EPOCH). The one place where the wall clock is read:
    the time of a publication is a fact recorded once in a committed file, and from then on every
    build gives the same bytes."""
    return source_date_epoch(environ) or datetime.now(timezone.utc).replace(microsecond=0)


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
    now = _not_before_record(old, now)
    sessions, changes = {}, []
    for session in schedule.sessions:
        recorded = old.sessions.get(session.id)
        sessions[session.id] = entry = _entry_for(session, recorded, now)
        if entry is not recorded and not first_publication:
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
