"""Subscribers stay right when the schedule changes: the scenario of a published series edited later."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from calendar_readers import read_icaljs_events, read_with_ical, read_with_icaljs, read_with_vobject
from conftest import run_build

T0, T1, T2 = "1675209600", "1675987200", "1676937600"  # 2023-02-01, 2023-02-10, 2023-02-21 (UTC)

SESSIONS = """\
- id: alpha-1
  topic: alpha
  date: 2023-02-17
  start: 12:00
  end: 14:00
- id: alpha-2
  topic: alpha
  date: 2023-03-28
  start: 12:00
  end: 14:00
- id: beta-1
  topic: beta
  date: 2023-04-04
  start: 12:00
  end: 13:30
"""
BETA = "---\ntitle: Beta\nsummary: The beta topic.\n---\nBeta.\n"


def events_by_uid(feed: Path) -> dict[str, bytes]:
    """Each VEVENT's exact bytes, by UID."""
    blocks = re.findall(rb"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", feed.read_bytes(), re.S)
    return {re.search(rb"\r\nUID:([^\r]+)\r\n", block).group(1).decode(): block for block in blocks}


def field(block: bytes, name: str) -> str:
    return re.search(rb"\r\n" + name.encode() + rb"[:;]([^\r]*)\r\n", block).group(1).decode()


def edit(project: Path, name: str, old: str, new: str) -> None:
    path = project / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def move_and_cancel(project: Path) -> None:
    edit(project, "content/sessions.yaml", "  date: 2023-03-28\n  start: 12:00\n", "  date: 2023-03-30\n  start: 13:00\n")
    edit(project, "content/sessions.yaml", "  end: 13:30\n", "  end: 13:30\n  status: cancelled\n  reason: The speaker is ill.\n")
    edit(project, "content/topics/alpha.md", "Alpha is the first topic.", "Alpha is the first topic, now described at length.")


@pytest.fixture
def published(make_project) -> Path:
    project = make_project({"content/sessions.yaml": SESSIONS, "content/topics/beta.md": BETA})
    result = run_build(project, "publish", env={"SOURCE_DATE_EPOCH": T0})
    assert result.returncode == 0, result.stderr
    return project


def test_move_cancel_and_describe_reach_subscribers(published):
    before = {feed.relative_to(published / "site"): events_by_uid(feed) for feed in (published / "site").rglob("*.ics")}
    move_and_cancel(published)
    preview = run_build(published, env={"SOURCE_DATE_EPOCH": T1})
    assert preview.returncode == 0
    assert "2 sessions new or changed since the last publication ('alpha-2', 'beta-1')" in preview.stderr
    site = published / "site"
    for feed_path, old_events in before.items():
        new_events = events_by_uid(site / feed_path)
        assert set(new_events) == set(old_events), "UIDs must not change"
        for uid, block in new_events.items():
            if uid.startswith(("alpha-2@", "beta-1@")):
                assert int(field(block, "SEQUENCE")) == int(field(old_events[uid], "SEQUENCE")) + 1
                assert field(block, "DTSTAMP") == "20230210T000000Z"
            else:
                assert block == old_events[uid], f"{feed_path}: {uid} changed"
    cancelled = events_by_uid(site / "schedule.ics")["beta-1@schedule.example.org"]
    assert field(cancelled, "STATUS") == "CANCELLED"
    assert field(cancelled, "SUMMARY") == "Cancelled: Beta"
    # Every feed still reads to the right instants in three independent parsers.
    feeds = sorted(site.rglob("*.ics"))
    by_icaljs = read_with_icaljs(feeds)
    moved = (datetime(2023, 3, 30, 17, tzinfo=timezone.utc), datetime(2023, 3, 30, 18, tzinfo=timezone.utc))
    for feed in feeds:
        for reader in (read_with_vobject(feed), read_with_ical(feed), by_icaljs[feed]):
            if "alpha-2@schedule.example.org" in reader:
                assert reader["alpha-2@schedule.example.org"] == moved


