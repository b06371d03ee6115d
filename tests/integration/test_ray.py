"""A tiny sweep on a local Ray cluster gives the serial run's points."""
import json

import pytest

from linksim.cli import main

pytest.importorskip("ray")


def test_two_ray_workers_give_the_serial_points(tiny_digital_scenario, tmp_path):
    path = tiny_digital_scenario("ray_test", [0, 10], 0.5)
    outs = {}
    for name, extra in (("serial", []), ("ray", ["--workers", "2"])):
        outs[name] = tmp_path / name
        assert main(["run", str(path), "--out", str(outs[name])] + extra) == 0
    points = {name: [{k: v for k, v in p.items() if k != "seconds"}
                     for p in json.loads((out / "results.json").read_text())["points"]]
              for name, out in outs.items()}
    assert points["ray"] == points["serial"] and len(points["ray"]) == 4
    assert len(list((outs["ray"] / "points").glob("*.npz"))) == 4
