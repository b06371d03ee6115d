"""BLER table: shipped curves, lookup rules, merge, and three entries re-simulated."""
import json
import math

import pytest

from linksim import ber
from linksim.errors import ConfigError
from linksim.phy.bler_table import BlerTable, bler, load_bler_table, merge
from linksim.phy.ldpc import make_code

CODES = [f"ldpc-80211n-{n}-r{r}" for n in (648, 1296, 1944) for r in ("12", "23", "34", "56")]
MODS = ("bpsk", "qpsk", "qam16", "qam64")


def test_shipped_table_covers_every_code_and_modulation():
    table = load_bler_table()
    assert sorted(table.keys) == sorted((c, m) for c in CODES for m in MODS)
    for code, mod in table.keys:
        pts = table.doc["curves"][f"{code}|{mod}"]
        snr = [p["snr_db"] for p in pts]
        assert snr == sorted(snr)
        assert pts[0]["bler"] > 0.5, (code, mod)                  # starts in the BLER ~ 1 region
        assert table.bler(code, mod, snr[-1]) <= 2e-3, (code, mod)  # reaches the 1e-3 region
        values = [table.bler(code, mod, s) for s in snr]
        assert all(a >= b for a, b in zip(values, values[1:]))
    assert "command" in table.doc["build"] and table.doc["build"]["wall_seconds"] > 0


def test_lookup_rules():
    doc = {"curves": {"c|m": [{"snr_db": 0, "bler": 1.0, "blocks": 100, "block_errors": 100},
                              {"snr_db": 1, "bler": 0.01, "blocks": 10000, "block_errors": 100},
                              {"snr_db": 2, "bler": 0.02, "blocks": 5000, "block_errors": 100},
                              {"snr_db": 3, "bler": 0.0, "blocks": 3000, "block_errors": 0}]}}
    t = BlerTable(doc)
    assert t.bler("c", "m", -5) == 1.0                       # below the grid
    assert t.bler("c", "m", 0.5) == pytest.approx(0.1)        # log-linear between points
    assert t.bler("c", "m", 2) == pytest.approx(0.01)         # running minimum: never worse with SNR
    assert t.bler("c", "m", 3) == pytest.approx(1e-3)         # zero errors -> 3/blocks
    assert t.bler("c", "m", 30) == pytest.approx(1e-3)        # above the grid: last value
    with pytest.raises(ConfigError):
        t.bler("c", "qam64", 1)


def test_module_level_bler_matches_table():
    assert bler("ldpc-80211n-648-r12", "qpsk", 1.5) == load_bler_table().bler("ldpc-80211n-648-r12", "qpsk", 1.5)


def test_merge(tmp_path):
    for name, mod in (("a", "qpsk"), ("b", "bpsk")):
        d = tmp_path / name
        d.mkdir()
        (d / "ber.json").write_text(json.dumps({
            "modulation": mod, "code": "ldpc-80211n-648-r12", "iterations": 20, "seed": 0,
            "points": [{"snr_db": 1, "ber": 0.1, "bler": 0.5, "bits": 10, "bit_errors": 1, "blocks": 2,
                        "block_errors": 1}]}))
    out = tmp_path / "t.json"
    doc = merge([tmp_path / "a", tmp_path / "b"], out, {"command": "x"})
    assert set(doc["curves"]) == {"ldpc-80211n-648-r12|qpsk", "ldpc-80211n-648-r12|bpsk"}
    assert load_bler_table(str(out)).bler("ldpc-80211n-648-r12", "bpsk", 1) == pytest.approx(0.5)
    with pytest.raises(ConfigError, match="two runs"):
        merge([tmp_path / "a", tmp_path / "a"], out)
    with pytest.raises(ConfigError, match="not found"):
        merge([tmp_path / "missing"], out)


@pytest.mark.parametrize("code,modulation", [("ldpc-80211n-648-r12", "qpsk"),
                                               ("ldpc-80211n-648-r34", "qam16"),
                                               ("ldpc-80211n-648-r56", "qam64")])
def test_entries_resimulated_within_a_few_sigma(code, modulation):
    """The stored point nearest BLER 0.1, re-simulated with another seed than the table's."""
    table = load_bler_table()
    pts = table.doc["curves"][f"{code}|{modulation}"]
    p = min(pts, key=lambda q: abs(math.log10(max(q["bler"], 1e-9)) + 1))  # stored point closest to 0.1
    assert 0.02 < p["bler"] < 0.5
    k = make_code(code).k
    r = ber.simulate(modulation, code, p["snr_db"], target_block_errors=10 ** 9, max_bits=k * 462, seed=12345)
    var = p["bler"] * (1 - p["bler"]) * (1 / r["blocks"] + 1 / p["blocks"])
    assert abs(r["bler"] - p["bler"]) < 4 * math.sqrt(var), (r, p)
