"""Separate source-channel coding: any source codec over a CRC + LDPC + QAM bit pipe.

Three link policies, each a registered codec taking a ``source: {type: ...}``
node (BPG by default, :mod:`linksim.codecs.source`):

* ``ldpc_link`` (``bpg_ldpc``) -- the SP-JSCC paper's baseline: one fixed MCS
  (default IEEE 802.11n (1944,1458) + 16-QAM); each image sends the
  highest-quality stream whose CRC-24 + whole codewords fit the symbol budget.
* ``adaptive_link`` (``bpg_adaptive``) -- per image, the (802.11n code,
  modulation, quality) that minimises the expected MSE at the SNR, from the
  shipped BLER table: ``p_ok * MSE(quality) + (1 - p_ok) * MSE(fallback)``
  with ``p_ok = (1 - BLER)^codewords``; sending nothing is a candidate too.
* ``capacity_link`` (``bpg_capacity``) -- an upper bound for any digital
  scheme: error-free delivery of ``floor(n_symbols * log2(1 + SNR))`` bits
  (CRC-24 included).

The ``bpg_*`` names are the same links with BPG as their (default) source;
a link's label names its source and its policy (``bpg_ldpc``,
``qmap2021_adaptive``), and the noise seeds derive from that label.

Outage (no stream fits, the CRC fails, or a stream that passed its CRC
cannot be decoded) shows the fallback image of
:func:`linksim.data.fallback_image` and is counted per image. The receiver
finds a stream's end in the received frame with the source's
:meth:`~linksim.codecs.source.base.SourceCodec.stream_length`: the bit pipe
assumes nothing about a stream's bytes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional, Tuple

import numpy as np

from ..config import bounded, node
from ..data import default_cache_dir, fallback_image
from ..errors import BitstreamError
from ..registry import CODECS
from .base import Codec, Reception, SymbolLayout, Transmission, symbol_budget
from .source.base import SOURCES, QualityLadder, decode_many, decoded
from .source.bpg import BpgSourceConfig
from .source.cache import EncodingCache

CRC_BITS = 24
MODULATIONS = ("bpsk", "qpsk", "qam16", "qam64")
RATES = ("1/2", "2/3", "3/4", "5/6")

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


@dataclass
class _Group:
    """Images sent with one MCS: their indices and the pipe's layout of their codewords."""
    pipe: object
    indices: list
    layout: object
    start: int
    stop: int


@dataclass(frozen=True)
class SourceOptions:
    """Options every digital link shares.

    Attributes:
        source: the source-codec node (``{type: bpg, chroma: "420"}`` by default).
        cache: "disk" (``$LINKSIM_CACHE``/encodings.sqlite) or "memory".
    """
    source: Any = node(SOURCES, BpgSourceConfig())
    cache: str = bounded("disk", choices=("disk", "memory"))
    policy = ""

    def label(self) -> str:
        """``<source label>_<policy>``: ``bpg_ldpc``, ``qmap2021_adaptive``, ..."""
        return f"{self.source.label()}_{self.policy}"


@dataclass(frozen=True)
class LinkOptions(SourceOptions):
    """Options of the links that cross a simulated bit pipe (plus :class:`SourceOptions`).

    Attributes:
        bp_iterations: belief-propagation iterations of the LDPC decoder.
        decode_on_crc_failure: decode streams whose CRC failed anyway (error
            resilience studies); the image still counts as an outage.
    """
    bp_iterations: int = bounded(20, lo=1, hi=200)
    decode_on_crc_failure: bool = False


