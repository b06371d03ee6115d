"""Rayleigh and Rician block fading with receiver CSI (perfect or least-squares from pilots).

Gains are Rician with K-factor ``K`` (linear) and unit mean power:

    h = sqrt(K / (K + 1)) + sqrt(1 / (K + 1)) * g,   g ~ CN(0, 1),

so ``K = 0`` is Rayleigh and ``K -> inf`` a fixed unit gain (AWGN). The line-of-sight phase is 0 (a
coherent receiver with CSI sees no difference from any other fixed phase). Sionna 0.19's
``RayleighBlockFading`` draws one gain per batch example from its global generator, and has no Rician
model, so the gains here are drawn from a stateless seed: the table of an image is the same for every
codec that sends it. The noise is Sionna's AWGN (:class:`~linksim.channels.awgn.AWGNChannel`).

Estimated CSI: each coherence block starts with ``pilots`` known unit symbols ``p = 1``; the receiver
averages ``y_p = h + w_p``, so ``h_hat = h + e`` with ``e ~ CN(0, N0 / pilots)`` (least squares, which
for known unit pilots is also the sample mean).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ..config import bounded
from ..errors import ConfigError
from .awgn import AWGNChannel, snr_db_to_no
from .base import CHANNELS, COHERENCE, Channel, Fades, Received, n_blocks


def rician_gains(normal_re, normal_im, k_factor: float):
    """Unit-power Rician gains from two real standard-normal tensors of one shape (``k_factor`` linear)."""
    scatter = tf.complex(normal_re, normal_im) * tf.cast(math.sqrt(0.5 / (k_factor + 1.0)), tf.complex64)
    return scatter + tf.cast(math.sqrt(k_factor / (k_factor + 1.0)), tf.complex64)


def _normals(shape, seed):
    """Two standard-normal tensors of ``shape``: stateless from ``seed`` int32 ``[2]``, else Sionna's generator."""
    if seed is None:
        from sionna import config
        return config.tf_rng.normal(shape), config.tf_rng.normal(shape)
    seed = tf.convert_to_tensor(seed, tf.int32)
    return (tf.random.stateless_normal(shape, seed), tf.random.stateless_normal(shape, seed + [0, 1]))


def ls_estimate(gains, snr_db, pilots: int, seed=None):
    """Least-squares estimates of ``gains`` (complex, any shape) from ``pilots`` unit pilots each.

    ``snr_db`` broadcasts against ``gains``. Returns ``gains + e`` with ``e ~ CN(0, N0 / pilots)``, drawn
    as the mean of ``pilots`` noise samples.
    """
    shape = tf.concat([tf.shape(gains), [pilots]], 0)
    re, im = _normals(shape, seed)
    noise_std = tf.sqrt(snr_db_to_no(tf.cast(snr_db, tf.float32)) / 2.0)[..., tf.newaxis]
    noise = tf.complex(re * noise_std, im * noise_std)
    return tf.reduce_mean(gains[..., tf.newaxis] + noise, axis=-1)


#: Equal-weight fade nodes of :meth:`BlockFadingChannel.delivery_probability` (the deepest at the
#: 1/1024 quantile).
FADE_NODES = 512


@dataclass(frozen=True)
class RayleighBlockConfig:
    """``{type: rayleigh_block}``: Rayleigh gains constant over coherence blocks.

    Attributes:
        coherence: ``per_image`` (one fade per image), ``per_codeword`` (one per LDPC codeword; an analog
            codec's whole image is one codeword), or ``symbols`` (every ``coherence_symbols`` symbols).
        coherence_symbols: block length when ``coherence`` is ``symbols`` (1: i.i.d. fades per symbol).
        csi: receiver CSI: ``perfect``, or ``estimated`` from ``pilots`` unit pilots per block.
        pilots: pilot symbols per coherence block when ``csi`` is ``estimated`` (charged to the budget).
    """
    coherence: str = bounded("per_image", choices=COHERENCE)
    coherence_symbols: int = bounded(1, lo=1, hi=10 ** 6)
    csi: str = bounded("perfect", choices=("perfect", "estimated"))
    pilots: int = bounded(0, lo=0, hi=4096)

    def __post_init__(self):
        if (self.csi == "estimated") != (self.pilots > 0):
            raise ConfigError("channel: csi 'estimated' needs pilots >= 1, and pilots need csi 'estimated'")

    @property
    def k_factor(self) -> float:
        """Linear K-factor: 0 (no line of sight)."""
        return 0.0


