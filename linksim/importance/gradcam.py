"""``grad_cam``: HEVRC's semantic importance map (SIM) by Grad-CAM (Selvaraju et al. 2017).

For the class ``c`` the judge predicts on ``x`` (its flip-averaged logits
when the zoo entry averages over the mirror image), the map of one view is
``relu(sum_k alpha_k A_k)`` with ``A`` the classifier's last convolutional
feature map (the input of its global average pooling) and ``alpha_k`` the
spatial mean of ``d z_c / d A_k``. For a flip-averaged judge the score is
``(z_c(x) + z_c(mirror x)) / 2``, so both branches get a map; the mirrored
branch's map is mirrored back and the two are averaged. The result is
resized bilinearly to the image and scaled per image to [0, 1] (a map that
is zero everywhere stays zero).

Units: ``[N, H, W]`` in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import bounded
from .base import IMPORTANCE_MAPS, UNIT_INTERVAL, ImportanceMap, minmax


@dataclass(frozen=True)
class GradCamConfig:
    """``grad_cam``: Grad-CAM of a zoo classifier for its predicted class.

    Attributes:
        classifier: zoo name of the classifier (default the judge).
        batch_size: images per gradient batch.
    """
    classifier: str = "resnet32"
    batch_size: int = bounded(250, lo=1, hi=10000)


def feature_model(model):
    """``model`` -> Keras model ``x -> (last conv features [B, h, w, K], logits)``.

    The last convolutional features are the input of the network's
    GlobalAveragePooling2D layer.
    """
    import tensorflow as tf
    pools = [layer for layer in model.layers if isinstance(layer, tf.keras.layers.GlobalAveragePooling2D)]
    if len(pools) != 1:
        raise ValueError(f"{model.name}: Grad-CAM needs exactly one global average pooling layer")
    return tf.keras.Model(model.inputs, [pools[0].input, model.output])


@IMPORTANCE_MAPS.register("grad_cam", GradCamConfig)
class GradCamMap(ImportanceMap):
    """Grad-CAM for the predicted class, through both views of a flip-averaged judge.

    Args:
        config: :class:`GradCamConfig`.
        model: optional Keras network ``float [B, H, W, 3] in [0, 255] -> logits``
            with one global average pooling layer, used instead of the zoo's.
        flip: whether the judge averages its logits over the mirror image
            (default: as its zoo entry says; False for ``model``).
    """

    units = UNIT_INTERVAL

    def __init__(self, config: GradCamConfig, model=None, flip: bool | None = None):
        import tensorflow as tf
        from .. import zoo
        self.config = config
        if model is None:
            model = zoo.load_classifier(config.classifier, base=True)
            flip = bool(zoo.entry(config.classifier).get("test_time_flip")) if flip is None else flip
        self.flip = bool(flip)
        features = feature_model(model)
        views = 2 if self.flip else 1

        @tf.function(reduce_retracing=True)
        def cams(x):
            inputs = tf.concat([x, x[:, :, ::-1]], 0) if views == 2 else x
            with tf.GradientTape() as tape:
                tape.watch(inputs)           # records every op, trainable classifier variables or not
                maps, logits = features(inputs, training=False)
                mean_logits = tf.add_n(tf.split(logits, views, 0)) / views
                cls = tf.argmax(mean_logits, axis=1, output_type=tf.int32)
                score = tf.reduce_sum(tf.gather(mean_logits, cls, axis=1, batch_dims=1))
            grads = tape.gradient(score, maps)
            alpha = tf.reduce_mean(grads, axis=[1, 2], keepdims=True)
            cam = tf.nn.relu(tf.reduce_sum(alpha * maps, axis=-1, keepdims=True))
            cam = tf.image.resize(cam, tf.shape(x)[1:3], method="bilinear")[..., 0]
            if views == 2:
                direct, mirrored = tf.split(cam, 2, 0)
                cam = (direct + mirrored[:, :, ::-1]) / 2.0
            return cam

        self._cams = cams

    def __call__(self, images, labels=None):
        import tensorflow as tf
        images = np.asarray(images)
        out = [self._cams(tf.constant(images[s:s + self.config.batch_size], tf.float32)).numpy()
               for s in range(0, len(images), self.config.batch_size)]
        return minmax(np.concatenate(out)) if out else np.zeros(images.shape[:3], np.float32)
