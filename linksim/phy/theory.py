"""Closed-form error rates and outage at Es/N0 (unit-power, Gray-mapped constellations).

Over AWGN: the textbook nearest-symbol (slicer) BERs, e.g. Cho & Yoon, IEEE
Trans. Commun. 2002, for square QAM. linksim's demapper decides bits from APP
LLRs (bitwise MAP), which for 16/64-QAM at low SNR is slightly better than the
slicer; from about 4 dB on (16-QAM) the two agree (benchmarks/RESULTS.md).

Under flat fading with perfect receiver CSI and a fade per symbol: each slicer
term ``Q(sqrt(c * snr))`` averaged over the received SNR's distribution, by
Craig's formula ``Q(x) = 1/pi * int_0^{pi/2} exp(-x^2 / (2 sin^2 t)) dt`` and
the SNR's moment-generating function (Simon & Alouini, *Digital Communication
over Fading Channels*, 2005, ch. 5 and 8). For Rayleigh this is
``0.5 * (1 - sqrt(c g / 2 / (1 + c g / 2)))`` per term: BPSK
``0.5 * (1 - sqrt(g / (1 + g)))``.
"""
from __future__ import annotations

import numpy as np
from scipy.integrate import quad
from scipy.stats import norm

#: Slicer BER of each modulation as ``sum(weight * Q(sqrt(c * Es/N0)))``: ``(weight, c)`` terms.
_Q_TERMS = {
    "bpsk": ((1.0, 2.0),),
    "qpsk": ((1.0, 1.0),),
    "qam16": tuple((w / 4, k * k / 5) for w, k in ((3, 1), (2, 3), (-1, 5))),
    "qam64": tuple((w / 12, k * k / 21) for w, k in ((7, 1), (6, 3), (-1, 5), (1, 9), (-1, 13))),
}


def _terms(modulation: str):
    if modulation not in _Q_TERMS:
        raise ValueError(f"no closed form for modulation {modulation!r}")
    return _Q_TERMS[modulation]


def _linear(snr_db):
    return 10.0 ** (np.asarray(snr_db, dtype=np.float64) / 10.0)


def uncoded_ber(modulation: str, snr_db):
    """Slicer BER of ``bpsk``, ``qpsk``, ``qam16`` or ``qam64`` at Es/N0 ``snr_db`` (scalar or array)."""
    g = _linear(snr_db)
    return sum(w * norm.sf(np.sqrt(c * g)) for w, c in _terms(modulation))


def rayleigh_ber(modulation: str, snr_db):
    """Slicer BER under Rayleigh fading (a fade per symbol, perfect CSI) at average Es/N0 ``snr_db``."""
    g = _linear(snr_db)
    return sum(w * 0.5 * (1.0 - np.sqrt(c * g / 2 / (1.0 + c * g / 2))) for w, c in _terms(modulation))


def rician_ber(modulation: str, snr_db, k_factor: float):
    """Slicer BER under Rician fading of linear K-factor ``k_factor`` (a fade per symbol, perfect CSI) at
    average Es/N0 ``snr_db``, by numerical integration of Craig's formula over the Rician MGF."""
    def q_average(x):                                        # E[Q(sqrt(x * |h|^2))], E|h|^2 = 1
        def integrand(t):
            s = x / (2.0 * np.sin(t) ** 2)
            return (1 + k_factor) / (1 + k_factor + s) * np.exp(-k_factor * s / (1 + k_factor + s))
        return quad(integrand, 0.0, np.pi / 2)[0] / np.pi
    g = np.atleast_1d(_linear(snr_db))
    out = np.array([sum(w * q_average(c * gi) for w, c in _terms(modulation)) for gi in g])
    return out if np.ndim(snr_db) else float(out[0])


def rayleigh_outage(bits, symbols, snr_db):
    """Probability that ``bits`` over ``symbols`` complex uses exceed the capacity ``symbols * log2(1 + snr
    |h|^2)`` of one Rayleigh block fade: ``1 - exp(-(2**(bits/symbols) - 1) / snr)``."""
    rate = np.asarray(bits, dtype=np.float64) / np.asarray(symbols, dtype=np.float64)
    return -np.expm1(-(np.exp2(rate) - 1.0) / _linear(snr_db))


def shannon_limit_db(bits_per_symbol):
    """The smallest Es/N0 (dB) at which an AWGN channel carries ``bits_per_symbol`` information bits per
    complex symbol: ``log2(1 + Es/N0) = R`` (Gaussian inputs, any block length)."""
    return 10.0 * np.log10(2.0 ** np.asarray(bits_per_symbol, dtype=np.float64) - 1.0)
