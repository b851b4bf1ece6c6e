"""What subscribers' calendars were last given: content/published/, read, applied and recorded anew.

Calendar apps keep an event until the feed says otherwise, and apply a change only when its
SEQUENCE rises. So the build needs a memory of what was published, kept where every machine that
builds the site finds it: content/published/, one file per session (microsite.record_files),
committed with the content. It is written only by `python build.py publish` (and `resolve`
after a merge conflict); an ordinary build only reads it and applies it as its own step
after reading the content: an unchanged session keeps its recorded SEQUENCE and time stamps (so
its bytes never change); a new or changed one gets the SEQUENCE and stamp that publishing would
record, and is marked pending until it is recorded. Comparing with the record, not with the last
local build, means that previews, repeated builds and an edit undone before publishing never
inflate SEQUENCE.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .formatting import iso_minutes, moment
from .history import source_date_epoch
from .model import Change, ContentError, Problem, Schedule, Session, Site
from .record_files import OLD_RECORD, RECORD_FOLDER, WITHDRAWN, Recorded, read_record_folder
from .sourcefile import YamlParser, parse_yaml

UNPUBLISHED = "unpublished"  # the code of the warning about changes not yet recorded


@dataclass(frozen=True)
class Record:
    sessions: dict[str, Recorded] = field(default_factory=dict)

    def changes(self, site_title: str) -> tuple[Change, ...]:
        """Every published change, newest first; the sessions of the first publication as one line."""
        first: dict[datetime, int] = {}
        changes = []
        for session_id, entry in sorted(self.sessions.items()):
            for change in entry.changes:
                if change.kind == "published":
                    first[change.at] = first.get(change.at, 0) + 1
                else:
                    changes.append(change)
        changes += [Change(at, "published", "", site_title, "", str(count)) for at, count in first.items()]
        return tuple(sorted(changes, key=lambda change: change.at, reverse=True))  # stable: sessions in id order


def fingerprint(session: Session, site: Site) -> str:
    """A digest of everything a session's calendar event says, apart from its stamps and SEQUENCE."""
    facts = [session.topic.slug, session.topic.title, session.topic.summary, session.start.isoformat(),
             session.end.isoformat(), session.location, session.status, session.note, session.reason]
    # What a reader needs to attend is in the event's description too. Only the fields filled in
    # count, so that a record made before they existed still matches a session that has none.
    attending = {name: value for name, value in _attending_facts(session, site).items() if value}
    if attending:
        facts.append(attending)
    return hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def _attending_facts(session: Session, site: Site) -> dict[str, object]:
    closes = session.registration_closes
    return {"registration_url": session.registration_url,
            "registration_closes": closes.closes_at.isoformat() if closes else "",
            "registration_status": "" if session.registration_status == "open" else session.registration_status,
            "facilitators": [[f.name, f.is_organisation] for f in session.facilitators], "audience": site.audience_of(session), "format": session.format,
            "online_url": session.online_url, "access": session.access,
            "accommodations_contact": site.accommodations_contact}


def read_record(content: Path, parse_yaml: YamlParser = parse_yaml) -> tuple[Record, list[Problem]]:
    """Read content/published/; a missing folder means nothing has been published yet."""
    entries, problems = read_record_folder(content, parse_yaml)
    errors = [problem for problem in problems if not problem.is_warning]
    return (Record(), errors) if errors else (Record(entries), problems)


def apply_record(schedule: Schedule, record: Record, withdrawing: frozenset[str] = frozenset()) -> Schedule:
    """The schedule with each session's SEQUENCE and stamps as the record implies.

    A session the record does not hold as it is now is stamped with the content's own time (never
    before its last record) and gets the SEQUENCE that publishing will record. A published session
    missing from the content is an error, unless `withdrawing` names it (`publish --withdraw`).
    """
    ghosts = [Problem(f"content/{RECORD_FOLDER}/{session_id}.yaml", 1, (
        f"session '{session_id}' was published but is no longer in content/sessions.yaml, so subscribers"
        f" would keep it as a ghost; to cancel it, put its entry back with `status: cancelled`;"
        f" to remove it anyway, run `python build.py publish --withdraw {session_id}`"))
        for session_id, recorded in sorted(record.sessions.items())
        if recorded.status != WITHDRAWN and schedule.session(session_id) is None and session_id not in withdrawing]
    if ghosts:
        raise ContentError([*ghosts, *schedule.warnings])
    pending_at = _not_before_record(record, schedule.content_changed_at)
    sessions = []
    for session in schedule.sessions:
        recorded = record.sessions.get(session.id)
        entry = _entry_for(session, schedule.site, recorded, pending_at)
        sessions.append(replace(session, sequence=entry.sequence, modified=entry.modified,
                                moved_from=entry.moved_from, is_pending=entry is not recorded))
    notices = _pending_notice(sessions) if record.sessions else []
    return replace(schedule, sessions=tuple(sessions), changes=record.changes(schedule.site.title),
                   warnings=tuple(sorted([*schedule.warnings, *notices])))


