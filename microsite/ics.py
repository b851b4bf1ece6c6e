"""Schedule -> .ics OutputFiles: the aggregated feed, one feed per topic, one download per session.

Bytes come from the icalendar library's to_ical() (CRLF, folding at 75 octets without splitting a
UTF-8 character, TEXT escaping) and are never passed through a template or a text-mode file.
"""

from __future__ import annotations

import functools
import re
from datetime import timedelta

from icalendar import Calendar, Event, vDuration, vText
from icalendar.caselessdict import canonsort_keys

from . import memo
from .model import OutputFile, Schedule, Session, Site, Topic
from .parallel import map_in_parallel
from .vtimezone import build_vtimezone

PRODUCT_ID = "-//Schedule microsite//build.py//EN"

_END = b"END:VCALENDAR\r\n"


def render_calendars(schedule: Schedule, only_feed: bool = False) -> list[OutputFile]:
    """Every calendar file of the site.

    Each event is serialised once and spliced into every file that holds it, which gives the
    same bytes as adding it to each calendar (to_ical() writes subcomponents one after another)
    at a third of the cost.
    """
    site = schedule.site
    events = _serialise_events(schedule.sessions, site)
    vtimezone = b""
    if schedule.sessions:
        years = [session.day.year for session in schedule.sessions]
        vtimezone = _vtimezone(site.time_zone, min(years), max(years))
    feed = _calendar(site, "schedule.ics", site.title, site.description, vtimezone, b"".join(events))
    files = [OutputFile("schedule.ics", feed, "content/sessions.yaml (aggregated feed)")]
    if only_feed:
        return files
    event_of = dict(zip((session.id for session in schedule.sessions), events))
    topics = [(topic, tuple(event_of[session.id] for session in schedule.sessions_of(topic))) for topic in schedule.topics]
    files += _topic_calendar.each(topics, site, vtimezone)
    files += _session_calendar.each(zip(schedule.sessions, events), site, vtimezone)
    return files


def render_feed(schedule: Schedule) -> bytes:
    """The aggregated feed alone (what the benchmark times for a large schedule)."""
    return next(file.content for file in render_calendars(schedule, only_feed=True))


@memo.Remembered  # a rebuild: an unchanged topic's calendar costs nothing
def _topic_calendar(topic_and_events: tuple[Topic, tuple[bytes, ...]], site: Site, vtimezone: bytes) -> OutputFile:
    topic, events = topic_and_events
    content = _calendar(site, topic.feed_path, f"{site.title}: {topic.title}", topic.summary, vtimezone,
                        b"".join(events))
    return OutputFile(topic.feed_path, content, f"{topic.source} (topic feed)")


@memo.Remembered
def _session_calendar(session_and_event: tuple[Session, bytes], site: Site, vtimezone: bytes) -> OutputFile:
    session, event = session_and_event
    content = _calendar(site, session.feed_path, f"{site.title}: {session.topic.title}", session.topic.summary,
                        vtimezone, event)
    return OutputFile(session.feed_path, content, f"content/sessions.yaml:{session.source_line} (session '{session.id}')")


def _calendar(site: Site, path: str, name: str, description: str, vtimezone: bytes, events: bytes) -> bytes:
    """A whole VCALENDAR: its own properties, then the time zone (if it has events) and the events."""
    head = _calendar_head(site, path, name, description)
    return head[: -len(_END)] + (vtimezone if events else b"") + events + _END


@memo.Remembered
def _vtimezone(zone: str, first_year: int, last_year: int) -> bytes:
    return build_vtimezone(zone, first_year, last_year).to_ical()


def _calendar_head(site: Site, path: str, name: str, description: str) -> bytes:
    """The calendar's own properties, as a complete (empty) VCALENDAR.

    Each property is serialised by icalendar once per distinct value and the lines are put in
    the order icalendar writes them: a session's file shares all but its URL with its topic's,
    and every file shares the fixed properties.
    """
    lines = {**_fixed_lines(site), **_named_lines(name, description), **_addressed_lines(site.absolute(path))}
    return b"".join((_BEGIN, *(lines[key] for key in _HEAD_ORDER), _END))


