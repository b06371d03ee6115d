"""The escape-free range coder: tfc's bytes where tfc needs no escape, clamping outside, bounded decoding."""
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_compression as tfc

from linksim.models.bounded_coding import BoundedRangeCoder


@pytest.fixture(scope="module")
def model():
    scales = tf.constant([0.2, 1.0, 4.0, 30.0])
    return tfc.LocationScaleIndexedEntropyModel(tfc.NoisyNormal, 4, lambda i: tf.gather(scales, tf.cast(i, tf.int32)),
                                                coding_rank=1, compression=True)


@pytest.fixture(scope="module")
def coder(model):
    return BoundedRangeCoder(model.cdf.numpy(), model.cdf_offset.numpy())


def in_range(coder, rng, indexes):
    low = tf.gather(coder.cdf_offset, indexes).numpy()
    return (low + rng.integers(0, tf.gather(coder.highest, indexes).numpy())).astype(np.float32)


def test_in_range_values_give_tfcs_own_bytes_and_come_back(model, coder):
    rng = np.random.default_rng(0)
    indexes = rng.integers(0, 4, (5, 200)).astype(np.int32)
    values = in_range(coder, rng, indexes)
    strings = coder.compress(tf.constant(values), indexes, 1)
    assert strings.numpy().tolist() == model.compress(values, indexes).numpy().tolist()
    np.testing.assert_array_equal(coder.decompress(strings, indexes, 1).numpy(), values)


def test_values_outside_a_table_are_clamped_to_its_ends(coder):
    indexes = np.array([[0, 0, 3, 3]], np.int32)
    values = tf.constant([[-1e4, 1e4, -1e4, 1e4]])
    low = tf.gather(coder.cdf_offset, indexes[0]).numpy()
    high = low + tf.gather(coder.highest, indexes[0]).numpy()
    expected = np.where([True, False, True, False], low, high).astype(np.float32)[None]
    np.testing.assert_array_equal(coder.clamp(values, indexes).numpy(), expected)
    decoded = coder.decompress(coder.compress(values, indexes, 1), indexes, 1).numpy()
    np.testing.assert_array_equal(decoded, expected)


def test_any_bytes_decode_in_bounded_time_into_the_tables(coder):
    rng = np.random.default_rng(1)
    indexes = rng.integers(0, 4, (400, 64)).astype(np.int32)
    junk = [rng.integers(0, 256, rng.integers(0, 60), dtype=np.uint8).tobytes() for _ in range(400)]
    junk[:3] = [b"", b"\x00" * 50, b"\xff" * 50]        # the all-zero read is what looped tfc's escape
    decoded = coder.decompress(tf.constant(junk), indexes, 1).numpy()
    low = tf.gather(coder.cdf_offset, indexes).numpy()
    assert np.all(decoded >= low) and np.all(decoded <= low + tf.gather(coder.highest, indexes).numpy())


def test_tables_other_than_tfcs_are_refused():
    with pytest.raises(ValueError):
        BoundedRangeCoder(np.array([16, 0, 65536]), np.array([0]))
