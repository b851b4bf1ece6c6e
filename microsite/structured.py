"""schema.org Event data for search engines, as JSON-LD that cannot break out of its <script>."""

from __future__ import annotations

import json

from markupsafe import Markup

from .formatting import iso_minutes
from .model import Session, Site


_ATTENDANCE = {"in person": "OfflineEventAttendanceMode", "online": "OnlineEventAttendanceMode",
               "hybrid": "MixedEventAttendanceMode"}
# schema.org has no "waitlist": BackOrder is the nearest, a place one may ask for now and get later.
_AVAILABILITY = {"open": "InStock", "full": "SoldOut", "waitlist": "BackOrder"}


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
    attendance = site.attendance_of(session)
    if mode := _ATTENDANCE.get(attendance):
        event["eventAttendanceMode"] = f"https://schema.org/{mode}"
    places = [{"@type": "Place", "name": session.location}] if session.location else []
    if attendance in ("online", "hybrid") and (session.online_url or not places):
        places.append({"@type": "VirtualLocation", "url": session.online_url or site.absolute(session.page_path)})
    if places:
        event["location"] = places[0] if len(places) == 1 else places
    if session.facilitators:
        event["performer"] = [{"@type": "Organization" if f.is_organisation else "Person", "name": f.name}
                              for f in session.facilitators]
    if audience := site.audience_of(session):
        event["audience"] = {"@type": "Audience", "audienceType": audience}
    if session.takes_registration:
        offer = {"@type": "Offer", "availability": f"https://schema.org/{_AVAILABILITY[session.registration_status]}"}
        if session.registration_url:
            offer["url"] = session.registration_url
        if session.registration_closes:
            offer["validThrough"] = iso_minutes(session.registration_closes.closes_at)
        event["offers"] = offer
    text = json.dumps(event, ensure_ascii=False, indent=1)
    # "<", ">" and "&" as JSON escapes: a title containing "</script>" stays text.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">\n{text}\n</script>')
