"""Block fading: gains, CSI, equalisation and BER against closed forms (Simon & Alouini)."""
import math

import numpy as np
import pytest
import tensorflow as tf

from linksim.ber import ber_channel, simulate
from linksim.channels import (CHANNELS, RayleighBlockConfig, RicianBlockConfig, blocks_of, equalise, ls_estimate,
                              n_blocks, rician_gains, snr_db_to_no)
from linksim.errors import ConfigError
from linksim.phy.theory import rayleigh_ber, uncoded_ber

SNRS = (0.0, 5.0, 10.0, 15.0, 20.0)


def _ber(modulation, snr_db, channel, bits=300_000):
    return simulate(modulation, "none", snr_db, channel=channel, max_bits=bits, target_block_errors=10 ** 9)


@pytest.mark.parametrize("modulation", ["bpsk", "qpsk"])
def test_uncoded_ber_under_rayleigh_per_symbol_matches_the_closed_form(modulation):
    channel = ber_channel("rayleigh_block")
    assert channel.coherence == "symbols" and channel.coherence_symbols == 1
    for snr in SNRS:
        g = 10 ** (snr / 10) / (1 if modulation == "bpsk" else 2)            # average Eb/N0
        expected = 0.5 * (1 - math.sqrt(g / (1 + g)))
        assert rayleigh_ber(modulation, snr) == pytest.approx(expected)
        point = _ber(modulation, snr, channel)
        low, high = point["ber_ci95"]
        sigma = (high - low) / 2 / 1.959964
        assert abs(point["ber"] - expected) < 3 * sigma, (snr, point["ber"], expected, sigma)


def test_rician_k0_is_rayleigh_and_large_k_tends_to_awgn():
    re, im = tf.random.normal([1000], seed=1), tf.random.normal([1000], seed=2)
    np.testing.assert_array_equal(rician_gains(re, im, 0.0).numpy(), (tf.complex(re, im) * math.sqrt(0.5)).numpy())
    rayleigh = CHANNELS.build(RayleighBlockConfig()).draw_gains(50, 40, seed=[3, 4]).numpy()
    rician_k0 = CHANNELS.build(RicianBlockConfig(k_factor_db=-60.0)).draw_gains(50, 40, seed=[3, 4]).numpy()
    np.testing.assert_allclose(rician_k0, rayleigh, atol=2e-3)              # K = 1e-6: the same draws
    strong = ber_channel({"type": "rician_block", "k_factor_db": 40.0})
    for snr in (4.0, 8.0):
        point = _ber("qpsk", snr, strong, bits=200_000)
        assert point["ber"] == pytest.approx(float(uncoded_ber("qpsk", snr)), rel=0.1)
        assert point["ber"] < 0.5 * rayleigh_ber("qpsk", snr)


@pytest.mark.parametrize("k_db", [-60.0, 0.0, 10.0])
def test_gains_have_unit_power_and_the_rician_los_share(k_db):
    h = CHANNELS.build(RicianBlockConfig(k_factor_db=k_db)).draw_gains(400, 500, seed=[7, 1]).numpy()
    k = 10 ** (k_db / 10)
    assert np.mean(np.abs(h) ** 2) == pytest.approx(1.0, abs=0.01)
    assert np.mean(h).real == pytest.approx(math.sqrt(k / (k + 1)), abs=0.01)
    assert np.var(h) == pytest.approx(1 / (k + 1), rel=0.02)


def test_a_row_gains_depend_on_the_seed_alone():
    channel = CHANNELS.build(RayleighBlockConfig())
    a = channel.draw_gains(8, 16, seed=[5, 9]).numpy()
    np.testing.assert_array_equal(a, channel.draw_gains(8, 16, seed=[5, 9]).numpy())
    assert not np.allclose(a, channel.draw_gains(8, 16, seed=[5, 10]).numpy())


def test_each_symbol_meets_the_gain_of_its_block():
    channel = CHANNELS.build(RayleighBlockConfig(coherence="symbols", coherence_symbols=3))
    block = blocks_of(7, "symbols", 3)
    np.testing.assert_array_equal(block, [0, 0, 0, 1, 1, 1, 2])
    assert n_blocks(7, "symbols", 3) == 3 and n_blocks(7, "per_image") == 1 and n_blocks(7, "per_codeword", 1, 2) == 4
    gains = channel.draw_gains(2, 3, seed=[1, 1])
    x = tf.ones([2, 7], tf.complex64)
    received = channel(x, 200.0, block, gains)                             # noise-free in practice
    np.testing.assert_allclose(received.true_gain.numpy(), tf.gather(gains, block, axis=1).numpy())
    np.testing.assert_allclose(received.symbols.numpy(), received.true_gain.numpy(), atol=1e-5)
    y, no = equalise(received.symbols, received.gain, 10.0)
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-4)
    np.testing.assert_allclose(no.numpy(), 0.1 / np.abs(received.gain.numpy()) ** 2, rtol=1e-5)


@pytest.mark.parametrize("pilots", [1, 4, 16])
def test_least_squares_error_variance_is_n0_over_pilots(pilots):
    h = tf.complex(tf.random.normal([200_000], seed=3), tf.random.normal([200_000], seed=4))
    estimate = ls_estimate(h, 5.0, pilots, seed=[2, 2])
    error = (estimate - h).numpy()
    assert np.var(error) == pytest.approx(snr_db_to_no(5.0) / pilots, rel=0.02)
    assert abs(np.mean(error)) < 0.01                                     # unbiased


def test_estimated_csi_costs_accuracy_that_more_pilots_win_back():
    perfect = _ber("bpsk", 10.0, ber_channel("rayleigh_block"))["ber"]
    one = _ber("bpsk", 10.0, ber_channel({"type": "rayleigh_block", "csi": "estimated", "pilots": 1}))["ber"]
    many = _ber("bpsk", 10.0, ber_channel({"type": "rayleigh_block", "csi": "estimated", "pilots": 32}))["ber"]
    assert perfect < many < one


def test_block_fading_intervals_are_over_codewords():
    per_symbol = _ber("qpsk", 10.0, ber_channel("rayleigh_block"), bits=200_000)
    per_codeword = _ber("qpsk", 10.0, ber_channel({"type": "rayleigh_block", "coherence": "per_codeword"}),
                        bits=200_000)
    width = lambda p: p["ber_ci95"][1] - p["ber_ci95"][0]
    binomial = 2 * 1.96 * math.sqrt(per_codeword["ber"] * (1 - per_codeword["ber"]) / per_codeword["bits"])
    assert width(per_codeword) > 3 * binomial                             # bits in one fade are not independent
    assert width(per_codeword) > 3 * width(per_symbol)
    assert per_codeword["ber"] == pytest.approx(per_symbol["ber"], rel=0.35)   # same mean, any coherence


def test_bad_channel_options_are_refused():
    with pytest.raises(ConfigError, match="codewords, not images"):
        ber_channel({"type": "rayleigh_block", "coherence": "per_image"})
    with pytest.raises(ConfigError, match="pilots"):
        ber_channel({"type": "rayleigh_block", "csi": "estimated"})
    with pytest.raises(ConfigError, match="pilots"):
        ber_channel({"type": "rayleigh_block", "pilots": 4})
    with pytest.raises(ConfigError, match="unknown channel type"):
        ber_channel("nakagami")