@dataclass(frozen=True)
class RicianBlockConfig(RayleighBlockConfig):
    """``{type: rician_block, k_factor_db: K}``: as ``rayleigh_block`` with a line-of-sight part of power
    ``K / (K + 1)`` (``rayleigh_block`` is ``K = 0``).

    Attributes:
        k_factor_db: K, the line-of-sight to scattered power ratio, in dB (large: AWGN).
    """
    k_factor_db: float = bounded(0.0, lo=-60.0, hi=60.0)

    @property
    def k_factor(self) -> float:
        """Linear K-factor ``10**(k_factor_db/10)``."""
        return 10.0 ** (self.k_factor_db / 10.0)


class BlockFadingChannel(Channel):
    """``y = h x + w`` with ``h`` constant over each coherence block (see the module docstring).

    Parameters
    ----------
    config : RayleighBlockConfig or RicianBlockConfig

    Input (``__call__``)
    --------------------
    x : complex ``[rows, S]``; block : int ``[rows, S]`` or ``[S]``; gains : complex ``[rows, B]``;
    snr_db : scalar or ``[rows]`` Es/N0 (average received SNR); seed : pilot-noise seed or None.

    Output
    ------
    :class:`~linksim.channels.base.Received`: ``symbols`` ``[rows, S]``, the receiver's ``gain`` and the
    ``true_gain`` per symbol.
    """
    fading = True

    def __init__(self, config):
        self.config = config
        self.k_factor = config.k_factor
        self.pilots = config.pilots
        self._awgn = AWGNChannel()
        self._powers = self.fade_powers()

    def draw_gains(self, rows: int, n_blocks: int, seed=None):
        return rician_gains(*_normals([rows, n_blocks], seed), self.k_factor)

    def fade_powers(self) -> np.ndarray:
        """``FADE_NODES`` equal-weight nodes of ``|h|^2``: its quantiles at ``(j + 1/2) / FADE_NODES``
        (exponential for Rayleigh; ``ncx2(2, 2K) / (2 (K + 1))`` for Rician)."""
        from scipy import stats
        u = (np.arange(FADE_NODES) + 0.5) / FADE_NODES
        if self.k_factor == 0:
            return stats.expon.ppf(u)
        return stats.ncx2.ppf(u, 2, 2 * self.k_factor) / (2 * (self.k_factor + 1))

    def delivery_probability(self, codeword_success, snr_db: float, codewords: int) -> float:
        """As over AWGN, averaged over the fade with perfect receiver CSI: ``E_h[s(snr |h|^2) ** k]`` when
        one fade spans the image (``per_image``), ``E_h[s(snr |h|^2)] ** k`` when each codeword has its
        own. With ``symbols`` coherence a codeword may span several fades, which helps it; the
        per-codeword value is then a lower bound."""
        success = np.asarray(codeword_success(snr_db + 10.0 * np.log10(self._powers)), np.float64)
        if self.config.coherence == "per_image":
            return float(np.mean(success ** codewords))
        return float(np.mean(success) ** codewords)

    def capacity_outage(self, bits, symbols: int, snr_db: float):
        """``P(|h|^2 < (2^(bits/symbols) - 1) / SNR)`` (bits an integer array: ``bits > floor(C)`` is
        ``bits > C``), from the exact CDF of ``|h|^2``: Rayleigh ``1 - exp(-x)``, Rician the scaled
        noncentral chi-square."""
        from scipy import stats
        x = np.expm1(np.asarray(bits, np.float64) / symbols * np.log(2.0)) / 10.0 ** (snr_db / 10.0)
        if self.k_factor == 0:
            return stats.expon.cdf(x)
        return stats.ncx2.cdf(x * 2 * (self.k_factor + 1), 2, 2 * self.k_factor)

    def fades(self, images: int, budget: int, snr_db: float, seed) -> Fades:
        """One run's :class:`~linksim.channels.base.Fades` of ``images`` images at a budget of ``budget``
        symbols each, from ``seed`` int32 ``[2]`` alone: one column per block the budget can hold (a
        codeword per symbol at most), so every codec meets the same table."""
        c = self.config
        width = n_blocks(max(budget, 1), c.coherence, c.coherence_symbols, codeword_symbols=1)
        seed = tf.convert_to_tensor(seed, tf.int32)
        true = self.draw_gains(images, width, seed)
        known = true if not self.pilots else ls_estimate(true, snr_db, self.pilots, seed + [1, 0])
        return Fades(true.numpy(), tf.convert_to_tensor(known).numpy(), c.coherence, c.coherence_symbols)

    def send(self, x, layout, fades: Fades, snr_db):
        """``h x + w`` for sent symbols ``x`` complex ``[S]`` at the places ``layout``
        (:class:`~linksim.codecs.base.SymbolLayout`) gives them; the noise from Sionna's generator."""
        h = fades.at(layout.image, layout.position, layout.codeword, known=False)
        return self._awgn(tf.constant(h * np.asarray(x).reshape(-1), tf.complex64), snr_db).numpy()

    def __call__(self, x, snr_db, block, gains, seed=None) -> Received:
        x = tf.convert_to_tensor(x, tf.complex64)
        block = tf.broadcast_to(tf.convert_to_tensor(block, tf.int32), tf.shape(x))
        h = tf.gather(gains, block, batch_dims=1)
        y = self._awgn(h * x, snr_db)
        known = gains if not self.pilots else ls_estimate(gains, _per_row(snr_db, gains), self.pilots, seed)
        return Received(y, tf.gather(known, block, batch_dims=1), h)


