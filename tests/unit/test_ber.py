"""BER Monte Carlo: closed forms, seeding, stopping rule, the ``ber`` subcommand."""
import argparse
import json
import math

import pytest
from scipy.stats import norm

from linksim import ber
from linksim.errors import ConfigError

Q = norm.sf


def _exact_ber(mod, snr_db):
    es_n0 = 10 ** (snr_db / 10)
    if mod == "bpsk":
        return Q(math.sqrt(2 * es_n0))
    if mod == "qpsk":
        return Q(math.sqrt(es_n0))
    t = math.sqrt(es_n0 / 5)  # Gray 16-QAM, exact: per-dimension 4-PAM bits
    return (3 * Q(t) + 2 * Q(3 * t) - Q(5 * t)) / 4


@pytest.mark.parametrize("mod,snr_db", [("bpsk", 0), ("bpsk", 6), ("qpsk", 4), ("qpsk", 9),
                                        ("qam16", 10), ("qam16", 14)])
def test_uncoded_ber_matches_closed_form(mod, snr_db):
    r = ber.simulate(mod, "none", snr_db, target_block_errors=10 ** 9, max_bits=300_000, seed=1)
    p = _exact_ber(mod, snr_db)
    sigma = math.sqrt(p * (1 - p) / r["bits"])
    assert abs(r["ber"] - p) < 3 * sigma, (r, p)
    assert r["snr_db"] == snr_db and isinstance(r["snr_db"], int)


def test_coded_point_keys_stop_rule_and_seed():
    kw = dict(target_block_errors=20, max_bits=324 * 2000, seed=3)
    a = ber.simulate("qpsk", "ldpc-80211n-648-r12", 1.0, **kw)
    assert set(a) == {"snr_db", "ber", "bler", "bits", "bit_errors", "blocks", "block_errors", "ber_ci95", "bler_ci95"}
    assert a["block_errors"] >= 20 and a["bits"] < kw["max_bits"]   # stopped by the target
    assert a["bits"] == a["blocks"] * 324
    assert a == ber.simulate("qpsk", "ldpc-80211n-648-r12", 1.0, **kw)
    assert a != ber.simulate("qpsk", "ldpc-80211n-648-r12", 1.0, **{**kw, "seed": 4})
    b = ber.simulate("qpsk", "ldpc-80211n-648-r12", 6.0, **kw)     # no errors: stopped by max_bits
    assert b["block_errors"] == 0 and b["bits"] >= kw["max_bits"]


def test_bad_arguments():
    with pytest.raises(ConfigError):
        ber.simulate("qpsk", "ldpc-80211n-648-r99", 1.0)
    with pytest.raises(ConfigError, match="max_bits"):
        ber.simulate("qpsk", "none", 1.0, max_bits=0)


def _parse(argv):
    p = argparse.ArgumentParser()
    ber.add_parser(p.add_subparsers(dest="command"))
    return p.parse_args(argv)


def test_ber_subcommand_writes_json_and_png(tmp_path, capsys):
    out = tmp_path / "run"
    args = _parse(["ber", "--modulation", "qpsk", "--code", "none", "--snr-db", "0", "6", "7.5",
                   "--max-bits", "2e4", "--target-block-errors", "5", "--out", str(out)])
    assert args.func is ber.run
    assert args.func(args) == 0
    doc = json.loads((out / "ber.json").read_text())
    assert doc["modulation"] == "qpsk" and doc["code"] == "none"
    assert [p["snr_db"] for p in doc["points"]] == [0, 6, 7.5]
    assert isinstance(doc["points"][0]["snr_db"], int)
    for p in doc["points"]:
        assert set(p) == {"snr_db", "ber", "bler", "bits", "bit_errors", "blocks", "block_errors", "ber_ci95",
                          "bler_ci95"}
        assert p["ber_ci95"][0] <= p["ber"] <= p["ber_ci95"][1] and p["bler_ci95"][0] <= p["bler"] <= p["bler_ci95"][1]
    assert doc["channel"] == {"type": "awgn"}
    assert (out / "ber.png").stat().st_size > 1000
    assert "BLER" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--modulation", "qam256"], ["--max-bits", "1.5"], ["--iterations", "0"],
                                  ["--snr-db", "x"]])
def test_ber_subcommand_rejects_bad_options(argv, tmp_path):
    base = {"--modulation": "qpsk", "--code": "none", "--snr-db": "1", "--out": str(tmp_path)}
    base.update(dict(zip(argv[::2], argv[1::2])))
    with pytest.raises(SystemExit):
        _parse(["ber"] + [x for kv in base.items() for x in kv])


def test_ber_scenario_writes_one_json_per_curve_and_one_figure(tmp_path):
    scenario = tmp_path / "b.yaml"
    scenario.write_text("snr_db: [1, 3]\nmax_bits: 20000\ntarget_block_errors: 5\ncurves:\n"
                        "  - {modulation: qpsk, code: none, snr_db: [0, 4]}\n"
                        "  - {modulation: qpsk, code: ldpc-80211n-648-r12}\n")
    out = tmp_path / "run"
    args = _parse(["ber", str(scenario), "--out", str(out)])
    assert args.func(args) == 0
    uncoded = json.loads((out / "qpsk_none" / "ber.json").read_text())
    coded = json.loads((out / "qpsk_ldpc-80211n-648-r12" / "ber.json").read_text())
    assert [p["snr_db"] for p in uncoded["points"]] == [0, 4] and [p["snr_db"] for p in coded["points"]] == [1, 3]
    assert coded["code"] == "ldpc-80211n-648-r12" and (out / "ber.png").stat().st_size > 1000


@pytest.mark.parametrize("text, argv, pattern", [
    ("curves: [{modulation: qam256}]\n", [], "qam256"),
    ("curves: [{modulation: qpsk, bogus: 1}]\n", [], "bogus"),
    ("curves: [{modulation: qpsk, code: ldpc-80211n-700-r12}]\n", [], "700"),
    ("curves: [{modulation: qpsk}]\n", ["--code", "none"], "--code cannot be combined"),
])
def test_ber_scenario_errors_name_the_problem(tmp_path, text, argv, pattern):
    scenario = tmp_path / "b.yaml"
    scenario.write_text(text)
    args = _parse(["ber", str(scenario), "--out", str(tmp_path / "o")] + argv)
    with pytest.raises(ConfigError, match=pattern):
        args.func(args)


def test_ber_without_scenario_needs_the_curve_flags(tmp_path):
    args = _parse(["ber", "--modulation", "qpsk", "--out", str(tmp_path)])
    with pytest.raises(ConfigError, match="--code, --snr-db"):
        args.func(args)
