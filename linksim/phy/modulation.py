"""Digital modulation: Sionna's Gray-labelled constellations with soft APP demapping.

LLR convention (Sionna 0.19): ``llr = log(p(b=1|y) / p(b=0|y))``, i.e. a
positive LLR favours bit 1; Sionna's decoders expect the same.
"""
from __future__ import annotations

import tensorflow as tf
from sionna.mapping import Constellation, Demapper, Mapper

from ..errors import ConfigError

__all__ = ["MODULATIONS", "Modulation"]

#: name -> bits per symbol
MODULATIONS = {"bpsk": 1, "qpsk": 2, "qam16": 4, "qam64": 6}


class Modulation:
    """A unit-average-power constellation with its mapper and APP demapper.

    BPSK is Sionna's one-bit PAM (points +1, -1); QPSK/16-QAM/64-QAM are
    Sionna's Gray-labelled square QAM (3GPP TS 38.211 labelling).

    Parameters
    ----------
    name : str
        One of ``bpsk``, ``qpsk``, ``qam16``, ``qam64``.

    Attributes
    ----------
    name : str
    bits_per_symbol : int
    constellation : sionna.mapping.Constellation

    ``map(bits)``: bits ``[..., m*bits_per_symbol]`` float32 in {0,1} ->
    symbols ``[..., m]`` complex64 (bits are grouped per symbol along the last
    axis).

    ``demap(y, no)``: received symbols ``[..., m]`` complex64 and noise
    variance ``no`` (scalar or broadcastable, per complex symbol) -> LLRs
    ``[..., m*bits_per_symbol]`` float32 (positive favours bit 1).

    Raises
    ------
    ConfigError
        If ``name`` is not a known modulation.
    """

    def __init__(self, name: str):
        if name not in MODULATIONS:
            raise ConfigError(f"unknown modulation {name!r}; allowed: {', '.join(MODULATIONS)}")
        self.name = name
        self.bits_per_symbol = MODULATIONS[name]
        if name == "bpsk":
            self.constellation = Constellation("pam", 1)
        else:
            self.constellation = Constellation("qam", self.bits_per_symbol)
        self._mapper = Mapper(constellation=self.constellation)
        self._demapper = Demapper("app", constellation=self.constellation)

    def map(self, bits):
        bits = tf.convert_to_tensor(bits, tf.float32)
        if bits.shape.rank == 1:  # Sionna's mapper wants a batch axis
            return self._mapper(bits[tf.newaxis])[0]
        return self._mapper(bits)

    def demap(self, y, no):
        y = tf.convert_to_tensor(y, tf.complex64)
        no = tf.cast(no, tf.float32)
        if y.shape.rank == 1:
            return self._demapper((y[tf.newaxis], no))[0]
        return self._demapper((y, no))

    def __repr__(self) -> str:
        return f"Modulation({self.name!r})"
