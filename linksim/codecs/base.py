"""The one codec interface every way across the channel implements.

A codec is built from its frozen config (see :mod:`linksim.registry`). The
simulation driver calls, per grid point (SNR, CPP):

1. ``tx = codec.transmit(images, snr_db, cpp)`` once: deterministic work
   (encoding, MCS/quality choice). ``tx.symbols`` is what enters the channel.
2. per run: ``y = channel(tx.symbols, snr_db)`` then
   ``rx = codec.receive(y, tx, snr_db)``; under fading ``y = h x + w`` with ``h``
   from one :class:`~linksim.channels.base.Fades` table per run, placed by
   ``tx.layout``, and ``rx = codec.receive(y, tx, snr_db, fades)``: the receiver
   equalises with ``fades.at(...)`` (its CSI); the SNR stays the average Es/N0.

``images`` are uint8 ``[N, H, W, 3]``; received images are uint8 too.
"""
from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np


def symbol_budget(cpp: float, height: int, width: int) -> int:
    """Complex channel uses an image may spend: floor(CPP * H * W)."""
    return int(math.floor(cpp * height * width + 1e-9))


@dataclass(frozen=True)
class SymbolLayout:
    """Where each sent symbol sits, in the order of ``Transmission.symbols`` flattened (int ``[S]`` each):
    its ``image``, its ``position`` within that image's transmission (0, 1, ...), and the ordinal of the
    ``codeword`` it belongs to within that image (0 for an analog codec: its image is one codeword).
    A fading channel gives each symbol the gain of the coherence block these place it in."""
    image: np.ndarray
    position: np.ndarray
    codeword: np.ndarray

    @classmethod
    def of_rows(cls, images, symbols_per_row: int, rows_per_codeword: int = 0) -> "SymbolLayout":
        """Rows of ``symbols_per_row`` symbols, row ``r`` of image ``images[r]``, rows of one image
        consecutive; ``rows_per_codeword`` rows make a codeword (0: an image's rows are one codeword)."""
        images = np.asarray(images, np.int64)
        first = np.r_[0, np.flatnonzero(np.diff(images)) + 1] if len(images) else np.zeros(0, np.int64)
        ordinal = np.arange(len(images)) - np.repeat(first, np.diff(np.r_[first, len(images)]))
        within = np.arange(symbols_per_row)
        position = (ordinal[:, None] * symbols_per_row + within).reshape(-1)
        codeword = np.repeat(ordinal // rows_per_codeword if rows_per_codeword else np.zeros_like(ordinal), symbols_per_row)
        return cls(np.repeat(images, symbols_per_row), position, codeword)


@dataclass
class Transmission:
    """What a codec's transmit side sends for a batch of N images.

    Attributes:
        symbols: complex64 array of any shape: every symbol that crosses the
            channel (empty when nothing does).
        channel_uses: int ``[N]`` complex symbols charged to each image (whole
            codewords, padding and CRC included).
        source_bits: int ``[N]`` bits of each image's source stream (0 if none).
        outage: bool ``[N]`` images the transmitter already knows it cannot
            deliver (budget too small for any stream).
        state: codec-private data its receive side needs.
        layout: :class:`SymbolLayout` of ``symbols`` (None when none are sent).
    """
    symbols: np.ndarray
    channel_uses: np.ndarray
    source_bits: np.ndarray
    outage: np.ndarray
    state: Any = None
    layout: Optional[SymbolLayout] = None


@dataclass
class Reception:
    """What a codec's receive side returns.

    Attributes:
        images: uint8 ``[N, H, W, 3]`` shown to the classifier and metrics.
        outage: bool ``[N]``: no valid image was delivered (fallback shown).
    """
    images: np.ndarray
    outage: np.ndarray


class Codec(abc.ABC):
    """A way of getting images across a noisy channel under a CPP budget."""

    #: False for codecs whose output does not depend on channel noise
    #: (identity, capacity bound): one run is computed and reused.
    uses_channel: bool = True
    #: True for digital links, whose images either arrive or are lost (outage):
    #: their "cliff" (smallest CPP delivering half the images) is reported.
    digital: bool = False
    #: False for analog codecs (deep JSCC): their symbols carry no bit stream, so a point reports no
    #: ``source_bits`` for them (None, not 0).
    sends_bits: bool = True
    #: True for a codec without channel noise whose outcome still depends on the fade (the capacity bound):
    #: under fading it is computed run by run.
    feels_fades: bool = False
    #: What the transmitter knows of the channel: its statistics (a :class:`~linksim.channels.base.Channel`),
    #: never a realisation; set by the simulation driver, None meaning AWGN.
    channel = None

    @abc.abstractmethod
    def transmit(self, images: np.ndarray, snr_db: float, cpp: float) -> Transmission:
        """Encode a batch ``[N, H, W, 3]`` uint8 for the given SNR and budget."""

    @abc.abstractmethod
    def receive(self, received: np.ndarray, tx: Transmission, snr_db: float, fades=None) -> Reception:
        """Reconstruct images from the noisy ``received`` symbols (same shape as ``tx.symbols``);
        ``fades``: the run's :class:`~linksim.channels.base.Fades` under fading (None over AWGN)."""


def as_uint8(images) -> np.ndarray:
    """Round and clip to 8-bit, as every received image is before evaluation."""
    return np.clip(np.rint(np.asarray(images, dtype=np.float32)), 0, 255).astype(np.uint8)
