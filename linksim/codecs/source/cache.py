"""Persistent cache of source-codec encodings keyed by (codec id, image, quality).

A sweep encodes each image once per quality: later grid points, runs and
processes read the bytes back. Stored in SQLite (stdlib, safe to share between
processes, no pickles). The codec id must change whenever the encoder's output
could (library version, settings).
"""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np


def image_key(image: np.ndarray) -> str:
    """Content hash of a uint8 image (shape included)."""
    h = hashlib.sha256(repr(image.shape).encode())
    h.update(np.ascontiguousarray(image, dtype=np.uint8).tobytes())
    return h.hexdigest()[:32]


class EncodingCache:
    """Bytes of ``encode(image, quality)`` per (codec id, image hash, quality).

    Args:
        path: SQLite file, or None for an in-memory cache.

    ``hits`` and ``misses`` count :meth:`get_or_encode` outcomes.
    """

    def __init__(self, path=None):
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path) if path else ":memory:", timeout=60)
        self._db.execute("CREATE TABLE IF NOT EXISTS enc (codec TEXT, image TEXT, quality INTEGER, "
                         "data BLOB, PRIMARY KEY (codec, image, quality))")
        self._memory = {}
        self._pending = []
        self.hits = 0
        self.misses = 0

    def get_or_encode(self, codec_id: str, key: str, quality: int, encode) -> bytes:
        """Cached bytes, or ``encode()`` stored under (codec_id, key, quality)."""
        mem_key = (codec_id, key, quality)
        data = self._memory.get(mem_key)
        if data is None:
            row = self._db.execute("SELECT data FROM enc WHERE codec=? AND image=? AND quality=?",
                                   mem_key).fetchone()
            data = None if row is None else bytes(row[0])
        if data is None:
            self.misses += 1
            data = encode()
            self._pending.append((*mem_key, data))
            if len(self._pending) >= 500:
                self.flush()
        else:
            self.hits += 1
        self._memory[mem_key] = data
        return data

    def flush(self):
        """Write pending encodings to disk."""
        if self._pending:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO enc VALUES (?, ?, ?, ?)", self._pending)
            self._pending = []

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else float("nan")
