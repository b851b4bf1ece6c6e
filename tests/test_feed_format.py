"""The bytes of every calendar file, as RFC 5545 and the calendar apps that poll it want them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from calendar_readers import read_icaljs_events
from conftest import copy_of_2023_program, run_build

EXPECTED = Path(__file__).resolve().parent / "example" / "expected"


@pytest.fixture(scope="module")
def real_site(tmp_path_factory) -> Path:
    project = copy_of_2023_program(tmp_path_factory.mktemp("feeds") / "project")
    out = project / "site"
    assert run_build(project, "--out", str(out)).returncode == 0
    return out


def _feeds(site: Path) -> list[Path]:
    return sorted(site.rglob("*.ics"))


def _unfolded(raw: bytes) -> list[str]:
    return raw.decode("utf-8").replace("\r\n ", "").split("\r\n")


@pytest.fixture(params=["real", "example"])
def site(request, real_site) -> Path:
    return real_site if request.param == "real" else EXPECTED


def test_lines_are_crlf_folded_at_75_octets_without_splitting_characters(site):
    for feed in _feeds(site):
        raw = feed.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), feed
        assert raw.endswith(b"END:VCALENDAR\r\n"), feed
        assert b"\n" not in raw.replace(b"\r\n", b""), f"{feed}: bare line feed"
        for line in raw.split(b"\r\n"):
            assert len(line) <= 75, f"{feed}: {line!r}"
            line.decode("utf-8")  # a line that ends inside a character would not decode


def test_calendar_properties(site):
    for feed in _feeds(site):
        lines = _unfolded(feed.read_bytes())
        head = lines[: lines.index("BEGIN:VTIMEZONE")] if "BEGIN:VTIMEZONE" in lines else lines
        names = {line.split(":", 1)[0].split(";", 1)[0] for line in head}
        assert {"VERSION", "PRODID", "CALSCALE", "NAME", "X-WR-CALNAME", "DESCRIPTION", "X-WR-CALDESC",
                "X-WR-TIMEZONE", "REFRESH-INTERVAL", "X-PUBLISHED-TTL", "URL", "SOURCE"} <= names, feed
        assert "METHOD" not in names  # METHOD:PUBLISH would oblige an ORGANIZER on every event
        assert any(re.fullmatch(r"REFRESH-INTERVAL;VALUE=DURATION:P(T\d+H|\d+D)", line) for line in head)
        assert any(re.fullmatch(r"X-PUBLISHED-TTL:P(T\d+H|\d+D)", line) for line in head)
        assert "SOURCE;VALUE=URI:" in "\n".join(head)


def _events(feed: Path) -> list[dict[str, str]]:
    events, current = [], None
    for line in _unfolded(feed.read_bytes()):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            name, value = line.split(":", 1)
            current[name] = value
    return events


def test_event_properties(site):
    for feed in _feeds(site):
        for event in _events(feed):
            keys = set(event)
            assert {"UID", "DTSTAMP", "SEQUENCE", "STATUS", "SUMMARY", "DESCRIPTION", "URL;VALUE=URI"} <= keys
            assert "DTSTART;TZID=America/Detroit" in keys and "DTEND;TZID=America/Detroit" in keys
            assert not any(name in ("DTSTART", "DTEND") for name in keys), "floating time"
            page = event["URL;VALUE=URI"]
            assert event["DESCRIPTION"].endswith(page)
            assert event["UID"].startswith(page.rstrip("/").rsplit("/", 1)[1] + "@")


def test_a_session_has_one_uid_in_every_file(site):
    seen: dict[str, set[str]] = {}
    for feed in _feeds(site):
        for event in _events(feed):
            seen.setdefault(event["URL;VALUE=URI"], set()).add(event["UID"])
    assert seen and all(len(uids) == 1 for uids in seen.values())
    assert len({uid for uids in seen.values() for uid in uids}) == len(seen)


def test_cancelled_session_stays_in_the_feed_marked_cancelled():
    events = read_icaljs_events([EXPECTED / "schedule.ics"])[str(EXPECTED / "schedule.ics")]
    cancelled = [e for e in events if e["uid"] == "first-steps-b@example.org"]
    assert cancelled and cancelled[0]["status"] == "CANCELLED"
    assert cancelled[0]["summary"] == "Cancelled: First Steps"


def test_text_escaping_survives_a_round_trip():
    events = read_icaljs_events([EXPECTED / "schedule.ics"])[str(EXPECTED / "schedule.ics")]
    titles = {e["summary"] for e in events}
    assert ("Long Titles: Ünïcödé, Commas, Semicolons; and “Quotes” — Folded at 75 Octets Without"
            " Splitting a Character") in titles


@pytest.mark.parametrize("name, description", [
    ("Ally Training: Psychological Safety", "A plain summary."),
    ("Allyship — “quotes”, commas; and semicolons", "Ünïcödé " * 30 + "that must fold without splitting a character."),
    ("x" * 200, "Back\\slash, new\nline and tab\tin one"),
])
def test_a_calendars_own_properties_are_what_icalendar_writes_for_them_together(name, description):
    """The head of each calendar file is put together from lines serialised apart (for speed):
    it must be byte for byte what icalendar writes for the whole calendar at once."""
    from datetime import timedelta

    from icalendar import Calendar, vDuration, vText

    from datetime import datetime, timezone

    from microsite.calendars import PRODUCT_ID, render_calendars
    from microsite.model import Schedule, Site, Topic

    site = Site(title="T", organisation="O", description="D", time_zone="America/Detroit", time_zone_label="ET",
                base_url="https://example.org/série/", language="en", contact_email="", feed_refresh_hours=12)
    whole = Calendar()
    whole.add("version", "2.0")
    whole.add("prodid", PRODUCT_ID)
    whole.add("calscale", "GREGORIAN")
    for key in ("name", "x-wr-calname"):
        whole.add(key, vText(f"T: {name}"))  # a topic's feed is named "<site title>: <topic title>"
    for key in ("description", "x-wr-caldesc"):
        whole.add(key, vText(description))
    whole.add("x-wr-timezone", site.time_zone)
    whole.add("refresh-interval", timedelta(hours=12), parameters={"VALUE": "DURATION"})
    whole.add("x-published-ttl", vDuration(timedelta(hours=12)))
    for key in ("url", "source"):
        whole.add(key, site.absolute("topics/x.ics"), parameters={"VALUE": "URI"})
    # A topic with no sessions yet: its feed is the calendar's own properties alone.
    topic = Topic(slug="x", title=name, summary=description, body_html="", source="content/topics/x.md")
    schedule = Schedule(site=site, topics=(topic,), sessions=(), pages=(),
                        content_changed_at=datetime(2023, 1, 1, tzinfo=timezone.utc))
    feed = {file.path: file.content for file in render_calendars(schedule)}["topics/x.ics"]
    assert feed == whole.to_ical()
