"""One run per output folder; default folders stay under runs/; unusable folders are found before any work."""
import os
import signal
import subprocess
import sys

from reliability_helpers import points, run_cli

CHEAP = "snr_db: [5]\ncpp: [0.25]\nimages: 10\nruns: 1\nssim: false\ncodecs: [{type: identity}]\n"

HOLD = """
import sys, time
from linksim.folders import run_lock
with run_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_second_run_into_a_held_folder_is_refused_and_a_killed_holders_lock_is_free(tmp_path, scenario, capsys):
    path, out = scenario(CHEAP), tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        for extra in ((), ("--resume",)):
            code, err = run_cli(capsys, "run", path, "--out", out, *extra)
            assert code == 2 and len(err) == 1
            assert err[0] == (f"linksim: error: {out} is in use by another linksim run (pid {holder.pid}); "
                              "wait for it to finish or choose another --out")
        assert not (out / "results.json").exists()
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    code, err = run_cli(capsys, "run", path, "--out", out, "--quiet")
    assert code == 0 and err == [] and len(points(out)) == 1


def test_a_scenario_name_never_chooses_a_folder_outside_runs(tmp_path, scenario, capsys, monkeypatch):
    from pathlib import Path
    from linksim.folders import default_out
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, err = run_cli(capsys, "run", scenario("name: ../../x\n" + CHEAP), "--quiet")
    assert code == 0 and err == [] and (work / "runs" / "x" / "results.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "s.yaml", "work"]   # nothing beside work/
    for name, folder in (("/tmp/abs", "tmp_abs"), ("", "scenario"), ("..", "scenario"), ("a b/c", "a_b_c")):
        assert default_out(name) == Path("runs") / folder


def test_an_output_folder_that_cannot_be_written_is_one_line_before_any_work(tmp_path, scenario, capsys, monkeypatch):
    path = scenario(CHEAP)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    from linksim import sim
    monkeypatch.setattr(sim, "run_point", lambda *a, **k: (_ for _ in ()).throw(AssertionError("work started")))
    for out, needle in ((blocker, "exists and is not a folder"), (blocker / "sub", "cannot be written")):
        for command in ("run", "rd"):
            argv = (command, path, "--out", out) if command == "run" else (
                command, scenario("images: 10\ncodecs: [{qualities: [40]}]\n", "rd.yaml"), "--out", out)
            code, err = run_cli(capsys, *argv)
            assert code == 2 and len(err) == 1 and err[0].startswith("linksim: error: output folder") \
                and needle in err[0], err
    monkeypatch.setenv("LINKSIM_CACHE", str(blocker))
    code, err = run_cli(capsys, "run", path, "--out", tmp_path / "out")
    assert code == 2 and err == [f"linksim: error: cache folder {blocker} exists and is not a folder"]
