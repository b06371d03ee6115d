"""EncodingCache: rows bound to their key by a digest; damaged files moved aside; locks are not damage."""
import sqlite3

import pytest

from linksim.codecs.source.cache import EncodingCache
from linksim.errors import LinksimWarning


def test_rows_round_trip_across_processes_and_a_swapped_row_is_a_miss(tmp_path):
    path = tmp_path / "c.sqlite"
    cache = EncodingCache(path)
    cache.put("src", "img1", "30", b"stream one")
    cache.put("src", "img2", "30", b"stream two")
    cache.flush()
    again = EncodingCache(path)
    assert again.get("src", "img1", "30") == b"stream one" and again.hits == 1
    with sqlite3.connect(path) as db:
        db.execute("UPDATE streams SET data=? WHERE image='img2'", (b"stream one",))
    fresh = EncodingCache(path)
    assert fresh.get("src", "img2", "30") is None and fresh.rejected == 1 and fresh.misses == 1


def test_a_file_of_an_older_layout_is_started_afresh(tmp_path):
    path = tmp_path / "c.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE streams (source TEXT, image TEXT, quality TEXT, data BLOB)")
        db.execute("INSERT INTO streams VALUES ('src', 'img', '30', x'00')")
    cache = EncodingCache(path)
    assert cache.get("src", "img", "30") is None
    cache.put("src", "img", "30", b"new")
    cache.flush()
    assert EncodingCache(path).get("src", "img", "30") == b"new"


def test_a_file_that_is_not_a_database_is_moved_aside(tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"\x07" * 5000)
    with pytest.warns(LinksimWarning, match="is damaged .*moved to c.sqlite.damaged-"):
        cache = EncodingCache(path)
    cache.put("s", "i", "q", b"x")
    cache.flush()
    assert EncodingCache(path).get("s", "i", "q") == b"x"
    assert len(list(tmp_path.glob("c.sqlite.damaged-*"))) == 1


def test_a_locked_database_is_an_error_not_damage(tmp_path):
    path = tmp_path / "c.sqlite"
    cache = EncodingCache(path)
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(sqlite3.OperationalError) as locked:
        sqlite3.connect(path, timeout=0).execute("SELECT * FROM streams").fetchall()
    assert locked.value.sqlite_errorname == "SQLITE_BUSY"
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        cache._recover(locked.value)                      # propagated: the file is not moved aside
    holder.rollback()
    assert path.exists() and not list(tmp_path.glob("*.damaged-*"))