class _DigitalLink(Codec):
    """Shared transmit/receive of the source-codec-over-bit-pipe links."""
    digital = True

    def __init__(self, config):
        self.config = config
        self.source = SOURCES.build(config.source)
        path = None if config.cache == "memory" else str(default_cache_dir() / "encodings.sqlite")
        self.cache = shared_cache(path)

    def _ladder(self, images):
        return QualityLadder(self.source, images, self.cache, fallback_image(images.shape[1:]))

    def _send(self, ladder, choices, budget):
        """Build a Transmission from per-image choices ``(pipe, grid position)`` or None (outage)."""
        n = len(ladder.images)
        groups, symbols, layouts, offset = [], [], [], 0
        source_bits = np.zeros(n, np.int64)
        uses = np.zeros(n, np.int64)
        by_pipe = {}
        for i, choice in enumerate(choices):
            if choice is not None:
                by_pipe.setdefault(choice[0], []).append(i)
        for pipe, indices in by_pipe.items():
            payloads = ladder.streams(indices, [choices[i][1] for i in indices])
            syms, layout = pipe.modulate(payloads)
            for i, p in zip(indices, payloads):
                source_bits[i] = 8 * len(p)
                uses[i] = pipe.symbols_for(len(p))
            groups.append(_Group(pipe, indices, layout, offset, offset + len(syms)))
            symbols.append(syms)
            layouts.append(SymbolLayout.of_rows(np.repeat(indices, layout.codewords), pipe.symbols_per_codeword,
                                                rows_per_codeword=1))
            offset += len(syms)
        assert np.all(uses <= budget), "a digital codec overspent its symbol budget"
        all_symbols = np.concatenate(symbols) if symbols else np.zeros(0, np.complex64)
        outage = np.array([c is None for c in choices], bool)
        self.cache.flush()          # this point's new encodings are on disk for every later process
        placed = (SymbolLayout(*(np.concatenate([getattr(l, f) for l in layouts])
                                 for f in ("image", "position", "codeword"))) if layouts else None)
        return Transmission(all_symbols, uses, source_bits, outage, state=(ladder, groups), layout=placed)

    def _stream_in(self, frame: bytes) -> Optional[bytes]:
        """The source stream at the start of a received frame, None if its header is unreadable."""
        try:
            length = self.source.stream_length(frame)
        except BitstreamError:
            return None
        return frame[:length] if 0 < length <= len(frame) else None

    def receive(self, received, tx, snr_db, fades=None):
        ladder, groups = tx.state
        images = np.repeat(ladder.fallback[None], len(ladder.images), axis=0)
        outage = tx.outage.copy()
        wanted, streams = [], []
        gain = (fades.at(tx.layout.image, tx.layout.position, tx.layout.codeword)
                if fades is not None and tx.layout is not None else None)
        for g in groups:
            known = None if gain is None else gain[g.start:g.stop]
            for i, r in zip(g.indices, g.pipe.demodulate(received[g.start:g.stop], g.layout, snr_db, known)):
                outage[i] = not r.crc_ok
                stream = self._stream_in(r.frame) if r.crc_ok or self.config.decode_on_crc_failure else None
                if stream is not None:
                    wanted.append(i)
                    streams.append(stream)
                elif r.crc_ok:
                    outage[i] = True              # passed its CRC, but no stream can be read from it
        for i, image in zip(wanted, decode_many(self.source, streams, images.shape[1:])):
            if image is None:
                outage[i] = True                  # passed its CRC (or decoded anyway) but undecodable
            else:
                images[i] = image
        return Reception(images, outage)


@dataclass(frozen=True)
class LdpcLinkConfig(LinkOptions):
    """``ldpc_link``: a source codec + one fixed LDPC code + modulation (plus :class:`LinkOptions`).

    Attributes:
        code: channel code name (``ldpc-80211n-1944-r34``, ``ldpc-5g-...``).
        modulation: bpsk, qpsk, qam16 or qam64.
    """
    code: str = "ldpc-80211n-1944-r34"
    modulation: str = bounded("qam16", choices=MODULATIONS)
    policy = "ldpc"


@CODECS.register("ldpc_link", LdpcLinkConfig)
class LdpcLink(_DigitalLink):
    """Source codec + fixed-MCS bit pipe; the highest-quality stream that fits the whole-codeword budget."""

    def __init__(self, config: LdpcLinkConfig):
        super().__init__(config)
        self.pipe = make_pipe(config.code, config.modulation, config.bp_iterations)

    def transmit(self, images, snr_db, cpp):
        ladder = self._ladder(images)
        budget = symbol_budget(cpp, *images.shape[1:3])
        positions = ladder.best(self.pipe.max_payload_bytes(budget))
        return self._send(ladder, [None if p is None else (self.pipe, p) for p in positions], budget)


