"""Fades of a grid point: one table per run from the seed alone, placed by each codec's symbol layout."""
import numpy as np
import pytest

from linksim import metrics
from linksim.channels import CHANNELS, RayleighBlockConfig
from linksim.codecs.base import SymbolLayout
from linksim.phy.theory import rayleigh_outage
from linksim.sim import fade_seed

Z999 = 3.2905


@pytest.mark.parametrize("snr_db", [5.0, 10.0, 20.0])
def test_capacity_outage_under_per_image_rayleigh_is_the_closed_form(snr_db):
    channel = CHANNELS.build(RayleighBlockConfig(coherence="per_image"))
    n_images, symbols = 40_000, 256
    fades = channel.fades(n_images, symbols, snr_db, fade_seed(0, snr_db, 0.25, 0))
    capacity = fades.capacity_bits(symbols, snr_db)
    for bits in (256, 700, 1500):
        outage = float(np.mean(bits > np.floor(capacity)))
        low, high = metrics.wilson_interval(outage, n_images)
        z_ratio = Z999 / metrics.Z95
        centre = (low + high) / 2
        expected = float(rayleigh_outage(bits, symbols, snr_db))
        assert abs(expected - centre) <= (high - low) / 2 * z_ratio + 1e-12, (bits, outage, expected)


def test_every_codec_meets_the_same_fade_and_runs_meet_new_ones():
    channel = CHANNELS.build(RayleighBlockConfig(coherence="per_image"))
    a = channel.fades(10, 256, 10.0, fade_seed(0, 10.0, 0.25, 0))
    b = channel.fades(10, 256, 10.0, fade_seed(0, 10.0, 0.25, 0))
    c = channel.fades(10, 256, 10.0, fade_seed(0, 10.0, 0.25, 1))
    np.testing.assert_array_equal(a.true, b.true)
    assert a.true.shape == (10, 1) and not np.allclose(a.true, c.true)
    analog = SymbolLayout.of_rows([0, 0, 3], 64)                         # two groups of image 0, one of 3
    digital = SymbolLayout.of_rows([0, 3, 3], 96, rows_per_codeword=1)   # one codeword of 0, two of 3
    for layout in (analog, digital):
        h = a.at(layout.image, layout.position, layout.codeword)
        np.testing.assert_array_equal(h, a.true[layout.image, 0])


def test_coherence_places_symbols_in_their_blocks():
    layout = SymbolLayout.of_rows([2, 2, 2], 4, rows_per_codeword=1)     # image 2: three codewords of 4
    np.testing.assert_array_equal(layout.position, np.arange(12))
    np.testing.assert_array_equal(layout.codeword, np.repeat([0, 1, 2], 4))
    per_codeword = CHANNELS.build(RayleighBlockConfig(coherence="per_codeword")).fades(3, 12, 10.0, [1, 0])
    assert per_codeword.true.shape == (3, 12)                            # a codeword per symbol at most
    np.testing.assert_array_equal(per_codeword.at(layout.image, layout.position, layout.codeword),
                                  per_codeword.true[2, np.repeat([0, 1, 2], 4)])
    every_5 = CHANNELS.build(RayleighBlockConfig(coherence="symbols", coherence_symbols=5)).fades(3, 12, 10.0, [1, 0])
    assert every_5.true.shape == (3, 3)
    np.testing.assert_array_equal(every_5.at(layout.image, layout.position, layout.codeword),
                                  every_5.true[2, np.arange(12) // 5])


def test_estimated_csi_knows_the_gain_up_to_the_least_squares_error():
    channel = CHANNELS.build(RayleighBlockConfig(csi="estimated", pilots=8))
    fades = channel.fades(50_000, 256, 10.0, [4, 0])
    error = fades.known - fades.true
    assert np.var(error) == pytest.approx(0.1 / 8, rel=0.03)


def test_delivery_probability_from_the_awgn_table_matches_a_simulated_fading_bler():
    from linksim.ber import ber_channel, simulate
    from linksim.phy.bler_table import load_bler_table
    table, code = load_bler_table(), "ldpc-80211n-648-r12"
    success = lambda snrs: 1.0 - table.blers(code, "qpsk", snrs)
    per_codeword = CHANNELS.build(ber_channel({"type": "rayleigh_block", "coherence": "per_codeword"}))
    predicted = 1.0 - per_codeword.delivery_probability(success, 10.0, 1)
    point = simulate("qpsk", code, 10.0, channel=per_codeword.config, max_bits=324 * 3000,
                     target_block_errors=10 ** 9, seed=3)
    low, high = point["bler_ci95"]
    assert 0.05 < predicted < 0.3
    assert low - 0.01 <= predicted <= high + 0.01, (predicted, point["bler"], low, high)


def test_one_fade_per_image_delivers_more_often_than_a_fade_per_codeword_and_awgn_is_the_table():
    from linksim.channels import Awgn
    from linksim.phy.bler_table import load_bler_table
    table = load_bler_table()
    success = lambda snrs: 1.0 - table.blers("ldpc-80211n-1944-r34", "qam16", snrs)
    assert Awgn().delivery_probability(success, 11.0, 3) == pytest.approx(
        (1 - table.bler("ldpc-80211n-1944-r34", "qam16", 11.0)) ** 3)
    image = CHANNELS.build(RayleighBlockConfig(coherence="per_image")).delivery_probability(success, 20.0, 3)
    codeword = CHANNELS.build(RayleighBlockConfig(coherence="per_codeword")).delivery_probability(success, 20.0, 3)
    single = CHANNELS.build(RayleighBlockConfig(coherence="per_codeword")).delivery_probability(success, 20.0, 1)
    assert codeword == pytest.approx(single ** 3) and image > codeword       # E[s^3] >= E[s]^3
    assert image < Awgn().delivery_probability(success, 20.0, 3)             # fading costs


@pytest.mark.parametrize("k_db", [None, 6.0])
def test_capacity_outage_is_the_fade_cdf(k_db):
    from linksim.channels import Awgn, RicianBlockConfig
    config = RayleighBlockConfig() if k_db is None else RicianBlockConfig(k_factor_db=k_db)
    channel = CHANNELS.build(config)
    fades = channel.fades(40_000, 256, 10.0, [9, 9])
    capacity = np.floor(fades.capacity_bits(256, 10.0))
    bits = np.array([300, 600, 900])
    simulated = [(b > capacity).mean() for b in bits]
    np.testing.assert_allclose(channel.capacity_outage(bits, 256, 10.0), simulated, atol=0.008)
    if k_db is None:
        np.testing.assert_allclose(channel.capacity_outage(bits, 256, 10.0), rayleigh_outage(bits, 256, 10.0))
    np.testing.assert_array_equal(Awgn().capacity_outage(np.array([885, 886]), 256, 10.0), [0.0, 1.0])
