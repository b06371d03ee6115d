"""The digital link below a source codec: CRC-24 + channel code + modulation.

Per payload (one image's byte string)::

    bytes -> bits (MSB first) -> zero padding -> CRC24A (Sionna CRCEncoder) of
    payload + padding in the last 24 bits of the last codeword -> encode -> map
    ==channel==>  demap -> decode -> CRC check -> frame (payload + padding bytes)

Every padding bit is sent, so a payload costs ``codewords_for(L)`` whole
codewords. The receiver learns nothing from the transmitter but the symbols:
it knows the codeword count from the symbols it received and checks the CRC
over the whole padded frame. The pipe assumes nothing about a payload's
bytes: it returns the whole frame, and the payload's owner finds its end (a
source codec's stream is self-delimiting, see
:meth:`linksim.codecs.source.base.SourceCodec.stream_length`). The codewords of all payloads of a call are flattened into one
``[C, k]`` matrix and encoded/decoded in ``tf.function`` (XLA) calls of a fixed
number of codewords (the last chunk zero-padded), so one compilation serves
every call.

The transmit side (:meth:`BitPipe.modulate`) and receive side
(:meth:`BitPipe.demodulate`) are separate so a link can encode once and
receive several channel realisations; :meth:`BitPipe.transmit` chains them
with an AWGN channel.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from sionna.fec.crc import CRCEncoder

from ..channels import AWGNChannel, equalise, snr_db_to_no
from ..errors import ConfigError
from .ldpc import BlockCode
from .modulation import Modulation

__all__ = ["CRC_BITS", "BitPipe", "Layout", "Received"]

CRC_BITS = 24


@dataclass(frozen=True)
class Received:
    """What the receiver got for one payload.

    Attributes:
        frame: the received frame's whole bytes after CRC removal: the payload,
            then the zero padding up to the last codeword (possibly corrupted
            when ``crc_ok`` is False).
        crc_ok: the CRC-24 of the frame matches the received CRC bits.
        codewords: codewords sent for this payload (padding included).
        codewords_ok: of these, how many passed their LDPC parity check.
        symbols: complex channel symbols sent for this payload.
    """
    frame: bytes
    crc_ok: bool
    codewords: int
    codewords_ok: int
    symbols: int


@dataclass(frozen=True)
class Layout:
    """Codewords per payload, in order: all the receiver knows (it counts received symbols)."""
    codewords: tuple


class BitPipe:
    """CRC + channel code + modulation for a list of byte payloads.

    Parameters
    ----------
    code : linksim.phy.ldpc.BlockCode
        The channel code (``make_code(...)``).
    modulation : linksim.phy.modulation.Modulation
    chunk_codewords : int
        Codewords per compiled encode/decode call (memory bound; the last
        chunk of a call is zero-padded to this size).

    Shapes: ``modulate(list of P payloads) -> (symbols [S] complex64, Layout)``
    with ``S = sum(symbols_for(len(p)))``; ``demodulate(received [S], layout,
    snr_db) -> list of P Received``.  Noise comes from ``sionna.config.tf_rng``
    (in :meth:`transmit`), so ``sionna.config.seed = s`` first makes it
    reproducible.
    """

    def __init__(self, code: BlockCode, modulation: Modulation, chunk_codewords: int = 64):
        if code.n % modulation.bits_per_symbol:
            raise ConfigError(f"code {code.name} (n={code.n}) does not fill whole "
                              f"{modulation.name} symbols")
        self.code, self.modulation = code, modulation
        self.chunk_codewords = int(chunk_codewords)
        self.symbols_per_codeword = code.n // modulation.bits_per_symbol
        self.channel = AWGNChannel()
        self._crc_encoders = {}
        k, spc = code.k, self.symbols_per_codeword

        @tf.function(jit_compile=True, input_signature=[tf.TensorSpec([None, k], tf.float32)])
        def tx(u):
            return modulation.map(code.encode(u))

        @tf.function(jit_compile=True, input_signature=[tf.TensorSpec([None, spc], tf.complex64),
                                                        tf.TensorSpec([], tf.float32)])
        def rx(y, no):
            return code.decode(modulation.demap(y, no))

        @tf.function(jit_compile=True, input_signature=[tf.TensorSpec([None, spc], tf.complex64),
                                                        tf.TensorSpec([None, spc], tf.float32)])
        def rx_per_symbol(y, no):                        # equalised fading: a noise variance per symbol
            return code.decode(modulation.demap(y, no))

        self._tx, self._rx, self._rx_per_symbol = tx, rx, rx_per_symbol

    def __repr__(self) -> str:
        return f"BitPipe({self.code.name!r}, {self.modulation.name!r})"

    # ---- budget arithmetic -------------------------------------------------
    def codewords_for(self, n_payload_bytes: int) -> int:
        """Whole codewords that carry a payload of this many bytes plus its CRC-24."""
        return -(-(8 * int(n_payload_bytes) + CRC_BITS) // self.code.k)

    def symbols_for(self, n_payload_bytes: int) -> int:
        """Complex symbols sent for a payload of this many bytes (padding counted)."""
        return self.codewords_for(n_payload_bytes) * self.symbols_per_codeword

    def max_payload_bytes(self, n_symbols: int) -> int:
        """Largest payload (bytes) whose CRC and padding fit in ``n_symbols`` symbols.

        Returns -1 when not even one codeword fits (nothing, not even an
        empty payload's CRC, can be sent); otherwise a value ``>= 0`` with
        ``symbols_for(value) <= n_symbols < symbols_for(value + 1)``.
        """
        bits = (int(n_symbols) // self.symbols_per_codeword) * self.code.k - CRC_BITS
        return -1 if bits < 0 else bits // 8

    # ---- CRC -----------------------------------------------------------------
    def _crc(self, rows: list) -> list:
        """CRC24A parity bits (uint8 [24]) of each bit array in ``rows``.

        Sionna's CRC is linear with a zero initial state, so leading zeros do
        not change it: rows are left-padded to a power-of-two length and
        computed in one call per length (one cached encoder per length).
        """
        out = [None] * len(rows)
        buckets = {}
        for i, r in enumerate(rows):
            buckets.setdefault(max(256, 1 << (len(r) - 1).bit_length()), []).append(i)
        for length, idx in buckets.items():
            if length not in self._crc_encoders:
                self._crc_encoders[length] = CRCEncoder("CRC24A")
            mat = np.zeros((len(idx), length), np.float32)
            for j, i in enumerate(idx):
                if len(rows[i]):
                    mat[j, -len(rows[i]):] = rows[i]
            parity = self._crc_encoders[length](tf.constant(mat))[:, -CRC_BITS:].numpy()
            for j, i in enumerate(idx):
                out[i] = parity[j].astype(np.uint8)
        return out

    # ---- transmit / receive ------------------------------------------------------------
    def _chunks(self, fn, rows: np.ndarray, *extra, row_args=()):
        """Apply a compiled chunk function over the rows of ``rows`` (and of each array of ``row_args``,
        passed after ``extra``), padding the last chunk (padding rows of ``row_args`` are ones)."""
        c = self.chunk_codewords
        outs = []
        for start in range(0, len(rows), c):
            parts = [rows[start:start + c]] + [a[start:start + c] for a in row_args]
            pad = c - len(parts[0])
            if pad:
                parts = [np.concatenate([a, (np.zeros if k == 0 else np.ones)((pad,) + a.shape[1:], a.dtype)])
                         for k, a in enumerate(parts)]
            part, more = parts[0], [tf.constant(a) for a in parts[1:]]
            res = fn(tf.constant(part), *extra, *more)
            res = res if isinstance(res, tuple) else (res,)
            outs.append([r.numpy()[:c - pad] for r in res])
        return [np.concatenate(parts) for parts in zip(*outs)]

    def modulate(self, payloads: list) -> tuple:
        """Payloads (any bytes) -> ``(symbols [S] complex64, Layout)``."""
        payloads = [bytes(p) for p in payloads]
        codewords = tuple(self.codewords_for(len(p)) for p in payloads)
        layout = Layout(codewords)
        if not payloads:
            return np.zeros(0, np.complex64), layout
        frames = []
        for p, c in zip(payloads, codewords):
            frame = np.zeros(c * self.code.k - CRC_BITS, np.uint8)
            bits = np.unpackbits(np.frombuffer(p, np.uint8))
            frame[:len(bits)] = bits
            frames.append(frame)
        info = np.concatenate([np.concatenate([f, crc]) for f, crc in zip(frames, self._crc(frames))])
        (symbols,) = self._chunks(self._tx, info.astype(np.float32).reshape(-1, self.code.k))
        return symbols.reshape(-1), layout

    def demodulate(self, received, layout: Layout, snr_db: float, gain=None) -> list:
        """Received symbols ``[S]`` (array or tensor) of a :meth:`modulate` call -> list of :class:`Received`.

        ``gain``: complex ``[S]`` the receiver's channel estimate per symbol under fading: the symbols are
        equalised (zero forcing) and demapped with the noise variance ``N0 / |gain|^2`` of each.
        """
        total = sum(layout.codewords)
        if total == 0:
            return []
        shape = (total, self.symbols_per_codeword)
        y = np.asarray(received, np.complex64).reshape(shape)
        if gain is None:
            no = tf.constant(snr_db_to_no(float(snr_db)), tf.float32)
            bits_hat, ok = self._chunks(self._rx, y, no)
        else:
            y, no = (np.asarray(t).reshape(shape) for t in equalise(y, np.asarray(gain).reshape(shape), snr_db))
            bits_hat, ok = self._chunks(self._rx_per_symbol, y.astype(np.complex64),
                                        row_args=(no.astype(np.float32),))
        flat = bits_hat.reshape(-1).astype(np.uint8)
        frames, crcs, row = [], [], 0
        for c in layout.codewords:
            end = (row + c) * self.code.k
            frames.append(flat[row * self.code.k:end - CRC_BITS])
            crcs.append(flat[end - CRC_BITS:end])
            row += c
        out, row = [], 0
        for frame, got, want, c in zip(frames, crcs, self._crc(frames), layout.codewords):
            whole_bytes = frame[:len(frame) // 8 * 8]
            out.append(Received(frame=np.packbits(whole_bytes).tobytes(),
                                crc_ok=bool(np.array_equal(got, want)),
                                codewords=c, codewords_ok=int(ok[row:row + c].sum()),
                                symbols=c * self.symbols_per_codeword))
            row += c
        return out

    def transmit(self, payloads: list, snr_db: float) -> list:
        """Send payloads over AWGN at Es/N0 ``snr_db`` dB -> one :class:`Received` each."""
        symbols, layout = self.modulate(payloads)
        received = self.channel(symbols, float(snr_db)) if symbols.size else symbols
        return self.demodulate(received, layout, snr_db)
