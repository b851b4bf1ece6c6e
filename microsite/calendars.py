"""Schedule -> .ics OutputFiles: the aggregated feed, one feed per topic, one download per session.

Bytes are those of the icalendar library's to_ical() (CRLF, folding at 75 octets without splitting
a UTF-8 character, TEXT escaping) and are never passed through a template or a text-mode file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration, vText
from icalendar.caselessdict import canonsort_keys

from .formatting import names, registration_text
from .markup import plain_text
from .model import OutputFile, Schedule, Session, Site
from .vtimezone import build_vtimezone

PRODUCT_ID = "-//Schedule microsite//build.py//EN"

_BEGIN, _END = b"BEGIN:VCALENDAR\r\n", b"END:VCALENDAR\r\n"


def serialise_events(site: Site, sessions: list[Session]) -> list[bytes]:
    """Each session's VEVENT, serialised: it depends on nothing but the session and the site."""
    return [_written(_event(site, session)) for session in sessions]


def _written(component) -> bytes:
    """component.to_ical(): the same bytes, made faster (see _folded)."""
    return b"".join(_folded(line) for line in component.content_lines() if line)


def _folded(line: str) -> bytes:
    """A content line as icalendar writes it, with its CRLF. icalendar folds a line one character
    at a time, and a line shorter than the 75 octets it folds at comes out as it went in; most
    lines are (nine in ten of an event's), so only the longer ones are given to it to fold."""
    encoded = line.encode()
    return (encoded if len(encoded) < 75 else line.to_ical()) + b"\r\n"


@dataclass(frozen=True)
class CalendarGroup:
    """Calendar files that share their name and description (a topic's feed and its sessions'
    files), each given as its address and its events, already serialised."""

    name: str
    description: str
    files: tuple[tuple[str, bytes], ...]


def assemble_calendars(site_lines: dict[str, bytes], vtimezone: bytes,
                       groups: list[CalendarGroup]) -> list[list[bytes]]:
    """Each group's files, whole VCALENDARs: their own properties in the order icalendar writes
    them (those that every file of the site has given as `site_lines`, made once; the name lines
    once a group), then the time zone (if a file has events) and its events."""
    made = []
    for group in groups:
        named = {**site_lines, **_named_lines(group.name, group.description)}
        made.append([_calendar({**named, **_addressed_lines(url)}, vtimezone, events) for url, events in group.files])
    return made


def _calendar(head: dict[str, bytes], vtimezone: bytes, events: bytes) -> bytes:
    return b"".join((_BEGIN, *(head[key] for key in _HEAD_ORDER), vtimezone if events else b"", events, _END))


