"""Compiled layouts, by their source: found in the cache, or compiled on all cores and kept.

This speaks Jinja's bytecode-cache interface, so Jinja asks for a layout's code by the layout's
name and its source's checksum, and compiles a layout itself when none is given. Beside each
layout's code is what it reads (partials.own_reads), found from the same parse: kept partials
need it, and parsing a layout a second time for it was a third of a first build's layouts.
"""

from __future__ import annotations

import marshal
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING

import jinja2

from .cores import LAYOUTS_FROM, in_parallel
from .partials import Reads, own_reads

if TYPE_CHECKING:
    from . import Cache


class CompiledLayouts(jinja2.BytecodeCache):
    """When Jinja asks for its first layout, every layout is looked up in the cache at once, and
    those not found (all of them in a first build, or with --no-cache) are compiled, shared out
    to all cores when there are enough (compiling is most of a small site's first build), and
    kept. Jinja then loads each from here. A layout that does not compile is left to Jinja to
    report. `with_reads`: whether what each layout reads is wanted (for kept partials)."""

    def __init__(self, cache: Cache, with_reads: bool):
        self.cache, self.with_reads = cache, with_reads
        self.code: dict[tuple[str, str], CodeType] | None = None  # by Jinja's name for it and its checksum
        self.reads: dict[str, Reads] = {}  # by the layout's name

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if self.code is None:
            self.code = {}
            self._all_layouts(bucket.environment)
        if (code := self.code.get((bucket.key, bucket.checksum))) is not None:
            bucket.code = code

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        pass  # Jinja compiles a layout itself only where the batch could not: it reports the layout's mistake

    def _all_layouts(self, environment: jinja2.Environment) -> None:
        folder = Path(environment.loader.searchpath[0])
        names = [name for name in environment.list_templates() if not name.startswith("assets/")]
        buckets = {name: bucket for name in names if (bucket := self._bucket_of(environment, name)) is not None}
        keys = {name: self.cache._key("layout", f"{self.with_reads}\0{key}\0{checksum}")
                for name, (key, checksum) in buckets.items()}
        known = self.cache._known(list(keys.values()))
        missing = []
        for name, key in keys.items():
            if key not in known or not self._load(name, buckets[name], known[key]):
                missing.append(name)
        if not missing:
            return
        missing.sort(key=lambda name: -(folder / name).stat().st_size)  # dealt out largest first: even shares
        for name, made in zip(missing, in_parallel(_compile_layouts, missing, LAYOUTS_FROM, environment,
                                                   self.with_reads)):
            if made is not None:
                self._load(name, buckets[name], self.cache._keep(keys[name], made))

    def _load(self, name: str, bucket: tuple[str, str], entry: bytes) -> bool:
        """Take a layout's code and reads from its entry; False if the entry is not what
        _compile_layouts makes (damaged or foreign)."""
        try:
            code, reads = marshal.loads(entry)
        except (EOFError, ValueError, TypeError):
            return False
        if not isinstance(code, CodeType) or not _are_reads(reads):
            return False
        self.code[bucket], self.reads[name] = code, reads
        return True

    def _bucket_of(self, environment: jinja2.Environment, name: str) -> tuple[str, str] | None:
        """The name and checksum Jinja will ask for a layout by; None if it cannot be read."""
        try:
            source, filename, _ = environment.loader.get_source(environment, name)
        except (jinja2.TemplateError, UnicodeDecodeError, OSError):
            return None
        return self.get_cache_key(name, filename), self.get_source_checksum(source)


def layout_reads(environment: jinja2.Environment, name: str) -> Reads:
    """What a layout reads itself: as compiled with it, or, for a layout Jinja compiled itself,
    from its source parsed now."""
    compiled = environment.bytecode_cache
    if isinstance(compiled, CompiledLayouts) and name in compiled.reads:
        return compiled.reads[name]
    source, filename, _ = environment.loader.get_source(environment, name)
    return own_reads(environment.parse(source, name, filename))


def _compile_layouts(environment: jinja2.Environment, with_reads: bool, names: list[str]) -> list[bytes | None]:
    """Each layout's code and what it reads (None unless `with_reads`), marshalled together;
    None where the layout does not compile."""
    made: list[bytes | None] = []
    for name in names:
        try:
            source, filename, _ = environment.loader.get_source(environment, name)
            tree = environment.parse(source, name, filename)
            reads = own_reads(tree) if with_reads else None
            made.append(marshal.dumps((environment.compile(tree, name, filename), reads)))
        except (jinja2.TemplateError, UnicodeDecodeError):
            made.append(None)
    return made


def _are_reads(reads: object) -> bool:
    return reads is None or (type(reads) is tuple and len(reads) == 2 and all(
        type(part) is tuple and all(type(name) is str for name in part) for part in reads))
