"""A VTIMEZONE that every calendar client reads to the same instants as tzdata.

Clients disagree about VTIMEZONEs written as long lists of dated transitions (ical.js has been
seen to misplace events by an hour in the form icalendar's add_missing_timezones() writes), but
they all read the classic form: one STANDARD and one DAYLIGHT block, each a yearly rule such as
"second Sunday of March at 02:00". This module derives those rules from zoneinfo's transitions
for the years a calendar covers, so nothing is typed in by hand and a rule change inside the
covered years becomes a rule with an UNTIL followed by the new rule.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Transition:
    """One change of UTC offset, as a wall-clock onset in the offset that was in force before it."""

    onset: datetime  # naive local time, old offset
    at_utc: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str  # abbreviation after the change, e.g. EDT
    is_daylight: bool

    def shape(self) -> tuple:
        return (self.onset.month, self.onset.weekday(), self.onset.time(), self.offset_from,
                self.offset_to, self.name, self.is_daylight)

    def ordinals(self) -> tuple[int, int]:
        """Which weekday of its month the onset is, counted from the start and from the end."""
        days_in_month = calendar.monthrange(self.onset.year, self.onset.month)[1]
        return (self.onset.day - 1) // 7 + 1, -((days_in_month - self.onset.day) // 7 + 1)


def transitions(zone: ZoneInfo, first_year: int, last_year: int) -> list[Transition]:
    """Every offset change of `zone` from the start of first_year to the end of last_year."""
    found = []
    day = datetime(first_year, 1, 1, tzinfo=timezone.utc)
    end = datetime(last_year + 1, 1, 1, tzinfo=timezone.utc)
    offset = day.astimezone(zone).utcoffset()
    while day < end:  # a day at a time: no zone changes its offset twice within a day
        following = day + timedelta(days=1)
        following_offset = following.astimezone(zone).utcoffset()
        if following_offset != offset:
            found.append(_transition_between(zone, day, following))
        day, offset = following, following_offset
    return found


def _transition_between(zone: ZoneInfo, before: datetime, after: datetime) -> Transition:
    while after - before > timedelta(seconds=1):  # offsets change on whole seconds at worst
        middle = before + (after - before) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == before.astimezone(zone).utcoffset():
            before = middle
        else:
            after = middle
    old, new = before.astimezone(zone), after.astimezone(zone)
    return Transition(
        onset=(after + old.utcoffset()).replace(tzinfo=None), at_utc=after,
        offset_from=old.utcoffset(), offset_to=new.utcoffset(), name=new.tzname() or "",
        is_daylight=bool(new.dst()))


def _runs(changes: list[Transition]) -> list[tuple[list[Transition], int | None]]:
    """Split same-kind transitions into runs that one yearly rule describes, with its ordinal."""
    runs: list[tuple[list[Transition], int | None]] = []
    for change in changes:
        if runs:
            run, _ = runs[-1]
            last = run[-1]
            candidate = [*run, change]
            ordinal = _common_ordinal(candidate)
            if (change.shape() == last.shape() and change.onset.year == last.onset.year + 1
                    and ordinal is not None):
                runs[-1] = (candidate, ordinal)
                continue
        runs.append(([change], _common_ordinal([change])))
    return runs


def _common_ordinal(run: list[Transition]) -> int | None:
    from_start = {change.ordinals()[0] for change in run}
    from_end = {change.ordinals()[1] for change in run}
    if len(from_start) == 1 and min(from_start) <= 4:
        return from_start.pop()
    if len(from_end) == 1:
        return from_end.pop()
    return None


def build_vtimezone(zone_name: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for `zone_name` valid from a year before first_year to a year after last_year."""
    zone = ZoneInfo(zone_name)
    vtimezone = Timezone()
    vtimezone.add("tzid", zone_name)
    vtimezone.add("x-lic-location", zone_name)
    changes = transitions(zone, first_year - 1, last_year + 1)
    if not changes:  # a zone without daylight saving in these years: one fixed offset
        moment = datetime(first_year, 1, 1, tzinfo=timezone.utc).astimezone(zone)
        standard = TimezoneStandard()
        standard.add("dtstart", datetime(1970, 1, 1))
        standard.add("tzoffsetfrom", moment.utcoffset())
        standard.add("tzoffsetto", moment.utcoffset())
        standard.add("tzname", moment.tzname())
        vtimezone.add_component(standard)
        return vtimezone
    for kind_is_daylight in (False, True):
        for run, ordinal in _runs([c for c in changes if c.is_daylight == kind_is_daylight]):
            # A rule still in force in the last covered year goes on; one that stopped (a zone
            # that gave up daylight saving, say) ends with its last transition.
            goes_on = run[-1].onset.year == last_year + 1 and ordinal is not None
            vtimezone.add_component(_observance(run, ordinal, goes_on))
    return vtimezone


def _observance(run: list[Transition], ordinal: int | None, goes_on: bool):
    first = run[0]
    observance = TimezoneDaylight() if first.is_daylight else TimezoneStandard()
    observance.add("dtstart", first.onset)
    observance.add("tzoffsetfrom", first.offset_from)
    observance.add("tzoffsetto", first.offset_to)
    observance.add("tzname", first.name)
    if len(run) > 1 or goes_on:
        rule = {"freq": "yearly", "bymonth": first.onset.month,
                "byday": f"{ordinal}{_WEEKDAYS[first.onset.weekday()]}"}
        if not goes_on:
            rule["until"] = run[-1].at_utc
        observance.add("rrule", rule)
    return observance