def test_previews_and_undone_edits_do_not_inflate_sequence(published):
    move_and_cancel(published)
    assert run_build(published, env={"SOURCE_DATE_EPOCH": T1}).returncode == 0
    once = (published / "site/schedule.ics").read_bytes()
    for _ in range(10):
        assert run_build(published, env={"SOURCE_DATE_EPOCH": T1}).returncode == 0
    edit(published, "content/sessions.yaml", "start: 13:00", "start: 12:30")
    assert run_build(published, env={"SOURCE_DATE_EPOCH": T1}).returncode == 0
    edit(published, "content/sessions.yaml", "start: 12:30", "start: 13:00")
    assert run_build(published, env={"SOURCE_DATE_EPOCH": T1}).returncode == 0
    assert (published / "site/schedule.ics").read_bytes() == once
    assert b"SEQUENCE:2" not in once


def test_publishing_records_the_change_once(published):
    original = events_by_uid(published / "site/schedule.ics")
    move_and_cancel(published)
    publication = run_build(published, "publish", env={"SOURCE_DATE_EPOCH": T2})
    assert publication.returncode == 0, publication.stderr
    assert publication.stdout.splitlines()[:3] == [  # what the editor is told was recorded
        "Recorded 2 sessions in content/published/ (commit it with your change):",
        "  moved      alpha-2  SEQUENCE 1  from Tuesday, March 28, 2023, noon to Thursday, March 30, 2023, 1:00 p.m.",
        "  cancelled  beta-1   SEQUENCE 1"]
    after_publish = events_by_uid(published / "site/schedule.ics")
    assert after_publish["alpha-1@schedule.example.org"] == original["alpha-1@schedule.example.org"]
    assert field(after_publish["alpha-2@schedule.example.org"], "SEQUENCE") == "1"
    assert field(after_publish["alpha-2@schedule.example.org"], "LAST-MODIFIED") == "20230221T000000Z"
    # Rebuilding later, on any machine, changes nothing and warns of nothing.
    rebuilt = run_build(published, env={"SOURCE_DATE_EPOCH": "1800000000"})
    assert rebuilt.returncode == 0 and rebuilt.stderr == ""
    assert events_by_uid(published / "site/schedule.ics") == after_publish
    # A second publish without changes records nothing new.
    record = {path.name: path.read_text() for path in (published / "content/published").iterdir()}
    again = run_build(published, "publish", env={"SOURCE_DATE_EPOCH": "1800000000"})
    assert again.stdout.startswith("Nothing new to record: every session is as subscribers were last given it.")
    assert {path.name: path.read_text() for path in (published / "content/published").iterdir()} == record


def test_cancelled_and_moved_sessions_are_shown_in_words_everywhere(published):
    move_and_cancel(published)
    assert run_build(published, "publish", env={"SOURCE_DATE_EPOCH": T2}).returncode == 0
    site = published / "site"
    index = (site / "index.html").read_text()
    assert "Cancelled: Beta</a>" in index and '<p class="session-status">The speaker is ill.</p>' in index
    assert "Moved from Tuesday, March 28, 2023, noon" in index
    assert ">Cancelled: Tuesday, April 4, 2023</a>" in (site / "topics/beta/index.html").read_text()
    assert "<strong>CANCELLED</strong>" in (site / "print/index.html").read_text()
    page = (site / "sessions/beta-1/index.html").read_text()
    assert "This session is cancelled." in page and '"eventStatus": "https://schema.org/EventCancelled"' in page
    moved_page = (site / "sessions/alpha-2/index.html").read_text()
    assert '"eventStatus": "https://schema.org/EventRescheduled"' in moved_page
    assert '"previousStartDate": "2023-03-28T12:00-04:00"' in moved_page
    data = {s["id"]: s for s in json.loads((site / "schedule.json").read_text())["sessions"]}
    assert data["beta-1"]["status"] == "cancelled" and data["beta-1"]["reason"] == "The speaker is ill."
    assert data["alpha-2"]["moved_from"] == "2023-03-28T12:00-04:00"