def _per_row(snr_db, table):
    """``snr_db`` (scalar or ``[rows]``) broadcast against a ``[rows, B]`` table."""
    snr_db = tf.cast(snr_db, tf.float32)
    return snr_db[:, tf.newaxis] if snr_db.shape.rank == 1 else snr_db


def equalise(y, gain, snr_db):
    """Zero-forcing equalisation: ``(y / gain, N0 / |gain|^2)``, the symbols and their effective noise
    variance per symbol for a demapper (LLRs scaled by the channel gain)."""
    power = tf.maximum(tf.abs(gain) ** 2, 1e-12)
    no = snr_db_to_no(tf.cast(snr_db, tf.float32))
    if no.shape.rank == 1:
        no = no[:, tf.newaxis]
    return y / gain, no / power


def mmse_equalise(y, gain, snr_db):
    """Linear MMSE estimates ``conj(h) y / (|h|^2 + N0)`` of unit-power symbols (``snr_db`` broadcast
    against ``y``): bounded in a deep fade where zero forcing is not."""
    y, gain = tf.convert_to_tensor(y, tf.complex64), tf.convert_to_tensor(gain, tf.complex64)
    no = snr_db_to_no(tf.cast(snr_db, tf.float32))
    return tf.math.conj(gain) * y / tf.cast(tf.abs(gain) ** 2 + no, tf.complex64)


def analog_equalise(y, gain, snr_db, one_fade_per_image: bool):
    """What an analog (deep JSCC) decoder is given under fading with receiver CSI, and at which SNR.

    Args:
        y, gain: complex ``[N, ...]`` received symbols and the receiver's gain of each.
        snr_db: average Es/N0, scalar or ``[N]``.
        one_fade_per_image: every symbol of an image sees the same gain.

    Returns ``(symbols, decoder SNR dB [N])``. With one fade per image: the zero-forced ``y / h`` and
    the image's effective SNR ``snr_db + 10 log10 |h|^2``, which is exactly the AWGN channel the
    decoder was trained on (against MMSE symbols at the average SNR, for the AWGN-trained
    ``ar_jscc``: +10.9 and +12.3 accuracy points at 0 dB, CPP 1/4 and 1/2, none significantly worse
    from 5 dB on; ``benchmarks/jscc_fading_receiver.py``). Otherwise one SNR cannot describe an
    image, and the decoder gets MMSE estimates at the average SNR.
    """
    y, gain = tf.convert_to_tensor(y, tf.complex64), tf.convert_to_tensor(gain, tf.complex64)
    snr_db = tf.broadcast_to(tf.cast(snr_db, tf.float32), tf.shape(y)[:1])
    if not one_fade_per_image:
        shape = tf.concat([tf.shape(snr_db), tf.ones([tf.rank(y) - 1], tf.int32)], 0)
        return mmse_equalise(y, gain, tf.reshape(snr_db, shape)), snr_db
    power = tf.maximum(tf.abs(gain) ** 2, 1e-12)
    per_image = tf.reshape(power, [tf.shape(power)[0], -1])[:, 0]
    return y / gain, snr_db + 10.0 * tf.math.log(per_image) / math.log(10.0)


@CHANNELS.register("rayleigh_block", RayleighBlockConfig)
def _rayleigh(config: RayleighBlockConfig) -> BlockFadingChannel:
    return BlockFadingChannel(config)


@CHANNELS.register("rician_block", RicianBlockConfig)
def _rician(config: RicianBlockConfig) -> BlockFadingChannel:
    return BlockFadingChannel(config)


__all__ = ["BlockFadingChannel", "RayleighBlockConfig", "RicianBlockConfig", "analog_equalise", "equalise",
           "mmse_equalise", "ls_estimate", "rician_gains"]
