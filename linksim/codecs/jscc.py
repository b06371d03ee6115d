"""Deep JSCC codecs: ``ar_jscc`` (AR-JSCC, MSE-trained) and ``sp_jscc`` (SP-weighted loss).

Both are the same :class:`~linksim.models.jscc.AdaptiveRateJSCC` network with
different shipped weights. The encoder sees the SNR (one model serves
0-20 dB) and emits 8 groups of 64 complex symbols (CPP 1/16 each), of which
the first two are always sent. Three modes:

* ``fixed`` (every fair comparison): an image sends ``floor(16 * CPP)``
  groups (at most 8), the policy's highest-scoring ones. A budget below the
  two always-sent groups (CPP < 1/8) cannot carry any image: outage, the
  fallback image is shown.
* ``adaptive``: adaptive rate control. The network's shipped group allocator
  (:class:`~linksim.models.jscc.GroupAllocator`) predicts each image's PSNR
  for every group count from what the transmitter sees (features, group
  energies, SNR) and sends the count that maximises PSNR minus
  ``price_db_per_bit`` per bit per pixel of AWGN capacity spent, taking the
  policy's highest-ranked groups, capped at the budget's ``floor(16 * CPP)``.
* ``policy``: the AR-JSCC paper's own rule: the policy network's hard on/off
  decision per group (trained with Gumbel-softmax on MSE + rate), capped at
  the budget the same way.

In the adaptive modes the CPP each image actually used is reported.

Only the symbols of sent groups cross the channel. Which groups were sent is
side information of one bit per selective group (6 bits per image), assumed
delivered error-free and not charged (see :mod:`linksim.models.jscc`).
Symbols are power-normalised per image over the symbols sent.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import bounded
from ..data import fallback_image
from ..registry import CODECS
from .base import Codec, Reception, SymbolLayout, Transmission


@dataclass(frozen=True)
class ARJSCCConfig:
    """``ar_jscc``.

    Attributes:
        weights: zoo name of the trained network, or the ``<run>/<variant>.weights.npz``
            a ``linksim train ar_jscc|sp_jscc`` run wrote (fixed and policy modes).
        mode: "fixed" (exactly the budget's groups), "adaptive" (the group
            allocator's count per image) or "policy" (the policy's own on/off
            choices); both adaptive modes are capped at the budget.
        price_db_per_bit: adaptive mode's price of capacity: the PSNR (dB) an
            image must be predicted to gain per bit per pixel of AWGN
            capacity, ``CPP * log2(1 + SNR)``, to send more groups.
        batch_size: images per encoder/decoder batch.
    """
    weights: str = "ar_jscc"
    mode: str = bounded("fixed", choices=("fixed", "adaptive", "policy"))
    price_db_per_bit: float = bounded(4.0, lo=0.0, hi=1000.0)
    batch_size: int = bounded(500, lo=1, hi=100000)


@dataclass(frozen=True)
class SPJSCCConfig(ARJSCCConfig):
    """``sp_jscc``: as ``ar_jscc``, with the SP-JSCC weights (loss weighted by SP maps, eq. 11)."""
    weights: str = "sp_jscc"


@CODECS.register("ar_jscc", ARJSCCConfig)
@CODECS.register("sp_jscc", SPJSCCConfig)
class DeepJSCC(Codec):
    """Analog deep JSCC over the channel: encoder symbols in, decoded images out (no bit stream).

    ``transmit`` returns ``symbols`` complex64 ``[n_sent_groups, 64]`` (the sent
    groups of every image, image-major) and ``channel_uses`` ``[N]`` = 64 x
    groups sent; ``receive`` takes the noisy symbols of that shape.

    Args:
        config: :class:`ARJSCCConfig` or :class:`SPJSCCConfig`.
        model: optional :class:`~linksim.models.jscc.AdaptiveRateJSCC` used
            instead of loading ``config.weights`` from the zoo.
        allocator: optional :class:`~linksim.models.jscc.GroupAllocator` for
            adaptive mode, instead of the one the zoo ships for ``config.weights``.
    """

    sends_bits = False

    def __init__(self, config: ARJSCCConfig, model=None, allocator=None):
        import tensorflow as tf
        from .. import zoo
        self.config = config
        self.model = model if model is not None else zoo.load_jscc(config.weights)
        if config.mode == "adaptive" and allocator is None:
            allocator = zoo.load_allocator(config.weights)

        def encode(x, snr, selective):
            if config.mode == "fixed":
                return self.model.encode(x, snr, active=selective)
            if config.mode == "policy":
                return self.model.encode(x, snr, limit=selective)
            return self.model.encode_allocated(x, snr, allocator, config.price_db_per_bit, limit=selective)
        self._encode = tf.function(encode, reduce_retracing=True)
        self._decode = tf.function(self.model.decode, reduce_retracing=True)

    def groups_for(self, cpp: float) -> int:
        """Groups that fit a budget of ``cpp`` channel uses per pixel (0 when under the always-sent ones)."""
        from ..models.jscc import PIXELS, SYMBOLS_PER_GROUP
        groups = min(int(np.floor(cpp * PIXELS / SYMBOLS_PER_GROUP + 1e-9)), self.model.groups)
        return groups if groups >= self.model.fixed_groups else 0

    def transmit(self, images, snr_db, cpp):
        import tensorflow as tf
        from ..models.jscc import SYMBOLS_PER_GROUP
        n, groups = len(images), self.groups_for(cpp)
        if groups == 0 or n == 0:
            return Transmission(np.zeros((0, SYMBOLS_PER_GROUP), np.complex64), np.zeros(n, np.int64),
                                np.zeros(n, np.int64), np.ones(n, bool), state=(None, images.shape))
        selective = tf.constant(groups - self.model.fixed_groups, tf.int32)
        symbols, masks = [], []
        for s in range(0, n, self.config.batch_size):
            x = tf.constant(images[s:s + self.config.batch_size], tf.float32)
            snr = tf.fill([len(x)], tf.constant(snr_db, tf.float32))
            sym, mask = self._encode(x, snr, selective)
            symbols.append(sym.numpy())
            masks.append(mask.numpy() > 0.5)
        symbols, masks = np.concatenate(symbols), np.concatenate(masks)
        uses = masks.sum(axis=1).astype(np.int64) * SYMBOLS_PER_GROUP
        return Transmission(symbols[masks].astype(np.complex64), uses, np.zeros(n, np.int64),
                            np.zeros(n, bool), state=(masks, images.shape),
                            layout=SymbolLayout.of_rows(np.nonzero(masks)[0], SYMBOLS_PER_GROUP))

    def receive(self, received, tx, snr_db, fades=None):
        import tensorflow as tf
        from ..models.jscc import SYMBOLS_PER_GROUP
        masks, shape = tx.state
        if masks is None:
            return Reception(np.broadcast_to(fallback_image(shape[1:]), shape).copy(), tx.outage.copy())
        decoder_snr = np.full(len(masks), snr_db, np.float32)
        if fades is not None:
            received, row_snr = self._equalise(received, tx, fades, snr_db)
            decoder_snr[tx.layout.image.reshape(received.shape)[:, 0]] = row_snr
        grid = np.zeros(masks.shape + (SYMBOLS_PER_GROUP,), np.complex64)
        grid[masks] = received
        out = []
        for s in range(0, len(grid), self.config.batch_size):
            y = tf.constant(grid[s:s + self.config.batch_size])
            m = tf.constant(masks[s:s + self.config.batch_size], tf.float32)
            out.append(self._decode(y, m, tf.constant(decoder_snr[s:s + self.config.batch_size])).numpy())
        return Reception(np.concatenate(out), tx.outage.copy())

    @staticmethod
    def _equalise(received, tx, fades, snr_db):
        """Received rows ``[n_sent_groups, 64]`` equalised with the receiver's CSI, and the SNR each
        row's image is decoded at ``[n_sent_groups]`` (:func:`~linksim.channels.analog_equalise`)."""
        from ..channels import analog_equalise
        gain = fades.at(tx.layout.image, tx.layout.position, tx.layout.codeword).reshape(received.shape)
        symbols, row_snr = analog_equalise(received, gain, snr_db, fades.coherence == "per_image")
        return symbols.numpy(), row_snr.numpy()
