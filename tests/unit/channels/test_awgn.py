"""AWGN channel: Es/N0 convention, measured SNR, broadcasting, seeding."""
import numpy as np
import pytest
import sionna
import tensorflow as tf

from linksim.channels import AWGNChannel, measure_esno_db, snr_db_to_no
from linksim.phy.modulation import Modulation


def _qam16_symbols(shape, seed=0):
    bits = np.random.default_rng(seed).integers(0, 2, shape[:-1] + (4 * shape[-1],)).astype(np.float32)
    return Modulation("qam16").map(bits).numpy()


def test_snr_db_to_no_is_es_over_n0():
    assert snr_db_to_no(0.0) == pytest.approx(1.0)
    assert snr_db_to_no(10.0) == pytest.approx(0.1)
    assert snr_db_to_no(-3.0) == pytest.approx(10 ** 0.3)
    np.testing.assert_allclose(snr_db_to_no(tf.constant([0.0, 20.0])).numpy(), [1.0, 0.01], rtol=1e-6)


@pytest.mark.parametrize("snr_db", [0.0, 7.5, 20.0])
def test_measured_esno_within_0p1_db(snr_db):
    x = _qam16_symbols((200_000,))
    sionna.config.seed = 5
    y = AWGNChannel()(x, snr_db).numpy()
    assert abs(measure_esno_db(x, y) - snr_db) < 0.1
    # noise variance no/2 per real dimension
    w = y - x
    assert np.var(w.real) == pytest.approx(snr_db_to_no(snr_db) / 2, rel=0.02)
    assert np.var(w.imag) == pytest.approx(snr_db_to_no(snr_db) / 2, rel=0.02)


def test_per_row_snr_broadcasts():
    x = _qam16_symbols((2, 100_000))
    y = AWGNChannel()(x, tf.constant([3.0, 13.0])).numpy()
    assert abs(measure_esno_db(x[0], y[0]) - 3.0) < 0.1
    assert abs(measure_esno_db(x[1], y[1]) - 13.0) < 0.1


def test_seed_reproduces_noise_eager_and_in_tf_function():
    ch = AWGNChannel()
    x = tf.zeros([1000], tf.complex64)

    @tf.function
    def graph(v):
        return ch(v, 0.0)

    for fn in (lambda v: ch(v, 0.0), graph):
        sionna.config.seed = 11
        a = fn(x).numpy()
        sionna.config.seed = 11
        b = fn(x).numpy()
        sionna.config.seed = 12
        c = fn(x).numpy()
        np.testing.assert_array_equal(a, b)
        assert not np.allclose(a, c)
