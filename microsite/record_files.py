"""content/published/: the publication record on disk, one small file per session.

One file per session, because then two pull requests that publish changes to different sessions
change different files, and git merges them without a conflict; no line is shared by every
publication. Only a conflict over one session remains (two pull requests changed the same
session): `python build.py resolve` reads both sides of each conflicted file and keeps the one
with the higher SEQUENCE, because calendar apps ignore a change whose SEQUENCE does not rise.
The next `publish` then raises it above both if the merged content differs from what was kept.

The record of earlier versions of this generator, one file `content/published.yaml`, is still
read (and `publish` replaces it with the folder), so that a branch made before the change loses
nothing when it is merged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from .fields import SLUG
from .model import Change, Problem
from .sourcefile import MERGE_CONFLICT, Mapping, Sequence, Text, YamlParser, parse_yaml, read_text

RECORD_FOLDER = "published"
OLD_RECORD = "published.yaml"  # the single-file record of earlier versions
WITHDRAWN = "withdrawn"  # the status of a session removed for good with `publish --withdraw`
UNSETTLED = "both-sides-differ"  # the fingerprint of a merge whose sides published one SEQUENCE twice
HEADER = ("# What subscribers' calendars were last given for this session. Written by `python build.py publish`;\n"
          "# see README.md, \"Changing a published schedule\". After a merge conflict: `python build.py resolve`.\n")


@dataclass(frozen=True)
class Recorded:
    """One session as it was last published, and every change published for it."""

    sequence: int
    modified: datetime
    fingerprint: str
    start: datetime  # for "moved from" and the change log
    location: str
    status: str  # scheduled, cancelled, or withdrawn
    moved_from: datetime | None
    changes: tuple[Change, ...] = ()  # oldest first


def read_record_folder(content: Path, parse: YamlParser = parse_yaml) -> tuple[dict[str, Recorded], list[Problem]]:
    """Every session's entry in content/published/ (and in an old content/published.yaml)."""
    entries, problems = {}, []
    folder = content / RECORD_FOLDER
    names = _file_names(folder)
    for name in names:
        if name.startswith("."):  # a publish's staging file, or an editor's tool's
            continue
        shown = f"{content.name}/{RECORD_FOLDER}/{name}"
        session_id = name.removesuffix(".yaml")
        if not name.endswith(".yaml") or not SLUG.fullmatch(session_id):
            problems.append(Problem(shown, 0, (
                f"is not part of the publication record, which holds only `<session id>.yaml` files"
                f" written by `python build.py publish`; move it out of {content.name}/{RECORD_FOLDER}/")))
            continue
        source = read_text(folder / name, shown)
        if source.problem and source.problem.code == MERGE_CONFLICT:
            problems.append(Problem(shown, source.problem.line, (
                f"has a merge conflict: two branches published changes to session '{session_id}'; run"
                " `python build.py resolve`, which keeps the side with the higher SEQUENCE")))
            continue
        entry, found = _entry_from_text(source, shown, parse, session_id)
        problems += found
        if entry is not None:
            entries[session_id] = entry
    old = content / OLD_RECORD
    if old.is_file():
        old_entries, found = _read_old_record(old, f"{content.name}/{OLD_RECORD}", parse)
        problems += found
        for session_id, entry in old_entries.items():
            entries[session_id] = newer(entries[session_id], entry) if session_id in entries else entry
    return entries, problems


def _file_names(folder: Path) -> list[str]:
    return sorted(entry.name for entry in os.scandir(folder)) if folder.is_dir() else []


def _entry_from_text(source: Text, shown: str, parse: YamlParser,
                     session_id: str) -> tuple[Recorded | None, list[Problem]]:
    if source.problem:
        return None, [source.problem]
    data, problems = parse(source.text, shown, 1)
    if problems:
        return None, problems
    try:
        return _entry_from(data, session_id), []
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        return None, [Problem(shown, getattr(data, "line", 1), (
            f"is damaged ({error}); restore it from git (`git checkout -- {shown}`): it is written by"
            " `python build.py publish` and is not edited by hand"))]


def _entry_from(data: Mapping, session_id: str) -> Recorded:
    moved_from = data.get("moved_from") or ""
    changes = tuple(_change_from(item, session_id) for item in (data.get("changes") or Sequence()))
    return Recorded(
        sequence=int(data["sequence"]), modified=_utc(data["modified"]), fingerprint=data["fingerprint"],
        start=datetime.fromisoformat(data["start"]), location=data.get("location") or "", status=data["status"],
        moved_from=datetime.fromisoformat(moved_from) if moved_from else None, changes=changes)


def _change_from(item: Mapping, session_id: str) -> Change:
    return Change(at=_utc(item["at"]), kind=item["kind"], session_id=session_id, title=item["title"],
                  before=item.get("before") or "", after=item.get("after") or "")


