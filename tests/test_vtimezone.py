"""The generated VTIMEZONE is read by vobject and ical.js to the same instants as tzdata.

Both readers take the offsets from the VTIMEZONE in the file (ical.js as Thunderbird does, by
registering it), so a wrong rule shows up here as an event an hour off.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from calendar_readers import read_with_icaljs, read_with_vobject
from microsite.vtimezone import build_vtimezone

ZONES = [
    "America/Detroit",      # the site's zone: second Sunday of March, first Sunday of November
    "Europe/Berlin",        # last Sunday of the month (a negative BYDAY ordinal)
    "Australia/Sydney",     # southern hemisphere: daylight time spans the new year
    "Australia/Lord_Howe",  # a 30-minute daylight shift
    "America/Sao_Paulo",    # gave up daylight saving in 2019: the rule must stop, not go on
    "Asia/Kolkata",         # no daylight saving at all
]
FIRST_YEAR, LAST_YEAR = 2018, 2021


def _is_unambiguous(moment: datetime) -> bool:
    """Whether a wall time names exactly one instant (the build refuses the others)."""
    exists = moment.astimezone(timezone.utc).astimezone(moment.tzinfo).replace(tzinfo=None) == moment.replace(tzinfo=None)
    return exists and moment.utcoffset() == moment.replace(fold=1).utcoffset()


def _instants(zone_name: str) -> list[datetime]:
    """Hour-long events every few days across the years, at hours near and far from transitions."""
    zone = ZoneInfo(zone_name)
    moments, day = [], date(FIRST_YEAR, 1, 1)
    while day.year <= LAST_YEAR:
        for hour in (1, 4, 22):
            moment = datetime.combine(day, time(hour, 15), zone)
            if _is_unambiguous(moment) and _is_unambiguous(moment + timedelta(hours=1)):
                moments.append(moment)
        day += timedelta(days=1)
    return moments


def _calendar_file(tmp_path, zone_name: str) -> tuple:
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//test//EN")
    calendar.add_component(build_vtimezone(zone_name, FIRST_YEAR, LAST_YEAR))
    expected = {}
    for index, moment in enumerate(_instants(zone_name)):
        event = Event()
        uid = f"event-{index}@test"
        event.add("uid", uid)
        event.add("dtstamp", datetime(2020, 1, 1, tzinfo=timezone.utc))
        event.add("dtstart", moment)
        event.add("dtend", moment + timedelta(hours=1))
        calendar.add_component(event)
        expected[uid] = (moment.astimezone(timezone.utc), (moment + timedelta(hours=1)).astimezone(timezone.utc))
    path = tmp_path / f"{zone_name.replace('/', '_')}.ics"
    path.write_bytes(calendar.to_ical())
    return path, expected


def _mismatches(found: dict, expected: dict) -> list[str]:
    return [f"{uid}: expected {expected[uid][0]}, read {found.get(uid, ('missing',))[0]}"
            for uid in expected if found.get(uid) != expected[uid]]


@pytest.mark.parametrize("zone_name", ZONES)
def test_vobject_reads_the_same_instants_as_zoneinfo(tmp_path, zone_name):
    path, expected = _calendar_file(tmp_path, zone_name)
    assert _mismatches(read_with_vobject(path), expected) == []


@pytest.mark.parametrize("zone_name", ZONES)
def test_icaljs_reads_the_same_instants_as_zoneinfo(tmp_path, zone_name):
    path, expected = _calendar_file(tmp_path, zone_name)
    assert _mismatches(read_with_icaljs([path])[path], expected) == []


def test_detroit_is_written_as_two_yearly_rules():
    text = build_vtimezone("America/Detroit", 2023, 2023).to_ical().decode()
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in text
    assert "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11" in text
    assert text.count("BEGIN:STANDARD") == 1 and text.count("BEGIN:DAYLIGHT") == 1