@dataclass(frozen=True)
class AdaptiveLinkConfig(LinkOptions):
    """``adaptive_link``: per-image best (802.11n code, modulation, quality) by expected MSE.

    Attributes (plus :class:`LinkOptions`):
        modulations: candidate modulations.
        codeword_lengths: candidate 802.11n codeword lengths.
        rates: candidate code rates "1/2", "2/3", "3/4", "5/6".
    """
    modulations: Tuple[str, ...] = bounded(MODULATIONS, choices=MODULATIONS)
    codeword_lengths: Tuple[int, ...] = bounded((648, 1296, 1944), choices=(648, 1296, 1944))
    rates: Tuple[str, ...] = bounded(RATES, choices=RATES)
    policy = "adaptive"


@CODECS.register("adaptive_link", AdaptiveLinkConfig)
class AdaptiveLink(_DigitalLink):
    """Chooses code, modulation and quality per image to minimise expected distortion."""

    def __init__(self, config: AdaptiveLinkConfig):
        super().__init__(config)
        from ..phy.bler_table import load_bler_table
        self.table = load_bler_table()
        self.mcs = [(f"ldpc-80211n-{n}-r{r.replace('/', '')}", m) for n in config.codeword_lengths
                    for r in config.rates for m in config.modulations]

    def transmit(self, images, snr_db, cpp):
        from ..channels import Awgn
        ladder = self._ladder(images)
        budget = symbol_budget(cpp, *images.shape[1:3])
        channel = self.channel or Awgn()
        candidates = []                   # (pipe, delivery probability by codeword count, payload byte limits)
        for code, modulation in self.mcs:
            pipe = make_pipe(code, modulation, self.config.bp_iterations)
            success = lambda snrs, c=code, m=modulation: 1.0 - self.table.blers(c, m, snrs)
            most = budget // pipe.symbols_per_codeword
            delivered = [channel.delivery_probability(success, snr_db, k) for k in range(1, most + 1)]
            if most and delivered[0] > 0.0:
                limits = [pipe.max_payload_bytes(k * pipe.symbols_per_codeword) for k in range(1, most + 1)]
                candidates.append((pipe, delivered, limits))
        fits = {}                         # byte limit -> best position of every image (one batched search each)
        for _, _, limits in candidates:
            for limit in limits:
                if limit not in fits:
                    fits[limit] = ladder.best(limit)
        ladder.prefetch_mse([(i, pos[i]) for pos in fits.values() for i in range(len(images))
                             if pos[i] is not None])
        choices = []
        for i in range(len(images)):
            best_d, best = ladder.fallback_mse(i), None
            for pipe, delivered, limits in candidates:
                seen = set()
                for limit in limits:
                    pos = fits[limit][i]
                    if pos is None or pos in seen:
                        continue
                    seen.add(pos)
                    p_ok = delivered[pipe.codewords_for(len(ladder.stream(i, pos))) - 1]
                    d = p_ok * ladder.mse(i, pos) + (1.0 - p_ok) * ladder.fallback_mse(i)
                    if d < best_d:
                        best_d, best = d, (pipe, pos)
            choices.append(best)
        return self._send(ladder, choices, budget)


@dataclass(frozen=True)
class CapacityLinkConfig(SourceOptions):
    """``capacity_link``: error-free delivery at the AWGN capacity (options: :class:`SourceOptions`)."""
    policy = "capacity"


#: Fade quantiles at which a capacity link under fading looks for candidate streams (the one minimising
#: the expected distortion is sent).
PLAN_QUANTILES = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)


