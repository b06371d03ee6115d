"""DMV-JND-NET's trainer: resumable to the same weights, its cached guidance, and its training curves."""
import json

import numpy as np

from linksim.train.jnd import DmvJndTrainConfig, cams_and_labels, load_dmv_jnd, train_dmv_jnd

TINY = dict(classifiers=("resnet20", "vgg8"), epochs=2, batch_size=10, width=4)


def test_resume_matches_uninterrupted_and_records_the_curves(tiny_folder, straight_and_resumed):
    cfg = DmvJndTrainConfig(**TINY)
    straight, resumed, summary = straight_and_resumed(train_dmv_jnd, cfg, tiny_folder)
    a, b = load_dmv_jnd(straight / "dmv_jnd.weights.h5", 4), load_dmv_jnd(resumed / "dmv_jnd.weights.h5", 4)
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-3, atol=1e-3)   # thread-order float noise
    history = json.loads((resumed / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2] == [h["epoch"] for h in summary["history"]]
    assert all(0 <= h["rca"] <= 1 and h["loss3"] > 0 and h["psnr_db"] > 0 for h in history)
    assert history[0]["loss"] != history[1]["loss"]
    (cams,) = straight.glob("jnd-cams-resnet20-vgg8-20-*.npy")
    assert np.load(cams).shape == (20, 2, 32, 32)


def test_too_few_images_for_a_batch_is_a_config_error(tiny_folder, tmp_path):
    import pytest
    from linksim.errors import ConfigError
    with pytest.raises(ConfigError, match="no batch"):
        train_dmv_jnd(DmvJndTrainConfig(**{**TINY, "batch_size": 50}), tiny_folder, tmp_path, log=lambda m: None)


def test_guidance_of_a_mirror_is_the_mirrored_images_own(sample):
    from linksim import zoo
    images = sample.images[::100]
    classifiers = {"vgg8": zoo.load_classifier("vgg8", base=True)}
    cams, labels = cams_and_labels(classifiers, images)
    mirrored_cams, mirrored_labels = cams_and_labels(classifiers, images[:, :, ::-1])
    np.testing.assert_allclose(cams[:, 1], mirrored_cams[:, 0], atol=1e-5)
    np.testing.assert_array_equal(labels[:, 1], mirrored_labels[:, 0])
    assert cams.min() >= 0 and cams.max() <= 1 and labels.shape == (len(images), 2, 1)
