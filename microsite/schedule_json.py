"""Schedule -> schedule.json: the schedule as data for other tools (ISO 8601 times with offsets)."""

from __future__ import annotations

import json

from .formatting import iso_minutes
from .model import OutputFile, Schedule, Series, Session, Site, Topic


def render_schedule_json(schedule: Schedule) -> list[OutputFile]:
    """schedule.json, with keys in a fixed order so that the same content gives the same bytes.

    Each topic and session is on a line of its own: easy to diff and read, and written by the
    json module's fast C encoder (its indenting encoder is pure Python, and slow for big files).
    """
    site = schedule.site
    head = {"title": site.title, "organisation": site.organisation, "time_zone": site.time_zone,
            "url": site.absolute(""), "feed": site.absolute("schedule.ics")}
    lines = ["{", *(f"  {_dump(key)}: {_dump(value)}," for key, value in head.items())]
    lines += _entries("series", [_series_entry(series, site) for series in schedule.series], last=False)
    lines += _entries("topics", [_topic_entry(topic, site) for topic in schedule.topics], last=False)
    lines += _entries("sessions", [_session_entry(session, site) for session in schedule.sessions], last=True)
    text = "\n".join(lines) + "\n}\n"
    return [OutputFile("schedule.json", text.encode("utf-8"), "content/sessions.yaml (schedule data)")]


def _entries(key: str, entries: list[str], last: bool) -> list[str]:
    comma = "" if last else ","
    if not entries:
        return [f"  {_dump(key)}: []{comma}"]
    return [f"  {_dump(key)}: [", ",\n".join(entries), f"  ]{comma}"]


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _topic_entry(topic: Topic, site: Site) -> str:
    return "    " + _dump({"slug": topic.slug, "title": topic.title, "summary": topic.summary,
                           "url": site.absolute(topic.page_path), "ics": site.absolute(topic.feed_path)})


def _series_entry(series: Series, site: Site) -> str:
    return "    " + _dump({"slug": series.slug, "title": series.title, "summary": series.summary,
                           "url": site.absolute(series.page_path), "ics": site.absolute(series.feed_path)})


def _session_entry(session: Session, site: Site) -> str:
    return "    " + _dump({
        "id": session.id, "uid": site.uid(session.id), "series": session.series.slug if session.series else None,
        "topic": session.topic.slug,
        "title": session.topic.title, "start": iso_minutes(session.start), "end": iso_minutes(session.end),
        "status": session.status, "reason": session.reason or None,
        "moved_from": iso_minutes(session.moved_from) if session.moved_from else None,
        "location": session.location or None, "note": session.note or None,
        "note_html": session.note_html or None, "sequence": session.sequence,
        "url": site.absolute(session.page_path), "ics": site.absolute(session.feed_path),
        "registration": _registration(session), "facilitators": [
            {"name": f.name, "type": "organisation" if f.is_organisation else "person"} for f in session.facilitators],
        "audience": site.audience_of(session) or None, "format": site.attendance_of(session) or None,
        "online_url": session.online_url or None, "access": session.access or None})


def _registration(session: Session) -> dict | None:
    if not session.takes_registration:
        return None
    closes = session.registration_closes
    return {"url": session.registration_url or None, "status": session.registration_status,
            "closes": iso_minutes(closes.closes_at) if closes else None}
