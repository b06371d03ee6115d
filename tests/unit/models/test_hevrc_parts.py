"""HEVRC's parts: feature matching is an L1 distance of features, the discriminator's shapes, the GAN losses."""
import numpy as np
import pytest
import tensorflow as tf

from linksim.models.hevrc import ConditionalDiscriminator, FeatureMatching, discriminator_loss, generator_loss


@pytest.fixture(scope="module")
def tiny_classifier():
    inputs = tf.keras.Input((32, 32, 3))
    h = tf.keras.layers.Conv2D(4, 3, strides=2, activation="relu")(inputs)
    outputs = tf.keras.layers.Dense(10)(tf.keras.layers.GlobalAveragePooling2D()(h))
    return tf.keras.Model(inputs, outputs)


def test_feature_matching_is_the_mean_l1_distance_of_the_last_conv_features(tiny_classifier, rng):
    x = tf.constant(rng.uniform(0, 255, (3, 32, 32, 3)), tf.float32)
    x_hat = x + tf.constant(rng.normal(0, 20, (3, 32, 32, 3)), tf.float32)
    sfm = FeatureMatching(tiny_classifier)
    features = tf.keras.Model(tiny_classifier.inputs, tiny_classifier.layers[1].output)
    expected = np.mean(np.abs(features(x).numpy() - features(x_hat).numpy()))
    np.testing.assert_allclose(float(sfm(x, x_hat)), expected, rtol=1e-5)
    assert float(sfm(x, x)) == 0.0


@pytest.mark.parametrize("height,width", [(32, 32), (48, 64)])
def test_discriminator_gives_one_logit_per_latent_position(height, width):
    disc = ConditionalDiscriminator(width=8)
    logits = disc(tf.zeros([2, height, width, 3]), tf.zeros([2, height // 4, width // 4, 5]),
                  tf.zeros([2, height, width]))
    assert logits.shape == (2, height // 4, width // 4)


def test_gan_losses_are_the_non_saturating_log_losses():
    real, fake = tf.constant([[2.0, -1.0]]), tf.constant([[0.5, -3.0]])
    sigmoid = lambda t: 1 / (1 + np.exp(-t.numpy()))
    np.testing.assert_allclose(float(generator_loss(fake)), np.mean(-np.log(sigmoid(fake))), rtol=1e-6)
    np.testing.assert_allclose(float(discriminator_loss(real, fake)),
                               np.mean(-np.log(sigmoid(real))) + np.mean(-np.log(1 - sigmoid(fake))), rtol=1e-6)
