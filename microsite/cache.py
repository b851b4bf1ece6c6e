"""The one place where a build buys speed: work kept by what went into it, the rest on all cores.

Six kinds of work are worth keeping between builds, each a pure function of its inputs: YAML
parsed (a file's text), Markdown rendered to HTML (a topic's text), calendar events serialised (a session and the site's
settings), calendar files put together (their properties and events' bytes), pages rendered (a
layout's explicit context, plus the layouts' files) and layouts compiled (a layout's source,
through Jinja's own bytecode cache interface). An entry's key is a
SHA-256 of exactly those inputs and of the generator itself (its source and its libraries'
versions), so an entry cannot be stale: changed input is another key. Entries are
bytes, in one SQLite file under .cache/microsite/ beside content/, each with a checksum; a
damaged entry is ignored, a damaged file is started afresh, and deleting the folder is always
safe. Work that is not in the cache (a first build, or `--no-cache`) is spread over all cores
when there is enough of it to pay for starting worker processes.

The stages know nothing of this: each takes the function that does its work as a parameter
(read_schedule's `parse_yaml` and `render_markdown`, render_calendars' `serialise` and
`assemble`, render_pages' `render`, template_environment's `compiled`), and build() hands them
the ones made here.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sqlite3
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import jinja2

from . import markup, sourcefile
from .model import OutputFile, Problem, Session, Site
from .sourcefile import Mapping, Sequence

MARKDOWN_PARALLEL_FROM = 48  # bodies; below this, starting worker processes costs more than it saves
EVENTS_PARALLEL_FROM = 2000  # calendar events, likewise
# The store keeps at most about twice what one build uses: past that, it keeps only what the
# last build used. Entries of an edit undone, or of a branch checked out again, are made again.
KEEP_AT_MOST = 2
_LIBRARIES = ("jinja2", "markupsafe", "markdown", "nh3", "icalendar", "pyyaml")  # their versions can change the output


class Cache:
    """Content-keyed results for one build, or for the preview's rebuilds (`in_memory`), in `folder`.

    With folder None nothing is kept, and the work is still spread over the cores.
    """

    def __init__(self, folder: Path | None, in_memory: bool = False):
        self.store = _Store.open(folder / "cache.sqlite") if folder is not None else None
        self.generator = _generator_digest() if self.store is not None or in_memory else ""
        # The preview also keeps the entries of its last rebuild in memory: plain bytes by key.
        self.in_memory = in_memory
        self.memory: dict[str, bytes] = {}
        self.used: dict[str, bytes | None] = {}  # this build's keys (with their bytes for the preview)

    @property
    def keeps_nothing(self) -> bool:
        return self.store is None and not self.in_memory

    def parse_yaml(self, text: str, shown_as: str, first_line: int = 1) -> tuple[object, list[Problem]]:
        """sourcefile.parse_yaml's result, kept as JSON: PyYAML builds every value in Python, and a
        save in the preview leaves sessions.yaml and published.yaml as they were."""
        if self.keeps_nothing:
            return sourcefile.parse_yaml(text, shown_as, first_line)
        key = self._key("yaml", f"{shown_as}\0{first_line}\0{text}")
        if (known := self._known([key]).get(key)) is not None:
            data, problems = json.loads(known)
            return _from_plain(data), [Problem(*problem) for problem in problems]
        data, problems = sourcefile.parse_yaml(text, shown_as, first_line)
        plain = [_to_plain(data), [[p.path, p.line, p.message, p.is_warning, p.code] for p in problems]]
        self._keep(key, json.dumps(plain, ensure_ascii=False).encode("utf-8", "surrogatepass"))
        return data, problems

    def render_markdown(self, sources: list[str]) -> list[str]:
        """HTML for each Markdown body, as markup.render_all gives it."""
        if self.keeps_nothing:
            return _in_parallel(markup.render_all, sources, MARKDOWN_PARALLEL_FROM)
        keys = [self._key("markdown", source) for source in sources]
        known = self._known(keys)
        missing = [index for index, key in enumerate(keys) if key not in known]
        for index, html in zip(missing, _in_parallel(markup.render_all, [sources[i] for i in missing],
                                                     MARKDOWN_PARALLEL_FROM)):
            known[keys[index]] = self._keep(keys[index], html.encode("utf-8"))
        return [known[key].decode("utf-8") for key in keys]

    def serialising_events(self, serialise_events: Callable[[Site, list[Session]], list[bytes]]):
        """serialise_events, keeping each event's bytes by the session and site it came from."""
        if self.keeps_nothing:
            return lambda site, sessions: _in_parallel(serialise_events, sessions, EVENTS_PARALLEL_FROM, site)

        def serialise(site: Site, sessions: list[Session]) -> list[bytes]:
            keys = [self._key("event", (site, session)) for session in sessions]
            known = self._known(keys)
            missing = [index for index, key in enumerate(keys) if key not in known]
            for index, event in zip(missing, _in_parallel(serialise_events, [sessions[i] for i in missing],
                                                          EVENTS_PARALLEL_FROM, site)):
                known[keys[index]] = self._keep(keys[index], event)
            return [known[key] for key in keys]
        return serialise

    def assembling_calendars(self, assemble: Callable[..., bytes]) -> Callable[..., bytes]:
        """assemble(site, path, name, description, vtimezone, events), keeping each calendar file's
        bytes by exactly those values."""
        if self.keeps_nothing:
            return assemble

        def assembled(site: Site, path: str, name: str, description: str, vtimezone: bytes, events: bytes) -> bytes:
            key = self._key("calendar", (site, path, name, description, vtimezone, events))
            if (known := self._known([key]).get(key)) is not None:
                return known
            return self._keep(key, assemble(site, path, name, description, vtimezone, events))
        return assembled

    def rendering_pages(self, render_page: Callable, layouts_folder: Path) -> Callable:
        """render_page(layouts, page), keeping each page's bytes by its layout, path and context
        and the layouts' files: a page whose context changed is rendered again."""
        if self.keeps_nothing:
            return render_page
        layouts = _folder_digest(layouts_folder)

        def render(environment, page) -> OutputFile:
            key = self._key("page", (layouts, page.layout, page.path, page.context))
            if (known := self._known([key]).get(key)) is not None:
                return OutputFile(page.file_path, known, page.source)
            made = render_page(environment, page)
            self._keep(key, made.content)
            return made
        return render

    def compiled_layouts(self) -> jinja2.BytecodeCache | None:
        """Jinja's bytecode cache, kept in the store: a layout is compiled again only when its source changed."""
        return None if self.keeps_nothing else _CompiledLayouts(self)

    def finish_build(self) -> None:
        """Commit this build's entries to the store, dropping what no recent build used; keep
        them in memory for the next rebuild (the preview)."""
        if self.store is not None:
            self.store.finish(self.used)
        self.memory = {key: value for key, value in self.used.items() if value is not None}
        self.used = {}

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *_) -> None:
        self.finish_build()

    def _key(self, kind: str, inputs: object) -> str:
        """The key of the work of `kind` on `inputs`: text as it is, any other values as pickle
        encodes them. Pickle writes every value in full (an object that several others share,
        once), so different values never give the same bytes; it is three times faster than
        repr() for a schedule. The bytes are only hashed, never stored or read back."""
        digest = hashlib.sha256(f"{self.generator}\0{kind}\0".encode())
        digest.update(inputs.encode("utf-8", "surrogatepass") if isinstance(inputs, str)
                      else pickle.dumps(inputs, protocol=5))
        return digest.hexdigest()

    def _known(self, keys: list[str]) -> dict[str, bytes]:
        """The entries these keys have, from memory or the store."""
        found = {key: self.memory[key] for key in keys if key in self.memory}
        if self.store is not None and len(found) < len(keys):
            found.update(self.store.get([key for key in keys if key not in found]))
        self.used.update((key, value if self.in_memory else None) for key, value in found.items())
        return found

    def _keep(self, key: str, value: bytes) -> bytes:
        if self.store is not None:
            self.store.add(key, value)
        self.used[key] = value if self.in_memory else None
        return value