@CODECS.register("capacity_link", CapacityLinkConfig)
class CapacityLink(_DigitalLink):
    """Best stream within ``floor(S * log2(1 + SNR))`` bits (CRC-24 counted), delivered error-free.

    Under fading the transmitter knows the fade's distribution only: of the best streams that fit the
    capacity at :data:`PLAN_QUANTILES` of ``|h|^2``, it sends the one of least expected distortion
    ``(1 - p_out) MSE + p_out MSE_fallback`` (``p_out`` the exact outage of its bits); the image then
    arrives iff those bits fit its fade's capacity.
    """
    uses_channel = False
    feels_fades = True

    @staticmethod
    def capacity_bits(n_symbols: int, snr_db: float) -> int:
        return int(math.floor(n_symbols * math.log2(1.0 + 10.0 ** (snr_db / 10.0))))

    def _planned(self, ladder, budget: int, snr_db: float) -> list:
        """Per image, the grid position of least expected distortion under the channel's fades (or None)."""
        powers = np.quantile(self.channel.fade_powers(), PLAN_QUANTILES)
        limits = sorted({(self.capacity_bits(budget, snr_db + 10 * math.log10(g)) - CRC_BITS) // 8 for g in powers})
        fits = [ladder.best(limit) for limit in limits if limit > 0]
        pairs = sorted({(i, pos[i]) for pos in fits for i in range(len(ladder.images)) if pos[i] is not None})
        ladder.prefetch_mse(pairs)
        bits = np.array([8 * len(ladder.stream(i, p)) + CRC_BITS for i, p in pairs])
        p_out = self.channel.capacity_outage(bits, budget, snr_db)
        best = [(ladder.fallback_mse(i), None) for i in range(len(ladder.images))]
        for (i, p), out in zip(pairs, p_out):
            d = (1.0 - out) * ladder.mse(i, p) + out * ladder.fallback_mse(i)
            if d < best[i][0]:
                best[i] = (d, p)
        return [p for _, p in best]

    def transmit(self, images, snr_db, cpp):
        ladder = self._ladder(images)
        budget = symbol_budget(cpp, *images.shape[1:3])
        if self.channel is not None and self.channel.fading:
            positions = self._planned(ladder, budget, snr_db)
        else:
            positions = ladder.best((self.capacity_bits(budget, snr_db) - CRC_BITS) // 8)
        sent = [p is not None for p in positions]
        streams = ladder.streams([i for i in range(len(images)) if sent[i]], [p for p in positions if p is not None])
        source_bits = np.zeros(len(images), np.int64)
        source_bits[np.flatnonzero(sent)] = [8 * len(s) for s in streams]
        outage = ~np.array(sent, bool)
        self.cache.flush()
        return Transmission(np.zeros(0, np.complex64), np.where(outage, 0, budget).astype(np.int64),
                            source_bits, outage, state=(ladder, positions, budget))

    def receive(self, received, tx, snr_db, fades=None):
        """The chosen streams arrive error-free; under fading only those within their image's
        instantaneous capacity (the stream was chosen for the average SNR: no CSI at the transmitter)."""
        ladder, positions, budget = tx.state
        images = np.repeat(ladder.fallback[None], len(positions), axis=0)
        outage = tx.outage.copy()
        if fades is not None:                 # over the stream's own symbols (pilots are not among them)
            capacity = fades.capacity_bits(budget, snr_db)
            outage |= tx.source_bits + CRC_BITS > np.floor(capacity)
        for i, p in enumerate(positions):
            if p is not None and not outage[i]:
                image = decoded(self.source, ladder.stream(i, p), images.shape[1:])
                if image is None:
                    outage[i] = True
                else:
                    images[i] = image
        return Reception(images, outage)


# The BPG links under their historical names: the same links, BPG their default source.
@dataclass(frozen=True)
class BpgLdpcConfig(LdpcLinkConfig):
    """``bpg_ldpc``: :class:`LdpcLinkConfig` (BPG by default)."""


@dataclass(frozen=True)
class BpgAdaptiveConfig(AdaptiveLinkConfig):
    """``bpg_adaptive``: :class:`AdaptiveLinkConfig` (BPG by default)."""


@dataclass(frozen=True)
class BpgCapacityConfig(CapacityLinkConfig):
    """``bpg_capacity``: :class:`CapacityLinkConfig` (BPG by default)."""


@CODECS.register("bpg_ldpc", BpgLdpcConfig)
class BpgLdpc(LdpcLink):
    """``ldpc_link`` under its historical name."""


@CODECS.register("bpg_adaptive", BpgAdaptiveConfig)
class BpgAdaptive(AdaptiveLink):
    """``adaptive_link`` under its historical name."""


@CODECS.register("bpg_capacity", BpgCapacityConfig)
class BpgCapacity(CapacityLink):
    """``capacity_link`` under its historical name."""


@lru_cache(maxsize=None)
def make_pipe(code: str, modulation: str, bp_iterations: int = 20):
    """One shared :class:`~linksim.phy.bitpipe.BitPipe` per (code, modulation, iterations)."""
    from ..phy.bitpipe import BitPipe
    from ..phy.ldpc import make_code
    from ..phy.modulation import Modulation
    return BitPipe(make_code(code, iterations=bp_iterations), Modulation(modulation))
