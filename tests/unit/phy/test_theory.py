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
