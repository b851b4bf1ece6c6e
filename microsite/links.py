"""Links that hand a feed or a session to a calendar app: Google, Outlook.com, Microsoft 365, Apple."""

from __future__ import annotations

import re
from datetime import timezone
from urllib.parse import quote, urlencode

from markupsafe import Markup, escape

from .fields import EMAIL
from .model import Session, Site

_OUTLOOK_HOSTS = {"outlook": "outlook.live.com", "office": "outlook.office.com"}


def webcal(feed_url: str) -> str:
    """The webcal:// form of a feed URL: Apple Calendar and desktop apps open it as a subscription."""
    return "webcal://" + feed_url.split("://", 1)[1]


def google_subscribe(feed_url: str) -> str:
    """Google Calendar's "add by URL" link (the cid form, which takes the webcal URL)."""
    return "https://calendar.google.com/calendar/r?cid=" + quote(webcal(feed_url), safe="")


def outlook_subscribe(feed_url: str, name: str, service: str) -> str:
    """Outlook.com's or Microsoft 365's "add calendar from the web" link."""
    query = urlencode({"url": feed_url, "name": name})
    return f"https://{_OUTLOOK_HOSTS[service]}/calendar/0/addfromweb?{query}"


def _utc_compact(session_time) -> str:
    return session_time.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _details(session: Session, site: Site) -> str:
    joining = f"Join online: {session.online_url}\n\n" if session.online_url else ""
    return f"{session.topic.summary}\n\n{joining}{site.absolute(session.page_path)}"


def google_add(session: Session, site: Site) -> str:
    """Google Calendar's event template, in UTC with the site's zone named (ctz) for display."""
    query = {"action": "TEMPLATE", "text": session.topic.title,
             "dates": f"{_utc_compact(session.start)}/{_utc_compact(session.end)}",
             "ctz": site.time_zone, "details": _details(session, site)}
    if place := site.place_of(session):
        query["location"] = place
    return "https://calendar.google.com/calendar/render?" + query_string(query)


def outlook_add(session: Session, site: Site, service: str = "outlook") -> str:
    """Outlook's compose deep link for one event, with UTC start and end."""
    query = {"path": "/calendar/action/compose", "rru": "addevent", "subject": session.topic.title,
             "startdt": session.start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "enddt": session.end.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "body": _details(session, site)}
    if place := site.place_of(session):
        query["location"] = place
    return f"https://{_OUTLOOK_HOSTS[service]}/calendar/0/deeplink/compose?" + query_string(query)


class _PercentEscapes(dict):
    """str.translate's table for a query value: every character but those RFC 3986 leaves
    unreserved becomes its UTF-8 bytes, percent-encoded; the table holds the ASCII ones, and
    any other character is encoded when met (and not kept: the table never changes)."""

    def __missing__(self, code: int) -> str:
        return "".join(f"%{byte:02X}" for byte in chr(code).encode("utf-8"))


_UNRESERVED = frozenset(map(ord, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"))
_ESCAPES = _PercentEscapes({code: chr(code) if code in _UNRESERVED else f"%{code:02X}" for code in range(128)})


def query_string(query: dict[str, str]) -> str:
    """The same text as urlencode(query, quote_via=quote), twice as fast: that quotes one byte
    at a time in Python, and the home page of a large program builds three links per session."""
    return "&".join(f"{key.translate(_ESCAPES)}={value.translate(_ESCAPES)}" for key, value in query.items())


def contact_link(contact: str) -> Markup:
    """A contact as written in the settings, linked where it is an email address or a phone number."""
    if EMAIL.fullmatch(contact):
        return Markup(f'<a href="mailto:{escape(contact)}">{escape(contact)}</a>')
    if re.fullmatch(r"\+?[0-9 ().-]{7,}", contact):
        return Markup(f'<a href="tel:{re.sub(r"[^0-9+]", "", contact)}">{escape(contact)}</a>')
    return escape(contact)
