"""Turn an editor's file into text and YAML data that remember their line numbers.

YAML is read with every scalar a string (PyYAML's default loader turns `10:00` into 600 and
`no` into False); each field is converted later, once, by microsite.fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from .model import Problem

# libyaml's loader is several times faster; on a syntax error the pure-Python loader reads the file
# again, so editors get the same wording whether or not libyaml is installed.
_FAST_BASE = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class Mapping(dict):
    """A YAML mapping that knows the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class Sequence(list):
    """A YAML sequence that knows the line of itself and of each item."""

    line: int = 0
    item_lines: list[int]


@dataclass(frozen=True)
class Text:
    """A file's text (BOM dropped, line endings made \\n), or why it could not be read (or, for a
    merge conflict left in it, why it cannot be used: then the text is kept)."""

    text: str
    problem: Problem | None = None


def read_text(path: Path, shown_as: str) -> Text:
    """Read a UTF-8 file the way editors' tools save it: with or without BOM, LF or CRLF."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return Text("", Problem(shown_as, 0, f"cannot be read ({error.strerror}); check the file's permissions"))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return Text("", Problem(shown_as, line, (
            f"byte 0x{data[error.start]:02x} is not UTF-8; save the file with UTF-8 encoding"
            " (in VS Code: 'Reopen with Encoding', then 'Save with Encoding', UTF-8)")))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if line := conflict_line(text):
        return Text(text, Problem(shown_as, line, (
            "a merge conflict's markers are still here (<<<<<<<, ======= and >>>>>>>); keep the lines you want"
            " from each side and delete the three marker lines"), code=MERGE_CONFLICT))
    return Text(text)


MERGE_CONFLICT = "merge-conflict"  # the code of the problem above; its text is kept for `resolve`


def conflict_line(text: str) -> int:
    """The line of the first merge-conflict marker git leaves in a file, or 0."""
    if "<<<<<<<" not in text:  # every file is looked at on every build; most have none
        return 0
    match = re.search(r"^<<<<<<<(?: |$)", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else 0


def _line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def parse_yaml(text: str, shown_as: str, first_line: int = 1) -> tuple[object, list[Problem]]:
    """Parse YAML into str / Mapping / Sequence, with lines counted from `first_line`."""
    problems: list[Problem] = []
    offset = first_line - 1

    def load(base: type) -> object:
        problems.clear()
        return yaml.load(text, Loader=_line_loader(base, problems, shown_as, offset))

    try:
        data = load(_FAST_BASE)
    except yaml.YAMLError:
        try:
            data = load(yaml.BaseLoader)
        except yaml.MarkedYAMLError as error:
            return None, [*problems, _syntax_problem(error, text, shown_as, offset)]
        except yaml.YAMLError as error:  # errors without a position
            return None, [*problems, Problem(shown_as, 0, f"is not valid YAML ({error}); check its syntax")]
    return data, problems


YamlParser = Callable[[str, str, int], tuple[object, list[Problem]]]  # parse_yaml, or one giving what it gives


def read_yaml(path: Path, shown_as: str, parse: YamlParser = parse_yaml) -> tuple[object, list[Problem]]:
    """A YAML file's data with line numbers, or None and why it could not be read."""
    source = read_text(path, shown_as)
    return (None, [source.problem]) if source.problem else parse(source.text, shown_as, 1)


_PLAIN_TAGS = {yaml.ScalarNode: yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG,
               yaml.SequenceNode: yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
               yaml.MappingNode: yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG}


def _line_loader(base: type, problems: list[Problem], shown_as: str, offset: int) -> type:
    """A loader class that builds Mapping and Sequence and reports keys given twice."""

    class LineLoader(base):
        def resolve(self, kind, value, implicit):
            return _PLAIN_TAGS[kind]  # every scalar is a string: no implicit types to look for

        entries: set[int] = set()  # the mapping nodes that are items of a list

        def construct_mapping(self, node, deep=False):
            mapping = Mapping()
            mapping.line = _line_of(node) + offset
            mapping.key_lines = {}
            first_key, restarts_at = None, None
            for key_node, value_node in node.value:
                line = _line_of(key_node) + offset
                if not isinstance(key_node, yaml.ScalarNode):
                    problems.append(Problem(shown_as, line, "a key must be a plain name; write `name: value`"))
                    continue
                key = key_node.value
                first_key = first_key or key
                if key in mapping.key_lines:
                    if id(node) in self.entries and key == first_key and restarts_at is None:
                        # A list entry's first key again: the next entry, written without its dash. The
                        # keys that follow are that entry's own, not mistakes of their own.
                        restarts_at = line
                        problems.append(Problem(shown_as, line, (
                            f"`{key}` appears again in the entry that starts on line {mapping.key_lines[key]};"
                            f" if line {line} starts a new entry, begin it with a dash: `- {key}: ...`")))
                    elif restarts_at is None:
                        problems.append(Problem(shown_as, line, (
                            f"`{key}` appears twice in one entry (first on line {mapping.key_lines[key]});"
                            " keep one of them")))
                    continue
                mapping.key_lines[key] = line
                mapping[key] = self.construct_object(value_node, deep=True)
            return mapping

        def construct_sequence(self, node, deep=False):
            self.entries.update(id(item) for item in node.value if isinstance(item, yaml.MappingNode))
            sequence = Sequence(self.construct_object(item, deep=True) for item in node.value)
            sequence.line = _line_of(node) + offset
            sequence.item_lines = [_line_of(item) + offset for item in node.value]
            return sequence

    return LineLoader


