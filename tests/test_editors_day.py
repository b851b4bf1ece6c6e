"""What editors do, as they do it: a day of content changes passes the pull-request checks, and no
generator test depends on what content/ holds today."""

from __future__ import annotations

import re
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
    """Add a topic and a session, move one, cancel one, publish: `build.py check` (the workflow's
    gate on content) passes, and subscribers get exactly those changes."""
    project = copy_of_2023_program(tmp_path / "project")
    sessions = project / "content/sessions.yaml"
    before = read_with_ical(_built(project, tmp_path / "before") / "schedule.ics")

    (project / "content/topics/allyship-in-practice.md").write_text(NEW_TOPIC)
    text = sessions.read_text() + NEW_SESSION
    text = _entry_field(text, "systemic-racism-pt-2-2023-2", "date", "2023-03-30")  # moved two days on
    text = _entry_field(text, "disability-and-allyship-2023-1", "status", "cancelled")
    sessions.write_text(_entry_field(text, "disability-and-allyship-2023-1", "reason", "The room is unavailable."))

    preview = run_build(project)  # what an editor sees before publishing
    assert preview.returncode == 0, preview.stderr
    assert "3 sessions new or changed since the last publication" in preview.stderr
    published = run_build(project, "publish", env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert published.returncode == 0, published.stderr
    checked = run_build(project, "check")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("Checked 14 sessions of 8 topics")

    after = read_with_ical(project / "site/schedule.ics")  # an independent parser: UID -> (start, end)
    moved, cancelled, added = (f"{name}@ally-training.example.org" for name in (
        "systemic-racism-pt-2-2023-2", "disability-and-allyship-2023-1", "allyship-in-practice-2023-1"))
    assert set(after) == set(before) | {added}  # nothing lost, nothing doubled
    assert {uid for uid in before if before[uid] != after[uid]} == {moved}
    events = {re.search(r"^UID:(.*)$", event, re.M).group(1): event  # read_text() turned CRLF into newlines
              for event in (project / "site/schedule.ics").read_text().split("BEGIN:VEVENT")[1:]}
    for uid, event in events.items():  # calendars apply a change only when SEQUENCE rises
        assert f"SEQUENCE:{1 if uid in (moved, cancelled) else 0}" in event, uid
    assert "STATUS:CANCELLED" in events[cancelled] and "STATUS:CONFIRMED" in events[moved]


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
