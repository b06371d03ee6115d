"""Resumable training of DMV-JND-NET (``linksim train dmv_jnd``).

Four frozen zoo classifiers of four families judge ``x_hat = x + e``; their
class activation maps (base networks, the class each predicts on ``x``) are
merged into ``c``. ``c`` and each classifier's label on ``x`` depend on the
image alone, so both are computed once for every training image and its
mirror image and cached in the run folder; a step then runs the autoencoder
and the four classifiers on ``x_hat`` (forward and backward) only.

The loss is ``Loss1 + alpha Loss2 + beta Loss3`` (:mod:`linksim.models.jnd`)
plus the autoencoder's weight decay; half of each batch is mirrored (with its
mirrored ``c`` and labels). Every epoch appends its means of the three losses,
the training RCA (mean over the classifiers of the share of images whose
prediction on ``x_hat`` is the one on ``x``) and the mean per-image PSNR of
the raw ``x + e`` on 0..255 to ``history.json`` (the paper's Fig. 5-7).
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
from ..models.jnd import JndNet, consistency_loss, magnitude_loss, spatial_loss, to_pixels, to_signed
from ..zoo import write_weights
from .loop import EpochLoop, per_image_arrays
from .qmap import cosine_adam, guarded_apply

WEIGHTS = "dmv_jnd.weights.h5"
#: The four families of the paper's classifiers, as zoo names.
DEFAULT_CLASSIFIERS = ("alexnet", "vgg8", "resnet32", "densenet40")


@dataclass(frozen=True)
class DmvJndTrainConfig:
    """Options of ``linksim train dmv_jnd`` (``--set key=value``).

    Attributes:
        classifiers: the zoo classifiers whose CAMs guide ``e`` and that must tolerate it.
        epochs, batch_size, learning_rate, final_lr_share: Adam with cosine decay
            (the paper: batch 50, Adam 1e-5 for 200 epochs on a GPU).
        alpha, beta: weights of Loss2 and Loss3.
        weight_decay: L2 factor on the autoencoder's kernels.
        width: the autoencoder's first width.
        train_images: 0 for the whole training split, else its first ``n / 10`` per class.
        seed: seeds the initial weights, data order and flips.
    """
    classifiers: Tuple[str, ...] = DEFAULT_CLASSIFIERS
    epochs: int = bounded(10, lo=1, hi=10000)
    batch_size: int = bounded(50, lo=1, hi=4096)
    learning_rate: float = bounded(1e-4, lo=1e-7, hi=1.0)
    final_lr_share: float = bounded(0.1, lo=0.0, hi=1.0)
    alpha: float = bounded(1.0, lo=0.0, hi=1e3)
    beta: float = bounded(1.0, lo=0.0, hi=1e3)
    weight_decay: float = bounded(1e-3, lo=0.0, hi=1.0)
    width: int = bounded(64, lo=2, hi=1024)
    train_images: int = bounded(0, lo=0, hi=10**7)
    seed: int = bounded(0, lo=0, hi=2**31 - 1)


def cams_and_labels(classifiers: dict, images: np.ndarray, batch_size: int = 250, mirror: bool = True) -> tuple:
    """``(merged CAM [N, V, H, W], labels [N, V, C])`` of every image (index 0) and, if ``mirror``, its mirror
    (index 1).

    The merged CAM is the mean of the classifiers' CAMs, each scaled to [0, 1]
    (:class:`~linksim.importance.CamMap`); the mirror's CAM is in the mirror's
    own coordinates, as a mirrored training image sees it.
    """
    from ..importance import CamConfig, CamMap
    from ..importance.base import minmax
    maps = [CamMap(CamConfig(classifier=name, batch_size=batch_size), model=model)
            for name, model in classifiers.items()]
    cams, labels = [], []
    for view in (images, images[:, :, ::-1])[:2 if mirror else 1]:
        raw = [m.maps_and_classes(view) for m in maps]
        cams.append(np.mean([minmax(r) for r, _ in raw], axis=0))
        labels.append(np.stack([cls for _, cls in raw], axis=1))
    return np.stack(cams, axis=1), np.stack(labels, axis=1)


def guidance(cfg: DmvJndTrainConfig, classifiers: dict, images: np.ndarray, out: Path, log) -> tuple:
    """:func:`cams_and_labels` of the training images, cached in ``out`` (float16; labels are exact)."""
    done = {}

    def compute(images):
        if not done:
            done["cams"], done["labels"] = cams_and_labels(classifiers, images)
        return done

    name = "-".join(cfg.classifiers)
    n, h, w = images.shape[:3]
    cams = per_image_arrays(out, f"jnd-cams-{name}", images, (n, 2, h, w), lambda im: compute(im)["cams"], log)
    labels = per_image_arrays(out, f"jnd-labels-{name}", images, (n, 2, len(classifiers)),
                              lambda im: compute(im)["labels"], log)
    return cams, labels


def jnd_batches(cfg: DmvJndTrainConfig, images, cams, labels, epoch: int):
    """The epoch's batches ``(x [B,H,W,3] in [0, 255], c [B,H,W], labels [B, C])``: shuffled, half mirrored."""
    rng = np.random.default_rng([cfg.seed, epoch])
    order = rng.permutation(len(images))
    for s in range(len(images) // cfg.batch_size):
        idx = np.sort(order[s * cfg.batch_size:(s + 1) * cfg.batch_size])
        flip = (rng.random(len(idx)) < 0.5).astype(int)
        x = images[idx].astype(np.float32)
        x[flip == 1] = x[flip == 1][:, :, ::-1]
        yield (tf.constant(x), tf.constant(np.asarray(cams[idx, flip], np.float32)),
               tf.constant(np.asarray(labels[idx, flip], np.int32)))


def load_dmv_jnd(path, width: int) -> JndNet:
    """A :class:`JndNet` of ``width`` with the weights at ``path``."""
    net = JndNet(width)
    net(tf.zeros([1, 32, 32, 3]), tf.zeros([1, 32, 32]))
    net.load_weights(str(path))
    return net


def train_dmv_jnd(cfg: DmvJndTrainConfig, data_path, out_dir, log=print) -> dict:
    """Train (or resume) and export ``out_dir/dmv_jnd.weights.h5``; returns the summary."""
    from .. import zoo
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train = load_split(data_path, "train")
    if cfg.train_images:
        train = train.take_per_class(cfg.train_images)
    if len(train) < cfg.batch_size:
        from ..errors import ConfigError
        raise ConfigError(f"{len(train)} training images make no batch of {cfg.batch_size}")
    classifiers = {name: zoo.load_classifier(name, base=True) for name in cfg.classifiers}
    for model in classifiers.values():
        model.trainable = False
    cams, labels = guidance(cfg, classifiers, train.images, out, log)
    tf.keras.utils.set_random_seed(cfg.seed)
    net = JndNet(cfg.width, cfg.weight_decay)
    net(tf.zeros([1, 32, 32, 3]), tf.zeros([1, 32, 32]))
    steps = len(train) // cfg.batch_size
    optimizer = cosine_adam(cfg, cfg.learning_rate, steps, net.trainable_variables)
    judges = list(classifiers.values())

    @tf.function
    def step(x_pixels, c, y):
        with tf.GradientTape() as tape:
            e = net(to_signed(x_pixels), c, training=True)
            x_hat = to_pixels(to_signed(x_pixels) + e)
            logits = [judge(x_hat, training=False) for judge in judges]
            losses = (consistency_loss(logits, [y[:, n] for n in range(len(judges))]),
                      magnitude_loss(c, e), spatial_loss(c, e))
            loss = losses[0] + cfg.alpha * losses[1] + cfg.beta * losses[2] + tf.add_n(net.losses)
        skipped = guarded_apply(optimizer, loss, tape.gradient(loss, net.trainable_variables),
                                net.trainable_variables)
        rca = tf.reduce_mean([tf.reduce_mean(tf.cast(tf.argmax(z, 1, output_type=tf.int32) == y[:, n], tf.float32))
                              for n, z in enumerate(logits)])
        mse = tf.maximum(tf.reduce_mean((x_hat - x_pixels) ** 2, axis=[1, 2, 3]), 1e-12)    # per image, as `jnd`
        psnr = tf.reduce_mean(10.0 * tf.math.log(255.0 ** 2 / mse) / tf.math.log(10.0))
        return (loss, *losses, rca, psnr, skipped)

    history_path = out / "history.json"
    names = ("loss", "loss1", "loss2", "loss3", "rca", "psnr_db", "skipped")

    def train_epoch(epoch):
        sums = np.zeros(len(names))
        for batch in jnd_batches(cfg, train.images, cams, labels, epoch):
            sums += [float(v) for v in step(*batch)]
        means = dict(zip(names, sums / max(steps, 1)))
        means["skipped"] = int(sums[-1])
        history = json.loads(history_path.read_text()) if history_path.exists() else []
        history = [h for h in history if h["epoch"] < epoch + 1] + [{"epoch": epoch + 1, **means}]
        history_path.write_text(json.dumps(history, indent=1))
        write_weights(out / WEIGHTS, lambda path: net.save_weights(str(path)))
        return " ".join(f"{k} {v:.4f}" if k != "skipped" else f"{k} {v}" for k, v in means.items())

    loop = EpochLoop(out, cfg, log, model=net, optimizer=optimizer)
    loop.run(cfg.epochs, train_epoch)
    summary = {"config": asdict(cfg), "wall_seconds": round(loop.wall_seconds, 1),
               "sha256": write_weights(out / WEIGHTS, lambda path: net.save_weights(str(path))), "weights": str(out / WEIGHTS),
               "history": json.loads(history_path.read_text())}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