def _syntax_problem(error: yaml.MarkedYAMLError, text: str, shown_as: str, offset: int) -> Problem:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "syntax error"
    if "quoted scalar" in str(error.context) and error.context_mark:
        mark, problem = error.context_mark, "a quoted value is never closed"  # point at the opening quote
    elif "flow" in str(error.context) and error.context_mark:
        mark, problem = error.context_mark, "a bracket opened here is never closed"
    line = mark.line + 1 if mark else 0
    column = mark.column + 1 if mark else 0
    source_line = text.split("\n")[line - 1] if 0 < line <= text.count("\n") + 1 else ""
    value = source_line.split(":", 1)[1].strip() if ":" in source_line else source_line.strip().lstrip("- ")
    if "\t" in problem or "\t" in source_line[: max(column, 1)]:
        fix = "YAML indentation must use spaces; replace the tab with spaces"
    elif value[:1] in tuple("*&!%@`[{>|"):
        fix = f"a value that starts with {value[0]} must be in quotes, e.g. \"{value[:20]}\""
    elif "mapping values are not allowed" in problem and (deeper := _indented_too_far(text.split("\n"), line)):
        key, key_above, column_above = deeper
        problem = f"`{key}:` is indented further than `{key_above}:` on the line above"
        fix = f"start it at column {column_above}, under `{key_above}:` (a field of the same entry)"
    elif "mapping values are not allowed" in problem:
        fix = "a value containing ': ' must be in quotes, e.g. title: \"Part 2: Practice\""
    elif "found duplicate anchor" in problem or "found undefined alias" in problem:
        fix = "check the `&name` and `*name` markers"
    elif "could not find expected ':'" in problem or "expected <block end>" in problem:
        fix = "check the indentation of this line against the lines above it, and that each key ends with ':'"
    elif problem == "a bracket opened here is never closed":
        fix = "close it with ] or }, or put the whole value in quotes if the bracket is part of the text"
    elif problem == "a quoted value is never closed":
        fix = "add the closing quotation mark at the end of the value"
    else:
        fix = "check the indentation and quoting near this point"
    return Problem(shown_as, line + offset if line else 0, f"YAML syntax error at column {column}: {problem}; {fix}")


_KEY = re.compile(r"^( *(?:- +)?)([^\s:#-][^:]*):(?:\s|$)")  # the indentation and the key of a `key: value` line


def _indented_too_far(lines: list[str], line: int) -> tuple[str, str, int] | None:
    """(its key, the key above, that key's column) when line `line` (1-based) holds a key that
    starts further right than the key of the line above it."""
    above = next((text for text in reversed(lines[:max(line - 1, 0)]) if text.strip()
                  and not text.lstrip().startswith("#")), None)
    here = _KEY.match(lines[line - 1]) if 0 < line <= len(lines) else None
    there = _KEY.match(above) if above is not None else None
    if here and there and len(here.group(1)) > len(there.group(1)):
        return here.group(2), there.group(2), len(there.group(1)) + 1
    return None


_FENCE = re.compile(r"^---[ \t]*$")
_END_FENCE = re.compile(r"^(---|\.\.\.)[ \t]*$")


@dataclass(frozen=True)
class FrontMatterFile:
    """A Markdown file split into its front matter (with lines) and its body."""

    meta: Mapping | None
    body: str
    problems: list[Problem]


def split_front_matter(text: str, shown_as: str, parse: YamlParser = parse_yaml) -> FrontMatterFile:
    """Split `---` front matter from a Markdown body, keeping real line numbers for both."""
    lines = text.split("\n")
    if not lines or not _FENCE.match(lines[0]):
        return FrontMatterFile(None, text, [Problem(shown_as, 1, (
            "has no front matter; start the file with a line `---`, then `title:` and `summary:`,"
            " then another `---` line before the text"))])
    for index in range(1, len(lines)):
        if _END_FENCE.match(lines[index]):
            break
    else:
        return FrontMatterFile(None, "", [Problem(shown_as, 1, (
            "front matter opened by `---` on line 1 is never closed;"
            " add a line `---` after the last field (did you forget it?)"))])
    data, problems = parse("\n".join(lines[1:index]), shown_as, 2)
    body = "\n".join(lines[index + 1:])
    if data is None and not problems:
        data = Mapping()
        data.line, data.key_lines = 2, {}
    if data is not None and not isinstance(data, Mapping):
        return FrontMatterFile(None, body, [*problems, Problem(shown_as, 2, (
            "front matter must be `field: value` lines, e.g. `title: Psychological Safety`"))])
    return FrontMatterFile(data, body, problems)
