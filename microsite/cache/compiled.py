"""Compiled layouts: kept in the cache, or compiled on all cores when nothing is kept.

Both speak Jinja's bytecode-cache interface, so Jinja asks for a layout's code by the layout's
name and its source's checksum, and compiles it itself when none is given.
"""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from .cores import LAYOUTS_FROM, in_parallel

if TYPE_CHECKING:
    from . import Cache


class CompiledLayouts(jinja2.BytecodeCache):
    """Jinja's interface for keeping compiled templates; Jinja names each by its source's checksum."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        key = self.cache._key("layout", f"{bucket.key}\0{bucket.checksum}")
        if (known := self.cache._known([key]).get(key)) is not None:
            bucket.bytecode_from_string(known)  # Jinja ignores bytecode of another Jinja version

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.cache._keep(self.cache._key("layout", f"{bucket.key}\0{bucket.checksum}"), bucket.bytecode_to_string())


class CompiledOnAllCores(jinja2.BytecodeCache):
    """A build that keeps nothing: when Jinja asks for its first layout, every layout is
    compiled, shared out to all cores (compiling is most of a small site's first build), and
    Jinja loads each from here. A layout that does not compile is left to Jinja to report."""

    def __init__(self) -> None:
        self.compiled: dict[tuple[str, str], bytes] | None = None

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if self.compiled is None:
            environment = bucket.environment
            folder = Path(environment.loader.searchpath[0])
            names = [name for name in environment.list_templates() if not name.startswith("assets/")]
            names.sort(key=lambda name: -(folder / name).stat().st_size)  # dealt out largest first: even shares
            made = in_parallel(_compile_layouts, names, LAYOUTS_FROM, environment)
            self.compiled = dict(layout for layout in made if layout is not None)
        if (code := self.compiled.get((bucket.key, bucket.checksum))) is not None:
            bucket.code = marshal.loads(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        pass  # nothing is kept


def _compile_layouts(environment: jinja2.Environment, names: list[str]) -> list[tuple[tuple[str, str], bytes] | None]:
    """Each layout's code, marshalled (as Jinja's bytecode caches keep it), under the bucket key
    and source checksum Jinja will ask for; None where it does not compile."""
    cache = environment.bytecode_cache
    made: list[tuple[tuple[str, str], bytes] | None] = []
    for name in names:
        try:
            source, filename, _ = environment.loader.get_source(environment, name)
            code = environment.compile(source, name, filename)
        except (jinja2.TemplateError, UnicodeDecodeError):
            made.append(None)
            continue
        made.append(((cache.get_cache_key(name, filename), cache.get_source_checksum(source)), marshal.dumps(code)))
    return made
