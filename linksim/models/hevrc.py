"""HEVRC's training parts on the Qmap codec: semantic feature matching and the conditional discriminator.

HEVRC (sections 3.3-3.4) fine-tunes QMAP2021 in two further stages: with
``L2 = L1 + lambda_SFM * L_SFM``, where ``L_SFM`` is the mean L1 distance
between a frozen classifier's features of ``x`` and ``x_hat`` (eq. 4), and then
the decoder alone against a discriminator conditioned on the quantised
latents and the quality map, ``D(x or x_hat, y_hat, q)`` (eq. 13-14), with the
non-saturating GAN loss.
"""
from __future__ import annotations

import tensorflow as tf


class FeatureMatching:
    """``L_SFM``: mean absolute difference of a frozen classifier's last convolutional features.

    Args:
        classifier: a Keras classifier with one global average pooling layer
            (a zoo network without flip averaging); its input is RGB in [0, 255].

    ``__call__(x, x_hat)``: images ``[B, H, W, 3]`` -> scalar loss.
    """

    def __init__(self, classifier):
        from ..importance.gradcam import feature_model
        features = feature_model(classifier)
        features.trainable = False
        self._features = tf.keras.Model(features.inputs, features.outputs[0])

    def __call__(self, x, x_hat):
        return tf.reduce_mean(tf.abs(self._features(x, training=False) - self._features(x_hat, training=False)))


class ConditionalDiscriminator(tf.keras.Model):
    """Patch discriminator ``D(image, y_hat, q) -> logits [B, H/4, W/4]`` (real: high).

    The image and its quality map go through two stride-2 convolutions to the
    latents' grid, where the quantised latents ``y_hat`` (after a 1x1
    convolution) join them; two more convolutions give one logit per latent
    position. Shapes: image ``[B, H, W, 3]`` in [0, 255], ``y_hat [B, H/4, W/4, M]``,
    ``q [B, H, W]``; H and W multiples of 4.

    Args:
        width: channels of the first convolution (the others 2x).
    """

    def __init__(self, width: int = 64, **kwargs):
        super().__init__(**kwargs)
        conv = lambda f, k, s=1: tf.keras.layers.Conv2D(f, k, strides=s, padding="same")
        self.width = width
        self.c1, self.c2 = conv(width, 4, 2), conv(2 * width, 4, 2)
        self.latent_in = conv(width, 1)
        self.c3, self.out = conv(2 * width, 3), conv(1, 3)

    def call(self, image, y_hat, q):
        h = tf.concat([image / 127.5 - 1.0, q[..., None]], -1)
        h = tf.nn.leaky_relu(self.c2(tf.nn.leaky_relu(self.c1(h), 0.2)), 0.2)
        h = tf.concat([h, tf.nn.leaky_relu(self.latent_in(y_hat), 0.2)], -1)
        return self.out(tf.nn.leaky_relu(self.c3(h), 0.2))[..., 0]


def generator_loss(fake_logits):
    """Non-saturating ``-log D(x_hat)`` (eq. 13), averaged over patches and images."""
    return tf.reduce_mean(tf.nn.softplus(-fake_logits))


def discriminator_loss(real_logits, fake_logits):
    """``-log D(x) - log(1 - D(x_hat))`` (eq. 14), averaged."""
    return tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(fake_logits))
