"""Property tests: whatever text an editor writes, it stays text in every output, or is refused.

The only allowed failure is a reported content error. Otherwise the text comes back exactly
(after the documented whitespace folding) from the HTML, schedule.json, the JSON-LD and every
calendar feed as ical and vobject read it, and the feeds still parse.

Examples per property: 60 by default; CI sets HYPOTHESIS_PROFILE=ci for 300.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import vobject
from hypothesis import HealthCheck, given, settings, strategies as st
from ical.calendar_stream import IcsCalendarStream

from conftest import write_project
from microsite import ContentError, build

settings.register_profile("default", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("ci", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

TRICKY = st.sampled_from([
    ",", ";", "\\", ":", "\n", "\r\n", "\t", "🎉", "👩🏽‍⚕️", "עברית", "العربية", "e\u0301", "\u200f", "</script>",
    "<script>alert(1)</script>", "\"", "'", "&amp;", "{{ site.title }}", "{% raw %}", "javascript:alert(1)",
    "]]>", "--", "#", "*", "`", "日本語", "  ", "\u2028", "ß", "İ", "\x07",
])
# Any printable text; control characters come in rarely (TRICKY has one), as they are refused.
PRINTABLE = st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30)
TEXT = st.lists(st.one_of(TRICKY, PRINTABLE), min_size=1, max_size=12).map("".join)
LONG_TEXT = st.lists(TEXT, min_size=1, max_size=4).map(lambda parts: ("".join(parts) * 5000)[:5000])


def folded(text: str) -> str:
    """What the reader makes of a one-line field: line breaks and runs of ordinary spaces become
    one space; no-break and other spaces stay as written."""
    return re.sub("[ \t\n\r\f\v\x85\u2028\u2029]+", " ", text).strip(" ")


def yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)  # a JSON string is a YAML double-quoted string


class _Text(HTMLParser):
    def __init__(self, tag: str):
        super().__init__(convert_charrefs=True)
        self.tag, self.inside, self.found = tag, 0, []

    def handle_starttag(self, tag, attrs):
        if tag == self.tag:
            self.inside += 1
            self.found.append("")

    def handle_endtag(self, tag):
        if tag == self.tag:
            self.inside -= 1

    def handle_data(self, data):
        if self.inside:
            self.found[-1] += data


def first_text(html: str, tag: str) -> str:
    parser = _Text(tag)
    parser.feed(html)
    return parser.found[0]


def build_with(tmp_path: Path, title: str, summary: str, location: str, note: str) -> Path | None:
    project = write_project(tmp_path / f"p{abs(hash((title, summary, location, note)))}", {
        "content/topics/alpha.md": f"---\ntitle: {yaml_string(title)}\nsummary: {yaml_string(summary)}\n---\nBody.\n",
        "content/sessions.yaml": (f"- id: alpha-1\n  topic: alpha\n  date: 2023-03-28\n  start: 12:00\n  end: 14:00\n"
                                  f"  location: {yaml_string(location)}\n  note: {yaml_string(note)}\n"),
    })
    try:
        build(project, project / "site")
    except ContentError as error:
        assert error.problems and all(problem.path.startswith("content/") for problem in error.problems)
        return None
    return project / "site"


def check_round_trip(site: Path, title: str, summary: str, location: str, note: str) -> None:
    title, summary, location, note = map(folded, (title, summary, location, note))
    page = (site / "sessions/alpha-1/index.html").read_text(encoding="utf-8")
    assert first_text(page, "h1").startswith(title)
    json_ld = re.search(r'<script type="application/ld\+json">\n(.*?)\n</script>', page, re.S).group(1)
    assert "<" not in json_ld and json.loads(json_ld)["name"] == title
    assert page.count("</script>") == page.count("<script")  # nothing closed a script early
    data = json.loads((site / "schedule.json").read_text(encoding="utf-8"))["sessions"][0]
    assert (data["title"], data["location"], data["note"]) == (title, location, note)
    for feed in ("schedule.ics", "topics/alpha.ics", "sessions/alpha-1.ics"):
        text = (site / feed).read_bytes().decode("utf-8")
        event = vobject.readOne(text).vevent
        assert (event.summary.value, event.location.value) == (title, location)
        # The note is inline Markdown: the feed has its words, never its markup.
        description = event.description.value
        assert description.startswith(f"{summary}\n\n") and "\n\nDetails: " in description
        assert "<" not in description[len(summary):] or "<" in note
        parsed = IcsCalendarStream.calendar_from_ics(text).events[0]
        assert (parsed.summary, parsed.location) == (title, location)


@given(title=TEXT, summary=TEXT, location=TEXT, note=TEXT)
def test_any_text_stays_text_everywhere(tmp_path, title, summary, location, note):
    site = build_with(tmp_path, title, summary, location, note)
    if site is not None:
        check_round_trip(site, title, summary, location, note)


@settings(max_examples=10)
@given(summary=LONG_TEXT)
def test_five_thousand_character_descriptions(tmp_path, summary):
    site = build_with(tmp_path, "Long", summary, "Room 1", "A note")
    if site is not None:
        check_round_trip(site, "Long", summary, "Room 1", "A note")


def test_a_title_of_only_spaces_is_a_reported_error(tmp_path):
    assert build_with(tmp_path, "     ", "S.", "Room", "Note") is None


# Failing examples found while writing these properties, kept as regular cases.
def test_kept_example_script_end_tag_in_every_field(tmp_path):
    text = "</script><script>alert(1)</script>"
    site = build_with(tmp_path, text, text, text, text)
    check_round_trip(site, text, text, text, text)


def test_kept_example_right_to_left_and_combining(tmp_path):
    site = build_with(tmp_path, "שלום e\u0301 ; , \\ :", "العربية 🎉", "Room\u200f 1", "ß İ")
    check_round_trip(site, "שלום e\u0301 ; , \\ :", "العربية 🎉", "Room\u200f 1", "ß İ")


def test_kept_example_emoji_written_as_json_escapes(tmp_path):
    """Found by the property: JSON-style escapes of an emoji ("\\ud83c\\udf89") are one character."""
    project = write_project(tmp_path / "p", {
        "content/topics/alpha.md": '---\ntitle: "Party \\ud83c\\udf89"\nsummary: S.\n---\n'})
    build(project, project / "site")
    assert json.loads((project / "site/schedule.json").read_text())["topics"][0]["title"] == "Party 🎉"


@given(query=st.dictionaries(TEXT, TEXT, max_size=6))
def test_calendar_links_are_encoded_exactly_as_urlencode_would(query):
    """links.query_string is a faster urlencode(quote_via=quote): the same text for any text."""
    from urllib.parse import quote, urlencode

    from microsite.links import query_string

    assert query_string(query) == urlencode(query, quote_via=quote)


# Markdown as editors write it, with the characters SmartyPants acts on and those near them.
MARKDOWN = st.lists(st.one_of(st.sampled_from([
    "'", '"', "--", "---", "...", "..", "-", ".", "\\'", '\\"', "’", "“", "”", "&quot;", "&#39;", "<<", ">>",
    "`", "```", "~~~", "*", "_", "[a](https://example.org/ \"t\")", "<b>", "</b>", "\n", "\n\n", "    ",
    "- ", "1. ", "> ", "# ", "| a | b |\n|---|---|\n", "*[DEI]: Diversity\n", "Term\n: Meaning\n", "80's",
]), st.text(alphabet="ab c", min_size=1, max_size=8)), max_size=25).map("".join)


@given(source=MARKDOWN)
def test_a_body_is_typeset_as_smartypants_would_typeset_it(source):
    """Bodies with nothing for SmartyPants to change are rendered without it (it doubles a body's
    time): whatever an editor writes, the HTML is what the full dialect, SmartyPants always on,
    gives for it."""
    import markdown
    import nh3
    from markdown.extensions.fenced_code import FencedCodeExtension
    from markdown.extensions.smarty import SmartyExtension

    from microsite import markup

    kinds = [*markup._EXTENSIONS, SmartyExtension, FencedCodeExtension]
    converter = markdown.Markdown(extensions=[kind() for kind in kinds], output_format="html")
    always = nh3.clean(converter.convert(source), tags=markup._ALLOWED_TAGS, attributes=markup._ALLOWED_ATTRIBUTES,
                       url_schemes=markup._ALLOWED_SCHEMES, link_rel=None)
    assert markup.render_all([source, "A body to share the batch with."]) == [
        always, "<p>A body to share the batch with.</p>"]


# Property values whose content lines fall on both sides of the 75 octets icalendar folds at.
NEAR_THE_FOLD = st.tuples(st.integers(min_value=40, max_value=90), TEXT).map(lambda made: "x" * made[0] + made[1])


@given(properties=st.lists(st.tuples(st.sampled_from(["summary", "description", "location", "comment"]),
                                     NEAR_THE_FOLD), min_size=1, max_size=6))
def test_calendar_lines_are_folded_exactly_as_icalendar_folds_them(properties):
    """calendars writes the lines shorter than 75 octets itself, without icalendar's folding (one
    character at a time): for any text, the bytes are what icalendar's to_ical() gives."""
    from icalendar import Event

    from microsite import calendars

    event = Event()
    for name, text in properties:
        event.add(name, text)
    assert calendars._written(event) == event.to_ical()


def test_a_line_of_exactly_75_octets_is_folded_as_icalendar_folds_it():
    from icalendar import Event

    from microsite import calendars

    for length in range(70, 80):  # SUMMARY: and the text, around the fold, in ASCII and in two-octet é
        for letter in ("x", "é"):
            event = Event()
            event.add("summary", letter * (length - len("SUMMARY:")))
            assert calendars._written(event) == event.to_ical(), (length, letter)
