"""The Qmap source codec: the mapping Gamma, its grid, the stream format, real bytes and robust decoding."""
import numpy as np
import pytest

from linksim.codecs.source.learned import (QmapSource, QmapSourceConfig, gamma, pack, quality_grid,
                                           strategies, unpack)
from linksim.errors import BitstreamError, ConfigError


@pytest.fixture(scope="module")
def tiny_model():
    import tensorflow as tf
    from linksim.models.qmap import QmapCodec
    tf.keras.utils.set_random_seed(3)
    model = QmapCodec(width=8, latent=8, hyper_latent=4, condition=4)
    model.build_variables()
    return model


@pytest.fixture(scope="module")
def source(tiny_model):
    return QmapSource(QmapSourceConfig(strategy="icm", levels=16), model=tiny_model)


@pytest.fixture(scope="module")
def images(sample):
    return sample.images[:6]


def test_gamma_is_monotone_in_the_level_and_meets_v_at_one():
    v = np.linspace(0, 1, 101)
    levels = np.linspace(0, 1.99, 200)
    maps = np.stack([gamma(u, v) for u in levels])
    assert np.all(np.diff(maps, axis=0) >= -1e-7)                     # monotone in tau and in rho
    np.testing.assert_allclose(gamma(0.0, v), 0.0)
    np.testing.assert_allclose(gamma(1.0, v), v, atol=1e-7)
    np.testing.assert_allclose(gamma(1.0 + 1e-6, v), v, atol=1e-4)    # the two branches join at u = 1
    np.testing.assert_allclose(gamma(0.5, v), 0.5 * v, atol=1e-7)     # tau branch: q = tau v
    rho = 4.0
    np.testing.assert_allclose(gamma(2 - 1 / rho, v), (1 - (1 - v) ** rho) ** (1 / rho), atol=1e-6)
    assert gamma(1.99, v)[1:].min() > 0.9                             # rho -> inf: q -> 1 where v > 0
    with pytest.raises(ValueError):
        gamma(2.0, v)


def test_grid_runs_from_the_highest_rate_down_to_q_zero():
    grid = quality_grid(8, uniform=False)
    assert len(grid) == 17 and grid[-1] == 0.0 and 1.98 < grid[0] < 2.0 and list(grid) == sorted(grid)[::-1]
    assert quality_grid(8, uniform=True) == tuple(np.linspace(0, 1, 9)[::-1])


def test_header_round_trip_and_size():
    z, y = b"\x01\x02", b"\x00" * 200
    data = pack(z, y, 32, 32)
    assert len(data) == 2 + 1 + 2 + 202 - 2                           # varint(4), varint(200) = 2 bytes
    assert unpack(data + b"\x00" * 7) == (z, y, 32, 32, len(data))     # padding after the stream is ignored
    big = pack(z, y, 64, 48)
    assert unpack(big)[2:] == (64, 48, len(big))
    for bad in (b"", b"\x80", data[:-1], b"\x00\x05abcdefgh"):
        with pytest.raises(BitstreamError):
            unpack(bad)


def test_bytes_alone_decode_to_the_decoder_of_the_quantised_latents(source, tiny_model, images):
    import tensorflow as tf
    context = source.prepare(images)
    levels = [0.0, 0.3, 1.0, 1.5, 1.9, 1.0]
    streams = source.encode_batch(images, levels, context)
    y_hat, z_hat = tiny_model.quantised_latents(tf.constant(images, tf.float32),
                                                tf.constant(source.qmaps(levels, context)))
    expected = np.clip(np.rint(tiny_model.synthesis(y_hat, z_hat).numpy()), 0, 255).astype(np.uint8)
    decoded = source.decode_batch(streams)
    for k, data in enumerate(streams):
        assert source.stream_length(data + b"\x00" * 5) == len(data)
        np.testing.assert_array_equal(decoded[k], expected[k])
        np.testing.assert_array_equal(source.decode(data), expected[k])
    with pytest.raises(BitstreamError):
        source.decode(streams[0] + b"\x00")                           # decode consumes exactly one stream


def test_damaged_streams_are_refused_or_decode_to_an_image(source, images):
    # Truncations and random bytes are refused by the header; flipped bits reach the range decoder,
    # which must end on any bytes (linksim.models.bounded_coding): the test hangs if it does not.
    from linksim.codecs.source.base import damaged_streams
    streams = source.encode_batch(images[:2], [1.0, 1.5], source.prepare(images[:2]))
    cases, kinds = damaged_streams(streams, 300, seed=5)
    decoded = source.decode_batch(cases)
    assert {"flipped", "truncated", "random"} == set(kinds)
    for image, kind in zip(decoded, kinds):
        if kind == "flipped" and image is not None:
            assert image.shape == images.shape[1:] and image.dtype == np.uint8
        if kind != "flipped":
            assert image is None
    assert any(image is not None for image in decoded)


def test_unknown_strategy_is_a_config_error_naming_the_choices():
    with pytest.raises(ConfigError, match="unknown strategy 'nope'.*blended"):
        QmapSourceConfig(strategy="nope")
    assert {"uniform", "icm", "inverse_icm", "sim", "blended", "sp_gradient"} <= set(strategies())


def test_labels_name_the_weights_and_a_non_default_strategy():
    assert QmapSourceConfig().label() == "qmap2021"
    assert QmapSourceConfig(strategy="sim").label() == "qmap2021-sim"
    assert QmapSourceConfig(weights="runs/q/qmap2021.weights.npz", strategy="uniform").label() == "qmap2021-uniform"


def test_a_header_announcing_another_size_is_refused_unread(source, images):
    from linksim.codecs.source.base import decode_many
    (stream,) = source.encode_batch(images[:1], [1.0], source.prepare(images[:1]))
    z, y, h, w, _ = unpack(stream)
    huge = pack(z, y, 4096, 4096)                      # a flipped flag bit could make a header say this
    assert source.picture_size(huge) == (4096, 4096)
    refused, accepted = decode_many(source, [huge, stream], images.shape[1:])
    assert refused is None and accepted.shape == images.shape[1:]
