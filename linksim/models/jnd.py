"""DMV-JND-NET (Jin et al., "Just noticeable difference for deep machine vision"): the network and its losses.

Given an image ``x`` and the merged class activation map ``c`` of four
classifiers (the mean of their CAMs, each in [0, 1]), a hybrid convolutional
autoencoder E-D produces a perturbation ``e = E(x, c)``; ``x_hat = x + e``
should be classified as ``x`` is by all four (eq. 2-6). Units follow the
paper: images in [-1, 1] (``x / 127.5 - 1``, i.e. normalised by mean and std
0.5 on [0, 1]), so ``e`` is in those units too and ``|e| = 1`` is 127.5 grey
levels; PSNR is always measured on 0..255.

Losses (eq. 7-15), each averaged over the batch:

* ``consistency_loss`` (Loss1): the mean over the classifiers of the
  cross-entropy of their prediction on ``x_hat`` against their own label on ``x``;
* ``magnitude_loss`` (Loss2): ``ln((N^2 + N0^2 + q) / (2 N N0 + q))`` with the
  target ``N = 1 - mean(c)`` and the actual ``N0 = mean |e|`` (over pixels and
  channels); zero exactly when ``N0 = N``, positive otherwise;
* ``spatial_loss`` (Loss3): ``<softmax(c), |e|>``, the softmax over the
  image's pixels and ``|e|`` averaged over channels. The paper writes
  ``<v, e>``; with signed ``e`` the loss would fall without bound as ``e``
  turns negative where ``c`` is high, which rewards a large perturbation, not
  a small one. We read it as the magnitude, so the loss charges perturbation
  where the classifiers look (a test checks that reading).
"""
from __future__ import annotations

import tensorflow as tf

#: eq. 13's small constant.
MAGNITUDE_EPSILON = 1e-10


def to_signed(images):
    """[0, 255] -> [-1, 1] (the paper's normalisation)."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def to_pixels(signed):
    """[-1, 1] -> [0, 255] (not clipped: the raw ``x + e`` the paper reports)."""
    return (signed + 1.0) * 127.5


class JndNet(tf.keras.Model):
    """The hybrid convolutional autoencoder E-D of DMV-JND-NET (paper Fig. 4 in kind).

    Encoder: 3x3 convolutions with batch norm and ReLU, each of the first two
    followed by 2x2 max pooling (``H/4`` at the bottleneck); decoder: one
    large-stride (4) transposed convolution back to the image's size, batch
    norm and ReLU, and a linear 3x3 convolution to the three channels of ``e``.

    Args:
        width: channels of the first convolution (then 2x, 4x; the decoder 1x).
        weight_decay: L2 factor on every kernel (the paper's 1e-3).

    Call: ``x`` ``[B, H, W, 3]`` in [-1, 1] and ``c`` ``[B, H, W]`` in [0, 1]
    (H, W multiples of 4) -> ``e`` ``[B, H, W, 3]`` in the same units as ``x``.
    """

    def __init__(self, width: int = 64, weight_decay: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        reg = tf.keras.regularizers.l2(weight_decay)
        conv = lambda f, k=3: tf.keras.layers.Conv2D(f, k, padding="same", use_bias=False,
                                                      kernel_initializer="he_normal", kernel_regularizer=reg)
        self.encoder = [conv(width), conv(2 * width), conv(4 * width)]
        self.encoder_norms = [tf.keras.layers.BatchNormalization() for _ in self.encoder]
        self.pool = tf.keras.layers.MaxPooling2D(2)
        self.up = tf.keras.layers.Conv2DTranspose(width, 4, strides=4, padding="same", use_bias=False,
                                                  kernel_initializer="he_normal", kernel_regularizer=reg)
        self.up_norm = tf.keras.layers.BatchNormalization()
        self.out_conv = tf.keras.layers.Conv2D(3, 3, padding="same", kernel_regularizer=reg)

    def call(self, x, c, training=False):
        h = tf.concat([x, c[..., None]], -1)
        for i, (layer, norm) in enumerate(zip(self.encoder, self.encoder_norms)):
            h = tf.nn.relu(norm(layer(h), training=training))
            if i < 2:
                h = self.pool(h)
        h = tf.nn.relu(self.up_norm(self.up(h), training=training))
        return self.out_conv(h)


def consistency_loss(logits_on_distorted, labels_on_original):
    """Loss1: mean over classifiers of the mean cross-entropy (lists of ``[B, K]`` logits, ``[B]`` labels)."""
    return tf.add_n([tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y, z, from_logits=True))
                     for z, y in zip(logits_on_distorted, labels_on_original)]) / len(logits_on_distorted)


def magnitude_loss(c, e, epsilon: float = MAGNITUDE_EPSILON):
    """Loss2 of ``c [B, H, W]`` and ``e [B, H, W, 3]``, averaged over the batch."""
    target = 1.0 - tf.reduce_mean(c, axis=[1, 2])
    actual = tf.reduce_mean(tf.abs(e), axis=[1, 2, 3])
    return tf.reduce_mean(tf.math.log((target ** 2 + actual ** 2 + epsilon) / (2 * target * actual + epsilon)))


def spatial_loss(c, e):
    """Loss3: ``<softmax over pixels of c, channel-mean |e|>`` per image, averaged over the batch."""
    weights = tf.nn.softmax(tf.reshape(c, [tf.shape(c)[0], -1]), axis=-1)
    magnitude = tf.reshape(tf.reduce_mean(tf.abs(e), axis=-1), [tf.shape(e)[0], -1])
    return tf.reduce_mean(tf.reduce_sum(weights * magnitude, axis=-1))
