"""The vocabulary every stage shares: a schedule read from content/, and the files built from it."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content, pointing at the file and line an editor must open."""

    path: str  # relative to the project, with forward slashes: what the editor sees in git
    line: int  # 1-based; 0 when the problem concerns the file as a whole
    message: str  # "what is wrong; how to fix it"
    is_warning: bool = False  # warnings are printed but do not stop the build
    code: str = field(default="", compare=False)  # a name for the kind, where a caller treats it apart

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {'warning: ' if self.is_warning else ''}{self.message}"


class ContentError(Exception):
    """The content cannot be built; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda problem: (problem.is_warning, problem))  # errors first
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class Site:
    """Settings from content/site.yaml."""

    title: str  # the program's name, shown on every page and as the calendar name
    organisation: str  # who runs the program
    description: str  # one or two sentences for the home page, search results and the feed
    time_zone: str  # IANA name; every session time is wall-clock time in this zone
    time_zone_label: str  # how readers name the zone, e.g. "Eastern Time"
    base_url: str  # absolute, ending in "/": only for URLs that must be absolute
    language: str  # BCP 47 tag for <html lang>
    contact_email: str  # empty when the program has not published one; pages then leave it out
    feed_refresh_hours: int  # how often calendar apps are asked to poll the feed
    attendance_mode: str = ""  # "in person", "online" or "mixed"; empty while the program has not said
    frame_ancestors: str = "'none'"  # who may show the pages in a frame (CSP frame-ancestors)
    # Each of these is empty until the program publishes it, and the pages then leave it out:
    contact_phone: str = ""
    organisation_url: str = ""  # the parent institution's site, linked from its name
    logo: str = ""  # an image under content/, e.g. images/logo.svg; published as an asset
    default_audience: str = ""  # who may attend a session that names no audience of its own
    accommodations_html: str = ""  # how to ask for an accommodation: the editor's Markdown, rendered
    accommodations_contact: str = ""  # whom to ask: an email address, a phone number or an office

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def host(self) -> str:
        """The host of the base URL: the domain part of every calendar UID."""
        return urlsplit(self.base_url).hostname or ""

    @property
    def base_path(self) -> str:
        """The path of the base URL, "/" or e.g. "/ally/": links that must work at any depth start with it."""
        return urlsplit(self.base_url).path or "/"

    def uid(self, session_id: str) -> str:
        """A session's permanent calendar UID: the editor's id at the site's host, in every file."""
        return f"{session_id}@{self.host}"

    def absolute(self, path: str) -> str:
        """Turn a site path such as "topics/x/" into a full URL."""
        return self.base_url + path

    def attendance_of(self, session: Session) -> str:
        """How one attends a session: its own format, else the site's mode ("mixed" is "hybrid")."""
        return session.format or {"mixed": "hybrid"}.get(self.attendance_mode, self.attendance_mode)

    def audience_of(self, session: Session) -> str:
        return session.audience or self.default_audience

    def place_of(self, session: Session) -> str:
        """Where a calendar app shows the event: the room, else the join link of a session held
        only online (and not cancelled); empty when neither is known."""
        held_online = self.attendance_of(session) == "online" and not session.is_cancelled
        return session.location or (session.online_url if held_online else "")


@dataclass(frozen=True)
class Topic:
    """A workshop topic from content/topics/<slug>.md."""

    slug: str  # the file name without .md; becomes topics/<slug>/ and topics/<slug>.ics
    title: str
    summary: str  # one plain-text sentence: lists, the feed's event descriptions, meta description
    body_html: str  # the Markdown body, rendered
    source: str  # content/topics/<slug>.md

    @property
    def page_path(self) -> str:
        return f"topics/{self.slug}/"

    @property
    def feed_path(self) -> str:
        return f"topics/{self.slug}.ics"


