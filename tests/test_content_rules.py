"""The editors' contract: each bad input gets exactly this message, and a clean exit 1.

One row per rule. `session(...)` writes content/sessions.yaml with one entry, whose lines are
1 id, 2 topic, 3 date, 4 start, 5 end, then any extra fields in the order given.
"""

from __future__ import annotations

import pytest

from conftest import apply_files, run_build, tree_digest

SESSIONS = "content/sessions.yaml"
TOPIC = "content/topics/alpha.md"
SITE = "content/site.yaml"
SERIES = "content/series/2023.md"
SERIES_FILE = "---\ntitle: 2023 series\nsummary: The sessions of 2023.\n---\nThe 2023 series.\n"
RECORD = "content/published/alpha-1.yaml"
RECORDED = """\
# What subscribers' calendars were last given for this session.
# (a comment line)
sequence: 0
modified: 2023-01-01T00:00:00Z
fingerprint: 0123456789abcdef
start: "2023-02-17T12:00:00-05:00"
location: ""
status: scheduled
moved_from: ""
changes: []
"""
SITE_HEAD = ("title: T\norganisation: O\ndescription: D\ntime_zone: America/Detroit\n"
             "time_zone_label: Eastern Time\n")


def session(**fields: str | None) -> str:
    entry = {"id": "alpha-1", "topic": "alpha", "date": "2023-02-17", "start": "12:00", "end": "14:00"}
    entry.update(fields)
    lines = [f"{key}: {value}" for key, value in entry.items() if value is not None]
    return "- " + "\n  ".join(lines) + "\n"


