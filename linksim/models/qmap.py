"""QMAP2021's variable-rate image codec (Song, Choi, Han, ICCV 2021), scaled to 32x32 images.

One network codes an image at any quality: a *quality map* ``q`` in [0, 1]
per pixel conditions the encoder and the hyper-encoder through spatial
feature transforms (SFT), and training weights each pixel's squared error by
``lambda(q) = t1 * exp(t2 * q)``. The decoder never sees ``q``: it is
conditioned on the hyper-latent ``z_hat`` (which the encoder side shaped
with ``q``), as in QMAP2021's code.

Geometry (H, W multiples of 16; 32x32 for CIFAR-10):

* analysis ``g_a``: two stride-2 5x5 convolutions with GDN, each followed by
  an SFT layer, an SFT residual block, a 3x3 convolution -> ``y [B, H/4, W/4, M]``
  (x4 downsampling: 8x8 latents for 32x32, so the hyper-latent is still 2x2);
* hyper-analysis ``h_a``: ``concat(y, avgpool(q))`` -> 3x3 conv, SFT, two
  stride-2 5x5 convolutions -> ``z [B, H/16, W/16, Z]``;
* hyper-synthesis ``h_s`` (no SFT): means and scale indexes of ``y``;
* synthesis ``g_s``: conditioned on ``z_hat`` (two transposed convolutions to
  y's grid, concatenated with ``y_hat``); SFT residual block, SFT layers,
  two stride-2 transposed convolutions with inverse GDN.

Entropy models are tensorflow-compression's: a mean-scale hyperprior
(``LocationScaleIndexedEntropyModel`` with ``NoisyNormal`` for y) and a
factorized prior (``ContinuousBatchedEntropyModel`` with
``NoisyDeepFactorized``) for z. Training uses additive noise for the rates
and straight-through rounding for the decoder's input (what the decoder sees
at test time); :meth:`QmapCodec.compress` / :meth:`QmapCodec.decompress`
range-code real strings.

Shapes: images float ``[B, H, W, 3]`` in [0, 255]; quality maps float
``[B, H, W]`` in [0, 1].
"""
from __future__ import annotations

import math

import numpy as np
import tensorflow as tf
import tensorflow_compression as tfc

from linksim.models.bounded_coding import BoundedRangeCoder

SCALES_MIN, SCALES_MAX, NUM_SCALES = 0.11, 256.0, 64
#: Spatial size of the image must be a multiple of this (two x4 stages).
SIZE_MULTIPLE = 16


def scale_fn(index):
    """Scale of the Gaussian for scale index ``index`` (log-spaced SCALES_MIN .. SCALES_MAX)."""
    step = (math.log(SCALES_MAX) - math.log(SCALES_MIN)) / (NUM_SCALES - 1)
    return tf.math.exp(math.log(SCALES_MIN) + step * tf.cast(index, tf.float32))


def lambda_map(q, t1: float, t2: float):
    """Per-pixel rate-distortion weight ``t1 * exp(t2 * q)`` (QMAP2021 eq. 4 form)."""
    return t1 * tf.math.exp(t2 * q)


def _conv(filters, kernel, stride=1, name=None, zeros=False):
    init = "zeros" if zeros else "glorot_uniform"
    return tf.keras.layers.Conv2D(filters, kernel, strides=stride, padding="same",
                                  kernel_initializer=init, name=name)


def _deconv(filters, kernel, stride=2, name=None):
    return tf.keras.layers.Conv2DTranspose(filters, kernel, strides=stride, padding="same", name=name)


