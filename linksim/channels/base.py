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

    @abc.abstractmethod
    def __call__(self, x, snr_db, block, gains, seed=None) -> Received:
        """Send ``x`` complex ``[rows, S]``; ``block`` int ``[rows, S]`` or ``[S]``: each symbol's column
        of ``gains`` (complex ``[rows, n_blocks]`` from :meth:`draw_gains`); ``seed``: int32 ``[2]``
        stateless seed of the pilots' noise (None: Sionna's global generator)."""

    @abc.abstractmethod
    def draw_gains(self, rows: int, n_blocks: int, seed=None):
        """Complex ``[rows, n_blocks]`` gains; ``seed`` int32 ``[2]`` stateless (None: Sionna's generator)."""


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
