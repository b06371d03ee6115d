"""Resumable training of the Qmap codec, QMAP2021's first (and only) stage.

Loss per batch (QMAP2021 eq. 5): ``bpp + mean(lambda(q) * (x_hat - x)^2)``
with x in [0, 255] (= ``255^2 * mean(lambda * mse)`` on [0, 1] images), bpp
the estimated bits of y and z per pixel and ``lambda(q) = t1 * exp(t2 * q)``
per pixel. Each training image gets a random quality map, one of:

=========  ===========  ===================================================
share      kind         map
=========  ===========  ===================================================
``0.3``    uniform      one level from {0, 0.01, ..., 1}
``0.2``    gradient     linear between two random levels, horizontal or vertical
``0.25``   blobs        a sum of 1-6 Gaussian blobs (variances 16-47 px^2, QMAP2021's
                        1000-3000 px^2 at 256 px scaled to 32 px), rescaled to a
                        maximum drawn from U(0.5, 1)
``0.25``   semantic     the image's own Grad-CAM map (:mod:`linksim.importance.gradcam`)
                        scaled into a random interval [lo, hi] of [0, 1] (CIFAR has no
                        segmentation masks, QMAP2021's per-class levels)
=========  ===========  ===================================================

Images and their maps are flipped horizontally with probability 1/2. Adam
with global gradient-norm clipping at 1 and a cosine learning-rate decay; a
step whose loss or gradients are not finite, or whose loss exceeds 1e4, is
skipped and counted (QMAP2021's code does the same; it is known to hit NaN).
Data order, maps and flips derive from (seed, epoch, step). The weights are
exported after every epoch (``qmap2021.weights.npz``), so a run can be
measured while it trains; the checkpoint in ``ckpt/`` resumes it.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Tuple

import numpy as np
import tensorflow as tf

from ..config import bounded
from ..data import load_split
from ..models.qmap import QmapCodec, lambda_map
from ..zoo import write_weights
from .loop import EpochLoop, per_image_arrays

MAP_KINDS = ("uniform", "gradient", "blobs", "semantic")


@dataclass(frozen=True)
class QmapTrainConfig:
    """Options of ``linksim train qmap2021`` (``--set key=value``).

    Attributes:
        epochs, batch_size, learning_rate: Adam, cosine decay to ``final_lr_share`` of the rate.
        final_lr_share: learning rate at the end, as a share of the initial one.
        width, latent, hyper_latent, condition: :class:`~linksim.models.qmap.QmapCodec` geometry.
        t1, t2: ``lambda(q) = t1 * exp(t2 * q)``.
        map_shares: shares of the uniform, gradient, blob and semantic training maps.
        sim_classifier: zoo classifier of the semantic maps.
        init: weights to start from (a zoo name or a run's ``qmap2021.weights.npz`` with
            the same network geometry; t1 and t2 may differ): fine-tuning.
        seed: seeds the initial weights, data order, maps and flips.
        train_images: 0 for the whole training split, else its first
            ``train_images / 10`` images of each class (short fine-tunes, ablations).
    """
    epochs: int = bounded(14, lo=1, hi=10000)
    batch_size: int = bounded(32, lo=1, hi=4096)
    learning_rate: float = bounded(3e-4, lo=1e-7, hi=1.0)
    final_lr_share: float = bounded(0.1, lo=0.0, hi=1.0)
    width: int = bounded(96, lo=4, hi=1024)
    latent: int = bounded(128, lo=4, hi=1024)
    hyper_latent: int = bounded(24, lo=4, hi=1024)
    condition: int = bounded(48, lo=4, hi=1024)
    t1: float = bounded(1e-4, lo=1e-7, hi=10.0)
    t2: float = bounded(7.3, lo=0.0, hi=20.0)
    map_shares: Tuple[float, ...] = (0.3, 0.2, 0.25, 0.25)
    sim_classifier: str = "resnet32"
    init: str = ""
    seed: int = bounded(0, lo=0, hi=2**31 - 1)
    train_images: int = bounded(0, lo=0, hi=10**7)


def training_qmaps(rng: np.random.Generator, sims: np.ndarray, shares) -> np.ndarray:
    """One random quality map per image: ``sims [B, H, W]`` in [0, 1] -> ``[B, H, W]`` in [0, 1]."""
    b, h, w = sims.shape
    kinds = rng.choice(len(MAP_KINDS), size=b, p=np.asarray(shares, np.float64) / np.sum(shares))
    out = np.empty((b, h, w), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for i, kind in enumerate(kinds):
        name = MAP_KINDS[kind]
        if name == "uniform":
            out[i] = rng.integers(0, 101) / 100.0
        elif name == "gradient":
            lo, hi = rng.uniform(0, 1, 2)
            ramp = (xx / (w - 1)) if rng.random() < 0.5 else (yy / (h - 1))
            out[i] = lo + (hi - lo) * ramp
        elif name == "blobs":
            m = np.zeros((h, w), np.float32)
            for _ in range(rng.integers(1, 7)):
                cy, cx = rng.uniform(0, h), rng.uniform(0, w)
                var = rng.uniform(1000, 3000) * (h / 256.0) * (w / 256.0)
                m += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * var))
            out[i] = m / m.max() * rng.uniform(0.5, 1.0)
        else:
            lo, hi = np.sort(rng.uniform(0, 1, 2))
            out[i] = lo + (hi - lo) * sims[i]
    return np.clip(out, 0.0, 1.0)


def validate_shares(cfg: QmapTrainConfig) -> None:
    """Raise ConfigError unless ``map_shares`` has one non-negative share per map kind, not all zero."""
    if len(cfg.map_shares) != len(MAP_KINDS) or min(cfg.map_shares) < 0 or sum(cfg.map_shares) <= 0:
        from ..errors import ConfigError
        raise ConfigError(f"map_shares: expected {len(MAP_KINDS)} non-negative shares "
                          f"({', '.join(MAP_KINDS)}), got {cfg.map_shares!r}")


def guarded_apply(optimizer, loss, grads, variables):
    """Apply ``grads`` unless the loss explodes or anything is not finite (inside tf.function); -> 1.0 if skipped."""
    ok = tf.math.is_finite(loss) & (loss < 1e4)
    for g in grads:
        ok &= tf.reduce_all(tf.math.is_finite(g))

    def apply():
        optimizer.apply_gradients(zip(grads, variables))
        return tf.constant(0.0)
    return tf.cond(ok, apply, lambda: tf.constant(1.0))


def batch_psnr(x_hat, x):
    """PSNR in dB of a batch (pixels in [0, 255], the decoder's output clipped as it is shown)."""
    mse = tf.reduce_mean((tf.clip_by_value(x_hat, 0.0, 255.0) - x) ** 2)
    return 10.0 * tf.math.log(255.0 ** 2 / mse) / tf.math.log(10.0)


def training_batches(cfg: QmapTrainConfig, images: np.ndarray, sims: np.ndarray, epoch: int):
    """The epoch's batches ``(x [B,H,W,3] float32 in [0, 255], q [B,H,W])`` as tensors: shuffled, a random
    training map per image (:func:`training_qmaps`), half of them mirrored; all from ``(seed, epoch)``."""
    rng = np.random.default_rng([cfg.seed, epoch])
    order = rng.permutation(len(images))
    for s in range(len(images) // cfg.batch_size):
        idx = np.sort(order[s * cfg.batch_size:(s + 1) * cfg.batch_size])
        x = images[idx].astype(np.float32)
        q = training_qmaps(rng, np.asarray(sims[idx], np.float32), cfg.map_shares)
        flip = rng.random(len(idx)) < 0.5
        x[flip], q[flip] = x[flip][:, :, ::-1], q[flip][:, :, ::-1]
        yield tf.constant(x), tf.constant(q)


def semantic_maps(cfg: QmapTrainConfig, images: np.ndarray, out: Path, log=print) -> np.ndarray:
    """Grad-CAM maps of every training image, float16 ``[N, H, W]``, cached in ``out``."""
    from ..importance import GradCamConfig, GradCamMap
    def sim(batch):
        return GradCamMap(GradCamConfig(classifier=cfg.sim_classifier, batch_size=250))(batch)
    return per_image_arrays(out, f"sim-{cfg.sim_classifier}", images, images.shape[:3], sim, log)


def build_codec(cfg: QmapTrainConfig) -> QmapCodec:
    """The network of ``cfg``, with the ``init`` weights if any (their network geometry must match)."""
    model = QmapCodec(cfg.width, cfg.latent, cfg.hyper_latent, cfg.condition, cfg.t1, cfg.t2)
    model.build_variables()
    if cfg.init:
        from .. import zoo
        from ..errors import ConfigError
        shape = ("width", "latent", "hyper_latent", "condition")
        theirs = {k: v for k, v in zoo.entry(cfg.init).get("geometry", {}).items() if k in shape}
        if theirs != {k: getattr(cfg, k) for k in shape}:
            raise ConfigError(f"init weights '{cfg.init}' have geometry {theirs}, unlike this training's")
        model.load_npz(zoo.verified_path(cfg.init))
    return model


def prepare_run(cfg: QmapTrainConfig, data_path, out_dir, log):
    """What every stage starts from: ``(run folder, training split, its semantic maps, the seeded codec)``."""
    validate_shares(cfg)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train = load_split(data_path, "train")
    if cfg.train_images:
        train = train.take_per_class(cfg.train_images)
    sims = semantic_maps(cfg, train.images, out, log)
    tf.keras.utils.set_random_seed(cfg.seed)
    return out, train, sims, build_codec(cfg)


def cosine_adam(cfg: QmapTrainConfig, rate: float, steps: int, variables):
    """Adam at ``rate`` decaying (cosine) to ``final_lr_share`` of it over the run, clipped at norm 1, built."""
    schedule = tf.keras.optimizers.schedules.CosineDecay(rate, cfg.epochs * steps, alpha=cfg.final_lr_share)
    optimizer = tf.keras.optimizers.Adam(schedule, global_clipnorm=1.0)
    optimizer.build(variables)
    return optimizer


def train_qmap(cfg: QmapTrainConfig, data_path, out_dir, log=print) -> dict:
    """Train (or resume) and export ``out_dir/qmap2021.weights.npz``; returns the summary."""
    out, train, sims, model = prepare_run(cfg, data_path, out_dir, log)
    variables = model.trainable_variables
    optimizer = cosine_adam(cfg, cfg.learning_rate, len(train) // cfg.batch_size, variables)
    pixels = float(train.images.shape[1] * train.images.shape[2])

    @tf.function
    def step(x, q):
        with tf.GradientTape() as tape:
            x_hat, bits = model(x, q, training=True)
            bpp = tf.reduce_mean(bits) / pixels
            distortion = tf.reduce_mean(lambda_map(q, cfg.t1, cfg.t2)[..., None] * (x_hat - x) ** 2)
            loss = bpp + distortion
        skipped = guarded_apply(optimizer, loss, tape.gradient(loss, variables), variables)
        return loss, bpp, batch_psnr(x_hat, x), skipped

    loop = EpochLoop(out, cfg, log, model=model, optimizer=optimizer)
    return train_and_export(cfg, loop, step, train.images, sims, model, out / "qmap2021.weights.npz", "est_bpp")


def train_and_export(cfg, loop: EpochLoop, step, images, sims, model: QmapCodec, weights_path: Path,
                     second: str) -> dict:
    """Run ``loop`` over :func:`training_batches` with ``step(x, q) -> (loss, <second>, psnr, skipped)``,
    exporting the weights after every epoch; writes and returns the run's summary."""
    steps = len(images) // cfg.batch_size

    def train_epoch(epoch):
        sums = np.zeros(4)
        for x, q in training_batches(cfg, images, sims, epoch):
            sums += [float(v) for v in step(x, q)]
        loss, other, psnr = sums[:3] / max(steps, 1)
        write_weights(weights_path, model.save_npz)
        return f"loss {loss:.4f} {second} {other:.3f} train_psnr {psnr:.2f} dB skipped {int(sums[3])}"

    loop.run(cfg.epochs, train_epoch)
    summary = {"config": asdict(cfg), "wall_seconds": round(loop.wall_seconds, 1),
               "sha256": write_weights(weights_path, model.save_npz), "weights": str(weights_path),
               "geometry": model.geometry()}
    (weights_path.parent / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