def test_what_changed_page_and_atom_feed(published):
    move_and_cancel(published)
    assert run_build(published, "publish", env={"SOURCE_DATE_EPOCH": T2}).returncode == 0
    page = (published / "site/changes/index.html").read_text()
    assert "Moved: Alpha, from Tuesday, March 28, 2023, noon to Thursday, March 30, 2023, 1:00 p.m." in page
    assert "Cancelled: Beta, Tuesday, April 4, 2023, noon." in page
    assert "The schedule was published with 3 sessions." in page
    atom = ElementTree.parse(published / "site/changes.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [entry.findtext("a:title", namespaces=ns) for entry in atom.findall("a:entry", ns)]
    assert titles[0].startswith("Moved: Alpha") and titles[1].startswith("Cancelled: Beta")
    assert titles[2] == "The schedule was published with 3 sessions."
    assert atom.findtext("a:updated", namespaces=ns) == "2023-02-21T00:00:00Z"
    ids = [entry.findtext("a:id", namespaces=ns) for entry in atom.findall("a:entry", ns)]
    assert len(set(ids)) == len(ids)


def test_removing_a_published_session_is_refused_until_withdrawn(published):
    edit(published, "content/sessions.yaml", SESSIONS[SESSIONS.index("- id: beta-1"):], "")
    before = (published / "site/schedule.ics").read_bytes()
    result = run_build(published)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith("content/published/beta-1.yaml:1: ")
    assert result.stderr.splitlines()[0].endswith(
        ": session 'beta-1' was published but is no longer in content/sessions.yaml, so subscribers would keep"
        " it as a ghost; to cancel it, put its entry back with `status: cancelled`; to remove it anyway,"
        " run `python build.py publish --withdraw beta-1`")
    assert (published / "site/schedule.ics").read_bytes() == before
    withdrawn = run_build(published, "publish", "--withdraw", "beta-1", env={"SOURCE_DATE_EPOCH": T2})
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "  withdrawn  beta-1  SEQUENCE 1" in withdrawn.stdout
    assert "beta-1" not in events_by_uid(published / "site/schedule.ics")
    assert "Removed from the schedule: session beta-1." in (published / "site/changes/index.html").read_text()
    # The ID is remembered: a session given it again later is new to calendars, above the old SEQUENCE.
    edit(published, "content/sessions.yaml", "- id: alpha-1", "- id: beta-1\n  topic: beta\n  date: 2023-05-02"
         "\n  start: 12:00\n  end: 13:00\n- id: alpha-1")
    again = run_build(published, "publish", env={"SOURCE_DATE_EPOCH": T2})
    assert again.returncode == 0, again.stderr
    assert "  new  beta-1  SEQUENCE 2" in again.stdout
    assert field(events_by_uid(published / "site/schedule.ics")["beta-1@schedule.example.org"], "SEQUENCE") == "2"


def test_add_to_calendar_links_across_a_dst_change(published):
    """alpha-2 is on 2023-03-28, after clocks moved on 03-12: noon Detroit is 16:00 UTC, not 17:00."""
    page = (published / "site/sessions/alpha-2/index.html").read_text()
    links = dict(re.findall(r'<a href="([^"]+)">((?:Google Calendar|Outlook)[^<]*)<', page))
    by_name = {name: url.replace("&amp;", "&") for url, name in links.items()}
    assert sorted(by_name) == ["Google Calendar", "Outlook for Microsoft 365", "Outlook.com"]
    google = parse_qs(urlsplit(by_name["Google Calendar"]).query)
    assert google["action"] == ["TEMPLATE"]
    assert google["dates"] == ["20230328T160000Z/20230328T180000Z"]
    assert google["ctz"] == ["America/Detroit"]
    assert google["text"] == ["Alpha"]
    for name, host in (("Outlook.com", "outlook.live.com"), ("Outlook for Microsoft 365", "outlook.office.com")):
        parts = urlsplit(by_name[name])
        query = parse_qs(parts.query)
        assert parts.netloc == host and parts.path == "/calendar/0/deeplink/compose"
        assert query["startdt"] == ["2023-03-28T16:00:00Z"] and query["enddt"] == ["2023-03-28T18:00:00Z"]
        assert query["rru"] == ["addevent"]


def test_subscribe_links_are_well_formed(published):
    page = (published / "site/topics/alpha/index.html").read_text().replace("&amp;", "&")
    feed = "https://schedule.example.org/topics/alpha.ics"
    assert 'href="webcal://schedule.example.org/topics/alpha.ics"' in page
    google = re.search(r'href="(https://calendar.google.com/calendar/r\?cid=[^"]+)"', page).group(1)
    assert parse_qs(urlsplit(google).query)["cid"] == ["webcal://schedule.example.org/topics/alpha.ics"]
    for host in ("outlook.live.com", "outlook.office.com"):
        url = re.search(rf'href="(https://{host}/calendar/0/addfromweb\?[^"]+)"', page).group(1)
        assert parse_qs(urlsplit(url).query) == {"url": [feed], "name": ["Test Program: Alpha"]}
    assert f'value="{feed}"' in page and 'type="url" readonly' in page
    assert '<link rel="alternate" type="text/calendar" title="Test Program calendar" href="../alpha.ics">' in page


def test_hosts_are_told_to_serve_calendars_as_text_calendar(published):
    headers = (published / "site/_headers").read_text()
    assert "/*.ics\n  Content-Type: text/calendar; charset=utf-8\n" in headers  # one pattern for every feed
    assert "/sessions/*.ics\n  Content-Disposition: attachment\n" in headers  # a session is a download
    htaccess = (published / "site/.htaccess").read_text()
    assert "AddType text/calendar .ics" in htaccess and "ErrorDocument 404 /404.html" in htaccess


def test_icaljs_sees_sequence_and_status(published):
    move_and_cancel(published)
    assert run_build(published, "publish", env={"SOURCE_DATE_EPOCH": T2}).returncode == 0
    feed = published / "site/schedule.ics"
    events = {e["uid"]: e for e in read_icaljs_events([feed])[str(feed)]}
    assert events["beta-1@schedule.example.org"]["status"] == "CANCELLED"
    assert events["beta-1@schedule.example.org"]["sequence"] == 1
    assert events["alpha-1@schedule.example.org"]["sequence"] == 0


def test_a_publication_is_never_stamped_before_the_last_one(published):
    """A clock that runs behind must not make a change look older than what subscribers have."""
    move_and_cancel(published)
    assert run_build(published, "publish", env={"SOURCE_DATE_EPOCH": "1600000000"}).returncode == 0  # 2020
    moved = events_by_uid(published / "site/schedule.ics")["alpha-2@schedule.example.org"]
    assert field(moved, "LAST-MODIFIED") == "20230201T000001Z"  # one second after the first publication


@pytest.mark.parametrize("kind, before, after, expected", [
    ("moved", "2023-03-28T12:00:00-04:00", "2023-03-30T15:00:00-04:00",
     "Moved: Alpha, from Tuesday, March 28, 2023, noon to Thursday, March 30, 2023, 3:00 p.m."),
    ("cancelled", "", "2023-03-28T10:30:00-04:00", "Cancelled: Alpha, Tuesday, March 28, 2023, 10:30 a.m."),
    ("added", "", "2023-03-28T12:00:00-04:00", "Added: Alpha, Tuesday, March 28, 2023, noon."),
    ("relocated", "Room 1", "Room 2", "New location for Alpha: Room 2 (was Room 1)."),
])
def test_each_change_reads_as_one_sentence_with_one_full_stop(kind, before, after, expected):
    from datetime import datetime, timezone

    from microsite.formatting import change_text
    from microsite.model import Change

    change = Change(datetime(2023, 3, 1, tzinfo=timezone.utc), kind, "alpha-1", "Alpha", before, after)
    assert change_text(change) == expected
