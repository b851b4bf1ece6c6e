"""How dates, times and links read on the pages: the filters the layouts use."""

from __future__ import annotations

from datetime import date, datetime, time

from .model import Change, Session


def long_date(day: date) -> str:
    """Friday, February 17, 2023"""
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def short_date(day: date) -> str:
    """Fri, Feb 17, 2023"""
    return f"{day:%a}, {day:%b} {day.day}, {day.year}"


def month_heading(day: date) -> str:
    """February 2023"""
    return f"{day:%B} {day.year}"


def _clock(moment: time, with_meridiem: bool) -> str:
    if moment == time(12, 0):
        return "noon"
    if moment == time(0, 0):
        return "midnight"
    hour = moment.hour % 12 or 12
    meridiem = " a.m." if moment.hour < 12 else " p.m."
    return f"{hour}:{moment.minute:02d}{meridiem if with_meridiem else ''}"


def time_range(session: Session) -> str:
    """Noon–2:00 p.m., 3:00–4:30 p.m., 11:30 a.m.–1:00 p.m. (AP style, as the program writes it)."""
    start, end = session.start_time, session.end_time
    same_half = (start.hour < 12) == (end.hour < 12) and start not in (time(12, 0), time(0, 0))
    text = f"{_clock(start, not same_half)}–{_clock(end, True)}"
    return text[0].upper() + text[1:]


def iso_minutes(moment: datetime) -> str:
    """2023-02-17T12:00-05:00: the machine-readable form for <time datetime> and JSON."""
    return moment.isoformat(timespec="minutes")


def relative_url(target: str, from_page: str) -> str:
    """A link from the page at `from_page` to the site path `target`, working from disk too.

    Site paths end in "/" for folders; the link names index.html explicitly, because a browser
    opening the site from disk (file://) shows a folder listing instead of its index. Both paths
    are relative to the site's root, so plain string work does what posixpath.relpath would,
    without its calls to the file system's current folder (a link is made thousands of times).
    """
    fragment = ""
    if "#" in target:
        target, fragment = target.split("#", 1)
        fragment = "#" + fragment
    if target == "" or target.endswith("/"):
        target += "index.html"
    base = from_page.split("/")[:-1]
    parts = target.split("/")
    common = 0
    while common < len(base) and common < len(parts) - 1 and base[common] == parts[common]:
        common += 1
    return "../" * (len(base) - common) + "/".join(parts[common:]) + fragment


def start_clock(session: Session) -> str:
    """The start half of time_range: "Noon" in "Noon–2:00 p.m."."""
    return time_range(session).split("–")[0]


def end_clock(session: Session) -> str:
    """The end half of time_range: "2:00 p.m." in "Noon–2:00 p.m."."""
    return time_range(session).split("–")[1]


def moment(when: datetime) -> str:
    """Friday, February 10, 2023, noon: a past start time as a sentence names it."""
    clock = _clock(when.timetz().replace(tzinfo=None), True)
    return f"{long_date(when.date())}, {clock}"


def closing_time(session: Session) -> str:
    """When registration closes, as a sentence names it: "Monday, May 15" (open all that day) or
    "Monday, May 15, 5:00 p.m."; the year only when it is not the session's."""
    deadline = session.registration_closes
    day = f"{deadline.day:%A}, {deadline.day:%B} {deadline.day.day}"
    if deadline.day.year != session.day.year:
        day += f", {deadline.day.year}"
    return f"{day}, {_clock(deadline.clock, True)}" if deadline.clock else day


def registration_text(session: Session) -> str:
    """Registration in one sentence, for readers without scripts, the feeds and the printed page."""
    if session.registration_status == "full":
        return "Registration is full."
    if session.registration_status == "waitlist":
        return "Registration is full; join the waitlist."
    if session.registration_closes:
        return _sentence(f"Registration closes {closing_time(session)}")
    return "Registration is open."


def names(people: tuple) -> str:
    """"A", "A and B", "A, B and C": facilitators as a sentence lists them."""
    named = [str(person) for person in people]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


ATTENDANCE_LABELS = {"in person": "In person", "online": "Online", "hybrid": "In person and online"}


def change_text(change: Change) -> str:
    """One line of the "what changed" page and the Atom feed."""
    def when(text: str) -> str:
        return moment(datetime.fromisoformat(text)) if text else "a time not given"

    title, kind = change.title, change.kind
    if kind == "published":
        return f"The schedule was published with {change.after} sessions."
    if kind == "moved":
        return _sentence(f"Moved: {title}, from {when(change.before)} to {when(change.after)}")
    if kind == "relocated":
        return f"New location for {title}: {change.after or 'none given'} (was {change.before or 'none given'})."
    if kind == "withdrawn":
        return f"Removed from the schedule: session {change.session_id}."
    label = {"added": "Added", "cancelled": "Cancelled", "reinstated": "Back on the schedule"}.get(kind, kind)
    return _sentence(f"{label}: {title}, {when(change.after)}")


def _sentence(text: str) -> str:
    """The text with its full stop: one, even when it ends with "p.m."."""
    return text if text.endswith(".") else text + "."
