"""Separate source-channel coding: BPG over a CRC + LDPC + QAM bit pipe.

Three registered codecs share one link:

* ``bpg_ldpc`` -- the SP-JSCC paper's baseline: one fixed MCS (default
  IEEE 802.11n (1944,1458) + 16-QAM); each image sends the highest-quality
  BPG stream whose CRC-24 + whole codewords fit the symbol budget.
* ``bpg_adaptive`` -- per image, the (802.11n code, modulation, QP) that
  minimises the expected MSE at the SNR, from the shipped BLER table:
  ``p_ok * MSE(QP) + (1 - p_ok) * MSE(fallback)`` with
  ``p_ok = (1 - BLER)^codewords``; sending nothing is a candidate too.
* ``bpg_capacity`` -- an upper bound for any digital scheme: error-free
  delivery of ``floor(n_symbols * log2(1 + SNR))`` bits (CRC-24 included).

Outage (no stream fits, or the CRC fails) shows the fallback image of
:func:`linksim.data.fallback_image` and is counted per image.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from ..data import default_cache_dir, fallback_image
from ..errors import BitstreamError
from ..config import bounded
from ..registry import CODECS
from .base import Codec, Reception, Transmission, symbol_budget
from .source import bpg
from .source.cache import EncodingCache, image_key

CRC_BITS = 24
MODULATIONS = ("bpsk", "qpsk", "qam16", "qam64")
RATES = ("1/2", "2/3", "3/4", "5/6")
MAX_QP = 51


@lru_cache(maxsize=None)
def encoder_id() -> str:
    """Identity of the BPG encoder for the cache: PyAV (x265) version + the module's source hash."""
    import av
    source = Path(bpg.__file__).read_bytes()
    return f"bpg/av-{av.__version__}/{hashlib.sha256(source).hexdigest()[:12]}"


@lru_cache(maxsize=20000)
def decode_or_none(data: bytes):
    """Read-only decoded image of a BPG stream, None if undecodable.

    Memoised by content: the transmitter's distortion estimate and every run's
    receiver decode a given stream once (a CRC-checked stream is the sent one).
    """
    try:
        image = bpg.decode(data)
    except BitstreamError:
        return None
    image.setflags(write=False)
    return image


def _mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))


_CACHES = {}


def shared_cache(path: Optional[str]) -> EncodingCache:
    """One encoding cache per file for the whole process (codecs share encodings)."""
    if path not in _CACHES:
        _CACHES[path] = EncodingCache(path)
    return _CACHES[path]


def cache_stats() -> dict:
    """Hits and misses of every encoding cache used in this process (and flush them)."""
    for cache in _CACHES.values():
        cache.flush()
    return {str(path or "memory"): {"hits": c.hits, "misses": c.misses,
                                    "hit_rate": round(c.hit_rate, 4) if c.hits + c.misses else None}
            for path, c in _CACHES.items()}


class BpgLadder:
    """BPG streams of a batch of images at every QP, encoded lazily and cached.

    Args:
        images: uint8 ``[N, H, W, 3]``.
        chroma: "420" or "444".
        cache: the :class:`EncodingCache` holding encodings across runs.
    """

    def __init__(self, images: np.ndarray, chroma: str, cache: EncodingCache):
        self.images, self.chroma, self.cache = images, chroma, cache
        self.keys = [image_key(im) for im in images]
        self.codec_id = f"{encoder_id()}/{chroma}"
        self._mse = {}
        self.fallback = fallback_image(images.shape[1:])

    def stream(self, i: int, qp: int) -> bytes:
        return self.cache.get_or_encode(self.codec_id, self.keys[i], qp,
                                        lambda: bpg.encode(self.images[i], qp, self.chroma))

    def best_qp(self, i: int, max_bytes: int) -> Optional[int]:
        """Smallest QP (best quality) whose stream fits ``max_bytes``; None if none does.

        Bisection over QP: BPG sizes fall with QP (rare one-byte inversions
        can only make the choice one QP more cautious, never overflow).
        """
        if max_bytes <= 0 or len(self.stream(i, MAX_QP)) > max_bytes:
            return None
        lo, hi = 0, MAX_QP          # invariant: stream(hi) fits
        while lo < hi:
            mid = (lo + hi) // 2
            if len(self.stream(i, mid)) <= max_bytes:
                hi = mid
            else:
                lo = mid + 1
        return hi

    def mse(self, i: int, qp: int) -> float:
        """MSE of image i decoded at QP (computed at the transmitter, memoised)."""
        if (i, qp) not in self._mse:
            self._mse[i, qp] = _mse(decode_or_none(self.stream(i, qp)), self.images[i])
        return self._mse[i, qp]

    def fallback_mse(self, i: int) -> float:
        return _mse(self.fallback, self.images[i])


