import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# `linksim run` fixes TensorFlow's thread counts (default 2) before TensorFlow
# starts; in-process CLI tests share one runtime, so fix them once here.
from linksim.sim import configure_threads  # noqa: E402

configure_threads(2)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Every test gets its own encoding/data cache folder."""
    monkeypatch.setenv("LINKSIM_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def sample():
    from linksim.data import load_embedded_sample
    return load_embedded_sample()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


TINY_QMAP = {"width": 8, "latent": 8, "hyper_latent": 4, "condition": 4, "t1": 1e-3, "t2": 4.0}


@pytest.fixture(scope="session")
def tiny_qmap_weights(tmp_path_factory, sample):
    """A tiny Qmap codec, 300 Adam steps on the embedded sample, saved as a ``linksim train qmap2021`` run output.

    Trained just enough that its rate follows the Qmap and its pictures beat the fallback image.
    """
    import json
    import tensorflow as tf
    from linksim import zoo
    from linksim.models.qmap import QmapCodec, lambda_map
    folder = tmp_path_factory.mktemp("qmap_run")
    tf.keras.utils.set_random_seed(11)
    model = QmapCodec(**TINY_QMAP)
    model.build_variables()
    optimizer = tf.keras.optimizers.Adam(3e-3, global_clipnorm=1.0)

    @tf.function
    def step(x, q):
        with tf.GradientTape() as tape:
            x_hat, bits = model(x, q, training=True)
            lam = lambda_map(q, model.t1, model.t2)[..., None]
            loss = tf.reduce_mean(bits) / 1024.0 + tf.reduce_mean(lam * (x_hat - x) ** 2)
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))

    rng = np.random.default_rng(11)
    for _ in range(300):
        x = sample.images[rng.integers(0, len(sample.images), 16)].astype(np.float32)
        q = np.broadcast_to(rng.uniform(0, 1, (16, 1, 1)), (16, 32, 32)).astype(np.float32)
        step(tf.constant(x), tf.constant(q))
    zoo.write_weights(folder / "qmap2021.weights.npz", model.save_npz)
    (folder / "config.json").write_text(json.dumps(TINY_QMAP))
    return str(folder / "qmap2021.weights.npz")
