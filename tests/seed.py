"""The 2023 series as the program itself announced it (tests/data/seed-2023.txt), parsed.

The real content must match this list exactly: same titles, same dates, same times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

SEED = Path(__file__).resolve().parent / "data" / "seed-2023.txt"
YEAR = 2023


@dataclass(frozen=True)
class SeedSession:
    title: str
    weekday: str
    day: date
    start: time
    end: time


def _clock(text: str, meridiem: str) -> time:
    if text.lower() == "noon":
        return time(12, 0)
    hour, minute = map(int, text.split(":"))
    if meridiem == "p.m." and hour != 12:
        hour += 12
    return time(hour, minute)


def seed_sessions() -> list[SeedSession]:
    sessions, title = [], None
    lines = SEED.read_text(encoding="utf-8").split("are listed below.")[1].splitlines()
    for line in lines:
        bullet = re.match(r"\s*•\s*(\w+), (\w+) (\d+), (\w+|\d+:\d+)-(\d+:\d+) (a\.m\.|p\.m\.)", line)
        if bullet:
            weekday, month, day, start, end, meridiem = bullet.groups()
            on = datetime.strptime(f"{month} {day} {YEAR}", "%B %d %Y").date()
            sessions.append(SeedSession(title, weekday, on, _clock(start, meridiem), _clock(end, meridiem)))
        elif line.strip() and not line.startswith(" ") and not line.startswith("Calendar invitations"):
            title = line.strip()
    return sessions
