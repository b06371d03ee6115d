"""Bad input ends with one clear line on stderr and exit code 2, never a traceback."""
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from linksim import CIFAR10_CLASSES
from linksim.cli import main

GOOD = "snr_db: [5]\ncpp: [0.25]\ncodecs:\n  - type: identity\n"


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err.strip()
    return code, err


def scenario_file(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text,needle", [
    ("snr_db: [5]\nnot_a_key: 1\ncodecs: [{type: identity}]\n", "not_a_key"),
    ("snr_db: [5]\nruns: two\ncodecs: [{type: identity}]\n", "'runs': expected an integer"),
    ("snr_db: ['5']\ncodecs: [{type: identity}]\n", "'snr_db[0]': expected a number"),
    ("cpp: [-0.25]\ncodecs: [{type: identity}]\n", "'cpp[0]': -0.25 is out of range"),
    ("codecs: [{type: bpg_ldpc, code: ldpc-foo}]\n", "ldpc-foo"),
])
def test_bad_scenarios(tmp_path, capsys, text, needle):
    for command in ("validate", "run"):
        code, err = run_cli(capsys, command, scenario_file(tmp_path, text))
        assert code == 2
        assert needle in err and err.startswith("linksim: error:") and len(err.splitlines()) == 1


@pytest.mark.parametrize("command", ["validate", "run"])
def test_missing_data_path(tmp_path, capsys, command):
    code, err = run_cli(capsys, command, scenario_file(tmp_path, GOOD), "--data", tmp_path / "nowhere")
    assert code == 2 and "does not exist" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("command", ["validate", "run"])
def test_missing_judge_before_any_work(tmp_path, capsys, command):
    code, err = run_cli(capsys, command, scenario_file(tmp_path, GOOD + "judges: [resnet99]\n"))
    assert code == 2 and err.startswith("linksim: error: no weights named 'resnet99'") and len(err.splitlines()) == 1


def test_empty_folder(tmp_path, capsys):
    (tmp_path / "empty" / "test").mkdir(parents=True)
    code, err = run_cli(capsys, "run", scenario_file(tmp_path, GOOD), "--data", tmp_path / "empty")
    assert code == 2 and "lacks class folder" in err


def test_unreadable_images(tmp_path, capsys):
    for cls in CIFAR10_CLASSES:
        (tmp_path / "d" / "test" / cls).mkdir(parents=True)
        Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "d" / "test" / cls / "0.png")
    (tmp_path / "d" / "test" / "frog" / "1.jpg").write_bytes(b"\xff\xd8 truncated jpeg")
    code, err = run_cli(capsys, "run", scenario_file(tmp_path, GOOD), "--data", tmp_path / "d")
    assert code == 2 and "unreadable image file" in err and "1.jpg" in err


@pytest.mark.parametrize("command", ["validate", "run"])
def test_too_many_images(tmp_path, capsys, command):
    code, err = run_cli(capsys, command, scenario_file(tmp_path, GOOD), "--images", 5000)
    assert code == 2 and "has only 100" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("command", ["validate", "run"])
def test_missing_weights(tmp_path, capsys, monkeypatch, command):
    monkeypatch.setenv("LINKSIM_WEIGHTS", str(tmp_path))
    code, err = run_cli(capsys, command, scenario_file(tmp_path, GOOD), "--images", 10)
    assert code == 2 and "is missing" in err


def test_a_classifier_run_judges_by_path(tmp_path, capsys):
    """A `linksim train classifier` output is a judge by its path, checked against its recorded sha256."""
    import json
    from linksim.models.classifier import ARCHITECTURES
    from linksim.zoo import write_weights
    run = tmp_path / "clf"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"arch": "resnet20", "epochs": 1, "seed": 0}))
    write_weights(run / "resnet20.weights.h5", ARCHITECTURES["resnet20"]().save_weights)
    path = scenario_file(tmp_path, GOOD + f"judges: [{run / 'resnet20.weights.h5'}]\n")
    assert run_cli(capsys, "run", path, "--images", 10, "--runs", 1, "--out", tmp_path / "out")[0] == 0
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert str(run / "resnet20.weights.h5") in doc["points"][0]["judges"]
    assert len(doc["provenance"]["weights_sha256"][str(run / "resnet20.weights.h5")]) == 64
    (run / "resnet20.weights.h5.sha256").write_text("0" * 64 + "  resnet20.weights.h5\n")
    code, err = run_cli(capsys, "validate", path)
    assert code == 2 and "is damaged" in err


def test_corrupt_weights(tmp_path, capsys, monkeypatch):
    from linksim import zoo
    good = zoo.verified_path("resnet32")              # the default judge
    bad = tmp_path / good.name
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    monkeypatch.setenv("LINKSIM_WEIGHTS", str(tmp_path))
    code, err = run_cli(capsys, "run", scenario_file(tmp_path, GOOD), "--images", 10)
    assert code == 2 and "is corrupt" in err


def test_real_process_prints_no_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "LINKSIM_DATA"}
    proc = subprocess.run([sys.executable, "-m", "linksim", "run",
                           str(scenario_file(tmp_path, "snr_db: [5]\nnot_a_key: 1\n")), "--out", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "not_a_key" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0


def test_a_successful_run_prints_no_tensorflow_noise(tmp_path):
    """TensorFlow's C++ and Python log lines never reach the user's stderr."""
    proc = subprocess.run([sys.executable, "-m", "linksim", "ber", "--modulation", "qpsk", "--code",
                           "ldpc-80211n-648-r12", "--snr-db", "3", "--max-bits", "20000", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and (tmp_path / "ber.json").is_file()
    assert proc.stderr == ""


def test_a_logged_run_says_what_it_does(tmp_path):
    """stderr to a file: a start line, then one timestamped line per grid point."""
    scenario = scenario_file(tmp_path, "snr_db: [5, 10]\ncpp: [0.25]\ncodecs: [{type: identity}]\n")
    proc = subprocess.run([sys.executable, "-m", "linksim", "run", str(scenario), "--images", "20", "--runs", "1",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert "2 grid points (1 codecs x 2 SNRs x 1 CPPs), 1 runs of 20 images, judges resnet32" in lines[0]
    assert [line.split(" ", 2)[1] for line in lines if "identity" in line] == ["[1/2]", "[2/2]"]


def test_ctrl_c_says_how_to_resume(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"

    def interrupted(*args, **kwargs):
        (out / "points").mkdir(parents=True)
        for name in ("a", "b"):
            (out / "points" / f"{name}.npz").write_bytes(b"")
        raise KeyboardInterrupt
    monkeypatch.setattr("linksim.pipeline.run", interrupted)
    code, err = run_cli(capsys, "run", scenario_file(tmp_path, GOOD), "--out", out)
    assert code == 130
    assert f"2 finished grid points are saved in {out}/points" in err
    assert f"`python -m linksim run {tmp_path / 's.yaml'} --out {out} --resume` computes only the rest" in err