@dataclass(frozen=True)
class Series:
    """One run of sessions, usually a year's, from content/series/<slug>.md."""

    slug: str  # the file name without .md, e.g. "2023"; becomes series/<slug>/ and series/<slug>.ics
    title: str  # e.g. "2023 Ally Training series"
    summary: str  # one plain-text sentence
    body_html: str  # the series' introduction, rendered
    source: str  # content/series/<slug>.md

    @property
    def page_path(self) -> str:
        return f"series/{self.slug}/"

    @property
    def feed_path(self) -> str:
        return f"series/{self.slug}.ics"

    @property
    def print_path(self) -> str:
        return f"series/{self.slug}/print/"


@dataclass(frozen=True)
class Facilitator:
    """Who leads a session: a person (written `- Name`) or an organisation (`- organisation: Name`)."""

    name: str
    is_organisation: bool = False

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Deadline:
    """When registration closes: the end of a day, or a time on it, in the site's zone."""

    day: date
    clock: time | None  # None: registration stays open to the end of `day`
    zone: ZoneInfo

    @property
    def closes_at(self) -> datetime:
        """The first moment registration is closed."""
        if self.clock is None:
            return datetime.combine(self.day + timedelta(days=1), time(0), self.zone)
        return datetime.combine(self.day, self.clock, self.zone)


@dataclass(frozen=True)
class Session:
    """One dated session of a topic, from content/sessions.yaml."""

    id: str  # written once by an editor; the calendar UID and URL, never derived from the date
    topic: Topic
    day: date
    start_time: time
    end_time: time
    zone: ZoneInfo
    location: str  # empty when not announced
    status: str  # "scheduled" or "cancelled"
    note: str  # empty, or a short plain-text remark shown with the session
    reason: str  # empty, or why it was cancelled; shown only for a cancelled session
    source_line: int  # where the entry starts in content/sessions.yaml
    # What subscribers were last given, from content/published.yaml (see microsite.record):
    sequence: int = 0  # iCalendar SEQUENCE: rises with every published change
    modified: datetime | None = None  # UTC; DTSTAMP and LAST-MODIFIED of the event
    moved_from: datetime | None = None  # the previous start, if the last published change moved it
    is_pending: bool = False  # differs from the published record: `build.py publish` will record it
    series: Series | None = None  # None only while content/series/ holds no series
    note_html: str = ""  # the note's inline Markdown (links, emphasis), rendered and cleaned
    # What a reader needs to attend; each empty (or open) unless the editor filled it in:
    registration_url: str = ""
    registration_closes: Deadline | None = None
    registration_status: str = "open"  # "open", "full" or "waitlist"
    facilitators: tuple[Facilitator, ...] = ()  # people or organisations leading the session
    audience: str = ""  # who may attend, when not the site's default_audience
    format: str = ""  # "in person", "online" or "hybrid" as the editor wrote it; else the site's mode holds
    online_url: str = ""  # the link to join online
    access: str = ""  # access details: captioning, interpretation, step-free entrance

    @functools.cached_property  # read for every session on several pages, and to sort them
    def start(self) -> datetime:
        return datetime.combine(self.day, self.start_time, self.zone)

    @functools.cached_property
    def end(self) -> datetime:
        return datetime.combine(self.day, self.end_time, self.zone)

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def takes_registration(self) -> bool:
        """Whether readers are told anything about registering: a link, a deadline or a full list."""
        return not self.is_cancelled and bool(
            self.registration_url or self.registration_closes or self.registration_status != "open")

    @property
    def page_path(self) -> str:
        return f"sessions/{self.id}/"

    @property
    def feed_path(self) -> str:
        return f"sessions/{self.id}.ics"


@dataclass(frozen=True)
class Page:
    """A free-standing Markdown page from content/pages/<slug>.md, such as About."""

    slug: str
    title: str
    summary: str
    body_html: str
    source: str

    @property
    def page_path(self) -> str:
        return f"{self.slug}/"


