"""Perceptual metrics over the link (`perceptual:` in a link scenario): fields, csv, comparisons, resume."""
import csv
import json

import pytest

from linksim.cli import main

SCENARIO = """
name: perceptual
images: 20
runs: 2
snr_db: [10]
cpp: [0.5]
perceptual: [fsimc, feature_distance, frechet]
frechet_resamples: 10
compare: ["ar_jscc vs bpg_capacity"]
codecs:
  - type: identity
  - type: ar_jscc
  - type: bpg_capacity
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("perceptual")
    (folder / "s.yaml").write_text(SCENARIO)
    assert main(["run", str(folder / "s.yaml"), "--out", str(folder / "out")]) == 0
    return folder


def points(folder):
    return {p["codec"]: p for p in json.loads((folder / "out" / "results.json").read_text())["points"]}


def test_identity_scores_perfectly_and_a_noisy_link_does_not(run):
    by = points(run)
    perfect = by["identity"]
    assert perfect["fsimc"] == pytest.approx(1.0) and perfect["feature_distance_vgg8"] == 0.0
    assert perfect["frechet_vgg8"] == pytest.approx(0.0, abs=1e-4)     # eigenvalue rounding of singular covariances
    noisy = by["ar_jscc"]
    assert noisy["fsimc"] < 0.99 and noisy["feature_distance_vgg8"] > 0 and noisy["frechet_vgg8"] > 0
    assert noisy["frechet_vgg8_ci95_low"] <= noisy["frechet_vgg8_bias_corrected"] <= noisy["frechet_vgg8_ci95_high"]
    assert noisy["frechet_vgg8_bias_corrected"] < noisy["frechet_vgg8"]        # 20 images, 256 features: biased up
    assert noisy["fsimc_ci95"] > 0


def test_csv_and_comparisons_carry_the_metrics(run):
    with open(run / "out" / "results.csv") as f:
        header = next(csv.reader(f))
    assert {"fsimc", "fsimc_ci95", "feature_distance_vgg8", "frechet_vgg8", "frechet_vgg8_bias_corrected",
            "frechet_vgg8_ci95_low"} <= set(header)
    (comparison,) = json.loads((run / "out" / "results.json").read_text())["comparisons"]
    assert {"fsimc", "feature_distance_vgg8"} <= set(comparison)


def test_resumed_run_reuses_points_with_their_metrics(run, monkeypatch):
    from linksim import sim
    before = points(run)
    calls = []
    real = sim.run_point
    monkeypatch.setattr(sim, "run_point", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    assert main(["run", str(run / "s.yaml"), "--out", str(run / "out"), "--resume"]) == 0
    assert calls == []
    after = points(run)
    for label in before:
        assert {k: v for k, v in after[label].items() if k != "seconds"} == \
            {k: v for k, v in before[label].items() if k != "seconds"}


def test_points_are_keyed_on_what_their_metrics_depend_on(run):
    from linksim.config import load_scenario
    from linksim.data import load_split
    from linksim.sim import grid_points
    data = load_split(None, "test").take_per_class(20)
    keys = lambda *sets: [k for *_, k in grid_points(load_scenario(run / "s.yaml", sets), ("resnet32",), data)]
    base = keys()
    assert keys("frechet_resamples=20") != base and keys("feature_classifier=resnet20") != base
    fsim_only = keys("perceptual=[fsimc]")
    assert fsim_only != base and keys("perceptual=[fsimc]", "frechet_resamples=20") == fsim_only
    assert keys("perceptual=[]") == keys("perceptual=[]", "frechet_resamples=20")   # no metrics: old keys
