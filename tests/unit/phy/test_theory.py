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
