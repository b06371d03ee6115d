"""Range coding whose decoder ends on any bytes: tensorflow-compression's tables without the escape code.

tensorflow-compression (2.14) builds every table with its *overflow* flag set:
the last symbol is an escape, after which a value's Elias-gamma length is
read in unary with no bound. On a damaged string that read can go on for
ever (seen: a 51-byte stream with flipped bits never returned from
``EntropyDecodeIndex``). A stream sent over a radio link must be decodable,
or refused, whatever bytes arrive, so this coder turns the flag off: each
table's escape slot becomes its ordinary last symbol (it keeps its tail
probability), values outside a table's range are clamped into it at the
encoder, and the decoder reads exactly one bounded symbol per element.

The clamp is the only change to what is coded; :meth:`BoundedRangeCoder.clamp`
is public so that a model's reference latents clamp the same way.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf
from tensorflow_compression.python.ops import gen_ops


class BoundedRangeCoder:
    """Indexed range coder over a tfc entropy model's tables, with the escape code turned off.

    Args:
        cdf: the model's flat ``cdf`` table (1-D int32: for each table its
            precision, negated by tfc to mark overflow, then its CDF).
        cdf_offset: the model's ``cdf_offset`` (1-D int32, the integer value
            of each table's first symbol).

    Values are integer-valued float tensors; ``indexes`` (int32, same shape)
    name each element's table. With ``coding_rank`` r, the innermost r
    dimensions are one string each.
    """

    def __init__(self, cdf, cdf_offset):
        cdf = np.asarray(cdf, dtype=np.int32).copy()
        starts = np.flatnonzero(cdf < 0)          # CDF entries are >= 0; only the precisions are negative
        if starts.size == 0 or starts[0] != 0 or starts.size != np.size(cdf_offset):
            raise ValueError("not a tensorflow-compression overflow table set")
        highest = []
        for start, end in zip(starts, list(starts[1:]) + [cdf.size]):
            steps = np.flatnonzero(np.diff(cdf[start + 1:end]))
            highest.append(steps[-1])             # last symbol with non-zero probability (ex-escape, usually)
        cdf[starts] = -cdf[starts]
        self.cdf = tf.constant(cdf)
        self.cdf_offset = tf.constant(np.asarray(cdf_offset, dtype=np.int32))
        self.highest = tf.constant(np.asarray(highest, dtype=np.int32))

    def _symbols(self, values, indexes):
        symbols = tf.cast(tf.round(values), tf.int32) - tf.gather(self.cdf_offset, indexes)
        return tf.clip_by_value(symbols, 0, tf.gather(self.highest, indexes))

    def clamp(self, values, indexes):
        """Round ``values`` and clamp each into its table's range: what :meth:`decompress` returns."""
        symbols = self._symbols(values, indexes) + tf.gather(self.cdf_offset, indexes)
        return tf.cast(symbols, values.dtype)

    def compress(self, values, indexes, coding_rank: int):
        """``-> strings`` of shape ``values.shape[:-coding_rank]``."""
        indexes = tf.cast(indexes, tf.int32)
        handle = gen_ops.create_range_encoder(tf.shape(indexes)[:-coding_rank], self.cdf)
        handle = gen_ops.entropy_encode_index(handle, indexes, self._symbols(values, indexes))
        return gen_ops.entropy_encode_finalize(handle)

    def decompress(self, strings, indexes, coding_rank: int):
        """Strings and the same ``indexes`` -> the clamped values (float32). Never raises on content."""
        indexes = tf.cast(indexes, tf.int32)
        handle = gen_ops.create_range_decoder(strings, self.cdf)
        handle, symbols = gen_ops.entropy_decode_index(handle, indexes, tf.shape(indexes)[-coding_rank:],
                                                       tf.int32)
        # the finalize check (did the stream end where its symbols did?) is left to the caller's
        # header and CRC: a damaged stream still decodes to some image, as BPG's does
        with tf.control_dependencies([gen_ops.entropy_decode_finalize(handle)]):
            return tf.cast(symbols + tf.gather(self.cdf_offset, indexes), tf.float32)
