"""Resumable CIFAR-10 classifier training (SGD + Nesterov, one-cycle cosine LR).

Checkpoints (model, optimizer, epoch) after every epoch in ``out_dir/ckpt``;
running the same command again resumes from the last one. Each epoch's data
order and augmentation derive from (seed, epoch) alone, so a resumed run sees
the same batches as an uninterrupted one.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from ..config import bounded
from ..data import load_split
from ..models.classifier import ARCHITECTURES
from ..zoo import write_weights
from .loop import EpochLoop


@dataclass(frozen=True)
class ClassifierTrainConfig:
    """Options of ``linksim train classifier`` (``--set key=value``).

    Attributes:
        arch: the network, a key of :data:`linksim.models.classifier.ARCHITECTURES`.
        epochs: passes over the 50,000 training images.
        batch_size: images per SGD step.
        peak_lr: the one-cycle schedule's top learning rate (SGD, Nesterov momentum 0.9).
        warmup_epochs: linear warm-up to ``peak_lr``, then cosine to zero at the last step.
        label_smoothing: of the cross-entropy targets.
        seed: shuffling and augmentation; a resumed run sees the batches an uninterrupted one would.
    """
    arch: str = bounded("resnet20", choices=tuple(ARCHITECTURES))
    epochs: int = bounded(45, lo=1, hi=10000)
    batch_size: int = bounded(128, lo=1, hi=100000)
    peak_lr: float = bounded(0.1, lo=0.0, hi=10.0)
    warmup_epochs: int = bounded(2, lo=0, hi=10000)
    label_smoothing: float = bounded(0.1, lo=0.0, hi=1.0)
    seed: int = bounded(0, lo=0, hi=2 ** 31 - 1)


class OneCycleCosine(tf.keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to ``peak`` over ``warmup`` steps, then cosine to zero at ``total``."""

    def __init__(self, peak, warmup, total):
        self.peak, self.warmup, self.total = peak, warmup, total

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = self.peak * step / max(self.warmup, 1)
        progress = (step - self.warmup) / max(self.total - self.warmup, 1)
        cos = 0.5 * self.peak * (1 + tf.cos(math.pi * tf.clip_by_value(progress, 0.0, 1.0)))
        return tf.where(step < self.warmup, warm, cos)

    def get_config(self):
        return {"peak": self.peak, "warmup": self.warmup, "total": self.total}


def augment(images, seed):
    """Random 4-pixel-padded crop (reflect) and horizontal flip, batched.

    Args:
        images: float32 ``[B, 32, 32, 3]``.
        seed: int32 ``[2]`` stateless seed.
    Returns:
        float32 ``[B, 32, 32, 3]``.
    """
    b = tf.shape(images)[0]
    padded = tf.pad(images, [[0, 0], [4, 4], [4, 4], [0, 0]], mode="REFLECT")
    offsets = tf.random.stateless_uniform([b, 2], seed, 0, 9, dtype=tf.int32)
    flips = tf.random.stateless_uniform([b], seed + 1, 0, 2, dtype=tf.int32)
    rows = offsets[:, :1] + tf.range(32)[None]          # [B, 32]
    cols = offsets[:, 1:] + tf.range(32)[None]
    cols = tf.where(flips[:, None] == 1, tf.reverse(cols, [1]), cols)
    out = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(out, cols, axis=2, batch_dims=1)


def _epoch_dataset(images, labels, cfg: ClassifierTrainConfig, epoch: int):
    order = np.random.default_rng([cfg.seed, epoch]).permutation(len(labels))
    ds = tf.data.Dataset.from_tensor_slices((images[order], labels[order]))
    ds = ds.batch(cfg.batch_size, drop_remainder=True).enumerate()

    def prep(i, batch):
        x, y = batch
        seed = tf.stack([tf.cast(cfg.seed * 100003 + epoch, tf.int32), tf.cast(i, tf.int32)])
        return augment(tf.cast(x, tf.float32), seed), y
    return ds.map(prep, num_parallel_calls=2).prefetch(2)


def evaluate(model, images, labels, batch_size=500) -> float:
    logits = model.predict(images.astype(np.float32), batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(logits, 1) == labels))


def train_classifier(cfg: ClassifierTrainConfig, data_path, out_dir, log=print) -> dict:
    """Train (or resume) and export ``out_dir/<arch>.weights.h5``; returns the summary."""
    out = Path(out_dir)
    train = load_split(data_path, "train")
    tf.keras.utils.set_random_seed(cfg.seed)
    model = ARCHITECTURES[cfg.arch]()
    steps = len(train) // cfg.batch_size
    schedule = OneCycleCosine(cfg.peak_lr, cfg.warmup_epochs * steps, cfg.epochs * steps)
    optimizer = tf.keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True)
    model.compile(optimizer=optimizer, metrics=["accuracy"],
                  loss=tf.keras.losses.CategoricalCrossentropy(
                      from_logits=True, label_smoothing=cfg.label_smoothing))
    loop = EpochLoop(out, cfg, log, model=model, optimizer=optimizer)
    one_hot = np.eye(10, dtype=np.float32)[train.labels]

    def train_epoch(epoch):
        hist = model.fit(_epoch_dataset(train.images, one_hot, cfg, epoch), epochs=1, verbose=0)
        return (f"loss {hist.history['loss'][0]:.4f} train_acc {hist.history['accuracy'][0]:.4f} "
                f"lr {float(schedule(optimizer.iterations)):.4f}")
    loop.run(cfg.epochs, train_epoch)
    weights = out / f"{cfg.arch}.weights.h5"
    summary = {"config": asdict(cfg), "wall_seconds": round(loop.wall_seconds, 1),
               "sha256": write_weights(weights, model.save_weights), "weights": str(weights)}
    try:
        test = load_split(data_path, "test")
        summary["test_accuracy"] = evaluate(model, test.images, test.labels)
        summary["test_images"] = len(test)
    except Exception as e:  # the test split is optional for training
        log(f"no test evaluation: {e}")
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    log(json.dumps(summary))
    return summary
