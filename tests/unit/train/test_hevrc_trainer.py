"""HEVRC's stages 2 and 3: resumable (stage 3 with its discriminator), stage 3 changes the decoder alone."""
import numpy as np
import pytest
import tensorflow as tf

from linksim.models.qmap import QmapCodec
from linksim.train.hevrc import HevrcTrainConfig, train_hevrc

TINY = dict(epochs=2, batch_size=10, width=8, latent=8, hyper_latent=4, condition=4, t1=1e-3, t2=4.0,
            disc_width=8, gan_weight=1.0, feature_classifier="resnet20", sim_classifier="resnet20")  # small, fast
# (the geometry is that of tests/conftest.py's tiny_qmap_weights)


def weights(path):
    model = QmapCodec(**{k: TINY[k] for k in ("width", "latent", "hyper_latent", "condition", "t1", "t2")})
    model.load_npz(path)
    return model


def discriminator_variables(run_dir):
    from linksim.models.hevrc import ConditionalDiscriminator
    disc = ConditionalDiscriminator(TINY["disc_width"])
    disc(tf.zeros([1, 32, 32, 3]), tf.zeros([1, 8, 8, TINY["latent"]]), tf.zeros([1, 32, 32]))
    tf.train.Checkpoint(discriminator=disc).restore(tf.train.latest_checkpoint(run_dir / "ckpt")).expect_partial()
    return [v.numpy() for v in disc.weights]


@pytest.fixture(scope="module")
def stage2(tiny_folder, tiny_qmap_weights, tmp_path_factory):
    out = tmp_path_factory.mktemp("stage2")
    train_hevrc(HevrcTrainConfig(**{**TINY, "epochs": 1}, init=tiny_qmap_weights), tiny_folder, out,
                log=lambda m: None)
    return out / "hevrc_nogan.weights.npz"


def test_stage_2_fine_tunes_the_whole_network(stage2, tiny_qmap_weights):
    before, after = weights(tiny_qmap_weights), weights(stage2)
    changed = [not np.array_equal(a.numpy(), b.numpy()) for a, b in zip(before.weights, after.weights)]
    assert np.mean(changed) > 0.5


def test_stage_3_resumes_with_its_discriminator_and_leaves_the_encoder_as_it_was(
        tiny_folder, stage2, straight_and_resumed):
    cfg = HevrcTrainConfig(**TINY, stage=3, init=str(stage2))
    straight, resumed, summary = straight_and_resumed(train_hevrc, cfg, tiny_folder)
    for a, b in zip(weights(straight / "hevrc.weights.npz").weights, weights(resumed / "hevrc.weights.npz").weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-3, atol=1e-3)    # thread-order float noise
    for a, b in zip(discriminator_variables(straight), discriminator_variables(resumed)):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)
    start, end = weights(stage2), weights(straight / "hevrc.weights.npz")
    decoder = {id(v) for v in end.synthesis_variables()}
    for a, b in zip(start.weights, end.weights):
        assert np.array_equal(a.numpy(), b.numpy()) != (id(b) in decoder), b.name
    assert summary["sha256"] and summary["config"]["stage"] == 3


def test_a_stage_with_another_lambda_range_than_its_init_is_refused(tiny_folder, tiny_qmap_weights, tmp_path):
    from linksim.errors import ConfigError
    with pytest.raises(ConfigError, match="lambda"):
        train_hevrc(HevrcTrainConfig(**{**TINY, "t1": 2e-3}, init=tiny_qmap_weights), tiny_folder, tmp_path,
                    log=lambda m: None)
