"""CAM against a hand computation, its closed form (logit = mean CAM + bias), and heads it refuses."""
import numpy as np
import pytest
import tensorflow as tf

from linksim.errors import ConfigError
from linksim.importance import UNIT_INTERVAL, CamConfig, CamMap
from linksim.importance.base import minmax
from linksim.importance.cam import cam_head

from test_qmap_maps import tiny_classifier


def test_cam_matches_the_hand_computation_and_the_logits():
    model, k, w, b = tiny_classifier()
    x = np.random.default_rng(2).uniform(0, 255, (5, 8, 8, 3)).astype(np.float32)
    raw, classes = CamMap(CamConfig(batch_size=2), model=model).maps_and_classes(x)
    features = np.maximum(x @ k, 0)                                        # [5, 8, 8, 2]
    logits = features.mean(axis=(1, 2)) @ w + b
    np.testing.assert_array_equal(classes, logits.argmax(1))
    expected = np.stack([f @ w[:, c] for f, c in zip(features, classes)])
    np.testing.assert_allclose(raw, expected, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(raw.mean(axis=(1, 2)) + b[classes], logits.max(1), rtol=1e-5)   # Zhou et al.
    np.testing.assert_allclose(CamMap(CamConfig(), model=model)(x), minmax(expected), atol=1e-5)
    assert CamMap.units == UNIT_INTERVAL


def test_cam_is_resized_to_the_image():
    inputs = tf.keras.Input((16, 16, 3))
    x = tf.keras.layers.Conv2D(4, 3, strides=4, padding="same")(inputs)
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(3)(tf.keras.layers.Dropout(0.5)(
        tf.keras.layers.GlobalAveragePooling2D()(x))))
    maps = CamMap(CamConfig(), model=model)(np.random.default_rng(0).uniform(0, 255, (2, 16, 16, 3)))
    assert maps.shape == (2, 16, 16) and maps.min() == 0 and maps.max() == pytest.approx(1)


def test_a_network_without_a_gap_head_is_refused():
    inputs = tf.keras.Input((8, 8, 3))
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(3)(tf.keras.layers.Flatten()(inputs)), name="flat")
    with pytest.raises(ConfigError, match="flat.*no class-activation-map head"):
        cam_head(model)
