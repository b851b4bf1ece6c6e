"""content/topics/*.md and content/pages/*.md -> Topic and Page, every problem reported."""

from __future__ import annotations

import os
from pathlib import Path

from . import fields, memo
from .fields import Field
from .markdown_cache import render_all
from .markup import top_heading_lines
from .model import Page, Problem, Topic
from .sourcefile import read_text, split_front_matter


def read_documents(folder: Path, project: Path, schema: dict[str, Field], kind: type, problems: list[Problem],
                   required: bool, cache: Path | None) -> dict[str, Topic | None] | list[Page]:
    """Every Markdown file of a folder; for topics a dict by slug, where None marks a file with problems."""
    shown_folder = folder.relative_to(project).as_posix()
    if not folder.is_dir():
        if required:
            problems.append(Problem(shown_folder, 0, "folder not found; create it and add one .md file per topic"))
        return {} if kind is Topic else []
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
        found, result = memo.parsed(entry.path, f"document:{kind.__name__}",
                                    lambda path=entry.path, shown=shown: _read_checked(Path(path), shown, schema),
                                    info=entry)
        problems.extend(found)
        read[slug] = result
    # The Markdown of every good file at once: from the cache, or on all cores.
    good = {slug: item for slug, item in read.items() if item is not None}
    bodies = render_all([body for _, _, body in good.values()], cache)
    items: dict[str, Topic | Page | None] = dict.fromkeys(read)
    items.update(zip(good, _document.each(zip(good.items(), bodies), kind)))
    return items if kind is Topic else [item for item in items.values() if item is not None]


@memo.Remembered  # a rebuild gets the very same Topic for an unchanged file
def _document(file_and_html: tuple[tuple[str, tuple[str, dict, str]], str], kind: type) -> Topic | Page:
    (slug, (shown, values, _)), html = file_and_html
    return kind(slug=slug, title=values["title"], summary=values["summary"], body_html=html, source=shown)


def is_editor_scratch(name: str) -> bool:
    """Hidden, backup and swap files that editors leave beside the file being edited."""
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp", ".bak", ".orig"))


def _read_checked(path: Path, shown: str, schema: dict[str, Field]) -> tuple[list[Problem], tuple | None]:
    problems: list[Problem] = []
    result = _read_document(path, shown, schema, problems)
    return problems, result


def _read_document(path: Path, shown: str, schema: dict[str, Field],
                   problems: list[Problem]) -> tuple[str, dict, str] | None:
    """The checked front matter and the Markdown body of one file, or None and its problems."""
    source = read_text(path, shown)
    if source.problem:
        problems.append(source.problem)
        return None
    if not source.text.strip():
        problems.append(Problem(shown, 1, "is empty; add front matter with `title:` and `summary:` and a description"))
        return None
    document = split_front_matter(source.text, shown)
    problems.extend(document.problems)
    if document.meta is None or document.problems:
        return None
    values, found = fields.convert_record(document.meta, schema, shown, 2, "front matter")
    problems.extend(found)
    body_first_line = source.text[: len(source.text) - len(document.body)].count("\n") + 1
    for line in top_heading_lines(document.body):
        problems.append(Problem(shown, body_first_line + line - 1, (
            "a `# ` heading repeats the page title; start headings in the text at `## `"), is_warning=True))
    return None if values is None else (shown, values, document.body)