def _read_old_record(path: Path, shown: str, parse: YamlParser) -> tuple[dict[str, Recorded], list[Problem]]:
    """content/published.yaml of earlier versions: its entries, each given its share of the change log."""
    source = read_text(path, shown)
    if source.problem:
        return {}, [source.problem]
    data, problems = parse(source.text, shown, 1)
    if problems:
        return {}, problems
    notice = Problem(shown, 1, (
        f"is the publication record of an earlier version; run `python build.py publish`, which moves it"
        f" into {path.parent.name}/{RECORD_FOLDER}/ (one file per session), and commit both"), is_warning=True)
    try:
        sessions = data.get("sessions") or Mapping()
        log = [_change_from(item, item["session"]) for item in reversed(data.get("changes") or Sequence())]
        first = next((change.at for change in log if change.kind == "published"), None)

        def own_changes(session_id: str) -> tuple[Change, ...]:
            own = tuple(change for change in log if change.session_id == session_id)
            if first is not None and not any(change.kind == "added" for change in own):
                return (Change(first, "published", session_id, "", "", ""), *own)  # one of the first publication
            return own

        entries = {session_id: replace(_entry_from(values, session_id), changes=own_changes(session_id))
                   for session_id, values in sessions.items()}
        for change in log:  # sessions withdrawn before: kept as withdrawn, so their ID is never reused quietly
            if change.kind == WITHDRAWN and change.session_id not in entries:
                entries[change.session_id] = Recorded(0, change.at, "", change.at, "", WITHDRAWN, None,
                                                      own_changes(change.session_id))
        return entries, [notice]
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as error:
        return {}, [Problem(shown, getattr(data, "line", 1), (
            f"is damaged ({error}); restore it from git (`git checkout -- {shown}`)"))]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def newer(one: Recorded, other: Recorded) -> Recorded:
    """Of two versions of one session's entry, the one subscribers may have: the higher SEQUENCE
    (then the later stamp), with the change log of both."""
    kept = max(one, other, key=lambda entry: (entry.sequence, entry.modified))
    changes = {(c.at, c.kind, c.before, c.after): c for c in (*one.changes, *other.changes)}
    return replace(kept, changes=tuple(changes[key] for key in sorted(changes, key=lambda key: key[0])))


def entry_text(entry: Recorded) -> str:
    """One session's file: fixed order, every string quoted, so its diffs are easy to review."""
    lines = [HEADER.rstrip("\n"),
             f"sequence: {entry.sequence}",
             f"modified: {_stamp(entry.modified)}",
             f"fingerprint: {entry.fingerprint}",
             f"start: {json.dumps(entry.start.isoformat())}",
             f"location: {_quoted(entry.location)}",
             f"status: {entry.status}",
             f"moved_from: {json.dumps(entry.moved_from.isoformat() if entry.moved_from else '')}",
             "changes:" if entry.changes else "changes: []"]
    lines += [f"  - {{at: {_stamp(c.at)}, kind: {c.kind}, title: {_quoted(c.title)},"
              f" before: {_quoted(c.before)}, after: {_quoted(c.after)}}}" for c in entry.changes]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted string


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_record_folder(content: Path, entries: dict[str, Recorded]) -> None:
    """Write each session's file whose text changed, each replaced in one step (so an interrupted
    publish leaves every file whole: the next publish finishes the rest), then drop the old record."""
    folder = content / RECORD_FOLDER
    folder.mkdir(exist_ok=True)
    for session_id, entry in sorted(entries.items()):
        target = folder / f"{session_id}.yaml"
        if not target.is_file() or target.read_text(encoding="utf-8") != entry_text(entry):
            _write_entry(folder, session_id, entry)  # only what changed, so git shows exactly that
    (content / OLD_RECORD).unlink(missing_ok=True)


def _write_entry(folder: Path, session_id: str, entry: Recorded) -> None:
    staging = folder / f".{session_id}.yaml.new-{os.getpid()}"
    staging.write_text(entry_text(entry), encoding="utf-8", newline="\n")
    os.replace(staging, folder / f"{session_id}.yaml")


def conflict_sides(text: str) -> tuple[str, str]:
    """The two versions of a file that git left with conflict markers (merge or diff3 style)."""
    ours, theirs, side = [], [], "both"
    for line in text.split("\n"):
        marker = line[:7]
        if marker == "<<<<<<<":
            side = "ours"
        elif marker == "|||||||" and side == "ours":
            side = "base"  # diff3 style: the common ancestor, which neither side keeps
        elif line.rstrip() == "=======" and side in ("ours", "base"):
            side = "theirs"
        elif marker == ">>>>>>>" and side == "theirs":
            side = "both"
        else:
            if side in ("both", "ours"):
                ours.append(line)
            if side in ("both", "theirs"):
                theirs.append(line)
    return "\n".join(ours), "\n".join(theirs)


@dataclass(frozen=True)
class Resolution:
    """One conflicted session file, resolved."""

    path: str
    session_id: str
    kept: Recorded
    other_sequence: int

    @property
    def needs_publishing(self) -> bool:
        return self.kept.fingerprint == UNSETTLED


def resolve_conflicts(content: Path, parse: YamlParser = parse_yaml) -> tuple[list[Resolution], list[Problem]]:
    """Resolve every conflicted file in content/published/ by keeping the newer side (see `newer`)."""
    folder = content / RECORD_FOLDER
    names = _file_names(folder)
    resolved, problems = [], []
    for name in names:
        shown = f"{content.name}/{RECORD_FOLDER}/{name}"
        source = read_text(folder / name, shown)
        if name.startswith(".") or source.problem is None or source.problem.code != MERGE_CONFLICT:
            continue
        session_id, sides = name.removesuffix(".yaml"), []
        for label, text in zip(("your side", "the other side"), conflict_sides(source.text)):
            entry, found = _entry_from_text(Text(text), f"{shown} ({label})", parse, session_id)
            problems += found
            sides.append(entry)
        if None not in sides:
            ours, theirs = sides
            kept = newer(ours, theirs)
            if ours.sequence == theirs.sequence and ours.fingerprint != theirs.fingerprint:
                # Either side may be what subscribers have under this SEQUENCE: the merged session
                # must be published above both, so no session's content matches this entry.
                kept = replace(kept, fingerprint=UNSETTLED)
            ours_kept = (ours.sequence, ours.modified) >= (theirs.sequence, theirs.modified)
            resolved.append(Resolution(shown, session_id, kept, (theirs if ours_kept else ours).sequence))
    if not problems:  # all or nothing: a side that cannot be read may hold the higher SEQUENCE
        for resolution in resolved:
            _write_entry(folder, resolution.session_id, resolution.kept)
    return resolved, problems
