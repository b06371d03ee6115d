"""The classifier trainer: resumable (an interrupted run ends where an uninterrupted one does)."""
import json

import numpy as np
import pytest
from PIL import Image

from linksim import CIFAR10_CLASSES
from linksim.train.classifier import ClassifierTrainConfig, augment, train_classifier


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("cifar")
    rng = np.random.default_rng(0)
    for split, n in (("train", 4), ("test", 2)):
        for label, cls in enumerate(CIFAR10_CLASSES):
            (root / split / cls).mkdir(parents=True)
            for i in range(n):
                img = np.clip(rng.normal(25 * label, 40, (32, 32, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(img).save(root / split / cls / f"{i:04d}.png")
    return root


def weights_of(run_dir):
    import h5py
    with h5py.File(run_dir / "resnet20.weights.h5") as f:
        out = []
        f.visititems(lambda name, obj: out.append(np.array(obj)) if hasattr(obj, "shape") else None)
    return out


def test_resume_matches_uninterrupted(tiny_folder, straight_and_resumed):
    cfg = ClassifierTrainConfig(epochs=2, batch_size=8, warmup_epochs=1)
    straight, resumed, summary = straight_and_resumed(train_classifier, cfg, tiny_folder)
    assert summary["test_images"] == 20 and 0.0 <= summary["test_accuracy"] <= 1.0
    assert json.loads((resumed / "summary.json").read_text())["sha256"] == summary["sha256"]
    for a, b in zip(weights_of(straight), weights_of(resumed)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_augment_is_a_shifted_crop_or_its_mirror():
    import tensorflow as tf
    x = np.arange(2 * 32 * 32 * 3, dtype=np.float32).reshape(2, 32, 32, 3)
    y = augment(tf.constant(x), tf.constant([3, 4])).numpy()
    padded = np.pad(x, [(0, 0), (4, 4), (4, 4), (0, 0)], mode="reflect")
    for i in range(2):
        crops = [padded[i, r:r + 32, c:c + 32] for r in range(9) for c in range(9)]
        assert any(np.array_equal(y[i], c) or np.array_equal(y[i], c[:, ::-1]) for c in crops)
