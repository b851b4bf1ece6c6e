"""Each field an editor can write, converted from YAML text once, in this one place.

A schema is a table of Field rows, readable as the editors' contract; `convert_record` checks one
YAML mapping against it and reports every problem with the line of the key that caused it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time
from typing import Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .model import Facilitator, Problem
from .sourcefile import Mapping, Sequence


class FieldError(ValueError):
    """A value that cannot be converted; the text is 'what is wrong; how to fix it'."""


SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def one_line(value: str) -> str:
    """The text on one line: line breaks and runs of ordinary spaces become one space, and every
    other character stays as written (French puts no-break spaces before : ? and »)."""
    cleaned = _FOLDED.sub(" ", value).strip(" ")
    if not cleaned:
        raise FieldError("is empty; write some text or remove the line")
    try:  # a character outside the BMP escaped as two \\u escapes (as JSON writes it) is one character
        cleaned = cleaned.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        pass  # a lone half of a pair: reported just below
    if invisible := _INVISIBLE.search(cleaned):
        raise FieldError(f"contains the invisible character U+{ord(invisible.group()):04X}; delete it"
                         " (it often comes with text pasted from another program)")
    return cleaned


def markdown_text(value: str) -> str:
    """Markdown over several lines: kept as written, apart from characters that cannot be shown."""
    text = value.strip()
    if invisible := _INVISIBLE.search(text.replace("\n", "").replace("\t", " ")):
        raise FieldError(f"contains the invisible character U+{ord(invisible.group()):04X}; delete it")
    if not text:
        raise FieldError("is empty; write some text or remove the line")
    return text


_FOLDED = re.compile("[ \t\n\r\f\v\x85\u2028\u2029]+")  # spaces, tabs and every kind of line break

# Control characters (Unicode category Cc), lone surrogates (Cs) and the two noncharacters that
# mark byte order: they cannot be shown, printed or put in a calendar.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


# Cyrillic and Greek letters that look like Latin ones, as they arrive in text pasted from elsewhere.
_LOOK_ALIKES = str.maketrans("аеорсухіѕјԁԛԝοανικτ", "aeopcyxisjdqwoavikt")


def suggest_slug(value: str) -> str:
    """A safe slug close to what the editor wrote: 'Psychological Safety' -> 'psychological-safety'."""
    plain = unicodedata.normalize("NFKD", value.lower().translate(_LOOK_ALIKES))
    return re.sub(r"[^a-z0-9]+", "-", plain.encode("ascii", "ignore").decode()).strip("-") or "session-1"


def slug(value: str) -> str:
    if not SLUG.fullmatch(value):
        raise FieldError(f"'{value}' is not a safe slug{look_alike(value)}; use lowercase letters, digits and"
                         f" single hyphens, e.g. '{suggest_slug(value)}'")
    return value


def look_alike(value: str) -> str:
    """Name the first non-ASCII character, which often looks just like a Latin letter."""
    for character in value:
        if ord(character) > 127:
            name = unicodedata.name(character, "an unnamed character")
            return f" (it contains '{character}', U+{ord(character):04X} {name}, not a plain Latin letter)"
    return ""


def calendar_date(value: str) -> date:
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
    if not match:
        raise FieldError(f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2023-02-17")
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        raise FieldError(f"'{value}' is not a day in the calendar; check the month and day") from None


def clock_time(value: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not match:
        raise FieldError(
            f"'{value}' is not a time; write 24-hour HH:MM, e.g. 12:00 for noon or 15:30 for 3:30 p.m.")
    hour, minute = map(int, match.groups())
    if hour > 23 or minute > 59:
        raise FieldError(
            f"'{value}' is not a time of day; use 00:00 to 23:59 (a session cannot run past midnight)")
    return time(hour, minute)


STATUSES = ("scheduled", "cancelled")


def status(value: str) -> str:
    if value not in STATUSES:
        near = close_matches(value.lower(), STATUSES, n=1, cutoff=0.7)
        hint = f"did you mean `{near[0]}`?" if near else "use `scheduled` or `cancelled`"
        raise FieldError(f"'{value}' is not a status; {hint}")
    return value


def time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        near = close_matches(value, sorted(available_timezones()), n=1)
        hint = f"did you mean '{near[0]}'?" if near else "e.g. America/Detroit"
        raise FieldError(f"'{value}' is not an IANA time zone name; {hint}") from None
    return value


def absolute_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise FieldError(f"'{value}' is not an absolute URL; write it in full, e.g. https://example.org/ally/")
    return value if value.endswith("/") else value + "/"


def web_address(value: str) -> str:
    """A link for readers to follow, kept exactly as written (no slash is added, unlike base_url)."""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or any(c.isspace() for c in value):
        raise FieldError(f"'{value}' is not a web address; write it in full, starting with https://,"
                         " e.g. https://example.org/register")
    return value


def deadline(value: str) -> tuple[date, time | None]:
    """A day (`YYYY-MM-DD`: open to the end of that day) or a day and time (`YYYY-MM-DD HH:MM`)."""
    day, _, clock = value.partition(" ")
    try:
        return calendar_date(day), clock_time(clock.strip()) if clock.strip() else None
    except FieldError:
        raise FieldError(f"'{value}' is not a deadline; write YYYY-MM-DD (open to the end of that day)"
                         " or YYYY-MM-DD HH:MM in the site's time zone, e.g. 2023-05-15 17:00") from None


REGISTRATION_STATUSES = ("open", "full", "waitlist")


def registration_status(value: str) -> str:
    return _one_of(value, REGISTRATION_STATUSES, "a registration status")


FORMATS = ("in person", "online", "hybrid")


def session_format(value: str) -> str:
    return _one_of(value, FORMATS, "a format")


def _one_of(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value in allowed:
        return value
    near = close_matches(value.lower().replace("-", " "), allowed, n=1, cutoff=0.6)
    choices = ", ".join(f"`{name}`" for name in allowed[:-1]) + f" or `{allowed[-1]}`"
    hint = f"did you mean `{near[0]}`?" if near else f"use {choices}, or leave it out"
    raise FieldError(f"'{value}' is not {what}; {hint}")


def content_image(value: str) -> str:
    """A path under content/, as the build publishes it: checked for its kind here, for its file by read."""
    path = value.strip().replace("\\", "/")
    if path.startswith("/") or ".." in path.split("/") or not re.fullmatch(r"[A-Za-z0-9._/-]+", path):
        raise FieldError(f"'{value}' is not a path inside content/; write it like images/logo.svg")
    if not path.lower().endswith(IMAGE_TYPES):
        raise FieldError(f"'{value}' is not an image the site can show; use an .svg, .png, .jpg or .webp file")
    return path


IMAGE_TYPES = (".svg", ".png", ".jpg", ".jpeg", ".webp")


def facilitator(value: str | tuple[str, str]) -> Facilitator:
    """`- Name` is a person; `- organisation: Name` an organisation."""
    if isinstance(value, tuple):
        kind, name = value
        if kind not in ("organisation", "person"):
            raise FieldError(f"names a `{kind}:`; write `- organisation: Name` for an organisation, `- Name` for a person")
        return Facilitator(one_line(name), is_organisation=kind == "organisation")
    return Facilitator(one_line(value))


EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")


def email(value: str) -> str:
    if value and not EMAIL.fullmatch(value):
        raise FieldError(f"'{value}' is not an email address; write it as name@example.org, or leave it empty")
    return value


ATTENDANCE_MODES = ("in person", "online", "mixed")


def attendance_mode(value: str) -> str:
    if value not in ATTENDANCE_MODES:
        raise FieldError(f"'{value}' is not an attendance mode; use `in person`, `online` or `mixed`, or leave it out")
    return value


_FRAME_SOURCE = re.compile(r"'self'|https://(\*\.)?[a-z0-9.-]+(:[0-9]+)?(/[^\s;,'\"]*)?")


def frame_ancestors(value: str) -> str:
    """CSP frame-ancestors: 'none', or 'self' and https:// origins that may frame the pages."""
    sources = value.split()
    if value.strip() == "'none'":
        return "'none'"
    if not sources or not all(_FRAME_SOURCE.fullmatch(source) for source in sources):
        raise FieldError(f"'{value}' is not a list of who may frame the pages; write 'none' (the default),"
                         " or 'self' and https:// addresses separated by spaces, e.g. 'self' https://example.org")
    return " ".join(sources)


