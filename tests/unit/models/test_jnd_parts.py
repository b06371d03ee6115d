"""DMV-JND-NET: shapes, and the three losses against NumPy references and the readings the docstring states."""
import numpy as np
import pytest
import tensorflow as tf

from linksim.models.jnd import (JndNet, consistency_loss, magnitude_loss, spatial_loss, to_pixels,
                                to_signed)


def test_network_maps_image_and_cam_to_a_perturbation_of_the_image_size():
    net = JndNet(width=4)
    x = to_signed(np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)))
    e = net(x, tf.zeros([2, 32, 32]), training=True)
    assert e.shape == (2, 32, 32, 3) and net.losses              # weight decay on the kernels
    np.testing.assert_allclose(to_pixels(to_signed(np.array([0.0, 127.5, 255.0]))), [0, 127.5, 255], atol=1e-4)


def test_losses_against_numpy_references(rng):
    c = rng.uniform(0, 1, (3, 4, 4)).astype(np.float32)
    e = rng.normal(0, 0.3, (3, 4, 4, 3)).astype(np.float32)
    n, n0 = 1 - c.mean(axis=(1, 2)), np.abs(e).mean(axis=(1, 2, 3))
    want2 = np.mean(np.log((n ** 2 + n0 ** 2 + 1e-10) / (2 * n * n0 + 1e-10)))
    assert float(magnitude_loss(c, e)) == pytest.approx(want2, rel=1e-5)
    flat = c.reshape(3, -1)
    v = np.exp(flat) / np.exp(flat).sum(1, keepdims=True)
    want3 = np.mean(np.sum(v * np.abs(e).mean(-1).reshape(3, -1), axis=1))
    assert float(spatial_loss(c, e)) == pytest.approx(want3, rel=1e-5)
    logits = [rng.normal(size=(3, 10)).astype(np.float32) for _ in range(4)]
    labels = [rng.integers(0, 10, 3) for _ in range(4)]
    ce = [np.mean([np.log(np.exp(z[i]).sum()) - z[i, y[i]] for i in range(3)]) for z, y in zip(logits, labels)]
    assert float(consistency_loss(logits, labels)) == pytest.approx(np.mean(ce), rel=1e-5)


def test_magnitude_loss_is_zero_at_the_target_and_grows_either_side():
    c = np.full((1, 4, 4), 0.25, np.float32)                    # target N = 0.75
    losses = [float(magnitude_loss(c, np.full((1, 4, 4, 3), m, np.float32))) for m in (0.25, 0.75, 1.5)]
    assert losses[1] == pytest.approx(0.0, abs=1e-6) and losses[0] > 0 and losses[2] > 0


def test_spatial_loss_reads_the_magnitude_so_negative_perturbations_cost_too():
    c = np.zeros((1, 4, 4), np.float32)
    c[0, 0, 0] = 5.0                                           # the classifiers look at one pixel
    e = np.zeros((1, 4, 4, 3), np.float32)
    e[0, 0, 0] = -0.5
    here, elsewhere = e.copy(), np.roll(e, 2, axis=1)
    assert float(spatial_loss(c, here)) > float(spatial_loss(c, elsewhere)) > 0
    assert float(spatial_loss(c, here)) == pytest.approx(float(spatial_loss(c, -here)))
