"""An interrupted sweep (SIGINT or SIGKILL) resumed with --resume gives the uninterrupted run's points."""
import json
import shutil
import signal
import subprocess
import sys
import time

import pytest

from linksim.cli import main


def points(out):
    return [{k: v for k, v in p.items() if k != "seconds"}
            for p in json.loads((out / "results.json").read_text())["points"]]


@pytest.fixture(scope="module")
def scenario_and_reference(tiny_digital_scenario):
    path = tiny_digital_scenario("resume_test", [0, 5, 10, 15, 20], 1.0)
    assert main(["run", str(path), "--out", str(path.parent / "straight")]) == 0
    return path, points(path.parent / "straight")


def _kill_after_first_points(path, out, sig):
    # default SIGINT handling in the child: a shell starting the tests in the background has
    # them (and so the child) ignore SIGINT, and the run would then never be interrupted
    proc = subprocess.Popen([sys.executable, "-m", "linksim", "run", str(path), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 300
    while len(list((out / "points").glob("*.npz"))) < 3 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    return len(list((out / "points").glob("*.npz")))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_killed_then_resumed_equals_uninterrupted(scenario_and_reference, tmp_path, sig):
    path, reference = scenario_and_reference
    out = tmp_path / "run"
    finished = _kill_after_first_points(path, out, sig)
    assert 3 <= finished < 10 and not (out / "results.json").exists()
    assert main(["run", str(path), "--out", str(out), "--resume"]) == 0
    assert points(out) == reference


def test_resume_reuses_exactly_the_unchanged_points(scenario_and_reference, tmp_path, monkeypatch):
    path, reference = scenario_and_reference
    out = tmp_path / "run"
    shutil.copytree(path.parent / "straight", out)
    from linksim import sim
    calls = []
    real = sim.run_point
    monkeypatch.setattr(sim, "run_point", lambda *a, **k: calls.append(a[1:5]) or real(*a, **k))
    assert main(["run", str(path), "--out", str(out), "--resume"]) == 0
    assert calls == [] and points(out) == reference
    assert main(["run", str(path), "--out", str(out), "--resume", "--set", "snr_db=[5, 7]"]) == 0
    assert [c[2] for c in calls] == [7, 7]                    # only the new SNR is computed
    calls.clear()
    assert main(["run", str(path), "--out", str(out), "--set", "snr_db=[5]"]) == 0
    assert len(calls) == 2                                   # no --resume: computed afresh
