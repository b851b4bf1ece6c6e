"""What subscribers' calendars were last given: content/published.yaml, read and compared.

Calendar apps keep an event until the feed says otherwise, and apply a change only when its
SEQUENCE rises. So the build needs a memory of what was published, kept where every machine that
builds the site finds it: content/published.yaml, committed with the content. It is written only
by `python build.py publish` (microsite.publish); an ordinary build only reads it. Each session
is compared with its record: unchanged, it keeps its recorded SEQUENCE and time stamps (so its
bytes never change); changed, it gets SEQUENCE + 1 and is marked pending until it is recorded.
Comparing with the record, not with the last local build, means that previews, repeated builds
and an edit undone before publishing never inflate SEQUENCE.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from . import memo
from .model import Change, Problem, Session
from .sourcefile import Mapping, Sequence, read_yaml

RECORD_NAME = "published.yaml"
UNPUBLISHED = "unpublished"  # the code of the warning about changes not yet recorded


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
    line: int  # where its entry starts in published.yaml


@dataclass(frozen=True)
class Record:
    sessions: dict[str, Recorded] = field(default_factory=dict)
    changes: tuple[Change, ...] = ()  # newest first


def fingerprint(session: Session) -> str:
    """A digest of everything a session's calendar event says, apart from its stamps and SEQUENCE."""
    facts = [session.topic.slug, session.topic.title, session.topic.summary, session.start.isoformat(),
             session.end.isoformat(), session.location, session.status, session.note, session.reason]
    return hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def read_record(content: Path, problems: list[Problem]) -> Record:
    """Read content/published.yaml; a missing file means nothing has been published yet."""
    path = content / RECORD_NAME
    shown = f"{content.name}/{RECORD_NAME}"
    if not path.is_file():
        return Record()
    record, found = memo.parsed(path, "record", lambda: _convert_record(read_yaml(path, shown), shown))
    problems.extend(found)
    return record


def _convert_record(parsed: tuple, shown: str) -> tuple[Record, list[Problem]]:
    data, found = parsed
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


def apply_record(sessions: list[Session], listed: set[str], record: Record, content_time: datetime,
                 problems: list[Problem]) -> list[Session]:
    """Give each session the SEQUENCE and stamps its record implies; report published sessions gone.

    `listed` holds every id written in sessions.yaml, including entries that have problems of
    their own, so that a typo in one field is not also reported as a deleted session.
    """
    for session_id, recorded in sorted(record.sessions.items()):
        if session_id not in listed:
            problems.append(Problem(f"content/{RECORD_NAME}", recorded.line, (
                f"session '{session_id}' was published but is no longer in content/sessions.yaml, so subscribers"
                f" would keep it as a ghost; to cancel it, put its entry back with `status: cancelled`;"
                f" to remove it anyway, run `python build.py publish --withdraw {session_id}`")))
    # A pending change is stamped with the content's own time, and always after its last record.
    latest = max((r.modified for r in record.sessions.values()), default=content_time)
    pending_time = max(content_time, latest + timedelta(seconds=1))
    pairs = [(session, record.sessions.get(session.id)) for session in sessions]
    as_recorded = _as_recorded.each(pairs)
    return [done if done is not None else _pending(session, recorded, pending_time)
            for done, (session, recorded) in zip(as_recorded, pairs)]


@memo.Remembered  # a rebuild gets the very same Session for an unchanged entry and record
def _as_recorded(session_and_record: tuple[Session, Recorded | None]) -> Session | None:
    """The session with the SEQUENCE and stamps of its record; None if it differs from the record."""
    session, recorded = session_and_record
    if recorded is None or recorded.fingerprint != fingerprint(session):
        return None
    return replace(session, sequence=recorded.sequence, modified=recorded.modified, moved_from=recorded.moved_from)


@memo.Remembered
def _pending(session: Session, recorded: Recorded | None, pending_time: datetime) -> Session:
    """A new or changed session, stamped with the time of the change and its SEQUENCE raised."""
    if recorded is None:
        return replace(session, sequence=0, modified=pending_time, is_pending=True)
    moved = recorded.start != session.start
    return replace(session, sequence=recorded.sequence + 1, modified=pending_time,
                   moved_from=recorded.start if moved else recorded.moved_from, is_pending=True)


def pending_notices(sessions: list[Session]) -> list[Problem]:
    """Warnings for changes that are built but not yet recorded as published."""
    pending = [s for s in sessions if s.is_pending]
    if not pending:
        return []
    names = ", ".join(f"'{s.id}'" for s in pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
    return [Problem("content/sessions.yaml", pending[0].source_line, (
        f"{len(pending)} session{'s' * (len(pending) != 1)} new or changed since the last publication ({names});"
        " run `python build.py publish` to record them, then commit content/published.yaml with your change"),
        is_warning=True, code=UNPUBLISHED)]
