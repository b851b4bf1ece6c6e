"""Schedule -> .ics OutputFiles: the aggregated feed, one feed per topic, one download per session.

Bytes come from the icalendar library's to_ical() (CRLF, folding at 75 octets without splitting a
UTF-8 character, TEXT escaping) and are never passed through a template or a text-mode file.
"""

from __future__ import annotations

import functools
from datetime import timedelta

from icalendar import Calendar, Event, vDuration, vText

from . import memo
from .model import OutputFile, Schedule, Session, Site
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
        vtimezone = build_vtimezone(site.time_zone, min(years), max(years)).to_ical()

    def calendar_file(path: str, sessions: tuple[Session, ...], name: str, description: str, source: str):
        head = _calendar_head(site, path, name, description)
        body = (vtimezone if sessions else b"") + b"".join(events[session.id] for session in sessions)
        return OutputFile(path, head[: -len(_END)] + body + _END, source)

    files = [calendar_file("schedule.ics", schedule.sessions, site.title, site.description,
                           "content/sessions.yaml (aggregated feed)")]
    if only_feed:
        return files
    for topic in schedule.topics:
        files.append(calendar_file(topic.feed_path, schedule.sessions_of(topic), f"{site.title}: {topic.title}",
                                   topic.summary, f"{topic.source} (topic feed)"))
    for session in schedule.sessions:
        files.append(calendar_file(
            session.feed_path, (session,), f"{site.title}: {session.topic.title}", session.topic.summary,
            f"content/sessions.yaml:{session.source_line} (session '{session.id}')"))
    return files


def render_feed(schedule: Schedule) -> bytes:
    """The aggregated feed alone (what the benchmark times for a large schedule)."""
    return next(file.content for file in render_calendars(schedule, only_feed=True))


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


_events: dict[tuple[Session, Site], bytes] = {}  # the preview server rebuilds: unchanged events cost nothing
PARALLEL_FROM = 2000  # below this many new events, worker processes cost more than they save


def _serialise_events(sessions: tuple[Session, ...], site: Site) -> dict[str, bytes]:
    """Each session's VEVENT bytes, from memory where unchanged, else made on all cores."""
    missing = [session for session in sessions if (session, site) not in _events]
    made = map_in_parallel(_event_bytes, missing, [site] * len(missing), worth_it_from=PARALLEL_FROM)
    made_now = dict(zip((session.id for session in missing), made))
    if memo.enabled:
        if len(_events) > 100_000:
            _events.clear()
        _events.update(((session, site), data) for session, data in zip(missing, made))
    return {session.id: made_now[session.id] if session.id in made_now else _events[(session, site)]
            for session in sessions}


def _event_bytes(session: Session, site: Site) -> bytes:
    """One event, serialised; it depends on nothing but the session and the site."""
    return _event(site, session).to_ical()


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