class _CompiledLayouts(jinja2.BytecodeCache):
    """Jinja's interface for keeping compiled templates; Jinja names each by its source's checksum."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        key = self.cache._key("layout", f"{bucket.key}\0{bucket.checksum}")
        if (known := self.cache._known([key]).get(key)) is not None:
            bucket.bytecode_from_string(known)  # Jinja ignores bytecode of another Jinja version

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.cache._keep(self.cache._key("layout", f"{bucket.key}\0{bucket.checksum}"), bucket.bytecode_to_string())


class _Store:
    """A SQLite table of bytes by key, each with its checksum. New entries are written as they are
    made, in one transaction per build; a failure (damaged, locked, full) turns the store off for
    the rest of the build, which is then only slower."""

    def __init__(self, path: Path, db: sqlite3.Connection):
        self.path, self.db = path, db  # db is None once the store has failed

    @classmethod
    def open(cls, path: Path) -> _Store | None:
        for _ in range(2):  # a damaged file is deleted, and made again once
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                # The preview builds in one worker thread at a time, not always the one that opened it.
                db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
                db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL,"
                           " checksum TEXT NOT NULL)")
                return cls(path, db)
            except (sqlite3.Error, OSError) as error:
                if not _forget_if_damaged(path, error):
                    return None
        return None

    def get(self, keys: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        if self.db is None:
            return found
        try:
            for start in range(0, len(keys), 500):  # SQLite takes a bounded number of parameters
                chunk = keys[start:start + 500]
                rows = self.db.execute(f"SELECT key, value, checksum FROM entries WHERE key IN"
                                       f" ({','.join('?' * len(chunk))})", chunk)
                found.update((key, value) for key, value, checksum in rows if _checksum(value) == checksum)
        except sqlite3.Error as error:
            self._give_up(error)
        return found

    def add(self, key: str, value: bytes) -> None:
        if self.db is None:
            return
        try:
            if not self.db.in_transaction:
                self.db.execute("BEGIN")
            self.db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", (key, value, _checksum(value)))
        except sqlite3.Error as error:
            self._give_up(error)

    def finish(self, used: dict) -> None:
        """Commit this build's new entries; if the store has grown past KEEP_AT_MOST times what
        this build used, keep only what it used."""
        if self.db is None:
            return
        try:
            if not self.db.in_transaction:
                self.db.execute("BEGIN")
            if self.db.execute("SELECT count(*) FROM entries").fetchone()[0] > KEEP_AT_MOST * len(used) + 100:
                self.db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
                self.db.execute("DELETE FROM used")
                self.db.executemany("INSERT INTO used VALUES (?)", ((key,) for key in used))
                self.db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM used)")
            self.db.execute("COMMIT")
        except sqlite3.Error as error:
            self._give_up(error)

    def _give_up(self, error: sqlite3.Error) -> None:
        self.db.close()
        self.db = None
        _forget_if_damaged(self.path, error)


def _forget_if_damaged(path: Path, error: Exception) -> bool:
    """Delete a cache file that is not a database (or a damaged one), so that it is made afresh."""
    if isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError):
        path.unlink(missing_ok=True)
        return True
    return False


def _to_plain(value: object) -> object:
    """YAML data with its line numbers as JSON's lists and objects (every scalar is a string)."""
    if isinstance(value, Mapping):
        return {"mapping": value.line, "keys": [[key, value.key_lines[key], _to_plain(item)] for key, item in value.items()]}
    if isinstance(value, Sequence):
        return {"sequence": value.line, "items": [[line, _to_plain(item)] for line, item in zip(value.item_lines, value)]}
    return value


