"""The one place where a build buys speed: work kept by what went into it, the rest on all cores.

Nine kinds of work are worth keeping between builds, each a pure function of its inputs: YAML
parsed (a file's text), Markdown rendered to HTML (a topic's text), calendar events serialised
(a session and the site's settings), calendar files put together (their properties and events'
bytes), the calendars' VTIMEZONE (the zone and the years), the printed QR code (its address),
pages rendered (a layout's explicit context, plus the layouts' files), partials rendered (the
values of the names a partial reads, plus the layouts' files: partials.py) and layouts
compiled, with the names each reads (a layout's source, through Jinja's own bytecode cache
interface: compiled.py). An entry's key is a SHA-256 of exactly those inputs and
of the generator itself (its source and its libraries' versions), so an entry cannot be stale:
changed input is another key (keys.py). A time zone in the inputs counts with its rules, which
the time zone database changes now and then. Entries are bytes or plain JSON, in one SQLite file
under .cache/microsite/ (store.py); deleting the folder is always safe. Work that is not in the
cache (a first build, or `--no-cache`) is spread over all cores when there is enough of it
(cores.py).

The stages know nothing of this: each takes the function that does its work as a parameter
(read_schedule's `render_markdown` and `parse_yaml`, render_calendars' `serialise`, `assemble`
and `time_zone`, render_pages' `spread`, template_environment's `compiled`,
`template_class` and `qr_code`), and build() hands them the stage's own functions wrapped here.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..model import OutputFile, Problem, Session, Site
from ..sourcefile import Mapping, Sequence
from .compiled import CompiledLayouts, layout_reads
from .cores import CALENDARS_FROM, EVENTS_FROM, MARKDOWN_FROM, PAGES_FROM, each_in_parallel, in_parallel
from .keys import folder_digest, generator_digest, value_bytes
from .partials import partial_template_class


class Cache:
    """Content-keyed results for one build, or for the preview's rebuilds (`in_memory`), in `folder`.

    With folder None nothing is kept, and the work is still spread over the cores.
    """

    def __init__(self, folder: Path | None, in_memory: bool = False):
        if folder is not None:
            from .store import Store  # SQLite, imported only by builds that keep work

            self.store = Store.open(folder / "cache.sqlite")
        else:
            self.store = None
        self.keeps_nothing = self.store is None and not in_memory
        self.generator = "" if self.keeps_nothing else generator_digest()
        # The preview also keeps in memory the entries of its last rebuild and those this one has made:
        # plain bytes by key.
        self.in_memory = in_memory
        self.memory: dict[str, bytes] = {}
        self.used: dict[str, bytes | None] = {}  # this build's keys (with their bytes for the preview)
        self.last_used: list[str] = []  # the last build's keys: what the store keeps when it prunes
        self.made: dict[str, bytes] = {}  # the preview's new entries, not yet in the store
        # Each model value's digest, by the value (equal values, one digest), for this build's keys:
        # a session is in the keys of its event, its page, its topic's page and the lists.
        self.value_digests: dict[object, bytes] = {}
        # Each time zone's rules, by its name: read once, as zoneinfo reads them once a process.
        self.zone_rules: dict[str, bytes] = {}
        self.sending: dict[str, bytes] | None = None  # in a worker process: what it made, for the build

    def parsing_yaml(self, parse_yaml: Callable) -> Callable:
        """parse_yaml(text, shown_as, first_line), its results kept as JSON: PyYAML builds every
        value in Python, and a save in the preview leaves sessions.yaml and published.yaml alone."""
        if self.keeps_nothing:
            return parse_yaml

        def parse(text: str, shown_as: str, first_line: int = 1) -> tuple[object, list[Problem]]:
            def as_json() -> bytes:
                data, problems = parse_yaml(text, shown_as, first_line)
                plain = [_to_plain(data), [[p.path, p.line, p.message, p.is_warning, p.code] for p in problems]]
                return json.dumps(plain, ensure_ascii=False).encode("utf-8", "surrogatepass")

            data, problems = json.loads(self._kept("yaml", f"{shown_as}\0{first_line}\0{text}", as_json))
            return _from_plain(data), [Problem(*problem) for problem in problems]
        return parse

    def rendering_markdown(self, render_all: Callable[[list[str]], list[str]]) -> Callable[[list[str]], list[str]]:
        """render_all(sources), each body's HTML kept by its text."""
        if self.keeps_nothing:
            return lambda sources: in_parallel(render_all, sources, MARKDOWN_FROM)

        def render(sources: list[str]) -> list[str]:
            made = self._kept_each("markdown", sources, lambda missing: [
                html.encode("utf-8") for html in in_parallel(render_all, missing, MARKDOWN_FROM)])
            return [html.decode("utf-8") for html in made]
        return render

    def serialising_events(self, serialise_events: Callable[[Site, list[Session]], list[bytes]]) -> Callable:
        """serialise_events(site, sessions), each event's bytes kept by its session and the site."""
        if self.keeps_nothing:
            return lambda site, sessions: in_parallel(serialise_events, sessions, EVENTS_FROM, site)

        def serialise(site: Site, sessions: list[Session]) -> list[bytes]:
            return self._kept_each("event", [(site, session) for session in sessions], lambda missing: in_parallel(
                serialise_events, [session for _, session in missing], EVENTS_FROM, site))
        return serialise

    def assembling_calendars(self, assemble: Callable[..., list[list[bytes]]]) -> Callable[..., list[list[bytes]]]:
        """assemble(site_lines, vtimezone, groups), each file kept by exactly its inputs: the
        site's lines, the time zone, its group's name and description, its address and events.
        The files not found are made together, a group's at once (its name lines are made once);
        without a cache, the groups are shared out to the cores when there are enough."""
        if self.keeps_nothing:
            return lambda site_lines, vtimezone, groups: in_parallel(assemble, groups, CALENDARS_FROM, site_lines,
                                                                     vtimezone)

        def assembled(site_lines: dict[str, bytes], vtimezone: bytes, groups: list) -> list[list[bytes]]:
            keys = [[self._key("calendar", (site_lines, vtimezone, group.name, group.description, file))
                     for file in group.files] for group in groups]
            known = self._known([key for group_keys in keys for key in group_keys])
            wanted = []  # each group's files not found, and their keys
            for group, group_keys in zip(groups, keys):
                if missing := [(file, key) for file, key in zip(group.files, group_keys) if key not in known]:
                    wanted.append((replace(group, files=tuple(file for file, _ in missing)), [key for _, key in missing]))
            made = in_parallel(assemble, [group for group, _ in wanted], CALENDARS_FROM, site_lines, vtimezone)
            for (_, missing_keys), contents in zip(wanted, made):
                for key, content in zip(missing_keys, contents):
                    known[key] = self._keep(key, content)
            return [[known[key] for key in group_keys] for group_keys in keys]
        return assembled

    def making_time_zones(self, make: Callable[..., bytes]) -> Callable[..., bytes]:
        """make(zone, first_year, last_year), the VTIMEZONE kept by the zone (its name and rules)
        and the years: deriving its yearly rules scans every day of those years."""
        if self.keeps_nothing:
            return make
        return lambda *inputs: self._kept("time zone", inputs, lambda: make(*inputs))

    def drawing_qr_codes(self, draw: Callable[[str], Markup]) -> Callable[[str], Markup]:
        """draw(address), each QR code's SVG kept by its address (and segno's version, in every key)."""
        if self.keeps_nothing:
            # Every process a build without a cache spreads its pages over (spreading_pages) draws
            # the code for the printed pages it renders, and would import segno for it: 20 ms each.
            # Imported here, before they are forked, it is imported once. A build that keeps work
            # finds the code kept, and need not import segno at all.
            import segno  # noqa: F401
            return draw
        return lambda address: Markup(self._kept("qr code", address, lambda: str(draw(address)).encode()).decode())

    def spreading_pages(self, layouts_folder: Path) -> Callable[[Callable, list], Iterable]:
        """How render_pages maps its render over the pages. Without a cache: on all cores, when
        there are enough. With one, each page is kept by its layout, path and context and the
        layouts' files: every page's key is looked up here at once, and the pages not found are
        rendered, spread over the cores too when there are enough of them (a fresh clone's first
        build, or after an edit every page shows). A worker must not share this build's SQLite
        connection, so it looks up nothing: it renders its pages whole and sends back, with
        each, the entries it made (its partials'), which are kept here. The preview's rebuilds
        stay in one process (it serves from other threads): they find most pages kept."""
        if self.keeps_nothing:
            return lambda render, pages: each_in_parallel(render, pages, PAGES_FROM)
        layouts = folder_digest(layouts_folder)

        def spread(render: Callable, pages: list) -> Iterator:
            keys = [self._key("page", _page_inputs(layouts, page)) for page in pages]
            known = self._known(keys)
            missing = [page for page, key in zip(pages, keys) if key not in known]
            if self.in_memory or len(missing) < PAGES_FROM:
                made = ((render(page), {}) for page in missing)
            else:
                made = each_in_parallel(self._sending_back(render), missing, PAGES_FROM)
            for page, key in zip(pages, keys):
                if key in known:
                    yield OutputFile(page.file_path, known[key], page.source)
                    continue
                result, entries = next(made)
                for made_key, value in entries.items():
                    self._keep(made_key, value)
                if isinstance(result, OutputFile):  # else the page's problems, which render_pages reports
                    self._keep(key, result.content)
                yield result
        return spread

    def _sending_back(self, render: Callable) -> Callable:
        """render(page), and the entries made for it in a worker process (none in this one)."""
        build = os.getpid()

        def render_and_send(page) -> tuple[object, dict[str, bytes]]:
            if os.getpid() == build:
                return render(page), {}
            if self.sending is None:  # this worker's first page
                # The build's connection is kept referenced, never closed here: closing it in a
                # forked copy would end the build's own transaction.
                self.build_store, self.store, self.sending = self.store, None, {}
            made = render(page)
            sent, self.sending = self.sending, {}
            return made, sent
        return render_and_send

    def keeping_partials(self, layouts_folder: Path) -> type[jinja2.Template]:
        """Jinja's template class for the layouts, keeping each partial's output by the values
        of the names it reads and the layouts' files (partials.py); what each layout reads
        comes with its compiled code (compiled.py)."""
        if self.keeps_nothing:
            return jinja2.Template
        layouts = folder_digest(layouts_folder)

        def keep(inputs: tuple, render: Callable[[], str]) -> str:
            made = self._kept("partial", inputs, lambda: render().encode("utf-8", "surrogatepass"))
            return made.decode("utf-8", "surrogatepass")
        return partial_template_class(keep, layouts, layout_reads)

    def compiled_layouts(self) -> jinja2.BytecodeCache:
        """Jinja's bytecode cache: a layout is compiled again only when its source changed, and
        the layouts that are compiled are compiled together, on all cores (compiled.py)."""
        return CompiledLayouts(self, with_reads=not self.keeps_nothing)

    def finish_build(self, store_now: bool = True) -> None:
        """Keep this build's entries in memory for the next rebuild (the preview), and commit them
        to the store, dropping what no recent build used. The preview stores them later
        (store_now=False, then store_made()), once the browser has been told to reload."""
        self.memory = {key: value for key, value in self.used.items() if value is not None}
        self.last_used, self.used, self.value_digests = list(self.used), {}, {}
        if store_now:
            self.store_made()

    def store_made(self) -> None:
        """Write the entries made since the last time to the store, and commit."""
        if self.store is not None:
            for key, value in self.made.items():
                self.store.add(key, value)
            self.store.finish(self.last_used)
        self.made = {}

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *_) -> None:
        self.finish_build()
        if self.store is not None:
            self.store.close()

    def _key(self, kind: str, inputs: object) -> str:
        """The key of the work of `kind` on `inputs`: text as it is, any other values as pickle
        encodes them, so different values never give the same bytes; it is three times faster
        than repr() for a schedule. The bytes are only hashed, never stored or read back."""
        digest = hashlib.sha256(f"{self.generator}\0{kind}\0".encode())
        digest.update(inputs.encode("utf-8", "surrogatepass") if isinstance(inputs, str)
                      else value_bytes(inputs, self.value_digests, self.zone_rules))
        return digest.hexdigest()

    def _kept(self, kind: str, inputs: object, make: Callable[[], bytes]) -> bytes:
        """The bytes that make() gives for `inputs`: as kept, or made now and kept."""
        key = self._key(kind, inputs)
        known = self._known([key]).get(key)
        return known if known is not None else self._keep(key, make())

    def _kept_each(self, kind: str, inputs: list, make: Callable[[list], list[bytes]]) -> list[bytes]:
        """_kept for many inputs at once: make(the missing ones) gives their bytes in order."""
        keys = [self._key(kind, item) for item in inputs]
        known = self._known(keys)
        missing = [index for index, key in enumerate(keys) if key not in known]
        for index, value in zip(missing, make([inputs[index] for index in missing])):
            known[keys[index]] = self._keep(keys[index], value)
        return [known[key] for key in keys]

    def _known(self, keys: list[str]) -> dict[str, bytes]:
        """The entries these keys have, from memory or the store."""
        found = {key: self.memory[key] for key in keys if key in self.memory}
        if self.store is not None and len(found) < len(keys):
            found.update(self.store.get([key for key in keys if key not in found]))
        self.used.update((key, value if self.in_memory else None) for key, value in found.items())
        return found

    def _keep(self, key: str, value: bytes) -> bytes:
        if self.sending is not None:  # a worker process (spreading_pages): the build keeps it
            self.sending[key] = value
        elif self.in_memory:  # the preview holds its entries anyway; they are stored after its rebuild
            self.made[key] = value
            self.memory[key] = value  # found again in this rebuild: its open pages are rendered first
        elif self.store is not None:  # a build streams them to the store: it need not hold every page
            self.store.add(key, value)
        self.used[key] = value if self.in_memory else None
        return value


