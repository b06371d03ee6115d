"""Persistent cache of source-codec encodings keyed by (source id, image, full quality).

A sweep encodes each image once per quality: later grid points, runs and
processes read the bytes back. Stored in SQLite (stdlib, safe to share between
processes, no pickles). The source id must change whenever the encoder's output
could (library version, weights, settings); the quality is the source's full
quality key (text: a float or a strategy is never rounded to an integer).

Nothing read back is trusted: every row carries a sha256 of its source id,
image key, quality and bytes, checked on every read, so a damaged row or one
holding another image's stream is re-encoded, never used. A file that is not a
readable SQLite database (random bytes, truncated, malformed) is moved aside
with one warning and a new cache is started; a cache never changes a number.
"""
from __future__ import annotations

import hashlib
import sqlite3
import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from ...errors import LinksimWarning
from ...folders import move_aside

_COLUMNS = ["source", "image", "quality", "data", "digest"]
#: SQLite's codes for a file that is not (or no longer) a database; "locked" or "busy" are not damage.
_DAMAGE = {"SQLITE_NOTADB", "SQLITE_CORRUPT"}


class _QuickCheckFailed(sqlite3.DatabaseError):
    sqlite_errorname = "SQLITE_CORRUPT"


def image_key(image: np.ndarray) -> str:
    """Content hash of a uint8 image (shape included)."""
    h = hashlib.sha256(repr(image.shape).encode())
    h.update(np.ascontiguousarray(image, dtype=np.uint8).tobytes())
    return h.hexdigest()[:32]


def row_digest(source_id: str, key: str, quality: str, data: bytes) -> str:
    """What a row's ``digest`` must be: it binds the bytes to their source, image and quality."""
    h = hashlib.sha256("\x00".join((source_id, key, quality)).encode())
    h.update(bytes(data))
    return h.hexdigest()


class EncodingCache:
    """Bytes of ``encode(image, quality)`` per (source id, image hash, quality key).

    Args:
        path: SQLite file, or None for an in-memory cache.

    ``hits`` and ``misses`` count :meth:`get` outcomes (a row that fails its
    digest is a miss, and ``rejected`` counts it).
    """

    def __init__(self, path=None):
        self.path = Path(path) if path is not None else None
        self._memory = {}
        self._pending = []
        self.hits = self.misses = self.rejected = 0
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        if self.path is None:
            return self._create(sqlite3.connect(":memory:"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = None
        try:
            db = sqlite3.connect(str(self.path), timeout=60)
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise _QuickCheckFailed("its integrity check failed")
            columns = [row[1] for row in db.execute("PRAGMA table_info(streams)")]
            if columns and columns != _COLUMNS:            # a cache of an older layout: start afresh
                with db:
                    db.execute("DROP TABLE streams")
            return self._create(db)
        except sqlite3.DatabaseError as e:
            if db is not None:
                db.close()
            return self._recover(e)

    @staticmethod
    def _create(db: sqlite3.Connection) -> sqlite3.Connection:
        db.execute("CREATE TABLE IF NOT EXISTS streams (source TEXT, image TEXT, quality TEXT, data BLOB, "
                   "digest TEXT, PRIMARY KEY (source, image, quality))")
        return db

    def _recover(self, error: sqlite3.DatabaseError) -> sqlite3.Connection:
        """Rename a damaged file out of the way and connect to a new one (other errors propagate)."""
        if getattr(error, "sqlite_errorname", None) not in _DAMAGE:
            raise error
        aside = move_aside(self.path)
        warnings.warn(f"encoding cache {self.path} is damaged ({error}); moved to {aside.name} and "
                      "starting a new one", LinksimWarning, stacklevel=4)
        return self._create(sqlite3.connect(str(self.path), timeout=60))

    def _select(self, mem_key):
        try:
            return self._db.execute("SELECT data, digest FROM streams WHERE source=? AND image=? AND quality=?",
                                    mem_key).fetchone()
        except sqlite3.DatabaseError as e:            # damage found only now, after the file was opened
            self._db.close()
            self._db = self._recover(e)
            return None

    def get(self, source_id: str, key: str, quality: str) -> Optional[bytes]:
        """Cached bytes or None."""
        mem_key = (source_id, key, quality)
        data = self._memory.get(mem_key)
        if data is None:
            row = self._select(mem_key)
            if row is not None:
                if row[1] == row_digest(source_id, key, quality, row[0]):
                    data = self._memory[mem_key] = bytes(row[0])
                else:
                    self.rejected += 1
        if data is None:
            self.misses += 1
        else:
            self.hits += 1
        return data

    def put(self, source_id: str, key: str, quality: str, data: bytes) -> None:
        """Store an encoding (written to disk by :meth:`flush`, every 500 entries at the latest)."""
        self._memory[source_id, key, quality] = data
        self._pending.append((source_id, key, quality, data, row_digest(source_id, key, quality, data)))
        if len(self._pending) >= 500:
            self.flush()

    def flush(self):
        """Write pending encodings to disk."""
        if self._pending:
            try:
                self._insert_pending()
            except sqlite3.DatabaseError as e:
                self._db.close()
                self._db = self._recover(e)
                self._insert_pending()
            self._pending = []

    def _insert_pending(self):
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO streams VALUES (?, ?, ?, ?, ?)", self._pending)

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else float("nan")
