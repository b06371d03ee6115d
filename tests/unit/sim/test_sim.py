import numpy as np
import pytest

from linksim import metrics
from linksim.sim import PointRuns, cliffs, derive_seed, paired_gaps, summarize


def test_derive_seed_depends_on_each_part_only():
    s = derive_seed(0, "bpg_ldpc", 5.0, 0.25, 1)
    assert s == derive_seed(0, "bpg_ldpc", 5, 0.25, 1)        # int/float SNR alike
    others = {derive_seed(1, "bpg_ldpc", 5.0, 0.25, 1), derive_seed(0, "bpg_adaptive", 5.0, 0.25, 1),
              derive_seed(0, "bpg_ldpc", 6.0, 0.25, 1), derive_seed(0, "bpg_ldpc", 5.0, 0.5, 1),
              derive_seed(0, "bpg_ldpc", 5.0, 0.25, 2)}
    assert s not in others and len(others) == 5 and 0 <= s < 2 ** 31


def test_summarize_against_numpy_reference(rng):
    runs_, n = 3, 40
    labels = np.repeat(np.arange(10), 4)
    preds = np.where(rng.random((runs_, n)) < 0.7, labels[None], (labels[None] + 1) % 10)
    psnr = rng.normal(25, 3, (runs_, n))
    ssim = rng.uniform(0.5, 1, (runs_, n))
    outage = rng.random((runs_, n)) < 0.2
    uses = np.full((runs_, n), 256)
    clean = np.where(np.arange(n) % 5 == 0, (labels + 1) % 10, labels)       # the judge errs on 1 in 5
    point = summarize("c", 5.0, 0.25, PointRuns(preds[:, None], psnr, ssim, outage, uses, uses * 0 + 800, None),
                      labels, clean[None], 10, 1024, True)
    rca = (preds == clean).mean()
    low, high = metrics.wilson_interval(rca, n)
    assert point["rca"] == pytest.approx(rca) and point["rca_ci95"] == pytest.approx((high - low) / 2)
    assert point["rca"] != point["accuracy"]
    per_image_acc = (preds == labels).mean(0)
    acc = per_image_acc.mean()
    low, high = metrics.wilson_interval(acc, n)
    assert point["accuracy"] == pytest.approx(acc)
    assert point["accuracy_ci95"] == pytest.approx((high - low) / 2)
    f1 = [metrics.f1_macro(labels, p, 10) for p in preds]
    assert point["f1_macro"] == pytest.approx(np.mean(f1))
    low, high = metrics.f1_macro_interval(labels, preds, 10)
    assert point["f1_ci95"] == pytest.approx((high - low) / 2)
    assert (point["f1_macro_ci95_low"], point["f1_macro_ci95_high"]) == (low, high)
    assert point["psnr_db"] == pytest.approx(psnr.mean())
    assert point["psnr_ci95"] == pytest.approx(1.959964 * psnr.mean(0).std(ddof=1) / np.sqrt(n), rel=1e-6)
    assert point["cpp"] == 0.25 and point["source_bits"] == 800
    assert point["outage_rate"] == pytest.approx(outage.mean())
    assert point["n_images"] == n and point["runs"] == runs_


def test_a_noise_free_codec_has_an_f1_interval_over_images(rng):
    labels = np.arange(200) % 10
    predictions = np.where(rng.random(200) < 0.8, labels, (labels + 3) % 10)
    one = np.zeros((1, 200))
    point = summarize("c", 0.0, 0.5, PointRuns(predictions[None, None], one + 30, one + 0.9, one > 0, one, one,
                                               None), labels, labels[None], 10, 1024, True)
    assert 0.02 < point["f1_ci95"] < 0.1              # one run, yet the images vary: not +-0.000
    assert point["f1_macro_ci95_low"] < point["f1_macro"] < point["f1_macro_ci95_high"]


def test_a_perfect_single_run(rng):
    labels = np.arange(200) % 10
    one = np.zeros((1, 200))
    point = summarize("c", 0.0, 0.5, PointRuns(labels[None, None], one + 30, one + 0.9, one > 0, one, one, None),
                      labels, labels[None], 10, 1024, True)
    assert point["f1_ci95"] == 0.0 and point["accuracy"] == 1.0
    assert point["rca"] == point["accuracy"]            # a judge right on every clean image: RCA is accuracy


