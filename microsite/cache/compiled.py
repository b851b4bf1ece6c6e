"""Compiled layouts, by their source: found in the cache, or compiled on all cores and kept.

This speaks Jinja's bytecode-cache interface, so Jinja asks for a layout's code by the layout's
name and its source's checksum, and compiles a layout itself when none is given.
"""

from __future__ import annotations

import marshal
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING

import jinja2

from .cores import LAYOUTS_FROM, in_parallel

if TYPE_CHECKING:
    from . import Cache


class CompiledLayouts(jinja2.BytecodeCache):
    """When Jinja asks for its first layout, every layout is looked up in the cache at once, and
    those not found (all of them in a first build, or with --no-cache) are compiled, shared out
    to all cores when there are enough (compiling is most of a small site's first build), and
    kept. Jinja then loads each from here. A layout that does not compile is left to Jinja to
    report."""

    def __init__(self, cache: Cache):
        self.cache = cache
        self.compiled: dict[tuple[str, str], bytes] | None = None  # code by Jinja's name and checksum

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if self.compiled is None:
            self.compiled = self._all_layouts(bucket.environment)
        if (code := self.compiled.get((bucket.key, bucket.checksum))) is not None:
            try:
                loaded = marshal.loads(code)
            except (EOFError, ValueError, TypeError):
                return
            if isinstance(loaded, CodeType):  # else Jinja compiles the layout itself
                bucket.code = loaded

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        # A layout Jinja compiled itself: one that _all_layouts did not list, or whose kept code was damaged.
        self.cache._keep(self._key(bucket.key, bucket.checksum), marshal.dumps(bucket.code))

    def _all_layouts(self, environment: jinja2.Environment) -> dict[tuple[str, str], bytes]:
        folder = Path(environment.loader.searchpath[0])
        names = [name for name in environment.list_templates() if not name.startswith("assets/")]
        wanted = {name: self._bucket_of(environment, name) for name in names}
        keys = {name: self._key(*bucket) for name, bucket in wanted.items() if bucket is not None}
        known = self.cache._known(list(keys.values()))
        compiled = {wanted[name]: known[key] for name, key in keys.items() if key in known}
        missing = [name for name in keys if keys[name] not in known]
        if not missing:
            return compiled
        missing.sort(key=lambda name: -(folder / name).stat().st_size)  # dealt out largest first: even shares
        for name, code in zip(missing, in_parallel(_compile_layouts, missing, LAYOUTS_FROM, environment)):
            if code is not None:
                compiled[wanted[name]] = self.cache._keep(keys[name], code)
        return compiled

    def _bucket_of(self, environment: jinja2.Environment, name: str) -> tuple[str, str] | None:
        """The name and checksum Jinja will ask for a layout by; None if it cannot be read."""
        try:
            source, filename, _ = environment.loader.get_source(environment, name)
        except (jinja2.TemplateError, UnicodeDecodeError, OSError):
            return None
        return self.get_cache_key(name, filename), self.get_source_checksum(source)

    def _key(self, name_key: str, checksum: str) -> str:
        return self.cache._key("layout", f"{name_key}\0{checksum}")


def _compile_layouts(environment: jinja2.Environment, names: list[str]) -> list[bytes | None]:
    """Each layout's code, marshalled (as Jinja's bytecode caches keep it); None where it does not compile."""
    made: list[bytes | None] = []
    for name in names:
        try:
            source, filename, _ = environment.loader.get_source(environment, name)
            made.append(marshal.dumps(environment.compile(source, name, filename)))
        except (jinja2.TemplateError, UnicodeDecodeError):
            made.append(None)
    return made