def whole_hours(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 168:
        raise FieldError(f"'{value}' is not a number of hours from 1 to 168; e.g. 12")
    return int(value)


@dataclass(frozen=True)
class Field:
    """One key of a record: whether it must be there, how its text becomes a value."""

    convert: Callable[[str], object]
    required: bool = False
    default: object = ""
    many: bool = False  # a YAML list of values (one value alone is taken as a list of one); a tuple


def convert_record(record: object, schema: dict[str, Field], shown_as: str, line: int,
                   what: str) -> tuple[dict[str, object] | None, list[Problem]]:
    """Check one mapping against its schema; return the converted values, or None and why not."""
    if not isinstance(record, Mapping):
        example = ", ".join(f"`{name}:`" for name, field in schema.items() if field.required)
        return None, [Problem(shown_as, getattr(record, "line", line), (
            f"{what} must be written as `field: value` lines ({example}); check the indentation"))]
    problems: list[Problem] = []
    values: dict[str, object] = {}
    for key, raw in record.items():
        key_line = record.key_lines[key]
        if key not in schema:
            near = close_matches(key, list(schema), n=1, cutoff=0.6)
            hint = f"did you mean `{near[0]}`?" if near else f"known fields: {', '.join(schema)}"
            problems.append(Problem(shown_as, key_line, f"{what}: unknown field `{key}`; {hint}"))
            continue
        if schema[key].many and not isinstance(raw, Mapping):
            try:
                values[key] = _many(raw, schema[key].convert)
            except FieldError as error:
                problems.append(Problem(shown_as, key_line, f"{what}: `{key}` {error}"))
            continue
        if isinstance(raw, (Mapping, Sequence)):
            kind = "a list" if isinstance(raw, Sequence) else "a set of fields"
            problems.append(Problem(shown_as, key_line, (
                f"{what}: `{key}` is {kind} but should be a single value; write it on one line after `{key}:`")))
            continue
        if raw is None or raw == "":
            if schema[key].required:
                problems.append(Problem(shown_as, key_line, f"{what}: `{key}` is empty; fill it in"))
            continue
        try:
            values[key] = schema[key].convert(raw)
        except FieldError as error:
            problems.append(Problem(shown_as, key_line, f"{what}: `{key}` {error}"))
    for name, field in schema.items():
        if field.required and name not in record:
            problems.append(Problem(shown_as, record.line, f"{what}: missing `{name}:`; add it"))
        elif name not in values and not field.required:
            values[name] = field.default
    return (None if problems else values), problems


def _many(raw: object, convert: Callable[[str], object]) -> tuple:
    if raw is None or raw == "":
        return ()
    items = raw if isinstance(raw, Sequence) else [raw]
    converted = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, Mapping) and len(item) == 1 and isinstance(next(iter(item.values())), str):
            item = (next(iter(item)), next(iter(item.values())))  # `- organisation: Name`: the converter reads the key
        elif not isinstance(item, str):
            raise FieldError(f"item {number} is not a single value; write each as `- text` on a line of its own")
        if item:
            try:
                converted.append(convert(item))
            except FieldError as error:
                raise FieldError(f"item {number} {error}") from None
    return tuple(converted)


def close_matches(word: str, choices, **options) -> list[str]:
    """difflib's suggestions, imported only when an editor's mistake needs one."""
    import difflib

    return difflib.get_close_matches(word, choices, **options)