BAD_INPUTS = [
    ("unknown field, with a did-you-mean", {SESSIONS: session(start=None, strat="12:00")}, [
        "content/sessions.yaml:1: session 'alpha-1': missing `start:`; add it",
        "content/sessions.yaml:5: session 'alpha-1': unknown field `strat`; did you mean `start`?"]),
    ("missing required field", {SESSIONS: session(end=None)}, [
        "content/sessions.yaml:1: session 'alpha-1': missing `end:`; add it"]),
    ("date not YYYY-MM-DD", {SESSIONS: session(date="2023-2-17")}, [
        "content/sessions.yaml:3: session 'alpha-1': `date` '2023-2-17' is not a date;"
        " write it as YYYY-MM-DD, e.g. 2023-02-17"]),
    ("impossible date", {SESSIONS: session(date="2023-02-30")}, [
        "content/sessions.yaml:3: session 'alpha-1': `date` '2023-02-30' is not a day in the calendar;"
        " check the month and day"]),
    ("24:00", {SESSIONS: session(end="24:00")}, [
        "content/sessions.yaml:5: session 'alpha-1': `end` '24:00' is not a time of day; use 00:00 to 23:59"
        " (a session cannot run past midnight)"]),
    ("12-hour time", {SESSIONS: session(start="2pm")}, [
        "content/sessions.yaml:4: session 'alpha-1': `start` '2pm' is not a time; write 24-hour HH:MM,"
        " e.g. 12:00 for noon or 15:30 for 3:30 p.m."]),
    ("end before start", {SESSIONS: session(start="14:00", end="13:00")}, [
        "content/sessions.yaml:5: session 'alpha-1': ends (13:00) before it starts (14:00); swap the times"]),
    ("end equals start", {SESSIONS: session(end="12:00")}, [
        "content/sessions.yaml:5: session 'alpha-1': ends when it starts (12:00); correct `end`"]),
    ("across midnight", {SESSIONS: session(start="22:00", end="01:00")}, [
        "content/sessions.yaml:5: session 'alpha-1': ends (01:00) before it starts (22:00); a session cannot"
        " run past midnight: end it by 23:59 or split it into two sessions"]),
    ("spring-forward gap", {SESSIONS: session(date="2023-03-12", start="02:30", end="04:00")}, [
        "content/sessions.yaml:4: session 'alpha-1': 2023-03-12 02:30 does not exist in America/Detroit"
        " (clocks spring forward that night); choose a time outside the skipped hour"]),
    ("fall-back repeated hour", {SESSIONS: session(date="2023-11-05", start="01:30", end="03:00")}, [
        "content/sessions.yaml:4: session 'alpha-1': 2023-11-05 01:30 happens twice in America/Detroit"
        " (clocks fall back that night); choose a time outside the repeated hour"]),
    ("topic without a file", {SESSIONS: session(topic="alpah")}, [
        "content/sessions.yaml:2: session 'alpha-1': topic 'alpah' has no file content/topics/alpah.md;"
        " did you mean 'alpha'?",
        "content/topics/alpha.md:1: warning: topic 'alpha' has no sessions in content/sessions.yaml;"
        " it gets a page but no dates"]),
    ("topic deleted, its sessions left", {"content/topics/beta.md": "---\ntitle: Beta\nsummary: S.\n---\n",
                                          TOPIC: None, SESSIONS: session() + session(id="alpha-2", topic="beta")}, [
        "content/sessions.yaml:2: session 'alpha-1': topic 'alpha' has no file content/topics/alpha.md;"
        " create content/topics/alpha.md, or, if the topic was removed, give this session another `topic:`"
        " or remove its entry (cancel it instead if it was published)"]),
    ("an entry without its dash", {SESSIONS: session() + "  " + session(id="alpha-2", date="2023-02-24")[2:]}, [
        "content/sessions.yaml:6: `id` appears again in the entry that starts on line 1; if line 6 starts a new"
        " entry, begin it with a dash: `- id: ...`"]),
    ("a heading that skips a level", {TOPIC: "---\ntitle: Alpha\nsummary: S.\n---\nText.\n\n#### Details\n\n## Next\n"}, [
        "content/topics/alpha.md:7: a `#### ` heading skips a level (it follows the page title); write `## `"
        " instead, so that people who move through the page by its headings miss nothing"]),
    ("a field indented too far", {SESSIONS: session().replace("\n  date:", "\n   date:")}, [
        "content/sessions.yaml:3: YAML syntax error at column 8: `date:` is indented further than `topic:` on the"
        " line above; start it at column 3, under `topic:` (a field of the same entry)"]),
    ("duplicate id", {SESSIONS: session() + session()}, [
        "content/sessions.yaml:6: session 'alpha-1': id is already used on line 1; give each session its own id"
        " (ids are calendar UIDs and never reused)"]),
    ("id that is not a safe slug", {SESSIONS: session(id="../Alpha 1")}, [
        "content/sessions.yaml:1: session '../Alpha 1': `id` '../Alpha 1' is not a safe slug;"
        " use lowercase letters, digits and single hyphens, e.g. 'alpha-1'"]),
    ("status misspelt", {SESSIONS: session(status="canceled")}, [
        "content/sessions.yaml:6: session 'alpha-1': `status` 'canceled' is not a status; did you mean `cancelled`?"]),
    ("a list where one value belongs", {SESSIONS: session(location="[Room 1, Room 2]")}, [
        "content/sessions.yaml:6: session 'alpha-1': `location` is a list but should be a single value;"
        " write it on one line after `location:`"]),
    ("same key twice in one entry", {SESSIONS: session() + "  date: 2023-02-18\n"}, [
        "content/sessions.yaml:6: `date` appears twice in one entry (first on line 3); keep one of them"]),
    ("YAML: unclosed quote", {SESSIONS: session(location='"Room 1')}, [
        "content/sessions.yaml:6: YAML syntax error at column 13: a quoted value is never closed;"
        " add the closing quotation mark at the end of the value"]),
    ("YAML: tab indentation", {SESSIONS: session().replace("  topic", "\ttopic")}, [
        "content/sessions.yaml:2: YAML syntax error at column 1: found character '\\t' that cannot start any"
        " token; YAML indentation must use spaces; replace the tab with spaces"]),
    ("YAML: unquoted colon in a value", {SESSIONS: session(location="Room: 5 and: more")}, [
        "content/sessions.yaml:6: YAML syntax error at column 17: mapping values are not allowed here;"
        " a value containing ': ' must be in quotes, e.g. title: \"Part 2: Practice\""]),
    ("sessions.yaml not a list", {SESSIONS: "id: alpha-1\ntopic: alpha\n"}, [
        "content/sessions.yaml:1: must be a list of sessions, each starting with `- id:`; check the first entry"]),
    ("sessions.yaml empty", {SESSIONS: ""}, [
        "content/sessions.yaml:1: lists no sessions; add entries that start with `- id:`"]),
    ("bytes that are not UTF-8", {SESSIONS: session().encode() + b"  location: caf\xe9\n"}, [
        "content/sessions.yaml:6: byte 0xe9 is not UTF-8; save the file with UTF-8 encoding"
        " (in VS Code: 'Reopen with Encoding', then 'Save with Encoding', UTF-8)"]),
    ("topic without front matter", {TOPIC: "Just some text.\n"}, [
        "content/topics/alpha.md:1: has no front matter; start the file with a line `---`, then `title:` and"
        " `summary:`, then another `---` line before the text"]),
    ("topic without title", {TOPIC: "---\nsummary: S.\n---\nText.\n"}, [
        "content/topics/alpha.md:2: front matter: missing `title:`; add it"]),
    ("front matter never closed", {TOPIC: "---\ntitle: A\nsummary: S.\nText.\n"}, [
        "content/topics/alpha.md:1: front matter opened by `---` on line 1 is never closed;"
        " add a line `---` after the last field (did you forget it?)"]),
    ("empty topic file", {TOPIC: ""}, [
        "content/topics/alpha.md:1: is empty; add front matter with `title:` and `summary:` and a description"]),
    ("topic file name not a slug", {TOPIC: None, "content/topics/Alpha Topic.md": "---\ntitle: A\nsummary: S.\n---\n"}, [
        "content/sessions.yaml:2: session 'alpha-1': topic 'alpha' has no file content/topics/alpha.md;"
        " create content/topics/alpha.md, or, if the topic was removed, give this session another `topic:`"
        " or remove its entry (cancel it instead if it was published)",
        "content/topics/Alpha Topic.md:1: file name 'Alpha Topic.md' is not a safe name for a web address;"
        " rename it to 'alpha-topic.md' (lowercase letters, digits and single hyphens)"]),
    ("site: misspelt key and time zone", {SITE: SITE_HEAD.replace("Detroit", "Detriot") + "base_ulr: https://x.org/\n"}, [
        "content/site.yaml:1: site settings: missing `base_url:`; add it",
        "content/site.yaml:4: site settings: `time_zone` 'America/Detriot' is not an IANA time zone name;"
        " did you mean 'America/Detroit'?",
        "content/site.yaml:6: site settings: unknown field `base_ulr`; did you mean `base_url`?"]),
    ("site: relative base URL", {SITE: SITE_HEAD + "base_url: x.org\n"}, [
        "content/site.yaml:6: site settings: `base_url` 'x.org' is not an absolute URL; write it in full,"
        " e.g. https://example.org/ally/"]),
    ("site: email that is not one", {SITE: SITE_HEAD + "base_url: https://x.org/\ncontact_email: nobody\n"}, [
        "content/site.yaml:7: site settings: `contact_email` 'nobody' is not an email address;"
        " write it as name@example.org, or leave it empty"]),
    ("page named like a generated folder", {"content/pages/topics.md": "---\ntitle: A\nsummary: S.\n---\n"}, [
        "content/pages/topics.md:1: the name 'topics' is used by the generator's own pages; rename the file"]),
    ("id that is an absolute path", {SESSIONS: session(id="/etc/passwd")}, [
        "content/sessions.yaml:1: session '/etc/passwd': `id` '/etc/passwd' is not a safe slug; use lowercase"
        " letters, digits and single hyphens, e.g. 'etc-passwd'"]),
    ("id with a Windows drive", {SESSIONS: session(id="C:\\temp\\x")}, [
        "content/sessions.yaml:1: session 'C:\\temp\\x': `id` 'C:\\temp\\x' is not a safe slug; use lowercase"
        " letters, digits and single hyphens, e.g. 'c-temp-x'"]),
    ("id with a Cyrillic look-alike", {SESSIONS: session(id="\u0430lpha-1")}, [
        "content/sessions.yaml:1: session '\u0430lpha-1': `id` '\u0430lpha-1' is not a safe slug (it contains"
        " '\u0430', U+0430 CYRILLIC SMALL LETTER A, not a plain Latin letter); use lowercase letters, digits"
        " and single hyphens, e.g. 'alpha-1'"]),
    ("id in upper case", {SESSIONS: session(id="Alpha-1")}, [
        "content/sessions.yaml:1: session 'Alpha-1': `id` 'Alpha-1' is not a safe slug; use lowercase letters,"
        " digits and single hyphens, e.g. 'alpha-1'"]),
    ("id with spaces", {SESSIONS: session(id="alpha session 1")}, [
        "content/sessions.yaml:1: session 'alpha session 1': `id` 'alpha session 1' is not a safe slug;"
        " use lowercase letters, digits and single hyphens, e.g. 'alpha-session-1'"]),
    ("topic that climbs out of its folder", {SESSIONS: session(topic="../../etc")}, [
        "content/sessions.yaml:2: session 'alpha-1': `topic` '../../etc' is not a safe slug; use lowercase"
        " letters, digits and single hyphens, e.g. 'etc'",
        "content/topics/alpha.md:1: warning: topic 'alpha' has no sessions in content/sessions.yaml;"
        " it gets a page but no dates"]),
    ("topic file name with a Greek look-alike", {TOPIC: None, "content/topics/\u03b1lpha.md": "---\ntitle: A\nsummary: S.\n---\n"}, [
        "content/sessions.yaml:2: session 'alpha-1': topic 'alpha' has no file content/topics/alpha.md;"
        " create content/topics/alpha.md, or, if the topic was removed, give this session another `topic:`"
        " or remove its entry (cancel it instead if it was published)",
        "content/topics/\u03b1lpha.md:1: file name '\u03b1lpha.md' is not a safe name for a web address (it"
        " contains '\u03b1', U+03B1 GREEK SMALL LETTER ALPHA, not a plain Latin letter); rename it to"
        " 'alpha.md' (lowercase letters, digits and single hyphens)"]),
    ("two topic files for one address", {"content/topics/ALPHA.md": "---\ntitle: A\nsummary: S.\n---\n"}, [
        "content/topics/ALPHA.md:1: file name 'ALPHA.md' is not a safe name for a web address; rename it to"
        " 'alpha.md' (lowercase letters, digits and single hyphens)"]),
    ("site.yaml empty", {SITE: ""}, [
        "content/site.yaml:1: site settings must be written as `field: value` lines (`title:`, `organisation:`,"
        " `description:`, `time_zone:`, `time_zone_label:`, `base_url:`); check the indentation"]),
    ("site.yaml a list", {SITE: "- title: T\n"}, [
        "content/site.yaml:1: site settings must be written as `field: value` lines (`title:`, `organisation:`,"
        " `description:`, `time_zone:`, `time_zone_label:`, `base_url:`); check the indentation"]),
    ("site: refresh of 0 hours", {SITE: SITE_HEAD + "base_url: https://x.org/\nfeed_refresh_hours: 0\n"}, [
        "content/site.yaml:7: site settings: `feed_refresh_hours` '0' is not a number of hours from 1 to 168; e.g. 12"]),
    ("site: anyone may frame the pages", {SITE: SITE_HEAD + "base_url: https://x.org/\nframe_ancestors: '*'\n"}, [
        "content/site.yaml:7: site settings: `frame_ancestors` '*' is not a list of who may frame the pages;"
        " write 'none' (the default), or 'self' and https:// addresses separated by spaces, e.g. 'self'"
        " https://example.org"]),
    ("front matter: a list for the title", {TOPIC: "---\ntitle: [A, B]\nsummary: S.\n---\n"}, [
        "content/topics/alpha.md:2: front matter: `title` is a list but should be a single value;"
        " write it on one line after `title:`"]),
    ("front matter: misspelt field", {TOPIC: "---\ntitle: A\nsummery: S.\n---\n"}, [
        "content/topics/alpha.md:2: front matter: missing `summary:`; add it",
        "content/topics/alpha.md:3: front matter: unknown field `summery`; did you mean `summary`?"]),
    ("front matter: colon in an unquoted title", {TOPIC: "---\ntitle: Part 2: Practice\nsummary: S.\n---\n"}, [
        "content/topics/alpha.md:2: YAML syntax error at column 14: mapping values are not allowed here;"
        " a value containing ': ' must be in quotes, e.g. title: \"Part 2: Practice\""]),
    ("front matter: value starting with *", {TOPIC: "---\ntitle: A\nsummary: *Really* good.\n---\n"}, [
        "content/topics/alpha.md:3: YAML syntax error at column 17: expected alphabetic or numeric character,"
        " but found '*'; a value that starts with * must be in quotes, e.g. \"*Really* good.\""]),
    ("an invisible control character", {TOPIC: '---\ntitle: "Alpha\\a"\nsummary: S.\n---\n'}, [
        "content/topics/alpha.md:2: front matter: `title` contains the invisible character U+0007; delete it"
        " (it often comes with text pasted from another program)"]),
    ("status yes", {SESSIONS: session(status="yes")}, [
        "content/sessions.yaml:6: session 'alpha-1': `status` 'yes' is not a status; use `scheduled` or `cancelled`"]),
    ("date given as a list", {SESSIONS: session(date="[2023-02-17, 2023-02-18]")}, [
        "content/sessions.yaml:3: session 'alpha-1': `date` is a list but should be a single value;"
        " write it on one line after `date:`"]),
    ("required field left empty", {SESSIONS: session(date="")}, [
        "content/sessions.yaml:3: session 'alpha-1': `date` is empty; fill it in"]),
    ("time with a dot", {SESSIONS: session(start="9.30")}, [
        "content/sessions.yaml:4: session 'alpha-1': `start` '9.30' is not a time; write 24-hour HH:MM,"
        " e.g. 12:00 for noon or 15:30 for 3:30 p.m."]),
    ("YAML: unclosed bracket", {SESSIONS: session(location="[Room 1")}, [
        "content/sessions.yaml:6: YAML syntax error at column 13: a bracket opened here is never closed;"
        " a value that starts with [ must be in quotes, e.g. \"[Room 1\""]),
    ("YAML: an entry indented too far", {SESSIONS: session().replace("  topic", "    topic")}, [
        "content/sessions.yaml:2: YAML syntax error at column 10: `topic:` is indented further than `id:` on the"
        " line above; start it at column 3, under `id:` (a field of the same entry)"]),
    ("sessions.yaml only blank lines", {SESSIONS: "\n\n   \n"}, [
        "content/sessions.yaml:1: lists no sessions; add entries that start with `- id:`"]),
    ("a session naming a series with no file", {SERIES: SERIES_FILE, SESSIONS: session(series='"2024"')}, [
        "content/sessions.yaml:6: session 'alpha-1': series '2024' has no file content/series/2024.md; did you"
        " mean '2023'?",
        "content/series/2023.md:1: warning: series '2023' has no sessions in content/sessions.yaml; give sessions"
        " `series: \"2023\"`, or delete the file if the series is not planned"]),
    ("several series, and a session naming none", {SERIES: SERIES_FILE, "content/series/2024.md": SERIES_FILE}, [
        "content/sessions.yaml:1: session 'alpha-1': names no series, and content/series/ holds several"
        " (\"2023\", \"2024\"); add `series:` with one of them to the entry",
        "content/series/2023.md:1: warning: series '2023' has no sessions in content/sessions.yaml; give sessions"
        " `series: \"2023\"`, or delete the file if the series is not planned",
        "content/series/2024.md:1: warning: series '2024' has no sessions in content/sessions.yaml; give sessions"
        " `series: \"2024\"`, or delete the file if the series is not planned"]),
    ("a series name that is not a slug", {SERIES: SERIES_FILE, SESSIONS: session(series='"Fall 2024"')}, [
        "content/sessions.yaml:6: session 'alpha-1': `series` 'Fall 2024' is not a safe slug; use lowercase"
        " letters, digits and single hyphens, e.g. 'fall-2024'",
        "content/series/2023.md:1: warning: series '2023' has no sessions in content/sessions.yaml; give sessions"
        " `series: \"2023\"`, or delete the file if the series is not planned"]),
    ("a merge conflict left in sessions.yaml",
     {SESSIONS: session().replace("  start: 12:00\n", "<<<<<<< HEAD\n  start: 12:00\n=======\n  start: 13:00\n>>>>>>> main\n")}, [
        "content/sessions.yaml:4: a merge conflict's markers are still here (<<<<<<<, ======= and >>>>>>>); keep"
        " the lines you want from each side and delete the three marker lines"]),
    ("a merge conflict in the publication record", {RECORD: RECORDED.replace(
        "sequence: 0\n", "<<<<<<< HEAD\nsequence: 1\n=======\nsequence: 2\n>>>>>>> main\n")}, [
        "content/published/alpha-1.yaml:3: has a merge conflict: two branches published changes to session"
        " 'alpha-1'; run `python build.py resolve`, which keeps the side with the higher SEQUENCE"]),
    ("a publication record edited by hand", {RECORD: RECORDED.replace("sequence: 0", "sequence: one")}, [
        "content/published/alpha-1.yaml:3: is damaged (invalid literal for int() with base 10: 'one'); restore it"
        " from git (`git checkout -- content/published/alpha-1.yaml`): it is written by `python build.py publish`"
        " and is not edited by hand"]),
    ("a stray file in the publication record", {"content/published/notes.txt": "to do\n"}, [
        "content/published/notes.txt: is not part of the publication record, which holds only"
        " `<session id>.yaml` files written by `python build.py publish`; move it out of content/published/"]),
    ("registration closing after the session starts", {SESSIONS: session(registration_closes="2023-02-18")}, [
        "content/sessions.yaml:6: session 'alpha-1': registration closes after the session starts;"
        " close it on or before 2023-02-17 12:00"]),
    ("registration closing on the day, with no time", {SESSIONS: session(registration_closes="2023-02-17")}, [
        "content/sessions.yaml:6: session 'alpha-1': registration closes after the session starts;"
        " a date alone means the end of that day; add the time, e.g. 2023-02-17 12:00"]),
    ("a deadline in words", {SESSIONS: session(registration_closes='"May 15"')}, [
        "content/sessions.yaml:6: session 'alpha-1': `registration_closes` 'May 15' is not a deadline; write"
        " YYYY-MM-DD (open to the end of that day) or YYYY-MM-DD HH:MM in the site's time zone, e.g. 2023-05-15 17:00"]),
    ("registration status misspelt", {SESSIONS: session(registration_status='"wait list"')}, [
        "content/sessions.yaml:6: session 'alpha-1': `registration_status` 'wait list' is not a registration"
        " status; did you mean `waitlist`?"]),
    ("a format the site does not know", {SESSIONS: session(format="virtual")}, [
        "content/sessions.yaml:6: session 'alpha-1': `format` 'virtual' is not a format; use `in person`,"
        " `online` or `hybrid`, or leave it out"]),
    ("a registration link without https://", {SESSIONS: session(registration_url="www.example.org/register")}, [
        "content/sessions.yaml:6: session 'alpha-1': `registration_url` 'www.example.org/register' is not a web"
        " address; write it in full, starting with https://, e.g. https://example.org/register"]),
    ("a facilitator written as a list", {SESSIONS: session(facilitators="\n    - [Ada, Grace]")}, [
        "content/sessions.yaml:6: session 'alpha-1': `facilitators` item 1 is not a single value; write each as"
        " `- text` on a line of its own"]),
    ("a facilitator of an unknown kind", {SESSIONS: session(facilitators="\n    - team: Ally Team")}, [
        "content/sessions.yaml:6: session 'alpha-1': `facilitators` item 1 names a `team:`; write"
        " `- organisation: Name` for an organisation, `- Name` for a person"]),
    ("site: a logo that is not there", {SITE: SITE_HEAD + "base_url: https://x.org/\nlogo: images/logo.svg\n"}, [
        "content/site.yaml:7: site settings: `logo` names no file (content/images/logo.svg); add the image under"
        " content/, or remove the line"]),
    ("site: a logo that is not an image", {SITE: SITE_HEAD + "base_url: https://x.org/\nlogo: notes.txt\n"}, [
        "content/site.yaml:7: site settings: `logo` 'notes.txt' is not an image the site can show; use an .svg,"
        " .png, .jpg or .webp file"]),
    ("no content folder", {SITE: None, TOPIC: None, SESSIONS: None}, [
        "content: folder not found at content/; run the build from the project folder"
        " (the one holding content/ and layouts/)"]),
]