def _from_plain(value: object) -> object:
    if isinstance(value, dict) and "mapping" in value:
        mapping = Mapping()
        mapping.line, mapping.key_lines = value["mapping"], {}
        for key, line, item in value["keys"]:
            mapping.key_lines[key] = line
            mapping[key] = _from_plain(item)
        return mapping
    if isinstance(value, dict):
        sequence = Sequence(_from_plain(item) for _, item in value["items"])
        sequence.line, sequence.item_lines = value["sequence"], [line for line, _ in value["items"]]
        return sequence
    return value


def _checksum(value: bytes) -> str:
    return hashlib.blake2b(value, digest_size=16).hexdigest()


def _generator_digest() -> str:
    """This generator's fingerprint: its source, Python's version and its libraries' versions."""
    digest = hashlib.sha256(sys.version.encode())
    for library in _LIBRARIES:
        digest.update(f"{library} {version(library)}\0".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _folder_digest(folder: Path) -> str:
    """A digest of every file under `folder`, by path and bytes."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def workers() -> int:
    """Worker processes to use: the cores, at most 8; MICROSITE_WORKERS caps it (1: this process only)."""
    return min(os.cpu_count() or 1, 8, int(os.environ.get("MICROSITE_WORKERS", "8") or 8))


def _in_parallel(batch: Callable[..., list], items: list, worth_it_from: int, *first_arguments) -> list:
    """batch(*first_arguments, items), on worker processes (each given a share of the items) when
    there are at least `worth_it_from` items; the results in the items' order."""
    count = workers()
    if len(items) < worth_it_from or count < 2:
        return batch(*first_arguments, items)
    import multiprocessing  # only a large build needs them
    from concurrent.futures import ProcessPoolExecutor

    shares = [items[start::count] for start in range(count)]
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        made = list(pool.map(batch, *([argument] * count for argument in first_arguments), shares))
    merged: list = [None] * len(items)
    for start, part in enumerate(made):
        merged[start::count] = part
    return merged
