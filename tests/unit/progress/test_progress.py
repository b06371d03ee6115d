"""The reporters: what a log and a terminal show while work runs."""
import io
import re
import time

from linksim.progress import Bar, Lines, Progress, for_stream


def _lines(stream):
    return stream.getvalue().splitlines()


def test_lines_reports_start_units_and_eta():
    stream = io.StringIO()
    with Lines(stream, heartbeat=60) as progress:
        progress.start(3, "three points")
        progress.done("a (stored)", computed=False)
        progress.begin("b")
        time.sleep(0.05)
        progress.done("b")
        progress.begin("c")
        progress.done("c")
    lines = _lines(stream)
    assert all(re.match(r"\d\d:\d\d:\d\d ", line) for line in lines)
    assert lines[0].endswith("three points")
    assert lines[1].endswith("[1/3] a (stored)")           # nothing timed yet: no ETA
    assert re.search(r"\[2/3\] b, ETA 0:00$", lines[2])
    assert "the first point took" in lines[3] and "remaining 1" in lines[3]
    assert lines[4].endswith("[3/3] c")                     # nothing left: no ETA


def test_lines_heartbeat_names_the_running_unit():
    stream = io.StringIO()
    with Lines(stream, heartbeat=0.3) as progress:
        progress.start(1, "one long point")
        progress.begin("bpg_ldpc snr 5 dB cpp 0.25")
        time.sleep(2.5)
        progress.done("bpg_ldpc")
        progress.begin("writing figures")
        time.sleep(1.5)
    beats = [line for line in _lines(stream) if "running for" in line]
    unit = [line for line in beats if "bpg_ldpc" in line]
    closing = [line for line in beats if "writing figures" in line]
    assert unit and all("[1/1] bpg_ldpc snr 5 dB cpp 0.25: running for 0:0" in line for line in unit)
    assert closing and all(line[9:].startswith("writing figures: running for") for line in closing)  # no [2/1]


def test_silent_and_stream_choice():
    stream = io.StringIO()
    with Progress() as progress:
        progress.start(2, "x")
        progress.begin("y")
        progress.done("z")
    assert isinstance(for_stream(stream), Lines)
    assert type(for_stream(stream, quiet=True)) is Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    assert isinstance(for_stream(Terminal()), Bar)


def test_bar_prints_finished_lines_above_the_bar():
    stream = io.StringIO()
    with Bar(stream) as progress:
        progress.start(2, "two points")
        progress.begin("p")
        progress.done("first")
        progress.done("second", computed=False)
    text = stream.getvalue()
    assert "two points" in text and "[1/2] first" in text and "[2/2] second" in text
    assert "2/2" in text.split("[2/2] second")[-1]           # the bar ends complete