@dataclass(frozen=True)
class Change:
    """One published change to the schedule, for the "what changed" page and its Atom feed."""

    at: datetime  # UTC, when it was published
    kind: str  # published, added, moved, cancelled, reinstated, relocated, withdrawn
    session_id: str
    title: str  # the topic's title at the time
    before: str  # ISO start (for moves) or location (for relocations) before the change; else empty
    after: str  # the same after the change

    @property
    def key(self) -> str:
        """A permanent identity for the Atom entry."""
        return "-".join(filter(None, (f"{self.at:%Y%m%dT%H%M%SZ}", self.kind, self.session_id)))


@dataclass(frozen=True)
class Month:
    """Sessions grouped under one month heading on the schedule."""

    first_day: date
    sessions: tuple[Session, ...]


@dataclass(frozen=True)
class Schedule:
    """Everything the content says, checked and converted; the only input of rendering."""

    site: Site
    topics: tuple[Topic, ...]  # in order of their first session, then by title
    sessions: tuple[Session, ...]  # in order of start time, then id
    pages: tuple[Page, ...]  # by slug
    content_changed_at: datetime  # UTC; when content/ last changed, from its history (microsite.history)
    changes: tuple[Change, ...] = field(default=())  # newest first
    warnings: tuple[Problem, ...] = field(default=())
    series: tuple[Series, ...] = field(default=())  # the newest first: by their last session, then slug

    @property
    def current_series(self) -> Series | None:
        """The series whose sessions come latest: decided by the content, never by the clock."""
        return self.series[0] if self.series else None

    def sessions_in(self, series: Series) -> tuple[Session, ...]:
        return tuple(session for session in self.sessions if session.series is not None
                     and session.series.slug == series.slug)

    def topics_in(self, series: Series) -> tuple[Topic, ...]:
        """The topics a series offers, in the order of their first session in it."""
        return tuple({session.topic.slug: session.topic for session in self.sessions_in(series)}.values())

    def series_of(self, topic: Topic) -> tuple[tuple[Series, tuple[Session, ...]], ...]:
        """A topic's sessions grouped by series, the newest series first."""
        sessions = self.sessions_of(topic)
        return tuple((series, grouped) for series in self.series
                     if (grouped := tuple(s for s in sessions if s.series.slug == series.slug)))

    def session(self, session_id: str) -> Session | None:
        return self._sessions_by_id.get(session_id)

    @functools.cached_property
    def _sessions_by_id(self) -> dict[str, Session]:
        return {session.id: session for session in self.sessions}

    def sessions_of(self, topic: Topic) -> tuple[Session, ...]:
        return self._sessions_by_topic.get(topic.slug, ())

    @functools.cached_property
    def _sessions_by_topic(self) -> dict[str, tuple[Session, ...]]:
        grouped: dict[str, list[Session]] = {}
        for session in self.sessions:
            grouped.setdefault(session.topic.slug, []).append(session)
        return {slug: tuple(sessions) for slug, sessions in grouped.items()}

    def changes_with_sessions(self) -> tuple[tuple[Change, Session | None], ...]:
        """Each published change with the session it concerns, if that session is still listed."""
        return tuple((change, self.session(change.session_id) if change.session_id else None)
                     for change in self.changes)

    def by_month(self, sessions: tuple[Session, ...] | None = None) -> tuple[Month, ...]:
        """The sessions (all of them, or those given, in date order) under month headings."""
        def month_of(session: Session) -> date:
            return session.day.replace(day=1)

        return tuple(
            Month(first_day, tuple(group))
            for first_day, group in itertools.groupby(self.sessions if sessions is None else sessions, key=month_of)
        )


@dataclass(frozen=True)
class OutputFile:
    """One file of the built site, complete in memory before anything is written."""

    path: str  # relative to the output folder, forward slashes
    content: bytes
    source: str  # what produced it, named in the error when two outputs claim one path
