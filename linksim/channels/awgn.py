"""Channels between transmitter and receiver (AWGN on top of ``sionna.channel``).

SNR convention (see DESIGN.md): ``snr_db`` is Es/N0 per complex channel symbol
for unit-power symbols, so the complex noise variance is
``no = 10**(-snr_db/10)`` (``no/2`` per real dimension).

Reproducibility: the noise is drawn from Sionna's global generator
``sionna.config.tf_rng``.  Setting ``sionna.config.seed = s`` resets that
generator's state (``reset_from_seed``); every later draw, eager or inside a
``tf.function`` traced before or after, then repeats exactly for the same
sequence of calls.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from sionna.channel import AWGN

from .base import CHANNELS, Channel, Received

__all__ = ["snr_db_to_no", "AWGNChannel", "measure_esno_db", "AWGNConfig", "Awgn"]


def snr_db_to_no(snr_db):
    """Noise variance per complex symbol for an Es/N0 of ``snr_db`` dB.

    Works on Python floats, NumPy arrays and TensorFlow tensors (the result has
    the input's kind).  Unlike ``sionna.utils.ebnodb2no`` there is no
    coderate/bits-per-symbol term: every SNR in linksim is Es/N0.
    """
    return 10.0 ** (-snr_db / 10.0)


class AWGNChannel(tf.keras.layers.Layer):
    """Complex AWGN at a given Es/N0, a thin layer over ``sionna.channel.AWGN``.

    Parameters
    ----------
    dtype : tf.DType
        Complex dtype of inputs and outputs (default ``tf.complex64``).

    Input
    -----
    x : [..., n], complex
        Channel symbols (unit average power for ``snr_db`` to be Es/N0).
    snr_db : scalar or [...] float
        Es/N0 in dB; a tensor of lower rank than ``x`` is broadcast by adding
        trailing axes (e.g. shape ``[batch]`` gives one SNR per row).

    Output
    ------
    y : [..., n], complex
        ``x + w`` with ``w`` circularly-symmetric Gaussian of variance
        ``10**(-snr_db/10)``, drawn from ``sionna.config.tf_rng``.
    """

    def __init__(self, dtype=tf.complex64, **kwargs):
        super().__init__(dtype=dtype, **kwargs)
        self._awgn = AWGN(dtype=dtype)
        self._real_dtype = tf.dtypes.as_dtype(dtype).real_dtype

    def call(self, x, snr_db):
        snr_db = tf.cast(snr_db, self._real_dtype)
        return self._awgn((x, snr_db_to_no(snr_db)))


def measure_esno_db(x, y) -> float:
    """Empirical Es/N0 in dB: ``10*log10(mean|x|^2 / mean|y-x|^2)``.

    ``x`` (sent) and ``y`` (received) are complex arrays or tensors of one shape.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    return float(10.0 * np.log10(np.mean(np.abs(x) ** 2) / np.mean(np.abs(y - x) ** 2)))


@dataclass(frozen=True)
class AWGNConfig:
    """``{type: awgn}`` (the default channel): complex AWGN at Es/N0, every gain 1."""


class Awgn(Channel):
    """The :class:`~linksim.channels.base.Channel` interface over :class:`AWGNChannel`: gains of 1 and
    perfect knowledge of them."""

    def __init__(self, config: AWGNConfig = AWGNConfig()):
        self.config = config
        self._awgn = AWGNChannel()

    def draw_gains(self, rows: int, n_blocks: int, seed=None):
        return tf.ones([rows, n_blocks], tf.complex64)

    def __call__(self, x, snr_db, block=None, gains=None, seed=None) -> Received:
        x = tf.convert_to_tensor(x, tf.complex64)
        ones = tf.ones_like(x)
        return Received(self._awgn(x, snr_db), ones, ones)


@CHANNELS.register("awgn", AWGNConfig)
def _awgn(config: AWGNConfig) -> Awgn:
    return Awgn(config)
