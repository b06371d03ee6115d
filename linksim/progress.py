"""What a user sees while a long job runs: a bar on a terminal, plain timestamped lines in a log.

Library code reports through a :class:`Progress` and never prints; the CLI
picks the reporter with :func:`for_stream`. The base class is silent, so a
library caller that wants nothing passes nothing.

* :class:`Lines` (stderr is a file, a pipe, CI, ``nohup``): one line per
  finished unit (a grid point, an operating point), its ETA, and a heartbeat
  line at least every ``heartbeat`` seconds while a long unit runs, so a log
  never falls silent for more than a minute.
* :class:`Bar` (stderr is a terminal): a tqdm bar with ETA; the finished
  units' lines print above it.
"""
from __future__ import annotations

import sys
import threading
import time


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}" if minutes >= 60 else f"{minutes}:{seconds:02d}"


class Progress:
    """The reporter interface; this one says nothing.

    A job calls :meth:`start` once with the number of units to come, then per
    unit :meth:`begin` and :meth:`done`, and :meth:`close` at the end (or uses
    the reporter as a context manager).
    """

    def start(self, total: int, line: str) -> None:
        """``total`` units follow; ``line`` says what they are."""

    def begin(self, what: str) -> None:
        """A unit named ``what`` starts (heartbeat lines name it while it runs); after the last unit, a
        closing phase (writing figures) may be begun the same way."""

    def done(self, line: str, computed: bool = True) -> None:
        """The current unit finished; ``computed`` is False when it was reused from disk (no time estimate)."""

    def note(self, line: str) -> None:
        """Any other line worth a user's eye."""

    def close(self) -> None:
        """Stop the heartbeat and the bar."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Timed(Progress):
    """Counting, ETA and the heartbeat thread shared by the two visible reporters."""

    def __init__(self, stream, heartbeat: float):
        self.stream, self.heartbeat = stream, heartbeat
        self.total = self.finished = self.computed = 0
        self.computed_seconds = 0.0
        self.current, self.began = None, None
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = None

    def start(self, total: int, line: str) -> None:
        self.total = total
        self.emit(line)
        self.last_line = time.monotonic()
        self.thread = threading.Thread(target=self._beat_loop, daemon=True, name="linksim-progress")
        self.thread.start()

    def begin(self, what: str) -> None:
        with self.lock:
            self.current, self.began = what, time.monotonic()

    def done(self, line: str, computed: bool = True) -> None:
        with self.lock:
            self.finished += 1
            if computed and self.began is not None:
                self.computed += 1
                self.computed_seconds += time.monotonic() - self.began
            self.current = self.began = None
            first = computed and self.computed == 1 and self.total - self.finished > 0
        left = self.eta()
        self.emit(f"[{self.finished}/{self.total}] {line}" + (f", ETA {_clock(left)}" if left is not None else ""),
                  advance=True)
        if first:
            rest = "under a minute" if left < 60 else f"about {round(left / 60)} min"
            self.emit(f"the first point took {_clock(self.computed_seconds)}: at that pace {rest} for the "
                      f"remaining {self.total - self.finished}")

    def note(self, line: str) -> None:
        self.emit(line)

    def eta(self):
        """Seconds left from the mean time of the units computed so far (None before the first)."""
        left = self.total - self.finished
        return self.computed_seconds / self.computed * left if self.computed and left > 0 else None

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()

    def _beat_loop(self) -> None:
        while not self.stop.wait(1.0):
            with self.lock:
                running = None if self.began is None else (self.current, time.monotonic() - self.began)
            self.beat(running)

    def emit(self, line: str, advance: bool = False) -> None:
        raise NotImplementedError

    def beat(self, running) -> None:
        raise NotImplementedError


class Lines(_Timed):
    """Plain timestamped lines for logs: one per unit, and one at least every ``heartbeat`` seconds."""

    def __init__(self, stream=None, heartbeat: float = 60.0):
        super().__init__(stream or sys.stderr, heartbeat)
        self.last_line = time.monotonic()

    def emit(self, line: str, advance: bool = False) -> None:
        with self.lock:
            print(f"{time.strftime('%H:%M:%S')} {line}", file=self.stream, flush=True)
            self.last_line = time.monotonic()

    def beat(self, running) -> None:
        if time.monotonic() - self.last_line < self.heartbeat:
            return
        if running is None:
            self.emit(f"[{self.finished}/{self.total}] working")
        else:
            place = f"[{self.finished + 1}/{self.total}] " if self.finished < self.total else ""
            self.emit(f"{place}{running[0]}: running for {_clock(running[1])}")


class Bar(_Timed):
    """A tqdm bar on a terminal, the finished units' lines above it."""

    def __init__(self, stream=None):
        from tqdm import tqdm
        super().__init__(stream or sys.stderr, heartbeat=1.0)
        self.tqdm, self.bar = tqdm, None

    def start(self, total: int, line: str) -> None:
        self.bar = self.tqdm(total=total, file=self.stream, unit="point", dynamic_ncols=True, leave=True)
        super().start(total, line)

    def begin(self, what: str) -> None:
        super().begin(what)
        self.bar.set_postfix_str(what, refresh=True)

    def emit(self, line: str, advance: bool = False) -> None:
        self.tqdm.write(line, file=self.stream)
        if advance and self.bar is not None:
            self.bar.update(1)

    def beat(self, running) -> None:
        self.bar.refresh()      # keeps the elapsed time moving during a long point

    def close(self) -> None:
        super().close()
        if self.bar is not None:
            self.bar.close()


def for_stream(stream=None, quiet: bool = False) -> Progress:
    """The reporter for ``stream`` (default stderr): silent if ``quiet``, a bar on a terminal, lines elsewhere."""
    stream = stream or sys.stderr
    if quiet:
        return Progress()
    return Bar(stream) if stream.isatty() else Lines(stream)
