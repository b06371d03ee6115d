"""Block codes behind one small interface: IEEE 802.11n LDPC, 5G NR LDPC, uncoded.

Every code has ``name``, ``n``, ``k`` and

* ``encode(bits)``: ``[..., k]`` float32 in {0,1} -> codewords ``[..., n]``;
* ``decode(llr)``: ``[..., n]`` float32 LLRs -> ``(bits_hat [..., k] float32,
  syndrome_ok [...] bool)``.

LLRs follow Sionna 0.19: ``llr = log(p(b=1)/p(b=0))`` (what ``Demapper``
outputs and what Sionna's BP decoders take).  ``syndrome_ok`` is the parity
check ``H c_hat = 0 (mod 2)`` of the hard decision after belief propagation.

Build codes with :func:`make_code`; it caches them, so every user of one
(name, iterations) shares one object and the graphs compiled around it.
"""
from __future__ import annotations

import functools
import json
import math
import re
from importlib import resources

import numpy as np
import scipy.sparse as sp
import tensorflow as tf
from sionna.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder, LDPCBPDecoder

from ..errors import ConfigError

__all__ = ["BlockCode", "Uncoded", "LDPC80211n", "LDPC5G", "make_code", "CODE_NAME_PATTERNS",
           "ieee80211n_pcm"]

CODE_NAME_PATTERNS = ("none", "ldpc-80211n-{648,1296,1944}-r{12,23,34,56}",
                      "ldpc-5g-{n}-r{12,23,34,56}")
_RATES = {"12": (1, 2), "23": (2, 3), "34": (3, 4), "56": (5, 6)}
UNCODED_BLOCK_BITS = 960


class BlockCode:
    """Interface of a binary block code (see the module docstring).

    Attributes: ``name`` (str), ``n`` (codeword bits), ``k`` (information bits).
    """

    name: str
    n: int
    k: int

    @property
    def rate(self) -> float:
        return self.k / self.n

    def encode(self, bits):
        raise NotImplementedError

    def decode(self, llr):
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, n={self.n}, k={self.k})"


class Uncoded(BlockCode):
    """No channel code: blocks of ``n = k = 960`` bits, hard decision on the LLR sign.

    Parameters
    ----------
    n : int
        Block length in bits (default 960, divisible by 1, 2, 4 and 6).

    ``encode``: ``[..., n]`` -> ``[..., n]`` (identity).
    ``decode``: ``[..., n]`` LLRs -> ``(bits [..., n], ok [...])``, ``ok`` always True.
    """

    def __init__(self, n: int = UNCODED_BLOCK_BITS):
        self.name, self.n, self.k = "none", n, n

    def encode(self, bits):
        return tf.convert_to_tensor(bits, tf.float32)

    def decode(self, llr):
        llr = tf.convert_to_tensor(llr, tf.float32)
        return tf.cast(llr > 0.0, tf.float32), tf.ones(tf.shape(llr)[:-1], tf.bool)


def _check_index(pcm) -> tf.Tensor:
    """``[m, d_max]`` int32: the variable nodes of each check, padded with ``n``."""
    csr = sp.csr_matrix(pcm)
    n = csr.shape[1]
    degree = np.diff(csr.indptr)
    idx = np.full((csr.shape[0], degree.max()), n, np.int32)
    for r in range(csr.shape[0]):
        idx[r, :degree[r]] = csr.indices[csr.indptr[r]:csr.indptr[r + 1]]
    return tf.constant(idx)


def _syndrome_ok(check_index, c_hat):
    """``[B, n]`` hard bits -> ``[B]`` bool, True where ``H c_hat = 0 (mod 2)``.

    A gather over each check's variable nodes (padding points at an appended
    zero column), so it also compiles under XLA.
    """
    c_ext = tf.pad(c_hat, [[0, 0], [0, 1]])
    s = tf.reduce_sum(tf.gather(c_ext, check_index, axis=1), axis=-1)  # [B, m] small ints
    return tf.reduce_all(tf.equal(tf.math.floormod(s, 2.0), 0.0), axis=1)


def _flatten(x, last):
    x = tf.convert_to_tensor(x, tf.float32)
    return tf.reshape(x, [-1, last]), tf.shape(x)[:-1]


def _load_80211n_tables() -> dict:
    text = resources.files("linksim.resources").joinpath("ldpc_80211n_base.json").read_text()
    return json.loads(text)


