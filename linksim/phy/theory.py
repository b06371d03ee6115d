"""Closed-form error rates over AWGN at Es/N0 (unit-power, Gray-mapped constellations).

The textbook nearest-symbol (slicer) BERs, e.g. Cho & Yoon, IEEE Trans.
Commun. 2002, for square QAM. linksim's demapper decides bits from APP LLRs
(bitwise MAP), which for 16/64-QAM at low SNR is slightly better than the
slicer; from about 4 dB on (16-QAM) the two agree (benchmarks/RESULTS.md).
"""
from __future__ import annotations

import numpy as np
from scipy.stats import norm


def uncoded_ber(modulation: str, snr_db):
    """Slicer BER of ``bpsk``, ``qpsk``, ``qam16`` or ``qam64`` at Es/N0 ``snr_db`` (scalar or array)."""
    g = 10.0 ** (np.asarray(snr_db, dtype=np.float64) / 10.0)
    q = norm.sf
    if modulation == "bpsk":
        return q(np.sqrt(2 * g))
    if modulation == "qpsk":
        return q(np.sqrt(g))
    if modulation == "qam16":
        a = np.sqrt(g / 5)
        return (3 * q(a) + 2 * q(3 * a) - q(5 * a)) / 4
    if modulation == "qam64":
        a = np.sqrt(g / 21)
        return (7 * q(a) + 6 * q(3 * a) - q(5 * a) + q(9 * a) - q(13 * a)) / 12
    raise ValueError(f"no closed form for modulation {modulation!r}")


def shannon_limit_db(bits_per_symbol):
    """The smallest Es/N0 (dB) at which an AWGN channel carries ``bits_per_symbol`` information bits per
    complex symbol: ``log2(1 + Es/N0) = R`` (Gaussian inputs, any block length)."""
    return 10.0 * np.log10(2.0 ** np.asarray(bits_per_symbol, dtype=np.float64) - 1.0)
