"""Render many Markdown bodies fast: a content-keyed cache on disk, and all cores for the rest.

Python-Markdown is most of a build's time. A body's HTML depends only on its text, the
Markdown and sanitiser settings and the library versions, so it is cached under a key made of
exactly those: a cache entry can never be stale, and deleting the cache folder is always safe.
The cache lives outside site/ (in .cache/ beside content/, ignored by git).
"""

from __future__ import annotations

import hashlib
import os
from importlib.metadata import version
from pathlib import Path

from . import markup, memo
from .parallel import map_in_parallel

# Below this many bodies to render, starting worker processes costs more than it saves.
PARALLEL_FROM = 48


def _settings_key() -> str:
    settings = repr((markup._EXTENSIONS, sorted(markup._ALLOWED_TAGS), sorted(
        (tag, sorted(names)) for tag, names in markup._ALLOWED_ATTRIBUTES.items()), sorted(markup._ALLOWED_SCHEMES),
        version("markdown"), version("nh3")))
    return hashlib.sha256(settings.encode()).hexdigest()


_SETTINGS = _settings_key()
_memory: dict[str, str] = {}  # kept between builds (the preview server; build.py through microsite.persist)
used: set[str] = set()  # the texts of this build: what microsite.persist keeps


@memo.Remembered  # a rebuild hashes each unchanged text once
def _key(source: str) -> str:
    return hashlib.sha256(f"{_SETTINGS}\0{source}".encode("utf-8", "surrogatepass")).hexdigest()


def render_all(sources: list[str], cache: Path | None) -> list[str]:
    """HTML for each Markdown source, in order, the same bytes as render_markdown gives one by one."""
    keys = _key.each(sources)
    results: dict[str, str] = {}
    missing: dict[str, str] = {}
    for key, source in zip(keys, sources):
        if key in _memory:
            results[key] = _memory[key]
        elif cache is not None and (cached := _read(cache, key)) is not None:
            results[key] = cached
        else:
            missing[key] = source
    if missing:
        rendered = _render(list(missing.values()))
        for key, html in zip(missing, rendered):
            results[key] = html
            if cache is not None:
                _write(cache, key, html)
    if memo.enabled:
        _memory.update(results)
        used.update(results)
    return [results[key] for key in keys]


def _render(sources: list[str]) -> list[str]:
    return map_in_parallel(markup.render_markdown, sources, worth_it_from=PARALLEL_FROM)


def _path(cache: Path, key: str) -> Path:
    return cache / "markdown" / key[:2] / f"{key}.html"


def _read(cache: Path, key: str) -> str | None:
    try:
        return _path(cache, key).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _write(cache: Path, key: str, html: str) -> None:
    path = _path(cache, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.{os.getpid()}")
        staging.write_text(html, encoding="utf-8")
        os.replace(staging, path)  # a reader sees the whole entry or none
    except OSError:
        pass  # a cache that cannot be written only makes the next build slower