def ieee80211n_pcm(n: int, rate: str) -> np.ndarray:
    """Parity-check matrix ``[(n-k), n]`` uint8 of the IEEE 802.11n LDPC code.

    ``n`` in {648, 1296, 1944}; ``rate`` in {"12", "23", "34", "56"}.  Each
    base-matrix entry ``s >= 0`` becomes the ZxZ identity cyclically shifted
    right by ``s``; ``-1`` becomes the zero block.
    """
    tables = _load_80211n_tables()
    z = tables["z"][str(n)]
    base = np.array(tables["base_matrices"][f"{n}-r{rate}"])
    rows, cols = np.nonzero(base >= 0)
    i = np.arange(z)
    pcm = np.zeros((base.shape[0] * z, base.shape[1] * z), np.uint8)
    for r, c in zip(rows, cols):
        pcm[r * z + i, c * z + (i + base[r, c]) % z] = 1
    return pcm


def _gf2_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x`` with ``a x = b`` over GF(2); ``a`` square and invertible."""
    m = a.shape[0]
    aug = np.concatenate([a, b], axis=1).astype(bool)
    for col in range(m):
        pivots = np.nonzero(aug[col:, col])[0]
        if len(pivots) == 0:
            raise ValueError("parity part of H is singular")
        p = col + pivots[0]
        if p != col:
            aug[[col, p]] = aug[[p, col]]
        hits = np.nonzero(aug[:, col])[0]
        hits = hits[hits != col]
        aug[hits] ^= aug[col]
    return aug[:, m:].astype(np.uint8)


class LDPC80211n(BlockCode):
    """IEEE 802.11n/ac LDPC code decoded by Sionna's ``LDPCBPDecoder``.

    The code is systematic: codeword = ``[u, p]`` with the k information bits
    first.  Encoding is a dense GF(2) product ``p = u P`` with
    ``P = (H_p^-1 H_u)^T`` (``H = [H_u | H_p]``), computed once.  Sionna's
    ``LinearEncoder(pcm, is_pcm=True)`` is not used: its generator is not
    systematic on the first k positions, and its mod-2 step (a float -> uint8
    cast) saturates at 255 instead of wrapping on TF 2.14.1 / x86-64 CPU, so
    for the longer codes it outputs words that are not codewords.

    Parameters
    ----------
    n : int
        648, 1296 or 1944.
    rate : str
        "12", "23", "34" or "56".
    iterations : int
        Maximum belief-propagation iterations (boxplus-phi check nodes).
    check_every : int
        Early termination: decoding runs in rounds of this many iterations
        (rounded down to a divisor of ``iterations``) and stops after the
        round at which every codeword of the call satisfies its parity
        checks. Rounds continue Sionna's stateful decoder from its messages,
        so without a stop the result equals ``iterations`` uninterrupted
        iterations. ``check_every = iterations`` disables early termination.

    ``encode``: ``[..., k]`` -> ``[..., n]``;
    ``decode``: ``[..., n]`` LLRs -> ``([..., k] bits, [...] syndrome_ok)``.
    """

    def __init__(self, n: int, rate: str, iterations: int = 20, check_every: int = 4):
        self.name = f"ldpc-80211n-{n}-r{rate}"
        self.pcm = ieee80211n_pcm(n, rate)
        m = self.pcm.shape[0]
        self.n, self.k = n, n - m
        parity = _gf2_solve(self.pcm[:, self.k:], self.pcm[:, :self.k])  # [m, k]
        self._p = tf.constant(parity.T, tf.float32)  # [k, m]
        self._checks = _check_index(self.pcm)
        self.round_iterations = math.gcd(int(iterations), max(1, min(int(check_every), int(iterations))))
        self.rounds = int(iterations) // self.round_iterations
        self._decoder = LDPCBPDecoder(self.pcm, num_iter=self.round_iterations, hard_out=True, stateful=True)
        self._edges = int(np.sum(self.pcm))

    def encode(self, bits):
        u, lead = _flatten(bits, self.k)
        # products are small integers, exact in float32, so floormod is an exact mod 2
        p = tf.math.floormod(tf.linalg.matmul(u, self._p), 2.0)
        return tf.reshape(tf.concat([u, p], axis=1), tf.concat([lead, [self.n]], 0))

    def decode(self, llr):
        llr, lead = _flatten(llr, self.n)
        row_splits = self._decoder._vn_row_splits                 # messages per variable node

        def one_round(done, c_hat, ok, messages):
            c_hat, messages = self._decoder((llr, tf.RaggedTensor.from_row_splits(messages, row_splits)))
            return done + 1, c_hat, _syndrome_ok(self._checks, c_hat), messages.flat_values

        def more(done, c_hat, ok, messages):
            return tf.logical_and(done < self.rounds, tf.logical_not(tf.reduce_all(ok)))

        batch = tf.shape(llr)[0]
        start = (tf.constant(0), tf.zeros_like(llr), tf.zeros([batch], tf.bool),
                 tf.zeros([self._edges, batch], tf.float32))
        _, c_hat, ok, _ = tf.while_loop(more, one_round, start, maximum_iterations=self.rounds)
        return (tf.reshape(c_hat[:, :self.k], tf.concat([lead, [self.k]], 0)),
                tf.reshape(ok, lead))


class _BPKeepCodeword(LDPCBPDecoder):
    """Keeps the last hard decision over the whole (pruned) mother codeword."""

    def call(self, inputs):
        c_hat = super().call(inputs)
        self.last_codeword = c_hat
        return c_hat


class _NR5GDecoder(LDPC5GDecoder, _BPKeepCodeword):
    """``LDPC5GDecoder`` whose BP step records the mother-codeword decision.

    In the MRO, ``LDPC5GDecoder.call``'s ``super().call`` reaches
    ``_BPKeepCodeword.call``, so after a call ``last_codeword`` holds the
    ``[B, n_pruned]`` decision that the syndrome check needs (the
    rate-matched output lacks the punctured bits).
    """


class LDPC5G(BlockCode):
    """5G NR LDPC (3GPP TS 38.212) with rate matching, Sionna's ``LDPC5GEncoder``/``LDPC5GDecoder``.

    Parameters
    ----------
    k, n : int
        Information bits and transmitted (rate-matched) codeword bits.
    iterations : int
        Belief-propagation iterations.

    ``encode``: ``[..., k]`` -> ``[..., n]``;
    ``decode``: ``[..., n]`` LLRs -> ``([..., k] bits, [...] syndrome_ok)``
    where the syndrome is checked on the decoder's mother code (the
    transmitted, punctured and filler positions).
    """

    def __init__(self, k: int, n: int, iterations: int = 20, name: str | None = None):
        self.name = name or f"ldpc-5g-{n}-k{k}"
        self.n, self.k = n, k
        self._encoder = LDPC5GEncoder(k, n)
        self._decoder = _NR5GDecoder(self._encoder, num_iter=int(iterations), hard_out=True)
        self._checks = _check_index(self._decoder.pcm)

    def encode(self, bits):
        u, lead = _flatten(bits, self.k)
        return tf.reshape(self._encoder(u), tf.concat([lead, [self.n]], 0))

    def decode(self, llr):
        llr, lead = _flatten(llr, self.n)
        u_hat = self._decoder(llr)
        ok = _syndrome_ok(self._checks, self._decoder.last_codeword)
        return (tf.reshape(u_hat, tf.concat([lead, [self.k]], 0)), tf.reshape(ok, lead))


_NAME_RE = re.compile(r"^ldpc-(80211n|5g)-(\d+)-r(12|23|34|56)$")


def make_code(name: str, iterations: int = 20) -> BlockCode:
    """Build (and cache) a code from its name.

    Names: ``none``; ``ldpc-80211n-{648,1296,1944}-r{12,23,34,56}``;
    ``ldpc-5g-{n}-r{12,23,34,56}`` with ``k = n * rate`` an integer.
    ``iterations`` is the number of BP iterations (ignored for ``none``).
    The same (name, iterations) always gives the same object.

    Raises
    ------
    ConfigError
        For a name outside these patterns, or a 5G ``n``/rate that Sionna's
        5G encoder cannot build.
    """
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise ConfigError(f"LDPC iterations must be a positive integer, got {iterations!r}")
    return _build_code(name, iterations)


@functools.lru_cache(maxsize=None)
def _build_code(name: str, iterations: int) -> BlockCode:
    allowed = "allowed: " + ", ".join(CODE_NAME_PATTERNS)
    if name == "none":
        return Uncoded()
    m = _NAME_RE.match(name)
    if not m:
        raise ConfigError(f"unknown code {name!r}; {allowed}")
    family, n, rate = m.group(1), int(m.group(2)), m.group(3)
    num, den = _RATES[rate]
    if family == "80211n":
        if n not in (648, 1296, 1944):
            raise ConfigError(f"unknown code {name!r}: 802.11n n must be 648, 1296 or 1944; {allowed}")
        return LDPC80211n(n, rate, iterations)
    if (n * num) % den:
        raise ConfigError(f"code {name!r}: k = n*{num}/{den} is not an integer; {allowed}")
    k = n * num // den
    try:
        return LDPC5G(k, n, iterations, name=name)
    except (AssertionError, ValueError) as e:
        raise ConfigError(f"code {name!r}: Sionna's 5G LDPC encoder rejects k={k}, n={n} ({e})") from e
