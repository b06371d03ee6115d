"""`linksim jnd`: the controls keep each image's energy, the analysis runs end to end, bad input is one line."""
import json

import numpy as np
import pytest

from linksim.cli import main
from linksim.jnd import distorted, perturbations


def test_controls_have_the_jnds_energy_and_their_own_structure(rng):
    e = rng.normal(0, 0.1, (3, 8, 8, 3)).astype(np.float32)
    e[0] = 0                                                         # an image with no perturbation
    p = perturbations(e, np.random.default_rng(0))
    norm = lambda a: np.sqrt((a.astype(np.float64) ** 2).sum(axis=(1, 2, 3)))
    for kind in ("wgn", "permuted", "random_sign"):
        np.testing.assert_allclose(norm(p[kind]), norm(e), rtol=1e-5)
        assert not np.allclose(p[kind][1:], e[1:])
    rows = lambda a: sorted(map(tuple, a.reshape(-1, 3)))         # whole pixels moved, channels together
    assert rows(p["permuted"][1]) == rows(e[1])
    np.testing.assert_array_equal(np.abs(p["random_sign"]), np.abs(e))
    x = np.full((1, 2, 2, 3), 250, np.uint8)
    assert distorted(x, np.full((1, 2, 2, 3), 0.1, np.float32), "raw").max() == pytest.approx(262.75)
    assert distorted(x, np.full((1, 2, 2, 3), 0.1, np.float32), "8bit").max() == 255


@pytest.fixture(scope="module")
def tiny_jnd(tmp_path_factory, sample):
    """A DMV-JND-NET trained one epoch on 20 images of two classifiers (its numbers mean nothing)."""
    from linksim.train.jnd import DmvJndTrainConfig, train_dmv_jnd
    from PIL import Image
    from linksim import CIFAR10_CLASSES
    root = tmp_path_factory.mktemp("cifar")
    for label, cls in enumerate(CIFAR10_CLASSES):
        for split in ("train", "test"):
            (root / split / cls).mkdir(parents=True)
        for i, k in enumerate(np.flatnonzero(sample.labels == label)[:2]):
            for split in ("train", "test"):
                Image.fromarray(sample.images[k]).save(root / split / cls / f"{i:04d}.png")
    out = tmp_path_factory.mktemp("run")
    train_dmv_jnd(DmvJndTrainConfig(classifiers=("resnet20", "vgg8"), epochs=1, batch_size=10, width=4),
                  root, out, log=lambda m: None)
    return root, out / "dmv_jnd.weights.h5"


def test_analysis_end_to_end(tiny_jnd, tmp_path):
    root, weights = tiny_jnd
    (tmp_path / "s.yaml").write_text(f"weights: {weights}\ntest_images: 20\ntrain_images: 10\n"
                                     "transfer: [resnet32]\nexamples: 4\n")
    assert main(["jnd", str(tmp_path / "s.yaml"), "--data", str(root), "--out", str(tmp_path / "out"),
                 "--quiet"]) == 0
    doc = json.loads((tmp_path / "out" / "jnd.json").read_text())
    assert set(doc["splits"]) == {"test", "train"} and doc["transfer_classifiers"] == ["resnet32"]
    raw = doc["splits"]["test"]["raw"]
    assert set(raw["jnd"]["rca"]) == {"resnet20", "vgg8", "resnet32", "mean_trained"}
    assert [r["k"] for r in raw["homogeneity"]] == list(range(1, 10))
    psnrs = [r["psnr_db"] for r in raw["homogeneity"]]
    assert psnrs == sorted(psnrs, reverse=True)                     # a larger share of e: a lower PSNR
    assert raw["homogeneity"][-1]["psnr_db"] == pytest.approx(raw["jnd"]["psnr_db"])
    assert all(abs(raw[k]["psnr_db"] - raw["jnd"]["psnr_db"]) < 1e-6 for k in ("wgn", "permuted", "random_sign"))
    assert {"jnd_minus_this"} <= set(raw["wgn"])
    assert (tmp_path / "out" / "rca_vs_psnr.png").is_file() and (tmp_path / "out" / "jnd_examples.png").is_file()


def test_weights_of_another_network_are_refused(tmp_path, capsys, tiny_qmap_weights):
    (tmp_path / "s.yaml").write_text(f"weights: {tiny_qmap_weights}\ntest_images: 10\ntrain_images: 0\n")
    assert main(["jnd", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out")]) == 2
    assert "is not a DMV-JND-NET" in capsys.readouterr().err


def test_missing_weights_is_one_line(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text("weights: no_such_net\ntest_images: 10\ntrain_images: 0\n")
    assert main(["jnd", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no weights named 'no_such_net'" in err[0]


def test_validate_knows_a_jnd_scenario(tiny_jnd, tmp_path, capsys):
    _, weights = tiny_jnd
    (tmp_path / "s.yaml").write_text(f"weights: {weights}\ntest_images: 20\ntrain_images: 0\n")
    assert main(["validate", str(tmp_path / "s.yaml")]) == 0
    assert "jnd scenario" in capsys.readouterr().out
    (tmp_path / "s.yaml").write_text(f"weights: {weights}\ntransfer: [nonet]\n")
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2


def test_jnd_importance_is_high_where_little_perturbation_is_tolerated(tiny_jnd, sample):
    from linksim.importance import UNIT_INTERVAL, JndMap, JndMapConfig
    from linksim.importance.jnd import tolerance_importance
    e = np.zeros((1, 2, 2, 3), np.float32)
    e[0, 0, 0], e[0, 1, 1] = 0.5, 0.05
    v = tolerance_importance(e, 0.01)
    assert v[0, 0, 0] == 0 and v[0, 0, 1] == 1 and 0 < v[0, 1, 1] < 1
    _, weights = tiny_jnd
    jnd_map = JndMap(JndMapConfig(weights=str(weights)))
    maps = jnd_map(sample.images[:4])
    assert maps.shape == (4, 32, 32) and maps.min() >= 0 and maps.max() <= 1 and JndMap.units == UNIT_INTERVAL
    np.testing.assert_allclose(maps, tolerance_importance(jnd_map.perturbations(sample.images[:4]), 0.01))
