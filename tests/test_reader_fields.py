"""What a reader needs to attend: registration, facilitators, audience, format, online and access
details, on every output that shows a session.

tests/reader-example/ fills in every setting and, in its session `every-field`, every session
field; its other sessions are each registration state (closing at a time, full, waitlist), one
held online only and one cancelled. The 2023 series (tests/program-2023) fills in none of them,
and must show none.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import icalendar
import pytest
import vobject

from calendar_readers import read_icaljs_events, read_with_ical, read_with_icaljs, read_with_vobject
from conftest import REPO, apply_files, copy_of_2023_program, run_build

EXAMPLE = Path(__file__).resolve().parent / "reader-example"
REGISTER = "https://example.org/register/every-field"
JOIN = "https://meet.example.org/ally-every-field"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("reader") / "project"
    shutil.copytree(EXAMPLE / "content", project / "content")
    shutil.copytree(REPO / "layouts", project / "layouts")
    result = run_build(project)
    assert result.returncode == 0, result.stderr
    return project / "site"


def _text(page: str) -> str:
    """What a reader sees of a page: its text without tags, spaces folded."""
    shown = re.sub(r"<(script|head)\b.*?</\1>", " ", page, flags=re.S)
    inline = re.sub(r"</?(?:a|em|strong|span|time|code)\b[^>]*>", "", shown)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", inline)))


def _json_ld(page: str) -> dict:
    found = re.search(r'<script type="application/ld\+json">\n(.*?)\n</script>', page, re.S)
    return json.loads(found.group(1))


def _event(path: Path, uid: str) -> icalendar.Event:
    return next(e for e in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT") if str(e["UID"]) == uid)


def test_the_session_page_shows_every_field(built):
    page = (built / "sessions/every-field/index.html").read_text()
    text = _text(page)
    for shown in ("Where Room 1010, Example Hall", "Format In person and online: join online",
                  "Who may attend DEI Champions only", "Facilitators Dr. Ada Example and Example Disability Alliance",
                  "Register for Disability as Diversity, Mon, May 17, 2027", "Registration closes Saturday, May 15.",
                  "Note Bring your own questions; read the primer first.",
                  "Access and accommodations CART captioning. ASL interpretation on request by May 10.",
                  "To ask for an accommodation, contact access@example.org."):
        assert shown in text, shown
    assert f'<a class="button register-button" href="{REGISTER}">' in page
    assert f'<a href="{JOIN}">join online</a>' in page
    assert 'read <a href="https://example.org/primer">the primer</a>' in page and "<em>own</em>" in page
    assert "<strong>captioning, interpretation, materials in\nanother format</strong>" in page  # site Markdown
    assert '<a href="mailto:access@example.org">access@example.org</a>' in page
    assert page.count('<details class="menu add-to-calendar">') == 1
    assert "Scheduled" not in text  # status is said only when it is not the usual


def test_a_session_without_its_own_audience_shows_the_default(built):
    text = _text((built / "sessions/closes-at-five/index.html").read_text())
    assert "Who may attend all faculty, staff, residents and students" in text
    assert "Registration closes Friday, May 21, 5:00 p.m." in text and "p.m.." not in text
    assert "Facilitator" not in text and "Access and accommodations We want every session" in text


@pytest.mark.parametrize("path", ["index.html", "topics/disability/index.html", "series/2027/index.html"])
def test_session_cards_show_the_fields_compactly(built, path):
    page = (built / path).read_text()
    card = page[page.index('id="every-field"'):]
    card = card[:card.index("</li>\n", card.index("add-to-calendar"))]
    text = _text(card)
    for shown in ("Room 1010, Example Hall", "In person and online", "For DEI Champions only",
                  "With Dr. Ada Example and Example Disability Alliance", "Registration closes Saturday, May 15.",
                  "Add to calendar"):
        assert shown in text, (path, shown)
    assert f'href="{REGISTER}"' in card and card.count("<details") == 1
    assert "Status" not in _text(page) and "Scheduled" not in _text(page)


def test_one_add_to_calendar_control_per_session_with_every_app(built):
    page = (built / "topics/safety/index.html").read_text()
    menus = re.findall(r'<details class="menu add-to-calendar">.*?</details>', page, re.S)
    assert len(menus) == 3  # the topic's three sessions
    for menu in menus:
        labels = [_text(item).split(":")[0].strip() for item in re.findall(r"<a [^>]*>(.*?)</a>", menu, re.S)]
        assert labels == ["Google Calendar", "Outlook.com", "Outlook for Microsoft 365",
                          "Apple Calendar, other apps (.ics file)"]


def test_registration_states_are_said_in_words(built):
    index = _text((built / "index.html").read_text())
    assert "Registration is full." in index
    assert "Full: join the waitlist for Psychological Safety, Tue, Jun 8, 2027" in index
    waitlist = (built / "index.html").read_text()
    assert 'href="https://example.org/waitlist/waitlist-open">Full: join the waitlist' in waitlist
    called_off = (built / "sessions/called-off/index.html").read_text()
    assert "example.org/register/called-off" not in called_off  # nobody registers for a cancelled session


def test_a_note_with_a_bare_address_links_it(built):
    page = (built / "sessions/online-only/index.html").read_text()
    assert 'see <a href="https://example.org/recordings">https://example.org/recordings</a>.' in page


def test_the_printed_row_has_deadline_audience_and_format(built):
    page = (built / "print/index.html").read_text()
    rows = re.findall(r"<tr[ >].*?</tr>", page, re.S)
    every = _text(next(row for row in rows if "Room 1010" in row))
    assert "Room 1010, Example Hall · In person and online · For DEI Champions only" in every
    assert "Registration closes Saturday, May 15." in every
    assert "Online" in _text(next(row for row in rows if "6:00" in row))
    assert "Open to all faculty, staff, residents and students" in _text(page)
    assert '<svg role="img" aria-label="QR code: https://example.org/ally/subscribe/"' in page


def test_every_feed_describes_what_one_needs_to_attend(built):
    event = _event(built / "schedule.ics", "every-field@example.org")
    description = str(event["DESCRIPTION"])
    assert description.split("\n\n") == [
        "Ableism, access and the social model of disability.",
        "Bring your own questions; read the primer (https://example.org/primer) first.",
        f"Registration closes Saturday, May 15. Register: {REGISTER}",
        "With Dr. Ada Example and Example Disability Alliance.",
        "Who may attend: DEI Champions only",
        f"Join online: {JOIN}",
        "Access: CART captioning. ASL interpretation on request by May 10.",
        "To ask for an accommodation: access@example.org",
        "Details: https://example.org/ally/sessions/every-field/"]
    assert str(event["LOCATION"]) == "Room 1010, Example Hall"
    assert str(event["CONFERENCE"]) == JOIN
    assert event["CONFERENCE"].params["FEATURE"] == "VIDEO,AUDIO" and event["CONFERENCE"].params["LABEL"] == "Join online"
    online = _event(built / "schedule.ics", "online-only@example.org")
    assert str(online["LOCATION"]) == "https://meet.example.org/ally-online-only"  # no room: the link is the place
    called_off = _event(built / "schedule.ics", "called-off@example.org")
    assert "Register" not in str(called_off["DESCRIPTION"]) and "CONFERENCE" not in called_off


def test_the_same_event_in_each_file_and_every_parser_reads_the_same_instants(built):
    feeds = sorted(built.rglob("*.ics"))
    by_icaljs = read_with_icaljs(feeds)
    for feed in feeds:
        assert read_with_vobject(feed) == read_with_ical(feed) == by_icaljs[feed], feed
    in_topic = _event(built / "topics/disability.ics", "every-field@example.org")
    alone = _event(built / "sessions/every-field.ics", "every-field@example.org")
    assert in_topic.to_ical() == alone.to_ical() == _event(built / "schedule.ics", "every-field@example.org").to_ical()
    vobject_event = vobject.readOne((built / "sessions/every-field.ics").read_text()).vevent
    assert vobject_event.conference.value == JOIN and "Register: " + REGISTER in vobject_event.description.value
    icaljs = read_icaljs_events([built / "sessions/every-field.ics"])
    assert [event["uid"] for events in icaljs.values() for event in events] == ["every-field@example.org"]


def test_schedule_json_holds_every_field(built):
    sessions = {s["id"]: s for s in json.loads((built / "schedule.json").read_text())["sessions"]}
    every = sessions["every-field"]
    assert every["registration"] == {"url": REGISTER, "status": "open", "closes": "2027-05-16T00:00-04:00"}
    assert every["facilitators"] == [{"name": "Dr. Ada Example", "type": "person"},
                                     {"name": "Example Disability Alliance", "type": "organisation"}]
    assert (every["audience"], every["format"], every["online_url"]) == ("DEI Champions only", "hybrid", JOIN)
    assert every["access"] == "CART captioning. ASL interpretation on request by May 10."
    assert every["note"] == "Bring your *own* questions; read [the primer](https://example.org/primer) first."  # as written
    assert every["note_html"] == 'Bring your <em>own</em> questions; read <a href="https://example.org/primer">the primer</a> first.'
    assert sessions["closes-at-five"]["registration"]["closes"] == "2027-05-21T17:00-04:00"
    assert sessions["closes-at-five"]["audience"] == "all faculty, staff, residents and students"
    assert sessions["closes-at-five"]["format"] == "in person"  # the site's mode
    assert sessions["full-house"]["registration"] == {"url": None, "status": "full", "closes": None}
    assert sessions["called-off"]["registration"] is None


def test_json_ld_describes_offers_performers_audience_and_places(built):
    every = _json_ld((built / "sessions/every-field/index.html").read_text())
    assert every["offers"] == {"@type": "Offer", "availability": "https://schema.org/InStock", "url": REGISTER,
                               "validThrough": "2027-05-16T00:00-04:00"}
    assert every["performer"] == [{"@type": "Person", "name": "Dr. Ada Example"},
                                  {"@type": "Organization", "name": "Example Disability Alliance"}]
    assert every["audience"] == {"@type": "Audience", "audienceType": "DEI Champions only"}
    assert every["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert every["location"] == [{"@type": "Place", "name": "Room 1010, Example Hall"},
                                 {"@type": "VirtualLocation", "url": JOIN}]
    online = _json_ld((built / "sessions/online-only/index.html").read_text())
    assert online["location"] == {"@type": "VirtualLocation", "url": "https://meet.example.org/ally-online-only"}
    assert online["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    availability = {name: _json_ld((built / f"sessions/{name}/index.html").read_text())["offers"]["availability"]
                    for name in ("full-house", "waitlist-open")}
    assert availability == {"full-house": "https://schema.org/SoldOut", "waitlist-open": "https://schema.org/BackOrder"}


def test_the_site_identity_is_in_the_header_and_footer(built):
    page = (built / "index.html").read_text()
    logo = re.search(r'<a class="site-logo" href="https://example.org/"><img class="site-logo-image" src="([^"]+)"'
                     r' alt="Example School of Medicine">', page)
    assert logo and re.fullmatch(r"assets/logo\.[0-9a-f]{8}\.svg", logo.group(1))
    assert (built / logo.group(1)).read_bytes() == (EXAMPLE / "content/images/logo.svg").read_bytes()
    assert '<a href="https://example.org/">Example School of Medicine</a>' in page
    assert '<a href="tel:+15550100">+1 555 0100</a>' in page and "mailto:ally@example.org" in page


def test_the_2023_series_shows_none_of_the_empty_fields(tmp_path):
    project = copy_of_2023_program(tmp_path / "project")
    result = run_build(project)
    assert result.returncode == 0 and "not yet published" not in result.stderr, result.stderr
    site = project / "site"
    for path in [*site.rglob("*.html"), *site.rglob("*.ics"), site / "schedule.json"]:
        text = path.read_text()
        for absent in ("Register", "registration-", "Facilitator", "Who may attend", "Access and accommodations",
                       "Join online", "CONFERENCE", "site-logo", "tel:", '"offers"', '"performer"', "Open to "):
            assert absent not in text, (path, absent)


def test_a_registration_link_added_later_updates_subscribers(tmp_path):
    """A record made before these fields existed still matches; filling one in is a change to publish."""
    project = copy_of_2023_program(tmp_path / "project")
    assert "not yet published" not in run_build(project, "check").stderr
    sessions = project / "content/sessions.yaml"
    text = sessions.read_text()
    first = re.search(r"- id: (\S+)\n", text)
    apply_files(project, {"content/sessions.yaml": text.replace(
        first.group(0), first.group(0) + "  registration_url: https://example.org/register\n", 1)})
    result = run_build(project, "check")
    assert result.returncode == 1 and first.group(1) in result.stderr and "publish" in result.stderr
