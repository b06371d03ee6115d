"""The Qmap-codec trainer: resumable, its training maps are valid, and it exports loadable weights."""
import numpy as np
import pytest
from linksim.errors import ConfigError
from linksim.train.qmap import MAP_KINDS, QmapTrainConfig, train_qmap, training_qmaps

TINY = dict(epochs=2, batch_size=10, width=8, latent=8, hyper_latent=4, condition=4)


def variables_after(run_dir, cfg):
    from linksim.models.qmap import QmapCodec
    model = QmapCodec(cfg.width, cfg.latent, cfg.hyper_latent, cfg.condition, cfg.t1, cfg.t2)
    model.load_npz(run_dir / "qmap2021.weights.npz")
    return [v.numpy() for v in model.weights]


def test_resume_matches_uninterrupted(tiny_folder, straight_and_resumed):
    cfg = QmapTrainConfig(**TINY)
    straight, resumed, _ = straight_and_resumed(train_qmap, cfg, tiny_folder)
    for a, b in zip(variables_after(straight, cfg), variables_after(resumed, cfg)):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)   # thread-order float noise
    (cached,) = straight.glob("sim-resnet32-20-*.npy")
    assert np.load(cached).shape == (20, 32, 32)


@pytest.mark.parametrize("kind", range(len(MAP_KINDS)))
def test_each_kind_of_training_map_lies_in_the_unit_interval(kind):
    shares = [0.0] * len(MAP_KINDS)
    shares[kind] = 1.0
    sims = np.random.default_rng(1).uniform(0, 1, (16, 32, 32)).astype(np.float32)
    maps = training_qmaps(np.random.default_rng(2), sims, shares)
    assert maps.shape == (16, 32, 32) and maps.min() >= 0 and maps.max() <= 1
    spread = maps.reshape(16, -1).std(axis=1)
    if MAP_KINDS[kind] == "uniform":
        assert np.all(spread < 1e-6) and len(np.unique(maps[:, 0, 0])) > 8
    else:
        assert np.all(spread > 0)


def test_bad_map_shares_are_a_config_error(tiny_folder, tmp_path):
    with pytest.raises(ConfigError, match="map_shares"):
        train_qmap(QmapTrainConfig(**{**TINY, "map_shares": (1.0, 0.0)}), tiny_folder, tmp_path)


def test_train_images_takes_a_class_balanced_subset(tiny_folder, tmp_path):
    from linksim.errors import DataError
    from linksim.train.qmap import prepare_run
    _, train, sims, _ = prepare_run(QmapTrainConfig(**TINY, train_images=10), tiny_folder, tmp_path, log=lambda m: None)
    assert len(train) == 10 and sorted(train.labels) == list(range(10)) and sims.shape == (10, 32, 32)
    with pytest.raises(DataError):
        prepare_run(QmapTrainConfig(**TINY, train_images=30), tiny_folder, tmp_path / "b", log=lambda m: None)
