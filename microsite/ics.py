"""Schedule -> .ics OutputFiles: the aggregated feed, one feed per topic, one download per session.

Bytes come from the icalendar library's to_ical() (CRLF, folding at 75 octets without splitting a
UTF-8 character, TEXT escaping) and are never passed through a template or a text-mode file.
"""

from __future__ import annotations

import functools
from datetime import timedelta

from icalendar import Calendar, Event, vDuration, vText

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


@memo.Remembered  # the preview server rebuilds: an unchanged topic's calendar costs nothing
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


@functools.lru_cache(maxsize=4096)  # the preview server rebuilds: unchanged calendars cost nothing
def _calendar_head(site, path: str, name: str, description: str) -> bytes:
    """The calendar's own properties, as a complete (empty) VCALENDAR."""
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("calscale", "GREGORIAN")
    # RFC 7986 names first; the X-WR- twins are what Google, Outlook and Apple actually read.
    calendar.add("name", vText(name))
    calendar.add("x-wr-calname", vText(name))
    calendar.add("description", vText(description))
    calendar.add("x-wr-caldesc", vText(description))
    calendar.add("x-wr-timezone", site.time_zone)
    refresh = timedelta(hours=site.feed_refresh_hours)
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh))
    calendar.add("url", site.absolute(path), parameters={"VALUE": "URI"})
    calendar.add("source", site.absolute(path), parameters={"VALUE": "URI"})
    return calendar.to_ical()


PARALLEL_FROM = 2000  # below this many new events, worker processes cost more than they save


def _serialise_events(sessions: tuple[Session, ...], site: Site) -> list[bytes]:
    """Each session's VEVENT bytes: made on all cores when there are many (a cold build of a large
    schedule), else one by one, where the preview server finds the unchanged ones made already."""
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