class SFT(tf.keras.layers.Layer):
    """Spatial feature transform: ``x * (1 + gamma) + beta`` with (gamma, beta) from a condition.

    Args:
        channels: channels of the transformed features ``x``.
        hidden: width of the shared 3x3 convolution on the condition.
        pool: the condition's resolution divided by x's (average-pooled by this factor).

    Input ``(x [B, h, w, channels], condition [B, h*pool, w*pool, Cc])``; output like ``x``.
    gamma and beta start at zero (their convolutions are zero-initialised), so
    a fresh SFT layer is the identity.
    """

    def __init__(self, channels: int, hidden: int = 64, pool: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.pool = int(pool)
        self.shared = _conv(hidden, 3)
        self.gamma = _conv(channels, 1, zeros=True)
        self.beta = _conv(channels, 1, zeros=True)

    def call(self, inputs):
        x, condition = inputs
        if self.pool > 1:
            condition = tf.nn.avg_pool2d(condition, self.pool, self.pool, "VALID")
        h = tf.nn.relu(self.shared(condition))
        return x * (1.0 + self.gamma(h)) + self.beta(h)


class SFTResidualBlock(tf.keras.layers.Layer):
    """``x + conv(lrelu(SFT(conv(lrelu(SFT(x, c))), c)))``: QMAP2021's SFT residual block.

    Input ``(x [B, h, w, channels], condition)``; output like ``x``.
    """

    def __init__(self, channels: int, hidden: int = 64, pool: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.sft1, self.sft2 = SFT(channels, hidden, pool), SFT(channels, hidden, pool)
        self.conv1, self.conv2 = _conv(channels, 3), _conv(channels, 3)

    def call(self, inputs):
        x, condition = inputs
        h = self.conv1(tf.nn.leaky_relu(self.sft1((x, condition)), 0.2))
        h = self.conv2(tf.nn.leaky_relu(self.sft2((h, condition)), 0.2))
        return x + h


class _Scratch:
    """State a codec must keep out of Keras' tracking (coding tables, compiled graphs), so that
    :meth:`QmapCodec.save_npz` writes the same variables before and after coding."""

    def __init__(self):
        self.coders, self.graphs = None, {}


class QmapCodec(tf.keras.Model):
    """The Qmap-conditioned mean-scale hyperprior codec.

    Args:
        width: channels N of the transforms.
        latent: channels M of y.
        hyper_latent: channels Z of z.
        condition: channels of the quality-map features (and SFT hidden width).
        t1, t2: ``lambda(q) = t1 * exp(t2 * q)`` (training only; kept with the
            weights so a loaded codec knows its rate range).
    """

    def __init__(self, width: int = 96, latent: int = 128, hyper_latent: int = 24, condition: int = 48,
                 t1: float = 1e-4, t2: float = 7.3, **kwargs):
        super().__init__(**kwargs)
        self.width, self.latent, self.hyper_latent, self.condition = width, latent, hyper_latent, condition
        self.t1, self.t2 = float(t1), float(t2)
        n, m, c = width, latent, condition
        # quality-map conditioning branch of the encoder: full, 1/2, 1/4 resolution
        self.q0 = _conv(c, 3)
        self.q1, self.q2 = _conv(c, 3, 2), _conv(c, 3, 2)
        self.a1, self.a2 = _conv(n, 5, 2), _conv(n, 5, 2)
        self.gdn1, self.gdn2 = tfc.GDN(), tfc.GDN()
        self.a_sft1, self.a_sft2 = SFT(n, c), SFT(n, c)
        self.a_res = SFTResidualBlock(n, c)
        self.a_out = _conv(m, 3)
        # hyper-analysis
        self.ha_in = _conv(n, 3)
        self.ha_sft = SFT(n, c)
        self.ha1, self.ha2 = _conv(n, 5, 2), _conv(hyper_latent, 5, 2)
        # hyper-synthesis: means and scale indexes of y
        self.hs1, self.hs2 = _deconv(n, 5), _deconv(n, 5)
        self.hs_out = _conv(2 * m, 3)
        # synthesis, conditioned on z_hat
        self.d_z1, self.d_z2 = _deconv(c, 5), _deconv(c, 5)
        self.d_c8 = _conv(c, 3)
        self.d_c16 = _deconv(c, 3)
        self.s_in = _conv(n, 3)
        self.s_res = SFTResidualBlock(n, c)
        self.s_sft8, self.s_sft16 = SFT(n, c), SFT(n, c)
        self.s1 = _deconv(n, 5)
        self.igdn = tfc.GDN(inverse=True)
        self.s_out = _deconv(3, 5)
        self.z_prior = tfc.NoisyDeepFactorized(batch_shape=[hyper_latent])
        self._scratch = _Scratch()

    # ---- transforms ------------------------------------------------------------
    def analysis(self, images, qmap):
        """``(images [B,H,W,3] in [0,255], qmap [B,H,W]) -> y [B,H/4,W/4,M]``."""
        x = images / 255.0
        q = qmap[..., None]
        c0 = tf.nn.leaky_relu(self.q0(tf.concat([x - 0.5, q], -1)), 0.2)
        c1 = tf.nn.leaky_relu(self.q1(c0), 0.2)
        c2 = tf.nn.leaky_relu(self.q2(c1), 0.2)
        h = self.a_sft1((self.gdn1(self.a1(x)), c1))
        h = self.a_sft2((self.gdn2(self.a2(h)), c2))
        h = self.a_res((h, c2))
        return self.a_out(h), c2

    def hyper_analysis(self, y, qmap, c2):
        q4 = tf.nn.avg_pool2d(qmap[..., None], 4, 4, "VALID")
        h = self.ha_sft((self.ha_in(tf.concat([y, q4], -1)), c2))
        return self.ha2(tf.nn.leaky_relu(self.ha1(tf.nn.leaky_relu(h, 0.2)), 0.2))

    def hyper_synthesis(self, z_hat):
        """``z_hat -> (means, scale indexes)`` of y, each ``[B, H/4, W/4, M]``."""
        h = tf.nn.leaky_relu(self.hs2(tf.nn.leaky_relu(self.hs1(z_hat), 0.2)), 0.2)
        means, indexes = tf.split(self.hs_out(h), 2, axis=-1)
        return means, indexes

    def synthesis(self, y_hat, z_hat):
        """``(y_hat, z_hat) -> images [B, H, W, 3]`` in [0, 255] (not rounded)."""
        dz = tf.nn.leaky_relu(self.d_z2(tf.nn.leaky_relu(self.d_z1(z_hat), 0.2)), 0.2)
        c8 = tf.nn.leaky_relu(self.d_c8(tf.concat([dz, y_hat], -1)), 0.2)
        c16 = tf.nn.leaky_relu(self.d_c16(c8), 0.2)
        h = self.s_res((self.s_in(y_hat), c8))
        h = self.s_sft8((h, c8))
        h = self.s_sft16((self.igdn(self.s1(h)), c16))
        return (self.s_out(h) + 0.5) * 255.0

    # ---- training forward pass -------------------------------------------------
    def call(self, images, qmap, training=False):
        """Noisy-rate forward pass: ``-> (x_hat [B,H,W,3] in [0,255], bits [B])`` (estimated bits)."""
        y, c2 = self.analysis(images, qmap)
        z = self.hyper_analysis(y, qmap, c2)
        em_z = tfc.ContinuousBatchedEntropyModel(self.z_prior, coding_rank=3, compression=False,
                                                offset_heuristic=False)
        _, bits_z = em_z(z, training=training)
        z_hat = z + tf.stop_gradient(em_z.quantize(z) - z)
        means, indexes = self.hyper_synthesis(z_hat)
        em_y = tfc.LocationScaleIndexedEntropyModel(tfc.NoisyNormal, NUM_SCALES, scale_fn,
                                                    coding_rank=3, compression=False)
        _, bits_y = em_y(y, indexes, loc=means, training=training)
        y_hat = y + tf.stop_gradient(tf.round(y - means) + means - y)
        return self.synthesis(y_hat, z_hat), bits_y + bits_z

    def synthesis_variables(self) -> list:
        """Trainable variables of the decoder ``g_s`` alone (HEVRC's stage 3 fine-tunes only these)."""
        layers = (self.d_z1, self.d_z2, self.d_c8, self.d_c16, self.s_in, self.s_res, self.s_sft8, self.s_sft16,
                  self.s1, self.igdn, self.s_out)
        return [v for layer in layers for v in layer.trainable_variables]

    def build_variables(self):
        """Create every variable (one forward pass on a dummy 32x32 image)."""
        self(tf.zeros([1, 32, 32, 3]), tf.zeros([1, 32, 32]))

    # ---- real bitstreams ---------------------------------------------------------
    def entropy_coders(self):
        """(z coder, y coder): tfc's tables, built once per loaded codec, coded without escapes."""
        if self._scratch.coders is None:
            em_z = tfc.ContinuousBatchedEntropyModel(self.z_prior, coding_rank=3, compression=True,
                                                    offset_heuristic=False)
            em_y = tfc.LocationScaleIndexedEntropyModel(tfc.NoisyNormal, NUM_SCALES, scale_fn,
                                                        coding_rank=3, compression=True)
            self._scratch.coders = tuple(BoundedRangeCoder(em.cdf.numpy(), em.cdf_offset.numpy())
                                         for em in (em_z, em_y))
        return self._scratch.coders

    def _z_indexes(self, shape):
        return tf.broadcast_to(tf.range(self.hyper_latent), shape)

    def _latents(self, images, qmap):
        """``-> (y - means, y's scale indexes, z_hat, z's indexes)``, z_hat clamped as it is coded."""
        coder_z, _ = self.entropy_coders()
        y, c2 = self.analysis(images, qmap)
        z = self.hyper_analysis(y, qmap, c2)
        z_indexes = self._z_indexes(tf.shape(z))
        z_hat = coder_z.clamp(z, z_indexes)
        means, indexes = self.hyper_synthesis(z_hat)
        return y - means, self._index(indexes), means, z_hat, z_indexes

    def quantised_latents(self, images, qmap):
        """``-> (y_hat, z_hat)`` exactly as :meth:`compress` codes them (for checks)."""
        _, coder_y = self.entropy_coders()
        residual, indexes, means, z_hat, _ = self._latents(images, qmap)
        return coder_y.clamp(residual, indexes) + means, z_hat

    def compress(self, images, qmap):
        """Range-code a batch: ``-> (z strings [B], y strings [B])`` (tf.string tensors).

        Runs as one graph (about 1.25x faster than eagerly on 2 cores; the bytes are the same).
        """
        self.entropy_coders()                       # tables are read from tfc's variables outside the graph
        if self._scratch.graphs.get("compress") is None:
            self._scratch.graphs["compress"] = tf.function(self._compress, reduce_retracing=True)
        return self._scratch.graphs["compress"](images, qmap)

    def _compress(self, images, qmap):
        coder_z, coder_y = self.entropy_coders()
        residual, indexes, _, z_hat, z_indexes = self._latents(images, qmap)
        return coder_z.compress(z_hat, z_indexes, 3), coder_y.compress(residual, indexes, 3)

    def decompress(self, z_strings, y_strings, latent_shape):
        """Strings of :meth:`compress` and y's grid ``(h, w)`` -> images ``[B, 4h, 4w, 3]`` in [0, 255].

        Any bytes decode (to some image) in bounded time: see :mod:`linksim.models.bounded_coding`.
        """
        self.entropy_coders()
        key = ("decompress", int(latent_shape[0]), int(latent_shape[1]))
        if self._scratch.graphs.get(key) is None:
            self._scratch.graphs[key] = tf.function(lambda z, y: self._decompress(z, y, key[1:]),
                                                    reduce_retracing=True)
        return self._scratch.graphs[key](z_strings, y_strings)

    def _decompress(self, z_strings, y_strings, latent_shape):
        coder_z, coder_y = self.entropy_coders()
        h, w = int(latent_shape[0]), int(latent_shape[1])
        batch = tf.shape(z_strings)[0]
        z_hat = coder_z.decompress(z_strings, self._z_indexes([batch, h // 4, w // 4, self.hyper_latent]), 3)
        means, indexes = self.hyper_synthesis(z_hat)
        y_hat = coder_y.decompress(y_strings, self._index(indexes), 3) + means
        return self.synthesis(y_hat, z_hat)

    def bit_allocation(self, images, qmap):
        """Estimated bits of every element of y under its Gaussian, summed over channels: ``[B, H/4, W/4]``.

        For figures of where the bits go (HEVRC Fig. 2); real streams come from :meth:`compress`.
        """
        residual, indexes, _, _, _ = self._latents(images, qmap)
        em = tfc.LocationScaleIndexedEntropyModel(tfc.NoisyNormal, NUM_SCALES, scale_fn, coding_rank=0,
                                                  compression=False)
        _, bits = em(residual, indexes, training=False)
        return tf.reduce_sum(bits, axis=-1)

    @staticmethod
    def _index(indexes):
        return tf.cast(tf.clip_by_value(tf.round(indexes), 0, NUM_SCALES - 1), tf.int32)

    # ---- weights -------------------------------------------------------------------
    def geometry(self) -> dict:
        return {"width": self.width, "latent": self.latent, "hyper_latent": self.hyper_latent,
                "condition": self.condition, "t1": self.t1, "t2": self.t2}

    def save_npz(self, path):
        """Every variable in creation order, in one ``.npz`` (no pickles)."""
        np.savez(path, *[v.numpy() for v in self.weights])

    def load_npz(self, path):
        """Restore :meth:`save_npz`'s variables; raises ValueError if count or shapes differ."""
        self.build_variables()
        with np.load(path, allow_pickle=False) as z:
            arrays = [z[f"arr_{i}"] for i in range(len(z.files))]
        if len(arrays) != len(self.weights) or any(a.shape != tuple(v.shape)
                                                   for a, v in zip(arrays, self.weights)):
            raise ValueError(f"{path} does not hold this model's variables")
        for v, a in zip(self.weights, arrays):
            v.assign(a)
        self._scratch = _Scratch()
