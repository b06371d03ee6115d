"""Command-line conveniences: sweeps, fractions, codec selection, scenarios by name, own folders, versions."""
import json
import subprocess
import sys

import pytest

from linksim.cli import main
from linksim.config import (Scenario, find_scenario, from_mapping, parse_sweep, parse_yaml, read_fractions,
                            shipped_scenarios)
from linksim.errors import ConfigError


@pytest.mark.parametrize("text, fractions, values", [
    ("5", False, [5]), ("0,5,10", False, [0, 5, 10]), ("0:20:5", False, [0, 5, 10, 15, 20]),
    ("-5:5:2.5", False, [-5, -2.5, 0, 2.5, 5]), ("0.1:0.3:0.1", False, [0.1, 0.2, 0.3]),
    ("1/8,1/4", True, [0.125, 0.25]), ("1/8:1/2:1/8", True, [0.125, 0.25, 0.375, 0.5]), ("0:1:0.3", False, [0, 0.3, 0.6, 0.9])])
def test_sweeps(text, fractions, values):
    assert parse_sweep(text, fractions) == pytest.approx(values)


@pytest.mark.parametrize("text", ["a", "1/8", "5:0:1", "0:5:0", "1:2"])
def test_bad_sweeps_name_the_part(text):
    with pytest.raises(ConfigError):
        parse_sweep(text)


def test_fractions_in_yaml_only_where_a_cpp_is_written():
    s = from_mapping(Scenario, parse_yaml('cpp: [1/8, "3/8", 0.5]\ncodecs: [{type: identity}]', "x"))
    assert s.cpp == (0.125, 0.375, 0.5)
    assert read_fractions("1/0") == "1/0"
    with pytest.raises(ConfigError, match="snr_db"):
        from_mapping(Scenario, parse_yaml("snr_db: [1/2]\ncodecs: [{type: identity}]", "x"))


def test_shipped_scenarios_by_name():
    assert {"cifar_5db", "labs/cliff", "sp_jscc_figs"} <= set(shipped_scenarios())
    assert find_scenario("cifar_5db").name == "cifar_5db.yaml"
    assert find_scenario("labs/cliff.yaml").parent.name == "labs"
    with pytest.raises(ConfigError, match="nor is it a shipped scenario .*cifar_5db"):
        find_scenario("nothing_here")
    with pytest.raises(ConfigError):
        find_scenario("../setup")                 # never a file outside the shipped folder


def test_shortcuts_select_codecs_and_give_the_run_its_own_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "cifar_5db", "--images", "10", "--runs", "1", "--snr", "0:10:10", "--cpp", "1/8",
                 "--codecs", "identity,ar_jscc", "--quiet"]) == 0
    assert "dropped" in capsys.readouterr().err          # its compare named sp_jscc
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.startswith("cifar_5db-") and len(folder.name) == len("cifar_5db-") + 8
    doc = json.loads((folder / "results.json").read_text())
    assert [(p["codec"], p["snr_db"], p["cpp_target"]) for p in doc["points"]] == \
        [("identity", 0, 0.125), ("identity", 10, 0.125), ("ar_jscc", 0, 0.125), ("ar_jscc", 10, 0.125)]
    assert doc["scenario"]["name"] == folder.name and doc["scenario"]["codecs"][1]["type"] == "ar_jscc"


def test_version_and_unsupported_python():
    proc = subprocess.run([sys.executable, "-m", "linksim", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("linksim ")
    old = subprocess.run([sys.executable, "-c", "import runpy, sys; sys.version_info = (3, 10, 4, 'final', 0); "
                          "runpy.run_module('linksim', run_name='__main__')"], capture_output=True, text=True)
    assert old.returncode == 2 and old.stderr.startswith("linksim: error: linksim needs Python 3.11")