@dataclass
class _Group:
    """Images sent with one MCS: their indices and the pipe's layout of their codewords."""
    pipe: object
    indices: list
    layout: object
    start: int
    stop: int


class _DigitalLink(Codec):
    """Shared transmit/receive of the BPG-over-bit-pipe codecs."""
    digital = True

    def __init__(self, config):
        self.config = config
        path = None if config.cache == "memory" else str(default_cache_dir() / "bpg-encodings.sqlite")
        self.cache = shared_cache(path)

    def _ladder(self, images):
        return BpgLadder(images, self.config.chroma, self.cache)

    def _send(self, ladder, choices, budget):
        """Build a Transmission from per-image choices ``(pipe, qp)`` or None (outage)."""
        n = len(ladder.images)
        groups, symbols, offset = [], [], 0
        source_bits = np.zeros(n, np.int64)
        uses = np.zeros(n, np.int64)
        by_pipe = {}
        for i, choice in enumerate(choices):
            if choice is not None:
                by_pipe.setdefault(choice[0], []).append(i)
        for pipe, indices in by_pipe.items():
            payloads = [ladder.stream(i, choices[i][1]) for i in indices]
            syms, layout = pipe.modulate(payloads)
            for i, p in zip(indices, payloads):
                source_bits[i] = 8 * len(p)
                uses[i] = pipe.symbols_for(len(p))
            groups.append(_Group(pipe, indices, layout, offset, offset + len(syms)))
            symbols.append(syms)
            offset += len(syms)
        assert np.all(uses <= budget), "a digital codec overspent its symbol budget"
        all_symbols = np.concatenate(symbols) if symbols else np.zeros(0, np.complex64)
        outage = np.array([c is None for c in choices], bool)
        self.cache.flush()          # this point's new encodings are on disk for every later process
        return Transmission(all_symbols, uses, source_bits, outage, state=(ladder, groups))

    def receive(self, received, tx, snr_db):
        ladder, groups = tx.state
        images = np.repeat(ladder.fallback[None], len(ladder.images), axis=0)
        outage = tx.outage.copy()
        for g in groups:
            for i, r in zip(g.indices, g.pipe.demodulate(received[g.start:g.stop], g.layout, snr_db)):
                if r.crc_ok or self.config.decode_on_crc_failure:
                    image = decode_or_none(r.data)
                    if image is not None and image.shape == images[i].shape:
                        images[i] = image
                outage[i] = not r.crc_ok
        return Reception(images, outage)


@dataclass(frozen=True)
class BpgSourceOptions:
    """Options every BPG codec shares.

    Attributes:
        chroma: BPG chroma format, "420" (bpgenc's default) or "444".
        cache: "disk" (``$LINKSIM_CACHE``/bpg-encodings.sqlite) or "memory".
    """
    chroma: str = bounded("420", choices=("420", "444"))
    cache: str = bounded("disk", choices=("disk", "memory"))


@dataclass(frozen=True)
class BpgLinkOptions(BpgSourceOptions):
    """Options of the BPG codecs that cross a simulated bit pipe.

    Attributes:
        bp_iterations: belief-propagation iterations of the LDPC decoder.
        decode_on_crc_failure: decode streams whose CRC failed anyway (error
            resilience studies); the image still counts as an outage.
    """
    bp_iterations: int = bounded(20, lo=1, hi=200)
    decode_on_crc_failure: bool = False


@dataclass(frozen=True)
class BpgLdpcConfig(BpgLinkOptions):
    """``bpg_ldpc``: BPG + one fixed LDPC code + modulation (plus :class:`BpgLinkOptions`).

    Attributes:
        code: channel code name (``ldpc-80211n-1944-r34``, ``ldpc-5g-...``).
        modulation: bpsk, qpsk, qam16 or qam64.
    """
    code: str = "ldpc-80211n-1944-r34"
    modulation: str = bounded("qam16", choices=MODULATIONS)


@CODECS.register("bpg_ldpc", BpgLdpcConfig)
class BpgLdpc(_DigitalLink):
    """BPG + fixed-MCS bit pipe; the highest-quality stream that fits the whole-codeword budget."""

    def __init__(self, config: BpgLdpcConfig):
        super().__init__(config)
        self.pipe = make_pipe(config.code, config.modulation, config.bp_iterations)

    def transmit(self, images, snr_db, cpp):
        ladder = self._ladder(images)
        budget = symbol_budget(cpp, *images.shape[1:3])
        max_bytes = self.pipe.max_payload_bytes(budget)
        choices = []
        for i in range(len(images)):
            qp = ladder.best_qp(i, max_bytes)
            choices.append(None if qp is None else (self.pipe, qp))
        return self._send(ladder, choices, budget)


