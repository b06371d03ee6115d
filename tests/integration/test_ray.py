"""A tiny sweep on a local Ray cluster gives the serial run's points."""
import json

import pytest

from linksim.cli import main

pytest.importorskip("ray")

SCENARIO = """
name: ray_test
snr_db: [0, 10]
cpp: [0.5]
runs: 2
images: 10
ssim: false
codecs:
  - type: bpg_capacity
  - type: bpg_ldpc
"""


def test_two_ray_workers_give_the_serial_points(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    outs = {}
    for name, extra in (("serial", []), ("ray", ["--workers", "2"])):
        outs[name] = tmp_path / name
        assert main(["run", str(path), "--out", str(outs[name])] + extra) == 0
    points = {name: [{k: v for k, v in p.items() if k != "seconds"}
                     for p in json.loads((out / "results.json").read_text())["points"]]
              for name, out in outs.items()}
    assert points["ray"] == points["serial"] and len(points["ray"]) == 4
    assert len(list((outs["ray"] / "points").glob("*.npz"))) == 4
