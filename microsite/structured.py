"""schema.org Event data for search engines, as JSON-LD that cannot break out of its <script>."""

from __future__ import annotations

import json

from markupsafe import Markup

from .formatting import iso_minutes
from .model import Session, Site


_ATTENDANCE = {"in person": "OfflineEventAttendanceMode", "online": "OnlineEventAttendanceMode",
               "mixed": "MixedEventAttendanceMode"}


def event_json_ld(session: Session, site: Site) -> Markup:
    """A <script type="application/ld+json"> describing one session."""
    if session.is_cancelled:
        status = "https://schema.org/EventCancelled"
    elif session.moved_from:
        status = "https://schema.org/EventRescheduled"
    else:
        status = "https://schema.org/EventScheduled"
    event = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": session.topic.title,
        "description": session.topic.summary,
        "startDate": iso_minutes(session.start),
        "endDate": iso_minutes(session.end),
        "eventStatus": status,
        "url": site.absolute(session.page_path),
        "organizer": {"@type": "Organization", "name": site.organisation, "url": site.absolute("")},
    }
    if session.moved_from:
        event["previousStartDate"] = iso_minutes(session.moved_from)
    if session.series:
        event["superEvent"] = {"@type": "EventSeries", "name": session.series.title,
                               "url": site.absolute(session.series.page_path)}
    mode = _ATTENDANCE.get(site.attendance_mode)
    if mode:
        event["eventAttendanceMode"] = f"https://schema.org/{mode}"
    if session.location:
        event["location"] = {"@type": "Place", "name": session.location}
    elif site.attendance_mode == "online":
        event["location"] = {"@type": "VirtualLocation", "url": site.absolute(session.page_path)}
    text = json.dumps(event, ensure_ascii=False, indent=1)
    # "<", ">" and "&" as JSON escapes: a title containing "</script>" stays text.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">\n{text}\n</script>')
