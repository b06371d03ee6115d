"""Persistent cache of source-codec encodings keyed by (source id, image, full quality).

A sweep encodes each image once per quality: later grid points, runs and
processes read the bytes back. Stored in SQLite (stdlib, safe to share between
processes, no pickles). The source id must change whenever the encoder's output
could (library version, weights, settings); the quality is the source's full
quality key (text: a float or a strategy is never rounded to an integer).
"""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Optional

import numpy as np


def image_key(image: np.ndarray) -> str:
    """Content hash of a uint8 image (shape included)."""
    h = hashlib.sha256(repr(image.shape).encode())
    h.update(np.ascontiguousarray(image, dtype=np.uint8).tobytes())
    return h.hexdigest()[:32]


class EncodingCache:
    """Bytes of ``encode(image, quality)`` per (source id, image hash, quality key).

    Args:
        path: SQLite file, or None for an in-memory cache.

    ``hits`` and ``misses`` count :meth:`get` outcomes.
    """

    def __init__(self, path=None):
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path) if path else ":memory:", timeout=60)
        self._db.execute("CREATE TABLE IF NOT EXISTS streams (source TEXT, image TEXT, quality TEXT, "
                         "data BLOB, PRIMARY KEY (source, image, quality))")
        self._memory = {}
        self._pending = []
        self.hits = 0
        self.misses = 0

    def get(self, source_id: str, key: str, quality: str) -> Optional[bytes]:
        """Cached bytes or None."""
        mem_key = (source_id, key, quality)
        data = self._memory.get(mem_key)
        if data is None:
            row = self._db.execute("SELECT data FROM streams WHERE source=? AND image=? AND quality=?",
                                   mem_key).fetchone()
            if row is not None:
                data = self._memory[mem_key] = bytes(row[0])
        if data is None:
            self.misses += 1
        else:
            self.hits += 1
        return data

    def put(self, source_id: str, key: str, quality: str, data: bytes) -> None:
        """Store an encoding (written to disk by :meth:`flush`, every 500 entries at the latest)."""
        self._memory[source_id, key, quality] = data
        self._pending.append((source_id, key, quality, data))
        if len(self._pending) >= 500:
            self.flush()

    def flush(self):
        """Write pending encodings to disk."""
        if self._pending:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO streams VALUES (?, ?, ?, ?)", self._pending)
            self._pending = []

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else float("nan")
