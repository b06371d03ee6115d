"""HEVRC's Qmap maps: Grad-CAM against a hand computation, the ICM against a NumPy reference, the blend, units."""
import numpy as np
import pytest
import tensorflow as tf

from linksim.importance import (UNIT_INTERVAL, UNIT_WEIGHT, ComplexityConfig, ComplexityMap, GradCamConfig,
                                GradCamMap, InverseComplexityMap, blend, to_unit_map)
from linksim.importance.base import minmax


def tiny_classifier():
    """8x8x3 -> 1x1 conv (2 maps, no bias) -> ReLU -> GAP -> dense (3 classes): Grad-CAM by hand is easy."""
    inputs = tf.keras.Input((8, 8, 3))
    conv = tf.keras.layers.Conv2D(2, 1, use_bias=False)
    dense = tf.keras.layers.Dense(3)
    logits = dense(tf.keras.layers.GlobalAveragePooling2D()(tf.keras.layers.ReLU()(conv(inputs))))
    model = tf.keras.Model(inputs, logits)
    conv.kernel.assign(np.array([[[[1.0, -0.5], [0.5, 1.0], [-1.0, 0.25]]]], np.float32))
    dense.kernel.assign(np.array([[1.0, -2.0, 0.5], [-1.0, 1.0, 3.0]], np.float32))
    dense.bias.assign(np.array([0.0, 0.1, -0.2], np.float32))
    return model, conv.kernel.numpy()[0, 0], dense.kernel.numpy(), dense.bias.numpy()


def hand_cam(x, k, w, b):
    """Grad-CAM of the hand model for its predicted class: alpha_k = w[k, c] / (h * w)."""
    a = np.maximum(x @ k, 0)                               # [8, 8, 2]
    c = int(np.argmax(a.mean(axis=(0, 1)) @ w + b))
    return np.maximum(a @ (w[:, c] / 64.0), 0)


def test_grad_cam_matches_the_hand_computation():
    model, k, w, b = tiny_classifier()
    x = np.random.default_rng(0).uniform(0, 255, (3, 8, 8, 3)).astype(np.float32)
    cams = GradCamMap(GradCamConfig(batch_size=2), model=model)(x)
    expected = minmax(np.stack([hand_cam(im, k, w, b) for im in x]))
    np.testing.assert_allclose(cams, expected, atol=1e-5)
    assert GradCamMap.units == UNIT_INTERVAL


def test_flip_averaged_grad_cam_mirrors_the_second_branch_back():
    model, k, w, b = tiny_classifier()
    x = np.random.default_rng(1).uniform(0, 255, (2, 8, 8, 3)).astype(np.float32)
    cams = GradCamMap(GradCamConfig(), model=model, flip=True)(x)
    expected = []
    for im in x:
        views = [im, im[:, ::-1]]
        feats = [np.maximum(v @ k, 0) for v in views]
        c = int(np.argmax(np.mean([f.mean(axis=(0, 1)) @ w + b for f in feats], axis=0)))
        maps = [np.maximum(f @ (w[:, c] / 128.0), 0) for f in feats]
        expected.append((maps[0] + maps[1][:, ::-1]) / 2)
    np.testing.assert_allclose(cams, minmax(np.stack(expected)), atol=1e-5)


def numpy_sobel(plane):
    """Sobel responses with half-sample symmetric borders (scipy.ndimage's 'reflect')."""
    p = np.pad(plane, 1, mode="symmetric")
    smooth, diff = np.array([1, 2, 1]), np.array([1, 0, -1])
    h = sum(smooth[j] * diff[i] * p[i:i + plane.shape[0], j:j + plane.shape[1]] for i in range(3) for j in range(3))
    v = sum(diff[j] * smooth[i] * p[i:i + plane.shape[0], j:j + plane.shape[1]] for i in range(3) for j in range(3))
    return h, v


def test_icm_matches_a_numpy_reference():
    images = np.random.default_rng(2).integers(0, 256, (2, 16, 12, 3)).astype(np.uint8)
    out = ComplexityMap(ComplexityConfig(block=4))(images)
    for im, got in zip(images, out):
        si = np.sqrt(sum(h ** 2 + v ** 2 for h, v in (numpy_sobel(im[..., c].astype(float)) for c in range(3))))
        blocks = si.reshape(4, 4, 3, 4).mean(axis=(1, 3))
        expected = np.kron(blocks, np.ones((4, 4)))
        expected = (expected - expected.min()) / (expected.max() - expected.min())
        np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(InverseComplexityMap(ComplexityConfig(block=4))(images), 1 - out, atol=1e-6)
    from linksim.importance import IMPORTANCE_MAPS
    built = IMPORTANCE_MAPS.build(IMPORTANCE_MAPS.parse({"type": "inverse_icm"}, "importance"))
    assert isinstance(built, InverseComplexityMap)


def test_blend_ranks_salient_over_simple_over_complex_and_leaves_no_zero():
    rng = np.random.default_rng(3)
    sim = np.zeros((8, 8))
    sim[2:5, 2:5] = rng.uniform(0.5, 1.0, (3, 3))
    sim[0, 0] = 0.05
    icm = rng.uniform(0, 1, (8, 8))
    v = blend(sim, icm)
    salient = sim > 0.3
    assert v.min() > 0 and v.max() <= 1
    assert v[salient].min() >= v[~salient].max()
    np.testing.assert_allclose(v[salient], sim[salient], rtol=1e-6)
    rest = ~salient & (v > v.min())
    order = np.argsort(icm[rest])
    assert np.all(np.diff(v[rest][order]) <= 1e-9)              # simpler -> more important
    np.testing.assert_allclose(blend(np.full((4, 4), 0.3), icm[:4, :4]), 0.3)   # no split: all salient


def test_units_rule_turns_any_map_into_the_unit_interval():
    w = np.random.default_rng(4).gamma(2.0, size=(2, 4, 4, 3)).astype(np.float32)
    unit = to_unit_map(w, UNIT_WEIGHT)
    assert unit.shape == (2, 4, 4) and np.allclose(unit.min(axis=(1, 2)), 0) and np.allclose(unit.max(axis=(1, 2)), 1)
    np.testing.assert_allclose(unit, minmax(w.mean(axis=-1)))
    interval = np.random.default_rng(5).uniform(0, 1, (2, 4, 4)).astype(np.float32)
    assert to_unit_map(interval, UNIT_INTERVAL) is not None and np.array_equal(to_unit_map(interval, UNIT_INTERVAL), interval)
    with pytest.raises(ValueError):
        to_unit_map(w, "metres")