def _page_inputs(layouts_digest: str, page) -> tuple:
    """What a page's key is made of: its layout, path and context, and the layouts' files."""
    return layouts_digest, page.layout, page.path, page.context


def _to_plain(value: object) -> object:
    """YAML data with its line numbers as JSON's lists (every scalar is a string): a mapping is
    [line, keys, key lines, values], a sequence [line, item lines, items]."""
    if isinstance(value, Mapping):
        keys = list(value)
        return [value.line, keys, [value.key_lines[key] for key in keys], [_to_plain(item) for item in value.values()]]
    if isinstance(value, Sequence):
        return [value.line, value.item_lines, [_to_plain(item) for item in value]]
    return value


def _from_plain(value: object) -> object:
    """The YAML data _to_plain wrote, as the parser gives it (a preview reads 3,000 files' worth)."""
    if type(value) is not list:
        return value
    if len(value) == 4:
        line, keys, key_lines, items = value
        mapping = Mapping(zip(keys, [item if type(item) is not list else _from_plain(item) for item in items]))
        mapping.line, mapping.key_lines = line, dict(zip(keys, key_lines))
        return mapping
    line, item_lines, items = value
    sequence = Sequence([item if type(item) is not list else _from_plain(item) for item in items])
    sequence.line, sequence.item_lines = line, item_lines
    return sequence
