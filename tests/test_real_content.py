"""The 2023 series (tests/program-2023, a copy of the content as announced) builds cleanly into
the site it needs, matching the seed."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest

from calendar_readers import read_with_ical, read_with_icaljs, read_with_vobject
from conftest import copy_of_2023_program, run_build
from seed import seed_sessions

DETROIT = ZoneInfo("America/Detroit")
HOST = "ally-training.example.org"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    project = copy_of_2023_program(tmp_path_factory.mktemp("real") / "project")
    out = project / "site"
    result = run_build(project, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warnings either
    return out


@pytest.fixture(scope="module")
def data(site) -> dict:
    return json.loads((site / "schedule.json").read_text(encoding="utf-8"))


def test_sessions_match_the_seed_exactly(data):
    built = sorted((s["title"], s["start"], s["end"]) for s in data["sessions"])
    expected = sorted(
        (s.title, datetime.combine(s.day, s.start, DETROIT).isoformat(timespec="minutes"),
         datetime.combine(s.day, s.end, DETROIT).isoformat(timespec="minutes"))
        for s in seed_sessions())
    assert len(built) == 13
    assert built == expected


def test_seed_weekdays_agree_with_the_dates():
    assert all(s.day.strftime("%A") == s.weekday for s in seed_sessions())


@pytest.mark.parametrize("uid_start, start_utc, end_utc", [
    ("systemic-racism-pt-2-2023-1", "2023-02-17T17:00:00+00:00", "2023-02-17T19:00:00+00:00"),  # EST
    ("systemic-racism-pt-2-2023-2", "2023-03-28T16:00:00+00:00", "2023-03-28T18:00:00+00:00"),  # EDT from 03-12
    ("lgbtq-inequities-pt-2-2023-2", "2023-06-14T19:00:00+00:00", "2023-06-14T21:00:00+00:00"),
    ("psychological-safety-2023-2", "2023-11-14T17:00:00+00:00", "2023-11-14T19:00:00+00:00"),  # EST from 11-05
    ("justice-at-work-debrief-2023-1", "2023-11-30T17:00:00+00:00", "2023-11-30T22:00:00+00:00"),
])
def test_feed_instants_known_by_hand(site, uid_start, start_utc, end_utc):
    uid = f"{uid_start}@{HOST}"
    expected = (datetime.fromisoformat(start_utc), datetime.fromisoformat(end_utc))
    feed = site / "schedule.ics"
    assert read_with_vobject(feed)[uid] == expected
    assert read_with_ical(feed)[uid] == expected
    assert read_with_icaljs([feed])[feed][uid] == expected


def _expected_instants(data: dict) -> dict:
    return {s["uid"]: (datetime.fromisoformat(s["start"]).astimezone(timezone.utc),
                       datetime.fromisoformat(s["end"]).astimezone(timezone.utc)) for s in data["sessions"]}


def test_every_feed_reads_the_same_in_three_parsers(site, data):
    """vobject, ical and ical.js agree with zoneinfo for every event of every .ics file."""
    expected = _expected_instants(data)
    feeds = sorted(site.rglob("*.ics"))
    assert len(feeds) == 1 + 7 + 13 + 1  # the whole schedule, each topic, each session, the series
    by_icaljs = read_with_icaljs(feeds)
    for feed in feeds:
        for reader in (read_with_vobject(feed), read_with_ical(feed), by_icaljs[feed]):
            assert reader, feed
            assert {uid: expected[uid] for uid in reader} == reader, feed


def test_each_topic_feed_holds_exactly_its_sessions(site, data):
    for topic in data["topics"]:
        feed = site / "topics" / f"{topic['slug']}.ics"
        mine = {s["uid"] for s in data["sessions"] if s["topic"] == topic["slug"]}
        assert set(read_with_vobject(feed)) == mine
    assert {len([s for s in data["sessions"] if s["topic"] == t["slug"]]) for t in data["topics"]} == {1, 2}


def test_each_session_download_holds_that_session(site, data):
    for session in data["sessions"]:
        assert list(read_with_vobject(site / "sessions" / f"{session['id']}.ics")) == [session["uid"]]


def test_expected_pages_exist(site, data):
    paths = ["index.html", "about/index.html", "print/index.html", "404.html", "sitemap.xml", "robots.txt",
             "schedule.ics", "schedule.json"]
    assert len(list(site.glob("assets/style.*.css"))) == len(list(site.glob("assets/favicon.*.svg"))) == 1
    paths += [f"topics/{t['slug']}/index.html" for t in data["topics"]]
    paths += [f"sessions/{s['id']}/index.html" for s in data["sessions"]]
    assert [p for p in paths if not (site / p).is_file()] == []


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        for name in ("href", "src"):
            if attributes.get(name) is not None:
                self.urls.append(attributes[name])


def test_relative_links_resolve_inside_the_site(site):
    """Every relative link and anchor points at a built file, so the site works from disk and sub-paths."""
    pages = {page: _parse(page) for page in site.rglob("*.html") if page.name != "404.html"}
    broken = []
    for page, links in pages.items():
        for url in links.urls:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file() or site.resolve() not in target.parents:
                broken.append(f"{page.relative_to(site)} -> {url}")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in _parse(target).ids:
                broken.append(f"{page.relative_to(site)} -> {url} (no such anchor)")
    assert broken == []


def _parse(page: Path) -> _Links:
    links = _Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def test_schedule_page_lists_sessions_in_date_order_grouped_by_month(site, data):
    html = (site / "index.html").read_text(encoding="utf-8")
    months = re.findall(r'<h3 id="month-[\d-]+">([^<]+)</h3>', html)  # under the series' heading
    assert months == ["February 2023", "March 2023", "April 2023", "May 2023", "June 2023", "July 2023",
                      "August 2023", "September 2023", "October 2023", "November 2023"]
    starts = re.findall(r'<time datetime="(2023-[^"]+T[^"]+)">', html)[::2]
    assert starts == sorted(starts, key=datetime.fromisoformat) and len(starts) == 13
    assert "Friday, February 17, 2023" in html and "Noon</time>–<time" in html and "Eastern Time" in html


def test_absolute_urls_only_where_they_must_be(site):
    """The base URL appears in canonical links, feeds and the sitemap, never in page-to-page links."""
    index = (site / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="https://{HOST}/">' in index
    assert f'href="https://{HOST}/topics/' not in index
    assert f"<loc>https://{HOST}/topics/psychological-safety/</loc>" in (site / "sitemap.xml").read_text()
    assert (site / "robots.txt").read_text().endswith(f"Sitemap: https://{HOST}/sitemap.xml\n")


def test_contact_email_is_left_out_while_unset(site):
    assert "mailto:" not in "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))


def test_every_session_page_describes_its_event_for_search_engines(site, data):
    for session in data["sessions"]:
        page = (site / "sessions" / session["id"] / "index.html").read_text(encoding="utf-8")
        block = re.search(r'<script type="application/ld\+json">\n(.*?)\n</script>', page, re.S).group(1)
        event = json.loads(block)
        assert event["@type"] == "Event" and event["name"] == session["title"]
        assert event["startDate"] == session["start"] and re.search(r"[+-]\d\d:\d\d$", event["endDate"])
        assert event["eventStatus"] == "https://schema.org/EventScheduled"
        assert event["url"] == session["url"] and event["description"]
        assert event["organizer"]["name"] == "WMed Office of Diversity, Equity and Inclusiveness"
        assert "eventAttendanceMode" not in event and "location" not in event  # the seed does not say


def test_pages_have_descriptions_and_open_graph(site):
    for page in site.rglob("*.html"):
        if page.name == "404.html":
            continue
        html = page.read_text(encoding="utf-8")
        for name in ('name="description"', 'property="og:title"', 'property="og:url"', 'rel="canonical"',
                     'rel="manifest"', 'rel="icon"', 'name="theme-color"'):
            assert name in html, f"{page}: {name}"


class _Headings(HTMLParser):
    def __init__(self):
        super().__init__()
        self.levels: list[int] = []

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))


def test_one_h1_and_headings_in_order_on_every_page(site):
    for page in site.rglob("*.html"):
        parser = _Headings()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.levels.count(1) == 1 and parser.levels[0] == 1, page
        assert all(later <= earlier + 1 for earlier, later in zip(parser.levels, parser.levels[1:])), (page, parser.levels)
