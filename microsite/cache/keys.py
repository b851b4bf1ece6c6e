"""What a cache key is made of: the bytes that stand for a work's inputs, and the generator's own fingerprint.

A key is a SHA-256 of exactly the inputs of a piece of work (microsite.cache), plus the
generator's source and its libraries' versions, so that no entry can outlive what made it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import pickle
import sys
from importlib import resources
from pathlib import Path
from zoneinfo import TZPATH, ZoneInfo

# Their versions can change the output, so they are part of every key.
_LIBRARIES = ("jinja2", "markupsafe", "markdown", "nh3", "icalendar", "pyyaml", "segno")


def value_bytes(inputs: object, digests: dict[object, bytes], zones: dict[str, bytes]) -> bytes:
    """Bytes that stand for `inputs` and nothing else: pickle's, with three differences that make
    them depend on the values alone and cost less. A dataclass is written as its class and the
    SHA-256 of its fields' bytes, without what its cached properties keep beside them (a
    session's start is there only once it has been read, which depends on what was cached); that
    digest is made once per build for equal values (`digests`, keyed by the value itself, never
    by identity). That holds because equal model values are interchangeable: each field that
    holds a time holds it in one zone (the site's, or UTC), so equal times there are written
    alike. And there is no memo, which would write an object met twice once and then refer
    to it, so that equal values that are one object in one build and two in the next (a time
    zone's name) would give other bytes. The model holds no cycles, which is what the memo is
    for. And a time zone is written as its name and the digest of its rules (`zones`): pickle
    writes its name alone, but the time zone database changes a zone's rules now and then, and
    with them every instant a page shows with its UTC offset. The bytes are only hashed, never
    read back."""
    buffer = io.BytesIO()
    pickler = _ValuePickler(buffer, digests, zones)
    pickler.dump(inputs)
    return buffer.getvalue()


class _ValuePickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, digests: dict[object, bytes], zones: dict[str, bytes]):
        super().__init__(file, protocol=5)
        self.fast = True
        self.digests, self.zones = digests, zones

    def reducer_override(self, value: object):
        if type(value) is ZoneInfo:
            if value.key not in self.zones:
                self.zones[value.key] = hashlib.sha256(_zone_rules(value.key)).digest()
            return ZoneInfo, (value.key, self.zones[value.key])
        names = _field_names(type(value))
        if names is None:
            return NotImplemented
        try:
            digest = self.digests.get(value)
        except TypeError:  # a field that cannot be hashed: written out in full, every time
            return type(value), tuple([getattr(value, name) for name in names])
        if digest is None:
            fields = tuple([getattr(value, name) for name in names])
            digest = self.digests[value] = hashlib.sha256(value_bytes(fields, self.digests, self.zones)).digest()
        return type(value), (digest,)


def _zone_rules(name: str) -> bytes:
    """A time zone's compiled rules, found as zoneinfo finds them: the first file of that name in
    zoneinfo.TZPATH (the system's time zone database), else the tzdata package's."""
    for folder in TZPATH:
        if (path := Path(folder, name)).is_file():
            return path.read_bytes()
    package, _, file = f"tzdata.zoneinfo/{name}".rpartition("/")
    try:
        return resources.files(package.replace("/", ".")).joinpath(file).read_bytes()
    except (ModuleNotFoundError, OSError):
        return b""


@functools.cache
def _field_names(kind: type) -> tuple[str, ...] | None:
    """The fields of a dataclass, in order; None for any other type. Asked for each of the
    hundreds of thousands of values a large program's keys are made of, so known once per class."""
    if not dataclasses.is_dataclass(kind) or kind is type:
        return None
    return tuple(field.name for field in dataclasses.fields(kind))


def generator_digest() -> str:
    """This generator's fingerprint: its source, Python's version and its libraries' versions."""
    from importlib.metadata import version  # 15 ms to import: only builds that keep work need it

    digest = hashlib.sha256(sys.version.encode())
    for library in _LIBRARIES:
        digest.update(f"{library} {version(library)}\0".encode())
    package = Path(__file__).parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def folder_digest(folder: Path) -> str:
    """A digest of every file under `folder`, by path and bytes."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
