"""content/ -> Schedule, or every content problem at once."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from collections.abc import Callable

from . import fields
from .documents import read_documents
from .fields import Field, close_matches
from .history import content_changed_at
from .markup import inline_html, inline_sources, render_all
from .model import ContentError, Deadline, Page, Problem, Schedule, Series, Session, Site, Topic
from .sourcefile import Mapping, Sequence, YamlParser, parse_yaml, read_yaml

# The editors' contract, one schema per file kind; README.md documents each field.
SITE_FIELDS = {
    "title": Field(fields.one_line, required=True),
    "organisation": Field(fields.one_line, required=True),
    "description": Field(fields.one_line, required=True),
    "time_zone": Field(fields.time_zone, required=True),
    "time_zone_label": Field(fields.one_line, required=True),
    "base_url": Field(fields.absolute_url, required=True),
    "language": Field(fields.one_line, default="en"),
    "contact_email": Field(fields.email, default=""),
    "feed_refresh_hours": Field(fields.whole_hours, default=12),
    "attendance_mode": Field(fields.attendance_mode, default=""),
    "frame_ancestors": Field(fields.frame_ancestors, default="'none'"),
    "contact_phone": Field(fields.one_line, default=""),
    "organisation_url": Field(fields.web_address, default=""),
    "logo": Field(fields.content_image, default=""),
    "default_audience": Field(fields.one_line, default=""),
    "accommodations": Field(fields.markdown_text, default=""),
    "accommodations_contact": Field(fields.one_line, default=""),
}
TOPIC_FIELDS = {
    "title": Field(fields.one_line, required=True),
    "summary": Field(fields.one_line, required=True),
}
PAGE_FIELDS = TOPIC_FIELDS
SESSION_FIELDS = {
    "id": Field(fields.slug, required=True),
    "topic": Field(fields.slug, required=True),
    "date": Field(fields.calendar_date, required=True),
    "start": Field(fields.clock_time, required=True),
    "end": Field(fields.clock_time, required=True),
    "location": Field(fields.one_line, default=""),
    "status": Field(fields.status, default="scheduled"),
    "note": Field(fields.one_line, default=""),
    "reason": Field(fields.one_line, default=""),
    "series": Field(fields.slug, default=""),
    "registration_url": Field(fields.web_address, default=""),
    "registration_closes": Field(fields.deadline, default=None),
    "registration_status": Field(fields.registration_status, default="open"),
    "facilitators": Field(fields.facilitator, default=(), many=True),
    "audience": Field(fields.one_line, default=""),
    "format": Field(fields.session_format, default=""),
    "online_url": Field(fields.web_address, default=""),
    "access": Field(fields.one_line, default=""),
}
SERIES_FIELDS = TOPIC_FIELDS
# Page slugs that would collide with the generator's own folders.
RESERVED_SLUGS = {"accessibility", "assets", "changes", "print", "series", "sessions", "subscribe", "topics"}


def read_schedule(content: Path, base_url: str | None = None,
                  render_markdown: Callable[[list[str]], list[str]] = render_all,
                  parse_yaml: YamlParser = parse_yaml) -> Schedule:
    """Read and check everything under `content`; raise ContentError listing every problem.

    `render_markdown` turns the topics' and pages' Markdown bodies into HTML, all at once, and
    `parse_yaml` reads YAML text (the build passes microsite.cache's versions, which keep what
    they made before).
    """
    if not content.is_dir():
        raise ContentError([Problem(content.name, 0, (
            f"folder not found at {content.name}/; run the build from the project folder"
            " (the one holding content/ and layouts/)"))])
    project = content.parent
    problems: list[Problem] = []
    site = _read_site(content / "site.yaml", project, base_url, problems, parse_yaml, render_markdown)
    topics = read_documents(content / "topics", project, TOPIC_FIELDS, Topic, problems, render_markdown,
                            parse_yaml, required=True)
    series = read_documents(content / "series", project, SERIES_FIELDS, Series, problems, render_markdown,
                            parse_yaml, required=False)
    sessions = _read_sessions(content / "sessions.yaml", project, site, topics, series, problems, parse_yaml,
                              render_markdown)
    pages = read_documents(content / "pages", project, PAGE_FIELDS, Page, problems, render_markdown,
                           parse_yaml, required=False)
    for page in pages.values():
        if page is not None and page.slug in RESERVED_SLUGS:
            problems.append(Problem(page.source, 1, (
                f"the name '{page.slug}' is used by the generator's own pages; rename the file")))
    if site is None or any(not problem.is_warning for problem in problems):
        raise ContentError(problems)
    sessions.sort(key=lambda s: (s.start, s.id))
    first_start = {}
    for session in sessions:
        first_start.setdefault(session.topic.slug, session.start)
    never = datetime.max.replace(tzinfo=timezone.utc)
    last_start = {session.series.slug: session.start for session in sessions if session.series is not None}
    dawn = datetime.min.replace(tzinfo=timezone.utc)
    return Schedule(
        series=tuple(sorted(filter(None, series.values()), key=lambda s: (last_start.get(s.slug, dawn), s.slug),
                            reverse=True)),
        site=site,
        topics=tuple(sorted(filter(None, topics.values()), key=lambda t: (first_start.get(t.slug, never), t.title, t.slug))),
        sessions=tuple(sessions),
        pages=tuple(sorted(filter(None, pages.values()), key=lambda p: p.slug)),
        content_changed_at=content_changed_at(content),
        warnings=tuple(sorted(problems)),
    )


def _shown(path: Path, project: Path) -> str:
    return path.relative_to(project).as_posix()


def _read_site(path: Path, project: Path, base_url: str | None, problems: list[Problem],
               parse_yaml: YamlParser, render_markdown: Callable[[list[str]], list[str]]) -> Site | None:
    shown = _shown(path, project)
    if not path.is_file():
        problems.append(Problem(shown, 0, "not found; create it with the site settings listed in README.md"))
        return None
    data, found = read_yaml(path, shown, parse_yaml)
    site, found = _convert_site((data, found), shown, base_url, render_markdown)
    problems.extend(found)
    if site is not None and site.logo:
        logo = path.parent / site.logo
        # A link, here or in a folder above it, could publish any file of the build machine.
        linked = logo.is_symlink() or path.parent.resolve() not in logo.resolve().parents
        if linked or not logo.is_file():
            what = "is a symbolic link; put the image itself there" if linked else "names no file"
            problems.append(Problem(shown, data.key_lines["logo"], (
                f"site settings: `logo` {what} (content/{site.logo}); add the image under content/, or remove"
                " the line")))
    return site


def _convert_site(parsed: tuple, shown: str, base_url: str | None,
                  render_markdown: Callable[[list[str]], list[str]]) -> tuple[Site | None, list[Problem]]:
    data, found = parsed
    if found:
        return None, found
    values, found = fields.convert_record(data, SITE_FIELDS, shown, 1, "site settings")
    if values is None:
        return None, found
    if base_url:  # a deploy may publish the same content under another address
        values["base_url"] = fields.absolute_url(base_url)
    accommodations = values.pop("accommodations")
    values["accommodations_html"] = render_markdown([accommodations])[0] if accommodations else ""
    return Site(**values), found


def _read_sessions(path: Path, project: Path, site: Site | None, topics: dict[str, Topic | None],
                   all_series: dict[str, Series | None], problems: list[Problem],
                   parse_yaml: YamlParser, render_markdown: Callable[[list[str]], list[str]]) -> list[Session]:
    shown = _shown(path, project)
    if not path.is_file():
        problems.append(Problem(shown, 0, "not found; create it with one entry per session (see README.md)"))
        return []
    entries, found, referenced = _convert_sessions(read_yaml(path, shown, parse_yaml), shown, site)
    problems.extend(found)
    linked = []
    for entry in entries:
        values, key_lines, what = entry
        topic = topics.get(values["topic"])
        if topic is None and values["topic"] in topics:
            continue  # the topic file exists but has problems of its own, reported there
        if topic is None:
            near = close_matches(values["topic"], list(topics), n=1)
            hint = f"did you mean '{near[0]}'?" if near else (
                f"create content/topics/{values['topic']}.md, or, if the topic was removed, give this session"
                " another `topic:` or remove its entry (cancel it instead if it was published)")
            problems.append(Problem(shown, key_lines["topic"], (
                f"{what}: topic '{values['topic']}' has no file content/topics/{values['topic']}.md; {hint}")))
            continue
        series = _series_of(values, key_lines, what, all_series, shown, problems)
        if series is not False:
            linked.append((entry, topic, series))
    for slug, topic in sorted(topics.items()) if referenced is not None else ():
        if topic is not None and slug not in referenced:
            problems.append(Problem(topic.source, 1, (
                f"topic '{slug}' has no sessions in {shown}; it gets a page but no dates"), is_warning=True))
    named = {series.slug for _, _, series in linked if series is not None}
    for slug, series in sorted(all_series.items()) if referenced is not None else ():
        if series is not None and slug not in named:
            problems.append(Problem(series.source, 1, (
                f"series '{slug}' has no sessions in {shown}; give sessions `series: \"{slug}\"`, or delete the"
                " file if the series is not planned"), is_warning=True))
    if site is None:
        return []
    notes = [values["note"] for (values, _, _), _, _ in linked if values["note"]]
    rendered = iter(render_markdown(inline_sources(notes)) if notes else [])
    return [_session(values, topic, site, series, inline_html(next(rendered)) if values["note"] else "")
            for (values, _, _), topic, series in linked]


def _series_of(values: dict, key_lines: dict, what: str, all_series: dict[str, Series | None], shown: str,
               problems: list[Problem]) -> Series | None | bool:
    """The series a session belongs to: the one it names, or the only one there is; False when that
    cannot be told (the problem is reported)."""
    slug = values["series"]
    if not slug:
        if len(all_series) > 1:
            names = ", ".join(f'"{name}"' for name in sorted(all_series))
            problems.append(Problem(shown, values["source_line"], (
                f"{what}: names no series, and content/series/ holds several ({names}); add `series:` with one"
                " of them to the entry")))
            return False
        return next(iter(all_series.values()), None) or (None if not all_series else False)
    if slug in all_series:
        return all_series[slug] or False  # a series file with problems of its own, reported there
    near = close_matches(slug, list(all_series), n=1)
    hint = f"did you mean '{near[0]}'?" if near else (
        f"create content/series/{slug}.md (front matter `title:` and `summary:`, then its introduction),"
        " or name an existing series")
    problems.append(Problem(shown, key_lines["series"], f"{what}: series '{slug}' has no file content/series/{slug}.md; {hint}"))
    return False


def _convert_sessions(parsed: tuple, shown: str, site: Site | None) -> tuple[list[tuple], list[Problem], set | None]:
    """Each entry's checked values (with its key lines and name), the problems, and the topics named.

    Which topics exist is checked afterwards. The topics named are None when the file as a whole
    cannot be read.
    """
    data, problems = parsed
    if problems:
        return [], problems, None
    if data is None or (isinstance(data, Sequence) and not data):
        return [], [Problem(shown, 1, "lists no sessions; add entries that start with `- id:`")], None
    if not isinstance(data, Sequence):
        return [], [Problem(shown, getattr(data, "line", 1), (
            "must be a list of sessions, each starting with `- id:`; check the first entry"))], None
    entries, first_line_of_id, referenced = [], {}, set()
    for record, line in zip(data, data.item_lines):
        if isinstance(record, Mapping) and isinstance(record.get("topic"), str):
            referenced.add(record["topic"])  # even if the entry has other problems
        values, found = fields.convert_record(record, SESSION_FIELDS, shown, line, _session_label(record))
        problems.extend(found)
        if values is None:
            continue
        session_id, what = values["id"], f"session '{values['id']}'"
        if session_id in first_line_of_id:
            problems.append(Problem(shown, record.key_lines["id"], (
                f"{what}: id is already used on line {first_line_of_id[session_id]};"
                " give each session its own id (ids are calendar UIDs and never reused)")))
            continue
        first_line_of_id[session_id] = record.key_lines["id"]
        if site is not None and not _times_are_valid(values, record, site, shown, what, problems):
            continue
        if site is not None and not _deadline_is_valid(values, record, site, shown, what, problems):
            continue
        values["source_line"] = line
        entries.append((values, record.key_lines, what))
    return entries, problems, referenced


def _session(values: dict, topic: Topic, site: Site, series: Series | None, note_html: str) -> Session:
    closes = values["registration_closes"]
    return Session(
        id=values["id"], topic=topic, day=values["date"], start_time=values["start"], end_time=values["end"],
        zone=site.zone, location=values["location"], status=values["status"], note=values["note"],
        reason=values["reason"], source_line=values["source_line"], series=series, note_html=note_html,
        registration_url=values["registration_url"],
        registration_closes=Deadline(closes[0], closes[1], site.zone) if closes else None,
        registration_status=values["registration_status"], facilitators=values["facilitators"],
        audience=values["audience"], format=values["format"], online_url=values["online_url"],
        access=values["access"])


def _session_label(record: object) -> str:
    if isinstance(record, Mapping) and isinstance(record.get("id"), str) and record.get("id"):
        return f"session '{record['id']}'"
    return "session"


def _times_are_valid(values: dict, record: Mapping, site: Site, shown: str, what: str,
                     problems: list[Problem]) -> bool:
    start, end = values["start"], values["end"]
    if end <= start:
        if end == start:
            message = f"ends when it starts ({start:%H:%M}); correct `end`"
        elif end.hour < 6 <= start.hour:
            message = (f"ends ({end:%H:%M}) before it starts ({start:%H:%M}); a session cannot run past"
                       " midnight: end it by 23:59 or split it into two sessions")
        else:
            message = f"ends ({end:%H:%M}) before it starts ({start:%H:%M}); swap the times"
        problems.append(Problem(shown, record.key_lines["end"], f"{what}: {message}"))
        return False
    valid = True
    for key in ("start", "end"):
        local = datetime.combine(values["date"], values[key])
        aware = local.replace(tzinfo=site.zone)
        if aware.astimezone(timezone.utc).astimezone(site.zone).replace(tzinfo=None) != local:
            problems.append(Problem(shown, record.key_lines[key], (
                f"{what}: {local:%Y-%m-%d %H:%M} does not exist in {site.time_zone}"
                " (clocks spring forward that night); choose a time outside the skipped hour")))
            valid = False
        elif aware.utcoffset() != aware.replace(fold=1).utcoffset():
            problems.append(Problem(shown, record.key_lines[key], (
                f"{what}: {local:%Y-%m-%d %H:%M} happens twice in {site.time_zone}"
                " (clocks fall back that night); choose a time outside the repeated hour")))
            valid = False
    return valid


def _deadline_is_valid(values: dict, record: Mapping, site: Site, shown: str, what: str,
                       problems: list[Problem]) -> bool:
    """Registration must close by the time the session starts."""
    if not values["registration_closes"]:
        return True
    day, clock = values["registration_closes"]
    closes = Deadline(day, clock, site.zone).closes_at
    starts = datetime.combine(values["date"], values["start"], site.zone)
    if closes <= starts:
        return True
    if clock is None and day == values["date"]:
        hint = f"a date alone means the end of that day; add the time, e.g. {day.isoformat()} {values['start']:%H:%M}"
    else:
        hint = f"close it on or before {values['date'].isoformat()} {values['start']:%H:%M}"
    problems.append(Problem(shown, record.key_lines["registration_closes"], (
        f"{what}: registration closes after the session starts; {hint}")))
    return False