def time_zone_lines(zone: ZoneInfo, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE every calendar file of the site holds, for the years its sessions span."""
    return _written(build_vtimezone(zone.key, first_year, last_year))


def render_calendars(schedule: Schedule,
                     serialise: Callable[[Site, list[Session]], list[bytes]] = serialise_events,
                     assemble: Callable[..., list[list[bytes]]] = assemble_calendars,
                     time_zone: Callable[[ZoneInfo, int, int], bytes] = time_zone_lines) -> list[OutputFile]:
    """Every calendar file of the site: the aggregated feed, a feed per topic and per series, a file per session.

    Each event is serialised once (by `serialise`, which gives what serialise_events gives) and
    spliced into every file that holds it (by `assemble`, likewise): the same bytes as adding it
    to each calendar, since to_ical() writes subcomponents one after another, at a third of the cost.
    The files go to `assemble` in groups that share their name and description, whose lines are
    made once a group. `time_zone` gives what time_zone_lines gives.
    """
    site = schedule.site
    events = dict(zip((session.id for session in schedule.sessions), serialise(site, list(schedule.sessions))))
    vtimezone = b""
    if schedule.sessions:
        years = [session.day.year for session in schedule.sessions]
        vtimezone = time_zone(site.zone, min(years), max(years))
    groups: list[CalendarGroup] = []
    sources: list[list[tuple[str, str]]] = []  # each group's files' paths and what they are made from

    def group(name: str, description: str, files: list[tuple[str, str, Iterable[Session]]]) -> None:
        groups.append(CalendarGroup(name, description, tuple(
            (site.absolute(path), b"".join(events[session.id] for session in sessions))
            for path, _, sessions in files)))
        sources.append([(path, source) for path, source, _ in files])

    group(site.title, site.description,
          [("schedule.ics", "content/sessions.yaml (aggregated feed)", schedule.sessions)])
    for topic in schedule.topics:  # a session's file has its topic's name and description
        sessions = schedule.sessions_of(topic)
        group(f"{site.title}: {topic.title}", topic.summary, [
            (topic.feed_path, f"{topic.source} (topic feed)", sessions),
            *((session.feed_path, f"content/sessions.yaml:{session.source_line} (session '{session.id}')", [session])
              for session in sessions)])
    for series in schedule.series:  # a feed per series; schedule.ics keeps them all, year after year
        group(f"{site.title}: {series.title}", series.summary,
              [(series.feed_path, f"{series.source} (series feed)", schedule.sessions_in(series))])
    made = assemble(site_calendar_lines(site), vtimezone, groups)
    return [OutputFile(path, content, source) for paths, contents in zip(sources, made)
            for (path, source), content in zip(paths, contents)]


_HEAD_ORDER = canonsort_keys(["VERSION", "PRODID", "CALSCALE", "NAME", "X-WR-CALNAME", "DESCRIPTION", "X-WR-CALDESC",
                              "X-WR-TIMEZONE", "REFRESH-INTERVAL", "X-PUBLISHED-TTL", "URL", "SOURCE"],
                             Calendar.canonical_order)


def _lines(*properties: tuple) -> dict[str, bytes]:
    """Each property's content line (folded, escaped, CRLF) as icalendar writes it in a VCALENDAR:
    the calendar's own content_line(), without writing and splitting a whole calendar per file."""
    calendar = Calendar()
    found: dict[str, bytes] = {}
    for name, value, *parameters in properties:
        calendar.add(name, value, parameters=parameters[0] if parameters else None)
        key = name.upper()
        found[key] = _folded(calendar.content_line(key, calendar[key]))
    return found


def site_calendar_lines(site: Site) -> dict[str, bytes]:
    """The properties that every calendar file of the site has: made once per build, not per file."""
    refresh = timedelta(hours=site.feed_refresh_hours)
    return _lines(("version", "2.0"), ("prodid", PRODUCT_ID), ("calscale", "GREGORIAN"),
                  ("x-wr-timezone", site.time_zone), ("refresh-interval", refresh, {"VALUE": "DURATION"}),
                  ("x-published-ttl", vDuration(refresh)))


def _named_lines(name: str, description: str) -> dict[str, bytes]:
    # RFC 7986 names, and the X-WR- twins that Google, Outlook and Apple actually read.
    return _lines(("name", vText(name)), ("x-wr-calname", vText(name)),
                  ("description", vText(description)), ("x-wr-caldesc", vText(description)))


def _addressed_lines(url: str) -> dict[str, bytes]:
    return _lines(("url", url, {"VALUE": "URI"}), ("source", url, {"VALUE": "URI"}))


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
    event.add("description", vText("\n\n".join(_description(site, session, page))))
    if place := site.place_of(session):  # for a session held online, its link: most apps make it clickable
        event.add("location", vText(place))
    event.add("url", page, parameters={"VALUE": "URI"})
    if session.online_url and not session.is_cancelled:  # RFC 7986: apps that know it offer a "join" button
        event.add("conference", session.online_url,
                  parameters={"VALUE": "URI", "FEATURE": "VIDEO,AUDIO", "LABEL": "Join online"})
    event.add("transp", "OPAQUE")
    return event


def _description(site: Site, session: Session, page: str) -> list[str]:
    """The event's paragraphs: what it is, then what one needs to attend, then where to read more."""
    lines = [session.topic.summary]
    if session.is_cancelled:
        lines.insert(0, f"This session is cancelled. {session.reason}".strip())
    if session.note_html:
        lines.append(plain_text(session.note_html))
    if session.takes_registration:
        label = "Waitlist" if session.registration_status == "waitlist" else "Register"
        register = f" {label}: {session.registration_url}" if session.registration_url and (
            session.registration_status != "full") else ""
        lines.append(registration_text(session) + register)
    if session.facilitators:
        lines.append(f"With {names(session.facilitators)}.")
    if audience := site.audience_of(session):
        lines.append(f"Who may attend: {audience}")
    if session.online_url and not session.is_cancelled:
        lines.append(f"Join online: {session.online_url}")
    if session.access:
        lines.append(f"Access: {session.access}")
    if site.accommodations_contact:
        lines.append(f"To ask for an accommodation: {site.accommodations_contact}")
    lines.append(f"Details: {page}")
    return lines
