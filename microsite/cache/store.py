"""The cache's store: bytes by key in one SQLite file, each with its checksum.

New entries are written as they are made, in one transaction per build. A failure (a damaged,
locked or full file) turns the store off for the rest of the build, which is then only slower;
a file that is not a database, or is damaged, is deleted so that the next build makes it afresh.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

# The store keeps at most about twice the most entries one build has used (a build that renders
# every page uses every kind; one that finds most pages whole uses no layout or partial of those):
# past that, a build that added entries keeps only what it used. Entries of an edit undone, or of a
# branch checked out again, are made again.
KEEP_AT_MOST = 2


class Store:
    """A SQLite table of bytes by key, each with its checksum. New entries are written as they are
    made, in one transaction per build; a failure (damaged, locked, full) turns the store off for
    the rest of the build, which is then only slower."""

    def __init__(self, path: Path, db: sqlite3.Connection):
        self.path, self.db = path, db  # db is None once the store has failed

    @classmethod
    def open(cls, path: Path) -> Store | None:
        for _ in range(2):  # a damaged file is deleted, and made again once
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                # The preview builds in one worker thread at a time, not always the one that opened it.
                db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
                db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL,"
                           " checksum TEXT NOT NULL)")
                db.execute("CREATE TABLE IF NOT EXISTS working_set (size INTEGER NOT NULL)")  # one row
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

    def finish(self, used: list[str]) -> None:
        """Commit this build's new entries; if the store has grown past KEEP_AT_MOST times the
        most entries a build has used, keep only what this one used.

        The measure is the most any build used, not what this one did: a build that finds most
        pages whole looks up no compiled layout or partial of those pages, and they
        are what the next edit needs. Pruning down to such a build made the first save in the
        preview after `build.py publish` compile the layouts again. A build that added nothing
        leaves the store as it is."""
        if self.db is None or not self.db.in_transaction:
            return
        try:
            # CAST: a row that is not a number (a tampered file) counts as none.
            known = self.db.execute("SELECT coalesce(max(CAST(size AS INTEGER)), 0) FROM working_set").fetchone()[0]
            largest = max(len(used), known)
            self.db.execute("DELETE FROM working_set")
            self.db.execute("INSERT INTO working_set VALUES (?)", (largest,))
            if self.db.execute("SELECT count(*) FROM entries").fetchone()[0] > KEEP_AT_MOST * largest + 100:
                self.db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
                self.db.execute("DELETE FROM used")
                self.db.executemany("INSERT INTO used VALUES (?)", ((key,) for key in used))
                self.db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM used)")
            self.db.execute("COMMIT")
        except sqlite3.Error as error:
            self._give_up(error)

    def close(self) -> None:
        """Close the file; the store is off from now on, as after a failure."""
        if self.db is not None:
            self.db.close()
            self.db = None

    def _give_up(self, error: sqlite3.Error) -> None:
        self.close()
        _forget_if_damaged(self.path, error)


def _forget_if_damaged(path: Path, error: Exception) -> bool:
    """Delete a cache file that is not a database (or a damaged one), so that it is made afresh."""
    if isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError):
        path.unlink(missing_ok=True)
        return True
    return False



def _checksum(value: bytes) -> str:
    return hashlib.blake2b(value, digest_size=16).hexdigest()
