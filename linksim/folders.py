"""Output folders: a default derived safely from a scenario's name, checked before work, one run at a time.

A scenario's ``name`` is a label; only ``--out`` chooses where results go. The
default folder is ``runs/<slug of the name>``, so a name such as ``../../x`` or
``/etc`` can never write (or clear stored points) outside ``runs/``. A folder
that cannot be created or written is reported before any work starts, and an
OS lock (``fcntl.flock``, released by the kernel when its holder dies, even by
SIGKILL) keeps a second run out of a folder while the first writes to it.
"""
from __future__ import annotations

import fcntl
import os
import re
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError

LOCK_NAME = ".linksim.lock"


def default_out(name: str) -> Path:
    """``runs/<slug>``: the name's letters, digits, ``.``, ``_`` and ``-`` (others become ``_``)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("._") or "scenario"
    return Path("runs") / slug


def move_aside(path) -> Path:
    """Rename a damaged file to ``<name>.damaged-<time>[-n]`` beside it (kept for a post-mortem); returns the new path."""
    path = Path(path)
    stem, n = f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}", 1
    aside = path.with_name(stem)
    while aside.exists():
        aside, n = path.with_name(f"{stem}-{n}"), n + 1
    path.replace(aside)
    return aside


def check_writable(folder, what: str = "output folder") -> Path:
    """Create ``folder`` if needed and prove a file can be written in it; raises :class:`OutputError`."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except FileExistsError:
        raise OutputError(f"{what} {folder} exists and is not a folder") from None
    except OSError as e:
        raise OutputError(f"{what} {folder} cannot be written: {e.strerror or e}") from None
    return folder


def acquire_lock(folder):
    """Lock ``folder`` (checked writable first) for this process: ``-> open handle``; closing it releases.

    Raises :class:`OutputError` while another process holds it.
    """
    folder = check_writable(folder)
    handle = open(folder / LOCK_NAME, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip()
        handle.close()
        raise OutputError(f"{folder} is in use by another linksim run{f' (pid {pid})' if pid else ''}; "
                          "wait for it to finish or choose another --out") from None
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


@contextmanager
def run_lock(folder):
    """Hold ``folder``'s lock (:func:`acquire_lock`) for the block."""
    handle = acquire_lock(folder)
    try:
        yield Path(folder)
    finally:
        handle.close()