@pytest.mark.parametrize("files, expected", [(files, expected) for _, files, expected in BAD_INPUTS],
                         ids=[name for name, _, _ in BAD_INPUTS])
def test_bad_input_is_reported_exactly_and_the_site_is_kept(make_project, files, expected):
    project = make_project()
    assert run_build(project).returncode == 0
    before = tree_digest(project / "site")
    apply_files(project, files)
    result = run_build(project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[:-1] == expected
    assert result.stderr.splitlines()[-1].startswith("Build stopped:")
    assert tree_digest(project / "site") == before


def test_the_table_is_long_enough():
    assert len(BAD_INPUTS) >= 40


@pytest.mark.parametrize("files, warning", [
    ({"content/topics/beta.md": "---\ntitle: B\nsummary: S.\n---\n"},
     "content/topics/beta.md:1: warning: topic 'beta' has no sessions in content/sessions.yaml;"
     " it gets a page but no dates"),
    ({TOPIC: "---\ntitle: A\nsummary: S.\n---\nIntro.\n\n# Big heading\n"},
     "content/topics/alpha.md:7: warning: a `# ` heading repeats the page title; start headings in the"
     " text at `## `"),
    ({"content/series/2023.md": "---\ntitle: 2023 series\nsummary: S.\n---\n",
      "content/series/2024.md": "---\ntitle: 2024 series\nsummary: S.\n---\n",
      "content/sessions.yaml": "- id: alpha-1\n  series: 2023\n  topic: alpha\n  date: 2023-02-17\n  start: 12:00\n  end: 14:00\n"},
     "content/series/2024.md:1: warning: series '2024' has no sessions in content/sessions.yaml; give sessions"
     " `series: \"2024\"`, or delete the file if the series is not planned"),
], ids=["topic with no sessions", "top-level heading in a topic", "series with no sessions"])
def test_warnings_do_not_stop_the_build(make_project, files, warning):
    project = make_project(files)
    result = run_build(project)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [warning]
    assert (project / "site/index.html").is_file()


@pytest.mark.parametrize("sessions_bytes", [
    b"\xef\xbb\xbf" + session().encode(),
    session().replace("\n", "\r\n").encode(),
    session(start='"12:00"', end="'14:00'").encode(),
], ids=["UTF-8 BOM", "CRLF line endings", "quoted times"])
def test_what_editors_tools_save_simply_works(make_project, sessions_bytes):
    project = make_project({SESSIONS: sessions_bytes})
    result = run_build(project)
    assert result.returncode == 0, result.stderr
    assert "20230217T120000" in (project / "site/schedule.ics").read_text()


def test_unquoted_time_is_not_read_as_a_number(make_project):
    """PyYAML's default loader reads 10:00 as 600 (sexagesimal); the reader keeps it a time."""
    project = make_project({SESSIONS: session(start="10:00", end="11:30")})
    assert run_build(project).returncode == 0
    assert "DTSTART;TZID=America/Detroit:20230217T100000" in (project / "site/schedule.ics").read_text()


@pytest.mark.parametrize("layout, change, expected", [
    ("topic.html", ("{{ topic.summary }}</p>", "{{ topic.summery }}</p>"),
     "layouts/topic.html:6: 'microsite.model.Topic object' has no attribute 'summery';"
     " check the spelling of the name, or that this layout receives it"
     " (docs/architecture.md lists what each layout receives)"),
    ("_session.html", ("{% endif %}", "{% endiff %}"),
     "layouts/_session.html:3: template syntax error: Encountered unknown tag 'endiff'. Jinja was looking"
     " for the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is"
     " 'if'; check the {% %} and {{ }} tags on this line"),
], ids=["undefined name", "syntax error"])
def test_layout_errors_name_the_layout_and_line(make_project, layout, change, expected):
    project = make_project()
    path = project / "layouts" / layout
    path.write_text(path.read_text().replace(*change, 1))
    result = run_build(project)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == expected


def test_missing_layouts_folder(make_project):
    result = run_build(make_project(layouts=False))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "layouts: folder not found at layouts/; run the build from the project folder"
        " (the one holding content/ and layouts/)")


def test_errors_come_before_warnings_and_the_count_is_of_the_errors(make_project):
    """A warning must not hide the problem that stopped the build, and the count says what to fix."""
    project = make_project({
        "content/topics/alpha.md": "---\ntitle: Alpha\nsummary: The alpha topic.\n---\n# Alpha again\n",
        "content/topics/beta.md": "---\nsummary: No title.\n---\nBeta.\n"})
    result = run_build(project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "content/topics/beta.md:2: front matter: missing `title:`; add it",
        "content/topics/alpha.md:5: warning: a `# ` heading repeats the page title; start headings in the"
        " text at `## `",
        "Build stopped: 1 problem to fix (and 1 warning); the previous site was left as it was."]