def _entry_for(session: Session, site: Site, recorded: Recorded | None, at: datetime) -> Recorded:
    """The record's entry for a session published at `at`: the old one if nothing changed, else
    the next SEQUENCE (0 for a new session), stamped `at`, remembering where a moved session was."""
    current = fingerprint(session, site)
    if recorded is not None and recorded.status != WITHDRAWN and recorded.fingerprint == current:
        return recorded
    moved = recorded is not None and recorded.status != WITHDRAWN and recorded.start != session.start
    return Recorded(
        sequence=0 if recorded is None else recorded.sequence + 1, modified=at, fingerprint=current,
        start=session.start, location=session.location, status=session.status,
        moved_from=recorded.start if moved else (recorded.moved_from if recorded else None),
        changes=recorded.changes if recorded else ())


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
        f" run `python build.py publish` to record them, then commit content/{RECORD_FOLDER}/ with your change"),
        is_warning=True, code=UNPUBLISHED)]


def publication_time(environ: dict[str, str] | None = None) -> datetime:
    """Now, in whole seconds (or SOURCE_DATE_EPOCH). The one place where the wall clock is read:
    the time of a publication is a fact recorded once in a committed file, and from then on every
    build gives the same bytes."""
    return source_date_epoch(environ) or datetime.now(timezone.utc).replace(microsecond=0)


@dataclass(frozen=True)
class Recording:
    """What one publication recorded for one session, as `publish` reports it."""

    session_id: str
    what: str  # new, changed, moved, cancelled, reinstated, relocated, withdrawn (several joined by ", ")
    sequence: int
    changes: tuple[Change, ...]


def record_publication(schedule: Schedule, old: Record, now: datetime,
                       withdraw: set[str]) -> tuple[Record, list[Recording]]:
    """The record after publishing `schedule`, and what changed: changed sessions get SEQUENCE + 1 and `now`."""
    listed = {session.id for session in schedule.sessions}
    withdrawable = {name for name, entry in old.sessions.items() if entry.status != WITHDRAWN}
    problems = [Problem(f"content/{RECORD_FOLDER}", 0, f"--withdraw {name}: no published session has this id; check it")
                for name in sorted(withdraw - withdrawable)]
    problems += [Problem("content/sessions.yaml", 0, (
        f"--withdraw {name}: the session is still listed; delete its entry first")) for name in sorted(withdraw & listed)]
    if problems:
        raise ContentError(problems)
    first_publication = not old.sessions
    now = _not_before_record(old, now)
    sessions = {name: entry for name, entry in old.sessions.items() if entry.status == WITHDRAWN}
    recordings = []
    for session in schedule.sessions:
        recorded = old.sessions.get(session.id)
        entry = _entry_for(session, schedule.site, recorded, now)
        if entry is not recorded:
            found = ([Change(now, "published", session.id, session.topic.title, "", "")] if first_publication
                     else _changes_of(session, recorded, now))
            entry = replace(entry, changes=(*entry.changes, *found))
            what = ", ".join(change.kind for change in found if change.kind != "published") or (
                "new" if recorded is None or recorded.status == WITHDRAWN else "changed")
            recordings.append(Recording(session.id, what.replace("added", "new"), entry.sequence, tuple(found)))
        sessions[session.id] = entry
    for name in sorted(withdraw):
        gone = Change(now, "withdrawn", name, name, "", "")
        sessions[name] = entry = replace(old.sessions[name], status=WITHDRAWN, sequence=old.sessions[name].sequence + 1,
                                         modified=now, changes=(*old.sessions[name].changes, gone))
        recordings.append(Recording(name, "withdrawn", entry.sequence, (gone,)))
    return Record(sessions), recordings


def _changes_of(session: Session, recorded: Recorded | None, now: datetime) -> list[Change]:
    title = session.topic.title
    if recorded is None or recorded.status == WITHDRAWN:
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


def publication_report(recordings: list[Recording], moving_old_record: bool = False) -> list[str]:
    """What `publish` prints: one line per session it recorded, with its new SEQUENCE."""
    converted = [f"Moved content/{OLD_RECORD} into content/{RECORD_FOLDER}/, one file per session;"
             f" commit both (git add content/)."] if moving_old_record else []
    if not recordings:
        return [*converted, "Nothing new to record: every session is as subscribers were last given it."]
    width = max(len(r.session_id) for r in recordings)
    what_width = max(len(r.what) for r in recordings)
    lines = [f"Recorded {len(recordings)} session{'s' * (len(recordings) != 1)} in content/{RECORD_FOLDER}/"
             " (commit it with your change):"]
    for recording in recordings:
        moved = next((c for c in recording.changes if c.kind == "moved"), None)
        detail = (f"  from {moment(datetime.fromisoformat(moved.before))}"
                  f" to {moment(datetime.fromisoformat(moved.after))}") if moved else ""
        lines.append(f"  {recording.what:<{what_width}}  {recording.session_id:<{width}}"
                     f"  SEQUENCE {recording.sequence}{detail}")
    return [*converted, *lines]
