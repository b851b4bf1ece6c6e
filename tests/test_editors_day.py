"""What editors do, as they do it: a day of content changes passes the pull-request checks, and no
generator test depends on what content/ holds today."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from calendar_readers import read_with_ical
from conftest import REPO, copy_of_2023_program, run_build

NEW_TOPIC = """\
---
title: Allyship in Practice
summary: Turning what the series taught into everyday habits.
---
A new topic, added by an editor during the day.
"""
NEW_SESSION = """
- id: allyship-in-practice-2023-1
  topic: allyship-in-practice
  date: 2023-12-06
  start: 12:00
  end: 13:00
"""


NEW_SERIES = """\
---
title: 2024 Ally Training series
summary: The sessions of 2024.
---
The 2024 series.
"""
NEW_SERIES_SESSION = """- id: psychological-safety-2024-1
  series: "2024"
  topic: psychological-safety
  date: 2024-02-13
  start: 12:00
  end: 14:00
"""


def _entry_field(text: str, session_id: str, field: str, value: str) -> str:
    """sessions.yaml with one field of one entry set, as an editor types it."""
    start = text.index(f"- id: {session_id}\n")
    end = text.find("\n- id:", start + 1)
    end = len(text) if end == -1 else end
    entry = text[start:end]
    if re.search(rf"^  {field}: .*$", entry, re.M):
        entry = re.sub(rf"^  {field}: .*$", f"  {field}: {value}", entry, flags=re.M)
    else:
        entry = entry.rstrip("\n") + f"\n  {field}: {value}\n"
    return text[:start] + entry + text[end:]


def test_an_editors_day_passes_what_the_pull_request_job_runs(tmp_path):
    """Add a topic and a session, move one, cancel one, start a new series, publish: `build.py
    check` (the workflow's gate on content) passes, and subscribers get exactly those changes."""
    project = copy_of_2023_program(tmp_path / "project")
    sessions = project / "content/sessions.yaml"
    before = read_with_ical(_built(project, tmp_path / "before") / "schedule.ics")

    (project / "content/topics/allyship-in-practice.md").write_text(NEW_TOPIC)
    text = sessions.read_text() + NEW_SESSION
    text = _entry_field(text, "systemic-racism-pt-2-2023-2", "date", "2023-03-30")  # moved two days on
    text = _entry_field(text, "disability-and-allyship-2023-1", "status", "cancelled")
    text = _entry_field(text, "disability-and-allyship-2023-1", "reason", "The room is unavailable.")
    # A new series, as the README says: its file, and every session naming its series.
    (project / "content/series/2024.md").write_text(NEW_SERIES)
    text = re.sub(r"^(- id: .*)$", r'\1\n  series: "2023"', text, flags=re.M) + NEW_SERIES_SESSION
    sessions.write_text(text)

    preview = run_build(project)  # what an editor sees before publishing
    assert preview.returncode == 0, preview.stderr
    assert "4 sessions new or changed since the last publication" in preview.stderr
    published = run_build(project, "publish", env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert published.returncode == 0, published.stderr
    checked = run_build(project, "check")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("Checked 15 sessions of 8 topics")

    after = read_with_ical(project / "site/schedule.ics")  # an independent parser: UID -> (start, end)
    moved, cancelled, added, next_year = (f"{name}@ally-training.example.org" for name in (
        "systemic-racism-pt-2-2023-2", "disability-and-allyship-2023-1", "allyship-in-practice-2023-1",
        "psychological-safety-2024-1"))
    assert set(after) == set(before) | {added, next_year}  # nothing lost, nothing doubled
    assert {uid for uid in before if before[uid] != after[uid]} == {moved}
    events = {re.search(r"^UID:(.*)$", event, re.M).group(1): event  # read_text() turned CRLF into newlines
              for event in (project / "site/schedule.ics").read_text().split("BEGIN:VEVENT")[1:]}
    for uid, event in events.items():  # calendars apply a change only when SEQUENCE rises
        assert f"SEQUENCE:{1 if uid in (moved, cancelled) else 0}" in event, uid
    assert "STATUS:CANCELLED" in events[cancelled] and "STATUS:CONFIRMED" in events[moved]
    index = (project / "site/index.html").read_text()  # the new series leads the home page
    assert '<h2 id="current-series-heading">2024 Ally Training series</h2>' in index
    assert (project / "site/series/2023/index.html").is_file() and (project / "site/series/2024.ics").is_file()


def _built(project: Path, out: Path) -> Path:
    result = run_build(project, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_no_generator_test_reads_todays_content():
    """Editors change content/ every week: a test that read it would fail their pull requests."""
    reads_content = re.compile(r"run_build\(REPO\b|REPO\s*/\s*(\"content|'content|SESSIONS\b|SITE\b|TOPIC\b)"
                               r"|copytree\(REPO\s*/\s*\"content\"")
    offenders = [f"{path.name}:{number}" for path in sorted((REPO / "tests").glob("*.py"))
                 for number, line in enumerate(path.read_text().splitlines(), start=1) if reads_content.search(line)]
    assert offenders == []


def _git(project: Path, *args: str) -> subprocess.CompletedProcess:
    """git as an editor runs it, with a fixed identity and no user configuration."""
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(project.parent), "GIT_CONFIG_NOSYSTEM": "1",
                   "GIT_AUTHOR_NAME": "Editor", "GIT_AUTHOR_EMAIL": "editor@example.org",
                   "GIT_COMMITTER_NAME": "Editor", "GIT_COMMITTER_EMAIL": "editor@example.org"}
    return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, env=environment,
                          timeout=60, check=False)


def _published_branch(project: Path, branch: str, edit, epoch: str) -> None:
    """One editor's pull request: a branch from main with a content change, published and committed."""
    assert _git(project, "switch", "-q", "-c", branch, "main").returncode == 0
    edit(project / "content/sessions.yaml")
    published = run_build(project, "publish", env={"SOURCE_DATE_EPOCH": epoch})
    assert published.returncode == 0, published.stderr
    assert _git(project, "add", "content").returncode == 0
    assert _git(project, "commit", "-q", "-m", f"{branch}: publish").returncode == 0


def _sessions_edit(*changes: tuple[str, str, str], appended: str = ""):
    def edit(path: Path) -> None:
        text = path.read_text()
        for session_id, field, value in changes:
            text = _entry_field(text, session_id, field, value)
        path.write_text(text + appended)
    return edit


def _in_git(tmp_path: Path) -> Path:
    project = copy_of_2023_program(tmp_path / "project")
    (project / ".gitignore").write_text("site/\n.cache/\n")
    assert _git(project, "init", "-q", "-b", "main").returncode == 0
    assert _git(project, "add", ".").returncode == 0
    assert _git(project, "commit", "-q", "-m", "The 2023 series").returncode == 0
    return project


def _feed_events(project: Path) -> dict[str, str]:
    return {re.search(r"^UID:(.*)$", event, re.M).group(1).split("@")[0]: event
            for event in (project / "site/schedule.ics").read_text().split("BEGIN:VEVENT")[1:]}


def test_two_editors_publish_different_sessions_and_merge_without_conflict(tmp_path):
    """Two pull requests, each published: git merges them, and the merged record is right for both."""
    project = _in_git(tmp_path)
    _published_branch(project, "add-and-move", _sessions_edit(
        ("systemic-racism-pt-2-2023-2", "date", "2023-03-30")), "1700000000")
    _published_branch(project, "cancel-and-add", _sessions_edit(
        ("disability-and-allyship-2023-1", "status", "cancelled"), appended=NEW_SESSION.replace(
            "allyship-in-practice", "justice-at-work-debrief").replace("2023-1\n", "2023-2\n")), "1700086400")

    assert _git(project, "switch", "-q", "main").returncode == 0
    for branch in ("add-and-move", "cancel-and-add"):  # merged one after the other, as GitHub does
        merged = _git(project, "merge", "--no-ff", "--no-edit", branch)
        assert merged.returncode == 0 and "CONFLICT" not in merged.stdout, merged.stdout + merged.stderr
    checked = run_build(project, "check")  # the workflow's gate, on the merged main
    assert checked.returncode == 0, checked.stderr
    built = run_build(project)
    assert built.returncode == 0 and built.stderr == "", built.stderr  # nothing left unrecorded
    events = _feed_events(project)
    assert len(events) == 14  # every session once: nothing lost, nothing doubled
    sequences = {session_id: int(re.search(r"^SEQUENCE:(\d+)$", event, re.M).group(1))
                 for session_id, event in events.items()}
    assert {name for name, sequence in sequences.items() if sequence} == {
        "systemic-racism-pt-2-2023-2", "disability-and-allyship-2023-1"}
    assert sequences["justice-at-work-debrief-2023-2"] == 0


def test_two_editors_change_one_session_and_resolve_keeps_the_higher_sequence(tmp_path):
    """Both pull requests moved the same session: after the editor picks the time in sessions.yaml,
    `resolve` mends the record, and `publish` puts the session above both sides' SEQUENCE."""
    project = _in_git(tmp_path)
    _published_branch(project, "first", _sessions_edit(("psychological-safety-2023-1", "date", "2023-10-05")),
                      "1700000000")
    _published_branch(project, "second", _sessions_edit(("psychological-safety-2023-1", "date", "2023-10-06")),
                      "1700086400")
    assert _git(project, "switch", "-q", "main").returncode == 0
    assert _git(project, "merge", "-q", "--no-edit", "first").returncode == 0  # merged and deployed
    deployed = run_build(project)
    assert deployed.returncode == 0, deployed.stderr
    assert "SEQUENCE:1" in _feed_events(project)["psychological-safety-2023-1"]
    assert _git(project, "switch", "-q", "second").returncode == 0

    merging = _git(project, "merge", "--no-edit", "main")  # the second branch is brought up to date
    assert merging.returncode == 1 and "content/published/psychological-safety-2023-1.yaml" in merging.stdout
    stopped = run_build(project)
    assert stopped.returncode == 1
    assert "content/published/psychological-safety-2023-1.yaml:" in stopped.stderr
    assert "run `python build.py resolve`" in stopped.stderr
    sessions = project / "content/sessions.yaml"  # the editor keeps their own date in the content
    text = sessions.read_text()
    sessions.write_text(re.sub(r"<<<<<<< .*?\n(.*?)=======\n.*?>>>>>>> .*?\n", r"\1", text, flags=re.S))

    resolved = run_build(project, "resolve")
    assert resolved.returncode == 0, resolved.stderr
    assert resolved.stdout.splitlines() == [
        "content/published/psychological-safety-2023-1.yaml: kept SEQUENCE 1 (the other side had 1, with other"
        " content)",
        "The merged content changes 1 session beyond the record (psychological-safety-2023-1): run"
        " `python build.py publish`, then `git add content/` and commit."]
    published = run_build(project, "publish", env={"SOURCE_DATE_EPOCH": "1700172800"})
    assert published.returncode == 0, published.stderr
    assert "  changed  psychological-safety-2023-1  SEQUENCE 2" in published.stdout
    assert _git(project, "commit", "-qam", "Merge main").returncode == 0
    assert run_build(project, "check").returncode == 0
    event = _feed_events(project)["psychological-safety-2023-1"]
    assert "SEQUENCE:2" in event and "DTSTART;TZID=America/Detroit:20231006T120000" in event
