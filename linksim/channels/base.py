"""The channel interface, its registry, and how symbols map onto coherence blocks.

A channel is built from a scenario node ``{type: awgn}`` (the default),
``{type: rayleigh_block, ...}`` or ``{type: rician_block, k_factor_db: ...}``
through :data:`CHANNELS`. Every channel takes complex unit-power symbols laid
out in rows (one row per image, or per codeword in ``linksim ber``), each
symbol tagged with the index of the coherence block it falls in, and returns
the received symbols with the receiver's knowledge of the channel:

    y = h[row, block] * x + w,   w ~ CN(0, N0),   N0 = 10**(-snr_db/10)

``h`` is 1 for AWGN. For fading, ``E|h|^2 = 1``, so ``snr_db`` stays Es/N0,
the *average* received SNR. The gains of a row are one table
``[rows, n_blocks]`` drawn from a seed alone, never from the codec, so every
codec meets the same fade on the same image.
"""
from __future__ import annotations

import abc
import math
from dataclasses import dataclass

import numpy as np

from ..registry import Registry

CHANNELS = Registry("channel", "linksim.channels")

#: Coherence choices: a whole image in one fade, one fade per codeword, or a fixed number of symbols.
COHERENCE = ("per_image", "per_codeword", "symbols")


@dataclass
class Received:
    """What crosses a channel, as the receiver sees it.

    Attributes:
        symbols: complex ``[rows, S]`` received symbols.
        gain: complex ``[rows, S]`` the receiver's channel estimate per symbol (the true gain for
            perfect CSI; all ones for AWGN).
        true_gain: complex ``[rows, S]`` the gain that acted (for outage and genie bounds).
    """
    symbols: object
    gain: object
    true_gain: object


class Channel(abc.ABC):
    """A memoryless channel with block-constant gains.

    Attributes:
        fading: False when every gain is 1 (AWGN): callers may skip the CSI.
        pilots: known symbols the receiver spends per coherence block to estimate the gain
            (0 with perfect CSI); a codec charges them to its budget.
    """
    fading: bool = False
    pilots: int = 0

    def delivery_probability(self, codeword_success, snr_db: float, codewords: int) -> float:
        """Probability that all ``codewords`` codewords of one image decode, for a transmitter that knows
        only the average ``snr_db``; ``codeword_success(snr_db array) -> array``: a codeword's success
        probability over AWGN (1 - BLER from a table). Over AWGN ``success(snr) ** codewords``."""
        return float(np.asarray(codeword_success(np.array([snr_db])))[0]) ** codewords

    def capacity_outage(self, bits, symbols: int, snr_db: float):
        """Probability that ``bits`` (array) exceed the capacity ``floor(symbols log2(1 + SNR |h|^2))`` of
        one fade; over AWGN 0 or 1."""
        capacity = np.floor(symbols * np.log2(1.0 + 10.0 ** (snr_db / 10.0)))
        return (np.asarray(bits) > capacity).astype(np.float64)

    @abc.abstractmethod
    def __call__(self, x, snr_db, block, gains, seed=None) -> Received:
        """Send ``x`` complex ``[rows, S]``; ``block`` int ``[rows, S]`` or ``[S]``: each symbol's column
        of ``gains`` (complex ``[rows, n_blocks]`` from :meth:`draw_gains`); ``seed``: int32 ``[2]``
        stateless seed of the pilots' noise (None: Sionna's global generator)."""

    @abc.abstractmethod
    def draw_gains(self, rows: int, n_blocks: int, seed=None):
        """Complex ``[rows, n_blocks]`` gains; ``seed`` int32 ``[2]`` stateless (None: Sionna's generator)."""


@dataclass
class Fades:
    """One run's fades at one grid point: a gain per (image, coherence block), as it acted and as the
    receiver knows it.

    Attributes:
        true: complex ``[N, B]`` gains that act on the symbols.
        known: complex ``[N, B]`` the receiver's CSI (``true`` when perfect, least-squares otherwise).
        coherence, coherence_symbols: how symbols map onto the ``B`` columns (:func:`block_index`).
    """
    true: np.ndarray
    known: np.ndarray
    coherence: str
    coherence_symbols: int = 1

    def block(self, position, codeword) -> np.ndarray:
        """Column of each symbol, from its position in its image's transmission and its codeword ordinal."""
        if self.coherence == "per_image":
            return np.zeros_like(position)
        return codeword if self.coherence == "per_codeword" else position // self.coherence_symbols

    def at(self, image, position, codeword, known: bool = True) -> np.ndarray:
        """Complex gain ``[S]`` of symbols of ``image`` at ``position`` in codeword ``codeword`` (all int
        ``[S]``): the receiver's estimate, or the true gain when ``known`` is False."""
        table = self.known if known else self.true
        return table[image, self.block(position, codeword)]

    def capacity_bits(self, symbols: int, snr_db: float) -> np.ndarray:
        """Per image, the instantaneous capacity ``sum_s log2(1 + snr |h_s|^2)`` of its first ``symbols``
        positions (one codeword: a capacity-achieving stream has no codeword structure)."""
        position = np.arange(symbols)
        columns = self.block(position, np.zeros_like(position))
        power = np.abs(self.true[:, columns]) ** 2
        return np.log2(1.0 + 10.0 ** (snr_db / 10.0) * power).sum(axis=1)


def blocks_of(symbols_per_row: int, coherence: str, coherence_symbols: int = 1, codeword_symbols: int = 0):
    """Coherence block index ``[S]`` of each of a row's ``symbols_per_row`` symbols.

    ``per_image``: all 0; ``per_codeword``: ``s // codeword_symbols`` (a row holding one codeword is one
    block); ``symbols``: ``s // coherence_symbols``.
    """
    s = np.arange(symbols_per_row)
    if coherence == "per_image":
        return np.zeros(symbols_per_row, np.int32)
    if coherence == "per_codeword":
        return (s // max(codeword_symbols or symbols_per_row, 1)).astype(np.int32)
    return (s // coherence_symbols).astype(np.int32)


def n_blocks(symbols_per_row: int, coherence: str, coherence_symbols: int = 1, codeword_symbols: int = 0) -> int:
    """Number of coherence blocks a row of ``symbols_per_row`` symbols spans (at least 1)."""
    if coherence == "per_image" or symbols_per_row == 0:
        return 1
    size = (codeword_symbols or symbols_per_row) if coherence == "per_codeword" else coherence_symbols
    return math.ceil(symbols_per_row / size)
