"""The JSON Schemas that editors' tools use agree with the build's own validation.

Every row of the bad-input table either fails the schema of the file it breaks, or is listed
below with the reason a schema cannot see it (the build still catches it).
"""

from __future__ import annotations

import json
import textwrap

import jsonschema
import pytest
import yaml

from conftest import MINIMAL_FILES, PROGRAM_2023, REPO
from test_content_rules import BAD_INPUTS, SESSIONS, SITE, TOPIC

SCHEMAS = REPO / "schemas"
SCHEMA_OF = {SESSIONS: "sessions.schema.json", SITE: "site.schema.json", TOPIC: "topic.schema.json"}

BEYOND_A_SCHEMA = {
    "end before start": "compares two fields",
    "end equals start": "compares two fields",
    "across midnight": "compares two fields",
    "spring-forward gap": "needs the time zone's rules",
    "fall-back repeated hour": "needs the time zone's rules",
    "topic without a file": "looks at another file",
    "topic deleted, its sessions left": "looks at another file",
    "duplicate id": "compares entries with each other",
    "same key twice in one entry": "YAML level: editors' YAML tools flag duplicate keys themselves",
    "an entry without its dash": "YAML level: a key given twice, as above",
    "a heading that skips a level": "the Markdown body, which no schema reads",
    "a field indented too far": "YAML syntax: there is no data for a schema to judge",
    "YAML: unclosed quote": "YAML syntax: flagged by the editor's YAML parser",
    "YAML: tab indentation": "YAML syntax: flagged by the editor's YAML parser",
    "YAML: unquoted colon in a value": "YAML syntax: flagged by the editor's YAML parser",
    "bytes that are not UTF-8": "encoding, not structure",
    "topic without front matter": "the file's layout, not its fields",
    "front matter never closed": "the file's layout, not its fields",
    "empty topic file": "the file's layout, not its fields",
    "topic file name not a slug": "a file name, not a field",
    "page named like a generated folder": "a file name, not a field",
    "no content folder": "no file to validate",
    "a session naming a series with no file": "looks at another file",
    "several series, and a session naming none": "looks at another folder",
    "a merge conflict left in sessions.yaml": "YAML syntax: git's markers are not YAML",
    "a merge conflict in the publication record": "the record is written by publish, not by editors",
    "a publication record edited by hand": "the record is written by publish, not by editors",
    "a stray file in the publication record": "a file name, not a field",
    "sessions.yaml empty": "an empty file is null, which editors' tools do not flag",
    "sessions.yaml only blank lines": "an empty file is null, which editors' tools do not flag",
    "site.yaml empty": "an empty file is null, which editors' tools do not flag",
    "topic file name with a Greek look-alike": "a file name, not a field",
    "two topic files for one address": "a file name, not a field",
    "YAML: unclosed bracket": "YAML syntax: flagged by the editor's YAML parser",
    "YAML: an entry indented too far": "YAML syntax: flagged by the editor's YAML parser",
    "front matter: colon in an unquoted title": "YAML syntax: flagged by the editor's YAML parser",
    "front matter: value starting with *": "YAML syntax: flagged by the editor's YAML parser",
    "registration closing after the session starts": "compares two fields",
    "registration closing on the day, with no time": "compares two fields",
    "site: a logo that is not there": "looks at another file",
}


def _load(text: str):
    """Read YAML as YAML 1.2 tools do for these files: times and dates stay strings, empty is null."""
    def nulls(value):
        if isinstance(value, dict):
            return {key: nulls(item) for key, item in value.items()}
        if isinstance(value, list):
            return [nulls(item) for item in value]
        return None if value == "" else value
    return nulls(yaml.load(text, Loader=yaml.BaseLoader))


def _document(name: str, content: str | bytes):
    text = content.decode("utf-8") if isinstance(content, bytes) else textwrap.dedent(content)
    if name.endswith(".md"):
        text = text.split("---\n")[1]
    return _load(text)


def _errors(name: str, content) -> list[str]:
    schema = json.loads((SCHEMAS / SCHEMA_OF[name]).read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [error.message for error in validator.iter_errors(_document(name, content))]


@pytest.mark.parametrize("name, files", [(name, files) for name, files, _ in BAD_INPUTS if name not in BEYOND_A_SCHEMA],
                         ids=[name for name, _, _ in BAD_INPUTS if name not in BEYOND_A_SCHEMA])
def test_schema_rejects_what_the_build_rejects(name, files):
    judged = [path for path in files if path in SCHEMA_OF and files[path] is not None]
    assert judged, f"{name}: no file for a schema to judge; list it in BEYOND_A_SCHEMA with the reason"
    assert any(_errors(path, files[path]) for path in judged)


def test_every_exception_names_a_real_row():
    assert set(BEYOND_A_SCHEMA) <= {name for name, _, _ in BAD_INPUTS}


@pytest.mark.parametrize("path", [SESSIONS, SITE, TOPIC])
def test_schema_accepts_the_minimal_project(path):
    assert _errors(path, MINIMAL_FILES[path]) == []


def test_schema_accepts_the_2023_program():
    assert _errors(SESSIONS, (PROGRAM_2023 / SESSIONS).read_text()) == []
    assert _errors(SITE, (PROGRAM_2023 / SITE).read_text()) == []
    for topic in [*(PROGRAM_2023 / "content/topics").glob("*.md"), *(PROGRAM_2023 / "content/pages").glob("*.md")]:
        assert _errors(TOPIC, topic.read_text()) == [], topic


def test_schema_accepts_every_field_filled_in():
    example = REPO / "tests/reader-example"
    assert _errors(SESSIONS, (example / SESSIONS).read_text()) == []
    assert _errors(SITE, (example / SITE).read_text()) == []


@pytest.mark.parametrize("path", [SESSIONS, SITE])
def test_content_files_point_editors_at_their_schema(path):
    first_line = (PROGRAM_2023 / path).read_text().splitlines()[0]
    assert first_line == f"# yaml-language-server: $schema=../schemas/{SCHEMA_OF[path]}"
    assert (REPO / "schemas" / SCHEMA_OF[path]).is_file()  # ../schemas/ from content/, where editors open it
