"""content/topics/*.md and content/pages/*.md -> Topic and Page, every problem reported."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from . import fields
from .fields import Field
from .markup import heading_levels
from .model import Page, Problem, Series, Topic
from .sourcefile import YamlParser, read_text, split_front_matter


def read_documents(folder: Path, project: Path, schema: dict[str, Field], kind: type[Topic | Page | Series],
                   problems: list[Problem], render_markdown: Callable[[list[str]], list[str]],
                   parse_yaml: YamlParser, required: bool) -> dict[str, Topic | Page | None]:
    """Every Markdown file of a folder, by slug; None marks a file with problems (reported in `problems`)."""
    shown_folder = folder.relative_to(project).as_posix()
    if not folder.is_dir():
        if required:
            problems.append(Problem(shown_folder, 0, "folder not found; create it and add one .md file per topic"))
        return {}
    read: dict[str, tuple[str, dict, str] | None] = {}
    with os.scandir(folder) as entries:  # scandir knows each entry's kind without asking again
        listing = sorted(entries, key=lambda entry: entry.name)
    for entry in listing:
        name, shown = entry.name, f"{shown_folder}/{entry.name}"
        if entry.is_dir() or is_editor_scratch(name):
            continue
        if entry.is_symlink():
            problems.append(Problem(shown, 1, "is a symbolic link; replace it with the file itself"))
            continue
        if not name.endswith(".md"):
            problems.append(Problem(shown, 0, "is not a .md file; give it the .md extension or move it elsewhere"))
            continue
        slug = name[: -len(".md")]
        if not fields.SLUG.fullmatch(slug):
            problems.append(Problem(shown, 1, (
                f"file name '{name}' is not a safe name for a web address{fields.look_alike(slug)};"
                f" rename it to '{fields.suggest_slug(slug)}.md' (lowercase letters, digits and single hyphens)")))
            continue
        read[slug] = _read_document(Path(entry.path), shown, schema, problems, parse_yaml)
    # The Markdown of every good file at once, so that the renderer can share the work out.
    good = {slug: item for slug, item in read.items() if item is not None}
    bodies = render_markdown([body for _, _, body in good.values()])
    items: dict[str, Topic | Page | None] = dict.fromkeys(read)
    for (slug, (shown, values, _)), html in zip(good.items(), bodies):
        items[slug] = kind(slug=slug, title=values["title"], summary=values["summary"], body_html=html, source=shown)
    return items


def is_editor_scratch(name: str) -> bool:
    """Hidden, backup and swap files that editors leave beside the file being edited."""
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp", ".bak", ".orig"))


def _read_document(path: Path, shown: str, schema: dict[str, Field], problems: list[Problem],
                   parse_yaml: YamlParser) -> tuple[str, dict, str] | None:
    """The checked front matter and the Markdown body of one file, or None and its problems."""
    source = read_text(path, shown)
    if source.problem:
        problems.append(source.problem)
        return None
    if not source.text.strip():
        problems.append(Problem(shown, 1, "is empty; add front matter with `title:` and `summary:` and a description"))
        return None
    document = split_front_matter(source.text, shown, parse_yaml)
    problems.extend(document.problems)
    if document.meta is None or document.problems:
        return None
    values, found = fields.convert_record(document.meta, schema, shown, 2, "front matter")
    problems.extend(found)
    body_first_line = source.text[: len(source.text) - len(document.body)].count("\n") + 1
    _check_headings(document.body, shown, body_first_line, problems)
    return None if values is None else (shown, values, document.body)


def _check_headings(body: str, shown: str, first_line: int, problems: list[Problem]) -> None:
    """The page's title is its one level-1 heading; the body's headings go down one level at a time,
    as people who move through a page by its headings (with a screen reader) expect."""
    previous = 1
    for line, level in heading_levels(body):
        where = first_line + line - 1
        if level == 1:
            problems.append(Problem(shown, where, (
                "a `# ` heading repeats the page title; start headings in the text at `## `"), is_warning=True))
        elif level > previous + 1:
            before = "the page title" if previous == 1 else f"a level-{previous} heading"
            problems.append(Problem(shown, where, (
                f"a `{'#' * level} ` heading skips a level (it follows {before}); write `{'#' * (previous + 1)} `"
                " instead, so that people who move through the page by its headings miss nothing")))
            level = previous + 1
        previous = level
