"""Closed-form uncoded BERs against a direct NumPy Monte Carlo of the Gray slicer."""
import numpy as np
import pytest

from linksim.phy.theory import uncoded_ber


@pytest.mark.parametrize("modulation, m, dims", [("bpsk", 2, 1), ("qpsk", 2, 2), ("qam16", 4, 2), ("qam64", 8, 2)])
def test_closed_form_matches_monte_carlo(modulation, m, dims, rng):
    snr_db, n = 6.0, 400_000
    levels = 2 * np.arange(m) - (m - 1)
    scale = np.sqrt(dims * np.mean(levels ** 2))                 # unit symbol energy
    gray = np.arange(m) ^ (np.arange(m) >> 1)
    sigma = np.sqrt(10 ** (-snr_db / 10) / 2)                    # complex noise, per real dimension
    sent = rng.integers(0, m, (n, dims))
    received = levels[sent] / scale + rng.normal(0, sigma, (n, dims))
    decided = np.clip(np.rint((received * scale + (m - 1)) / 2), 0, m - 1).astype(int)
    errors = np.unpackbits((gray[sent] ^ gray[decided]).astype(np.uint8)[..., None], axis=-1).sum()
    ber = errors / (n * dims * np.log2(m))
    expected = float(uncoded_ber(modulation, snr_db))
    assert abs(ber - expected) < 4 * np.sqrt(expected / (n * dims * np.log2(m)))


def test_shannon_limit_inverts_awgn_capacity():
    from linksim.phy.theory import shannon_limit_db
    assert shannon_limit_db(1.0) == pytest.approx(0.0, abs=1e-12)       # 1 bit/symbol at Es/N0 = 1
    efficiency = np.array([0.5, 2.0, 3.0, 4.5])                        # e.g. BPSK r1/2 .. 64-QAM r3/4
    limit = shannon_limit_db(efficiency)
    assert np.allclose(np.log2(1 + 10 ** (limit / 10)), efficiency)
    assert shannon_limit_db(3.0) == pytest.approx(10 * np.log10(7))


@pytest.mark.parametrize("modulation", ["bpsk", "qpsk", "qam16", "qam64"])
def test_rician_ber_spans_rayleigh_to_awgn(modulation):
    from linksim.phy.theory import rayleigh_ber, rician_ber
    snrs = np.array([0.0, 10.0, 20.0])
    np.testing.assert_allclose(rician_ber(modulation, snrs, 0.0), rayleigh_ber(modulation, snrs), rtol=1e-7)
    moderate = snrs[:2]                  # at 1e-23 and below even K = 1e5's scatter sets the tail
    np.testing.assert_allclose(rician_ber(modulation, moderate, 1e5), uncoded_ber(modulation, moderate), rtol=0.02)
    assert np.all(np.diff(rayleigh_ber(modulation, snrs)) < 0)


def test_rayleigh_outage_is_the_exponential_tail():
    from linksim.phy.theory import rayleigh_outage
    power = np.random.default_rng(0).exponential(1.0, 1_000_000)          # |h|^2 of CN(0, 1)
    for bits, symbols, snr_db in ((2048, 256, 20.0), (500, 256, 5.0), (100, 300, 0.0)):
        capacity = symbols * np.log2(1 + 10 ** (snr_db / 10) * power)
        assert rayleigh_outage(bits, symbols, snr_db) == pytest.approx(np.mean(capacity < bits), abs=2e-3)
