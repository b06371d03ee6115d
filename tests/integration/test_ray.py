"""A tiny sweep on a local Ray cluster gives the serial run's points."""
import json

import pytest

from linksim.cli import main

pytest.importorskip("ray")

# A noisy codec (the workers must derive the serial run's noise) and a digital one (the workers share the
# encoding cache); no LDPC, whose XLA compile in every worker would cost minutes on two cores.
SCENARIO = """
name: ray_test
snr_db: [0, 10]
cpp: [0.5]
runs: 2
images: 10
ssim: false
codecs:
  - type: ar_jscc
  - type: bpg_capacity
"""


def test_two_ray_workers_give_the_serial_points(tmp_path):
    path = tmp_path / "scenario.yaml"
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
    assert points["ray"][0]["psnr_db"] != points["ray"][1]["psnr_db"]      # the noise differs by SNR