_BEGIN = b"BEGIN:VCALENDAR\r\n"
_HEAD_ORDER = canonsort_keys(["VERSION", "PRODID", "CALSCALE", "NAME", "X-WR-CALNAME", "DESCRIPTION", "X-WR-CALDESC",
                              "X-WR-TIMEZONE", "REFRESH-INTERVAL", "X-PUBLISHED-TTL", "URL", "SOURCE"],
                             Calendar.canonical_order)


def _lines(*properties: tuple) -> dict[str, bytes]:
    """Each property's content lines (folded, escaped) as icalendar writes them in a VCALENDAR."""
    calendar = Calendar()
    for name, value, *parameters in properties:
        calendar.add(name, value, parameters=parameters[0] if parameters else None)
    found: dict[str, bytes] = {}
    name = ""
    for line in calendar.to_ical()[len(_BEGIN): -len(_END)].splitlines(keepends=True):
        if not line.startswith(b" "):  # a folded line goes on with a space; anything else starts a property
            name = re.split(rb"[;:]", line, maxsplit=1)[0].decode("ascii")
        found[name] = found.get(name, b"") + line
    return found


@functools.lru_cache(maxsize=16)
def _fixed_lines(site: Site) -> dict[str, bytes]:
    refresh = timedelta(hours=site.feed_refresh_hours)
    return _lines(("version", "2.0"), ("prodid", PRODUCT_ID), ("calscale", "GREGORIAN"),
                  ("x-wr-timezone", site.time_zone), ("refresh-interval", refresh, {"VALUE": "DURATION"}),
                  ("x-published-ttl", vDuration(refresh)))


@functools.lru_cache(maxsize=4096)
def _named_lines(name: str, description: str) -> dict[str, bytes]:
    # RFC 7986 names, and the X-WR- twins that Google, Outlook and Apple actually read.
    return _lines(("name", vText(name)), ("x-wr-calname", vText(name)),
                  ("description", vText(description)), ("x-wr-caldesc", vText(description)))


def _addressed_lines(url: str) -> dict[str, bytes]:
    return _lines(("url", url, {"VALUE": "URI"}), ("source", url, {"VALUE": "URI"}))


PARALLEL_FROM = 2000  # below this many new events, worker processes cost more than they save


def _serialise_events(sessions: tuple[Session, ...], site: Site) -> list[bytes]:
    """Each session's VEVENT bytes: made on all cores when there are many (a cold build of a large
    schedule), else one by one, where a rebuild finds the unchanged ones made already."""
    if memo.enabled or len(sessions) < PARALLEL_FROM:
        return _event_bytes.each(sessions, site)
    return map_in_parallel(_serialise_event, sessions, [site] * len(sessions), worth_it_from=PARALLEL_FROM)


def _serialise_event(session: Session, site: Site) -> bytes:
    """One event, serialised; it depends on nothing but the session and the site."""
    return _event(site, session).to_ical()


_event_bytes = memo.Remembered(_serialise_event)


def _event(site: Site, session: Session) -> Event:
    event = Event()
    event.add("uid", site.uid(session.id))
    event.add("dtstamp", session.modified)
    event.add("last-modified", session.modified)
    event.add("dtstart", session.start)
    event.add("dtend", session.end)
    event.add("sequence", session.sequence)
    event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
    title = session.topic.title
    event.add("summary", vText(f"Cancelled: {title}" if session.is_cancelled else title))
    page = site.absolute(session.page_path)
    lines = [session.topic.summary]
    if session.is_cancelled:
        lines.insert(0, f"This session is cancelled. {session.reason}".strip())
    if session.note:
        lines.append(session.note)
    lines.append(f"Details: {page}")
    event.add("description", vText("\n\n".join(lines)))
    if session.location:
        event.add("location", vText(session.location))
    event.add("url", page, parameters={"VALUE": "URI"})
    event.add("transp", "OPAQUE")
    return event
