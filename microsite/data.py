"""Schedule -> schedule.json: the schedule as data for other tools (ISO 8601 times with offsets)."""

from __future__ import annotations

import json

from .formatting import iso_minutes
from .model import OutputFile, Schedule


def render_data(schedule: Schedule) -> list[OutputFile]:
    """schedule.json, with keys in a fixed order so that the same content gives the same bytes."""
    site = schedule.site
    document = {
        "title": site.title,
        "organisation": site.organisation,
        "time_zone": site.time_zone,
        "url": site.absolute(""),
        "feed": site.absolute("schedule.ics"),
        "topics": [
            {"slug": topic.slug, "title": topic.title, "summary": topic.summary,
             "url": site.absolute(topic.page_path), "ics": site.absolute(topic.feed_path)}
            for topic in schedule.topics
        ],
        "sessions": [
            {"id": session.id, "uid": site.uid(session.id), "topic": session.topic.slug,
             "title": session.topic.title, "start": iso_minutes(session.start), "end": iso_minutes(session.end),
             "status": session.status, "reason": session.reason or None,
             "moved_from": iso_minutes(session.moved_from) if session.moved_from else None,
             "location": session.location or None, "note": session.note or None, "sequence": session.sequence,
             "url": site.absolute(session.page_path), "ics": site.absolute(session.feed_path)}
            for session in schedule.sessions
        ],
    }
    text = _one_entry_a_line(document)
    return [OutputFile("schedule.json", text.encode("utf-8"), "content/sessions.yaml (schedule data)")]


def _one_entry_a_line(document: dict) -> str:
    """JSON with each topic and session on a line of its own: easy to diff and read, and written by
    the json module's fast C encoder (its indenting encoder is pure Python, and slow for big files)."""
    def dump(value) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = ["{"]
    for key, value in document.items():
        if isinstance(value, list):
            entries = ",\n".join(f"    {dump(entry)}" for entry in value)
            lines.append(f"  {dump(key)}: [\n{entries}\n  ]," if value else f"  {dump(key)}: [],")
        else:
            lines.append(f"  {dump(key)}: {dump(value)},")
    lines[-1] = lines[-1].rstrip(",")
    return "\n".join(lines) + "\n}\n"
