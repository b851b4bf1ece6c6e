"""How dates, times and links read on the pages: the filters the layouts use."""

from __future__ import annotations

import posixpath
from urllib.parse import quote
from datetime import date, datetime, time

from .model import Session


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
    opening the site from disk (file://) shows a folder listing instead of its index.
    """
    fragment = ""
    if "#" in target:
        target, fragment = target.split("#", 1)
        fragment = "#" + fragment
    if target == "" or target.endswith("/"):
        target += "index.html"
    base = posixpath.dirname(from_page) or "."
    return posixpath.relpath(target, base) + fragment


def start_clock(session: Session) -> str:
    """The start half of time_range: "Noon" in "Noon–2:00 p.m."."""
    return time_range(session).split("–")[0]


def end_clock(session: Session) -> str:
    """The end half of time_range: "2:00 p.m." in "Noon–2:00 p.m."."""
    return time_range(session).split("–")[1]


def webcal(feed_url: str) -> str:
    """The webcal:// form of a feed URL, which opens the system's calendar app as a subscription."""
    return "webcal://" + feed_url.split("://", 1)[1]


def google_subscribe(feed_url: str) -> str:
    """Google Calendar's "add by URL" link for a feed (the cid form, which takes a webcal URL)."""
    return "https://calendar.google.com/calendar/render?cid=" + quote(webcal(feed_url), safe="")
