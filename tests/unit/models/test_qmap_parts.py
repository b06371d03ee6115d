"""Qmap codec network parts: SFT, SFT residual blocks, shapes of every transform, any image size."""
import numpy as np
import pytest
import tensorflow as tf

from linksim.models.qmap import SFT, QmapCodec, SFTResidualBlock, lambda_map


def test_fresh_sft_is_the_identity_and_keeps_shapes():
    x = tf.random.normal([2, 8, 8, 6])
    cond = tf.random.normal([2, 16, 16, 5])
    layer = SFT(6, hidden=4, pool=2)
    np.testing.assert_allclose(layer((x, cond)).numpy(), x.numpy(), atol=1e-6)
    block = SFTResidualBlock(6, hidden=4, pool=2)
    assert block((x, cond)).shape == x.shape


def test_sft_applies_x_times_one_plus_gamma_plus_beta():
    x = tf.random.normal([1, 4, 4, 3])
    cond = tf.random.normal([1, 4, 4, 2])
    layer = SFT(3, hidden=2)
    layer((x, cond))
    layer.gamma.bias.assign([0.5, -0.5, 1.0])
    layer.beta.bias.assign([0.25, 0.0, -1.0])
    expected = x.numpy() * (1 + np.array([0.5, -0.5, 1.0])) + np.array([0.25, 0.0, -1.0])
    np.testing.assert_allclose(layer((x, cond)).numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("height,width", [(32, 32), (64, 48)])
def test_transform_shapes_at_any_multiple_of_16(height, width):
    model = QmapCodec(width=8, latent=6, hyper_latent=4, condition=4)
    x = tf.random.uniform([2, height, width, 3], 0, 255)
    q = tf.random.uniform([2, height, width])
    y, c2 = model.analysis(x, q)
    assert y.shape == (2, height // 4, width // 4, 6)
    z = model.hyper_analysis(y, q, c2)
    assert z.shape == (2, height // 16, width // 16, 4)
    x_hat, bits = model(x, q, training=True)
    assert x_hat.shape == x.shape and bits.shape == (2,) and np.all(bits.numpy() > 0)
    z_strings, y_strings = model.compress(x, q)
    decoded = model.decompress(z_strings, y_strings, (height // 4, width // 4))
    y_hat, z_hat = model.quantised_latents(x, q)
    np.testing.assert_allclose(decoded.numpy(), model.synthesis(y_hat, z_hat).numpy(), atol=1e-4)


def test_lambda_map_spans_t1_to_t1_exp_t2():
    q = tf.constant([0.0, 0.5, 1.0])
    np.testing.assert_allclose(lambda_map(q, 1e-4, 7.3).numpy(), 1e-4 * np.exp(7.3 * np.array([0, 0.5, 1])),
                               rtol=1e-5)


def test_weights_round_trip_and_refuse_another_geometry(tmp_path):
    a = QmapCodec(width=8, latent=6, hyper_latent=4, condition=4)
    a.build_variables()
    a.save_npz(tmp_path / "a.npz")
    b = QmapCodec(width=8, latent=6, hyper_latent=4, condition=4)
    b.load_npz(tmp_path / "a.npz")
    for u, v in zip(a.weights, b.weights):
        np.testing.assert_array_equal(u.numpy(), v.numpy())
    with pytest.raises(ValueError, match="does not hold"):
        QmapCodec(width=16, latent=6, hyper_latent=4, condition=4).load_npz(tmp_path / "a.npz")


def test_coding_leaves_the_saved_variables_as_they_were(tmp_path):
    model = QmapCodec(width=8, latent=6, hyper_latent=4, condition=4)
    model.build_variables()
    before = len(model.weights)
    model.compress(tf.zeros([1, 32, 32, 3]), tf.zeros([1, 32, 32]))
    assert len(model.weights) == before
    model.save_npz(tmp_path / "w.npz")
    QmapCodec(width=8, latent=6, hyper_latent=4, condition=4).load_npz(tmp_path / "w.npz")
