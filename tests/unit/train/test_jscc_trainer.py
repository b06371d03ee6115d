"""The JSCC trainer: resumable, and AR/SP runs differ only in their loss weights."""
import numpy as np
import pytest

from linksim.train.jscc import JSCCTrainConfig, train_jscc


def variables_after(run_dir, cfg):
    from linksim.models.jscc import AdaptiveRateJSCC
    model = AdaptiveRateJSCC(cfg.groups, cfg.fixed_groups, cfg.width)
    model.load_npz(run_dir / f"{cfg.variant}.weights.npz")
    return [v.numpy() for v in model.weights]


def test_resume_matches_uninterrupted(tiny_folder, straight_and_resumed):
    cfg = JSCCTrainConfig(epochs=2, batch_size=10, width=8)
    straight, resumed, _ = straight_and_resumed(train_jscc, cfg, tiny_folder)
    for a, b in zip(variables_after(straight, cfg), variables_after(resumed, cfg)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_sp_variant_weights_its_loss_with_the_cached_sp_map(tiny_folder, tmp_path):
    cfg = JSCCTrainConfig(variant="sp_jscc", epochs=1, batch_size=10, width=8)
    summary = train_jscc(cfg, tiny_folder, tmp_path, log=lambda m: None)
    (cached,) = tmp_path.glob("sp_weights-resnet20-mean_abs_logit-20-*.npy")
    w = np.load(cached).astype(np.float32)
    assert w.shape == (20, 32, 32, 3)
    np.testing.assert_allclose((w ** 2).mean(axis=(1, 2, 3)), 1.0, rtol=1e-2)
    assert w.std() > 0.1                                  # not uniform
    assert (tmp_path / "sp_jscc.weights.npz").is_file() and summary["config"]["variant"] == "sp_jscc"


def test_any_importance_map_can_weight_the_loss(sample, tmp_path):
    from linksim.config import from_mapping
    from linksim.train.jscc import _sp_weights
    cfg = from_mapping(JSCCTrainConfig, {"variant": "sp_jscc", "weight_map": {"type": "icm"}})
    w = np.asarray(_sp_weights(cfg, sample.images[:20], tmp_path, log=lambda m: None), np.float32)
    assert len(list(tmp_path.glob("weights-icm-*-20-*.npy"))) == 1
    assert w.shape == (20, 32, 32, 3) and np.all(w[..., 0] == w[..., 2])      # one [0, 1] map per pixel
    np.testing.assert_allclose((w ** 2).mean(axis=(1, 2, 3)), 1.0, rtol=1e-2)
    assert w.std() > 0.1


def test_init_starts_from_a_run_output_and_rejects_another_geometry(tiny_folder, tmp_path):
    from linksim.errors import ConfigError
    base = JSCCTrainConfig(epochs=1, batch_size=10, width=8)
    train_jscc(base, tiny_folder, tmp_path / "base", log=lambda m: None)
    start = str(tmp_path / "base" / "ar_jscc.weights.npz")
    tuned = JSCCTrainConfig(epochs=1, batch_size=10, width=8, learning_rate=1e-6, init=start, seed=1)
    train_jscc(tuned, tiny_folder, tmp_path / "tuned", log=lambda m: None)
    before = variables_after(tmp_path / "base", base)
    after_init = variables_after(tmp_path / "tuned", tuned)
    gap = lambda a, b: max(np.abs(x - y).max() for x, y in zip(a, b))
    assert 0 < gap(before, after_init) < 1e-3                  # it trained, from base: two steps of lr 1e-6
    with pytest.raises(ConfigError, match="geometry"):
        train_jscc(JSCCTrainConfig(epochs=1, batch_size=10, width=16, init=start), tiny_folder,
                   tmp_path / "wide", log=lambda m: None)


def test_sharpened_weights_keep_unit_mean_square_and_order():
    from linksim.train.jscc import sharpen
    w = np.random.default_rng(0).gamma(2.0, size=(3, 4, 4, 3)).astype(np.float32)
    w /= np.sqrt((w ** 2).mean(axis=(1, 2, 3), keepdims=True))
    assert sharpen(w, 1.0) is w
    s = sharpen(w, 2.0)
    np.testing.assert_allclose((s ** 2).mean(axis=(1, 2, 3)), 1.0, rtol=1e-5)
    np.testing.assert_allclose(s / s.max(axis=(1, 2, 3), keepdims=True),
                               (w / w.max(axis=(1, 2, 3), keepdims=True)) ** 2, rtol=1e-5)
    assert s.std() > w.std()


def test_training_under_fading_meets_one_fade_per_image_and_refuses_other_fades(tiny_folder, tmp_path):
    from linksim.channels import RayleighBlockConfig
    from linksim.config import from_mapping
    from linksim.errors import ConfigError
    awgn = JSCCTrainConfig(epochs=1, batch_size=10, width=8)
    faded = from_mapping(JSCCTrainConfig, {"epochs": 1, "batch_size": 10, "width": 8,
                                           "channel": {"type": "rayleigh_block"}})
    assert faded.channel == RayleighBlockConfig()
    a = train_jscc(awgn, tiny_folder, tmp_path / "awgn", log=lambda m: None)
    b = train_jscc(faded, tiny_folder, tmp_path / "faded", log=lambda m: None)
    faded_weights = variables_after(tmp_path / "faded", faded)
    assert all(np.all(np.isfinite(v)) for v in faded_weights)
    gap = max(np.abs(x - y).max() for x, y in zip(variables_after(tmp_path / "awgn", awgn), faded_weights))
    assert gap > 0 and a["config"]["channel"] is None and b["config"]["channel"]["type"] == "rayleigh_block"
    with pytest.raises(ConfigError, match="per_image"):
        train_jscc(from_mapping(JSCCTrainConfig, {"epochs": 1, "batch_size": 10, "width": 8,
                                                  "channel": {"type": "rayleigh_block", "coherence": "per_codeword"}}),
                   tiny_folder, tmp_path / "bad", log=lambda m: None)