@dataclass(frozen=True)
class BpgAdaptiveConfig(BpgLinkOptions):
    """``bpg_adaptive``: per-image best (802.11n code, modulation, QP) by expected MSE.

    Attributes (plus :class:`BpgLinkOptions`):
        modulations: candidate modulations.
        codeword_lengths: candidate 802.11n codeword lengths.
        rates: candidate code rates "1/2", "2/3", "3/4", "5/6".
    """
    modulations: Tuple[str, ...] = bounded(MODULATIONS, choices=MODULATIONS)
    codeword_lengths: Tuple[int, ...] = bounded((648, 1296, 1944), choices=(648, 1296, 1944))
    rates: Tuple[str, ...] = bounded(RATES, choices=RATES)


@CODECS.register("bpg_adaptive", BpgAdaptiveConfig)
class BpgAdaptive(_DigitalLink):
    """Chooses code, modulation and QP per image to minimise expected distortion."""

    def __init__(self, config: BpgAdaptiveConfig):
        super().__init__(config)
        from ..phy.bler_table import load_bler_table
        self.table = load_bler_table()
        self.mcs = [(f"ldpc-80211n-{n}-r{r.replace('/', '')}", m) for n in config.codeword_lengths
                    for r in config.rates for m in config.modulations]

    def _best_choice(self, ladder, i, budget, snr_db):
        best_d, best = ladder.fallback_mse(i), None
        for code, modulation in self.mcs:
            pipe = make_pipe(code, modulation, self.config.bp_iterations)
            bler = self.table.bler(code, modulation, snr_db)
            if bler >= 1.0:
                continue
            seen = set()
            for codewords in range(1, budget // pipe.symbols_per_codeword + 1):
                qp = ladder.best_qp(i, pipe.max_payload_bytes(codewords * pipe.symbols_per_codeword))
                if qp is None or qp in seen:
                    continue
                seen.add(qp)
                used = pipe.codewords_for(len(ladder.stream(i, qp)))
                p_ok = (1.0 - bler) ** used
                d = p_ok * ladder.mse(i, qp) + (1.0 - p_ok) * ladder.fallback_mse(i)
                if d < best_d:
                    best_d, best = d, (pipe, qp)
        return best

    def transmit(self, images, snr_db, cpp):
        ladder = self._ladder(images)
        budget = symbol_budget(cpp, *images.shape[1:3])
        choices = [self._best_choice(ladder, i, budget, snr_db) for i in range(len(images))]
        return self._send(ladder, choices, budget)


@dataclass(frozen=True)
class BpgCapacityConfig(BpgSourceOptions):
    """``bpg_capacity``: error-free delivery at the AWGN capacity (options: :class:`BpgSourceOptions`)."""


@CODECS.register("bpg_capacity", BpgCapacityConfig)
class BpgCapacity(_DigitalLink):
    """Best BPG stream within ``floor(S * log2(1 + SNR))`` bits (CRC-24 counted), delivered error-free."""
    uses_channel = False

    @staticmethod
    def capacity_bits(n_symbols: int, snr_db: float) -> int:
        return int(math.floor(n_symbols * math.log2(1.0 + 10.0 ** (snr_db / 10.0))))

    def transmit(self, images, snr_db, cpp):
        ladder = self._ladder(images)
        budget = symbol_budget(cpp, *images.shape[1:3])
        max_bytes = (self.capacity_bits(budget, snr_db) - CRC_BITS) // 8
        qps = [ladder.best_qp(i, max_bytes) for i in range(len(images))]
        source_bits = np.array([0 if q is None else 8 * len(ladder.stream(i, q))
                                for i, q in enumerate(qps)], np.int64)
        outage = np.array([q is None for q in qps], bool)
        self.cache.flush()
        return Transmission(np.zeros(0, np.complex64), np.where(outage, 0, budget).astype(np.int64),
                            source_bits, outage, state=(ladder, qps))

    def receive(self, received, tx, snr_db):
        ladder, qps = tx.state
        images = np.repeat(ladder.fallback[None], len(qps), axis=0)
        for i, qp in enumerate(qps):
            if qp is not None:
                images[i] = decode_or_none(ladder.stream(i, qp))
        return Reception(images, tx.outage.copy())


@lru_cache(maxsize=None)
def make_pipe(code: str, modulation: str, bp_iterations: int = 20):
    """One shared :class:`~linksim.phy.bitpipe.BitPipe` per (code, modulation, iterations)."""
    from ..phy.bitpipe import BitPipe
    from ..phy.ldpc import make_code
    from ..phy.modulation import Modulation
    return BitPipe(make_code(code, iterations=bp_iterations), Modulation(modulation))
