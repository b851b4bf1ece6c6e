"""Keep what a build could reuse for the next one: a rebuild after one edit redoes only that edit.

`build.py` (with its cache) works as the preview server does (microsite.memo), then saves the
reusable part of that work in .cache/microsite/reuse/, one file per output folder: parsed files, the last list each
remembered function was given and what it made, pages with what they read, fragment lists,
rendered Markdown. Everything in it is found again only through the same checks the preview
server makes (files by size, time and inode; items by identity within the saved objects;
pages by their inputs and what they read), so nothing stale can come back. It is read only if
this very generator wrote it (its source and its libraries' versions), and it is as safe to
delete as the rest of the cache. Like any pickle, it trusts the folder it is in: it is made
and read on this machine only, never committed or downloaded.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Callable, TypeVar

from . import markdown_cache, memo, page_memo
from .model import OutputFile, StoredFile
from .write import StaleOutput

T = TypeVar("T")

_LIBRARIES = ("jinja2", "markupsafe", "markdown", "nh3", "icalendar", "pyyaml")


def reusing(state_file: Path, site: Path, site_is_built: bool, build: Callable[[], T]) -> T:
    """build(), with what the last build into `site` kept taken up first, and what this one can
    pass on kept after it; made again afresh if a page it kept was changed by hand since."""
    was_enabled, memo.enabled = memo.enabled, True
    try:
        if site_is_built:
            load(state_file)
        try:
            result = build()
        except StaleOutput:
            forget()
            state_file.unlink(missing_ok=True)
            result = build()
        save(state_file, site)
        return result
    finally:
        forget()  # its pages name files of the site: nothing of it may outlive this build
        memo.enabled = was_enabled


def load(state_file: Path) -> None:
    """Take up what the last build saved, if this very generator saved it."""
    gc.disable()  # unpickling makes many objects at once: collecting meanwhile only doubles the time
    try:
        with open(state_file, "rb") as file:
            saved_by, state = pickle.load(file)
    except Exception:  # missing, damaged or from another version: build without it
        return
    finally:
        gc.enable()
    gc.freeze()  # and later collections need not look through them again
    if saved_by != _generator():
        return
    memo._parsed.update(state["parsed"])
    memo._last_values.update(state["last_values"])
    for remembered in memo.Remembered.every:
        if remembered.name in state["lists"]:
            remembered.last = state["lists"][remembered.name]
    markdown_cache._memory.update(state["markdown"])
    stored = state["stored"]
    page_memo._pages.update((key, page_memo._Entry(layouts, inputs, parts, stored[path], path))
                            for key, (layouts, inputs, parts, path) in state["pages"].items())
    page_memo._groups.update(
        (layout, page_memo._Group(layouts, parts, items, tuple(OutputFile(path, stored[path], source)
                                                              for path, source in files), keys))
        for layout, (layouts, parts, items, files, keys) in state["groups"].items())
    page_memo._fragments_layouts, fragments = state["fragments"]
    page_memo._fragments.update(fragments)


def save(state_file: Path, site: Path) -> None:
    """Save the reusable work of this build, whole or not at all; its pages by their files in `site`."""
    # Pages and calendar files, most of the bytes, are kept as what they are: files of the site
    # just written (an output of this build that a remembered function made is in the site).
    made = [result for remembered in memo.Remembered.every for result in remembered.last[2]
            if isinstance(result, OutputFile) and isinstance(result.content, bytes)]
    stored = _stored_pages(site, {entry.file_path for entry in page_memo._pages.values()}
                          | {file.path for group in page_memo._groups.values() if group for file in group.files}
                          | {file.path for file in made})
    as_stored = {id(file): OutputFile(file.path, stored[file.path], file.source) for file in made
                 if file.path in stored and stored[file.path].size == len(file.content)}
    # Only what this build used: what earlier builds left behind is never wanted again.
    fragments = {key: page_memo._fragments[key] for key in page_memo.fragment_lists_used
                 if key in page_memo._fragments and not memo.has_identity(key)}  # others name objects by identity
    state = {
        "parsed": {key: memo._parsed[key] for key in memo.parsed_used if key in memo._parsed},
        "last_values": memo._last_values,
        "lists": {remembered.name: (items, shared, [as_stored.get(id(result), result) for result in results])
                  for remembered in memo.Remembered.every for items, shared, results in [remembered.last]},
        "markdown": {key: markdown_cache._memory[key] for key in markdown_cache.used},
        # Pages and page groups without their bytes: those are the site's files named in "stored".
        "stored": stored,
        "pages": {key: (entry.layouts, entry.inputs, entry.schedule_parts, entry.file_path)
                  for key in page_memo.pages_used
                  if (entry := page_memo._pages.get(key)) is not None and entry.file_path in stored},
        "groups": {layout: (group.layouts, group.parts, group.items,
                            tuple((file.path, file.source) for file in group.files), group.keys)
                   for layout, group in page_memo._groups.items()
                   if group is not None and all(file.path in stored for file in group.files)},
        "fragments": (page_memo._fragments_layouts, fragments),
    }
    staging = state_file.with_name(f".{state_file.name}.{os.getpid()}")
    try:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        gc.disable()  # as in load(): the pickler's bookkeeping would set collections off again and again
        with open(staging, "wb") as file:
            pickle.dump((_generator(), state), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(staging, state_file)
    except OSError:
        staging.unlink(missing_ok=True)  # a cache that cannot be written only makes the next build slower
    finally:
        gc.enable()


def _stored_pages(site: Path, paths: set[str]) -> dict[str, StoredFile]:
    found, prefix = {}, f"{site}/"
    for path in paths:
        try:
            status = os.stat(prefix + path, follow_symlinks=False)
        except OSError:
            continue
        found[path] = StoredFile(status.st_size, status.st_mtime_ns, status.st_ino)
    return found


def forget() -> None:
    """Drop everything this process kept."""
    memo._parsed.clear()
    memo.parsed_used.clear()
    memo._last_values.clear()
    for remembered in memo.Remembered.every:
        remembered.results.clear()
        remembered.last = ((), (), [])
    markdown_cache._memory.clear()
    markdown_cache.used.clear()
    page_memo._pages.clear()
    page_memo.pages_used.clear()
    page_memo._groups.clear()
    page_memo._fragments.clear()
    page_memo.fragment_lists_used.clear()
    page_memo._environments.clear()


def _generator() -> str:
    """This generator's own fingerprint: its source, Python's version and its libraries' versions."""
    digest = hashlib.sha256(sys.version.encode())
    for library in _LIBRARIES:
        digest.update(f"{library} {version(library)}".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