def test_second_judge_and_paired_gaps_against_numpy_reference(rng):
    runs_, n = 4, 50
    labels = np.repeat(np.arange(10), 5)
    def point_runs(p_right):
        preds = np.where(rng.random((runs_, 2, n)) < p_right, labels[None, None], (labels + 3) % 10)
        return PointRuns(preds, rng.normal(25, 2, (runs_, n)), rng.uniform(0.6, 1, (runs_, n)),
                         np.zeros((runs_, n), bool), np.full((runs_, n), 256), np.zeros((runs_, n)), None)
    a, b = point_runs(0.8), point_runs(0.6)
    clean = np.stack([labels, np.roll(labels, 1)])
    point = summarize("a", 5.0, 0.25, a, labels, clean, 10, 1024, True, judges=("first", "second"))
    assert point["judges"]["second"]["rca"] == pytest.approx((a.predictions[:, 1] == clean[1]).mean())
    assert point["judges"]["second"]["accuracy"] == pytest.approx((a.predictions[:, 1] == labels).mean())
    assert point["accuracy"] == point["judges"]["first"]["accuracy"] != point["judges"]["second"]["accuracy"]
    gaps = paired_gaps(a, b, labels, clean, ("first", "second"))
    r = (a.predictions[:, 1] == clean[1]).mean(0) - (b.predictions[:, 1] == clean[1]).mean(0)
    assert gaps["rca_second"]["gap"] == pytest.approx(r.mean())
    d = (a.predictions[:, 1] == labels).mean(0) - (b.predictions[:, 1] == labels).mean(0)
    assert gaps["accuracy_second"]["gap"] == pytest.approx(d.mean())
    assert gaps["accuracy_second"]["ci95"] == pytest.approx(1.959964 * d.std(ddof=1) / np.sqrt(n), rel=1e-6)
    assert gaps["psnr_db"]["gap"] == pytest.approx(a.psnr.mean() - b.psnr.mean())


def test_cliffs():
    pts = [{"codec": "a", "snr_db": 5, "cpp_target": c, "outage_rate": o}
           for c, o in [(0.125, 1.0), (0.25, 0.6), (0.375, 0.5), (0.5, 0.0)]]
    pts.append({"codec": "a", "snr_db": 0, "cpp_target": 0.5, "outage_rate": 0.9})
    assert cliffs(pts) == [{"codec": "a", "snr_db": 5, "min_cpp_half_delivered": 0.375},
                           {"codec": "a", "snr_db": 0, "min_cpp_half_delivered": None}]


def test_evaluator_with_and_without_memo_agree(rng):
    import tensorflow as tf
    from linksim.sim import Evaluator
    inp = tf.keras.Input((8, 8, 3))
    judge = tf.keras.Model(inp, tf.keras.layers.Dense(10)(tf.keras.layers.Flatten()(inp)))
    references = rng.integers(0, 256, (6, 8, 8, 3)).astype(np.uint8)
    received = np.clip(references.astype(int) + rng.integers(-20, 21, references.shape), 0, 255).astype(np.uint8)
    evaluator = Evaluator({"a": judge, "b": judge}, references, with_ssim=False, batch_size=4)
    with_memo, without = evaluator.evaluate(received), evaluator.evaluate(received, memoise=False)
    for field in ("predictions", "psnr", "ssim"):
        np.testing.assert_array_equal(getattr(with_memo, field), getattr(without, field))
    assert with_memo.predictions.shape == (2, 6) and with_memo.perceptual == {} and with_memo.pooled is None
    np.testing.assert_allclose(with_memo.psnr, metrics.psnr(references, received))


def test_evaluator_memo_keeps_each_images_perceptual_metrics(sample, rng):
    from linksim.perceptual import PerceptualScores, frechet_distance
    from linksim.sim import Evaluator
    references = sample.images[::250]
    scores = PerceptualScores(("fsimc", "feature_distance", "frechet"), "vgg8", 10, references)
    evaluator = Evaluator({}, references, with_ssim=False, perceptual=scores)
    noisy = np.clip(references.astype(int) + rng.integers(-30, 31, references.shape), 0, 255).astype(np.uint8)
    evaluator.evaluate(noisy[:2])                          # memoise two of them first
    with_memo, without = evaluator.evaluate(noisy), evaluator.evaluate(noisy, memoise=False)
    assert set(with_memo.perceptual) == {"fsimc", "feature_distance_vgg8"}
    for name in with_memo.perceptual:
        np.testing.assert_allclose(with_memo.perceptual[name], without.perceptual[name], rtol=1e-6)
    np.testing.assert_allclose(with_memo.pooled, without.pooled, rtol=1e-5, atol=1e-6)
    clean = evaluator.evaluate(references)
    assert np.allclose(clean.perceptual["fsimc"], 1) and np.all(clean.perceptual["feature_distance_vgg8"] == 0)
    frechet = scores.frechet([with_memo.pooled, clean.pooled])     # two runs: the mean of the two distances
    assert frechet["frechet_vgg8"]["value"] == pytest.approx(
        frechet_distance(clean.pooled, with_memo.pooled) / 2, rel=1e-6, abs=1e-4)
