"""Training of a deep JSCC network's group allocator (adaptive rate control), with the network frozen.

Stage 1, measured and resumable in chunks: training images at SNRs drawn
U[snr_low, snr_high] dB each are sent through the frozen network once for
every count k = 0 .. S of selective groups (the policy's highest-ranked
ones) over AWGN, and the 8-bit PSNR of each decoded image is recorded beside
what the transmitter sees (pooled encoder features, group log energies).

Stage 2: :class:`~linksim.models.jscc.GroupCountPredictor` is fitted to those
PSNRs (mean squared error in dB) on all but a held-out tenth. The held-out
tenth reports the prediction error and, per SNR band, what the allocation at
``price_db_per_bit`` gains over sending the same mean CPP with one count for
every image (the fixed-count line, interpolated): the figure adaptive rate
control exists for.

Why a second stage: the policy trained with the network (Gumbel-softmax on
MSE + rate) ranks the groups well, but its own per-image on/off choices lost
0.22 dB of PSNR against the fixed-count line at 10 dB on the test split;
choosing counts from measured PSNRs optimises what is reported.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from ..config import bounded
from ..data import load_split
from ..metrics import PSNR_CAP_DB
from ..models.jscc import (PIXELS, SYMBOLS_PER_GROUP, GroupAllocator, choose_group_count, group_log_energy,
                           group_mask, normalise_power)
from ..zoo import write_weights
from .loop import EpochLoop

CHUNK = 2000


@dataclass(frozen=True)
class AllocatorTrainConfig:
    """Options of ``linksim train allocator`` (``--set key=value``).

    Attributes:
        jscc: zoo name of the frozen network whose counts are learned.
        images: training images measured (the first of a seeded permutation).
        snr_low, snr_high: SNR drawn uniformly per image, dB.
        epochs, batch_size, learning_rate: Adam on the predictor's squared error.
        price_db_per_bit: price of the held-out report (the codec's default).
        seed: seeds the image choice, SNRs, noise, initial weights and order.
    """
    jscc: str = "ar_jscc"
    images: int = bounded(50000, lo=10, hi=1_000_000)
    snr_low: float = bounded(0.0, lo=-30.0, hi=60.0)
    snr_high: float = bounded(20.0, lo=-30.0, hi=60.0)
    epochs: int = bounded(40, lo=1, hi=10000)
    batch_size: int = bounded(256, lo=1, hi=65536)
    learning_rate: float = bounded(1e-3, lo=1e-6, hi=1.0)
    price_db_per_bit: float = bounded(4.0, lo=0.0, hi=1000.0)
    seed: int = bounded(0, lo=0, hi=2**31 - 1)


def measure_counts(model, images: np.ndarray, snr_db: np.ndarray, seed) -> dict:
    """Per image, the 8-bit PSNR after sending each count of selective groups once over AWGN.

    Args:
        model: :class:`~linksim.models.jscc.AdaptiveRateJSCC` (frozen).
        images: ``[N, 32, 32, 3]`` in [0, 255]; snr_db: ``[N]``; seed: int32 ``[2]`` stateless seed.
    Returns:
        tensors ``features [N, width]``, ``log_energy [N, G]``, ``psnr [N, S + 1]`` (dB, capped at 100).
    """
    x = tf.cast(images, tf.float32)
    snr = tf.cast(snr_db, tf.float32)
    raw, features = model.encoder(x, snr)
    logits = model.policy(features, snr)
    std = tf.cast(tf.sqrt(10.0 ** (-snr / 10.0) / 2.0)[:, None, None], tf.complex64)
    psnr = []
    for k in range(model.groups - model.fixed_groups + 1):
        mask = group_mask(logits, model.fixed_groups, active=k)
        symbols = normalise_power(raw, mask)
        seeds = tf.random.experimental.stateless_split(seed + tf.constant([0, 7919 * k]), 2)
        noise = tf.complex(tf.random.stateless_normal(tf.shape(symbols, tf.int32), seeds[0]),
                           tf.random.stateless_normal(tf.shape(symbols, tf.int32), seeds[1]))
        decoded = tf.clip_by_value(tf.round(model.decode(symbols + noise * std, mask, snr)), 0.0, 255.0)
        mse = tf.reduce_mean((decoded - x) ** 2, axis=[1, 2, 3])
        psnr.append(tf.minimum(10.0 * tf.math.log(255.0 ** 2 / tf.maximum(mse, 1e-10)) / tf.math.log(10.0),
                               PSNR_CAP_DB))
    return {"features": features, "log_energy": group_log_energy(raw), "psnr": tf.stack(psnr, axis=1)}


def allocation_report(psnr: np.ndarray, chosen: np.ndarray, snr_db: np.ndarray, n_fixed: int,
                      bands=((0, 4), (4, 8), (8, 12), (12, 16), (16, 20.001))) -> list:
    """Per SNR band: mean CPP and PSNR of the chosen counts vs the fixed-count line at that mean CPP.

    ``psnr [N, S + 1]`` measured, ``chosen [N]`` counts. The fixed-count line
    (every image the same count, interpolated = time sharing of two counts) is
    what fixed mode achieves at the same mean CPP.
    """
    cpp = (n_fixed + np.arange(psnr.shape[1])) * SYMBOLS_PER_GROUP / PIXELS
    rows = []
    for lo, hi in bands:
        inside = (snr_db >= lo) & (snr_db < hi)
        if not inside.any():
            continue
        p, k = psnr[inside], chosen[inside]
        mean_cpp = float(cpp[k].mean())
        adaptive = float(p[np.arange(len(k)), k].mean())
        fixed = float(np.interp(mean_cpp, cpp, p.mean(axis=0)))
        rows.append({"snr_band_db": [lo, min(hi, 20.0)], "images": int(inside.sum()), "cpp_mean": round(mean_cpp, 4),
                     "cpp_std": round(float(cpp[k].std()), 4), "psnr_db": round(adaptive, 3),
                     "fixed_psnr_at_cpp": round(fixed, 3), "gain_db": round(adaptive - fixed, 3)})
    return rows


def _measured(cfg: AllocatorTrainConfig, model, data_path, out: Path, log) -> dict:
    """Stage 1: every chunk measured once and kept in ``out/counts-*.npz`` (a rerun skips finished chunks)."""
    train = load_split(data_path, "train")
    n = min(cfg.images, len(train))
    order = np.sort(np.random.default_rng([cfg.seed, 1]).permutation(len(train))[:n])
    snr = np.random.default_rng([cfg.seed, 2]).uniform(cfg.snr_low, cfg.snr_high, n).astype(np.float32)
    key = hashlib.sha256(train.images[order[:: max(1, n // 64)]].tobytes()).hexdigest()[:12]
    measure = tf.function(lambda x, s, seed: measure_counts(model, x, s, seed))
    parts = []
    for c, start in enumerate(range(0, n, CHUNK)):
        path = out / f"counts-{key}-{c:04d}.npz"
        if not path.is_file():
            t0 = time.perf_counter()
            part = {k: v.numpy() for k, v in measure(train.images[order[start:start + CHUNK]], snr[start:start + CHUNK],
                                                       tf.constant([cfg.seed, c], tf.int32)).items()}
            part["snr_db"] = snr[start:start + CHUNK]
            part["seconds"] = np.float64(time.perf_counter() - t0)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, **part)
            tmp.rename(path)
            log(f"measured chunk {c + 1}/{-(-n // CHUNK)} in {float(part['seconds']):.0f}s")
        with np.load(path) as z:
            parts.append({k: z[k] for k in z.files})
    data = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k != "seconds"}
    data["measure_seconds"] = sum(float(p["seconds"]) for p in parts)
    return data


def train_allocator(cfg: AllocatorTrainConfig, data_path, out_dir, log=print) -> dict:
    """Measure (or reuse) the counts, fit the allocator, export ``out_dir/allocator.weights.npz``; returns the summary.

    ``measure_seconds`` sums stage 1 over the sessions that measured its chunks;
    ``wall_seconds`` is stage 2's.
    """
    from .. import zoo
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jscc = zoo.load_jscc(cfg.jscc)
    data = _measured(cfg, jscc, data_path, out, log)
    measure_seconds = data.pop("measure_seconds")
    n = len(data["snr_db"])
    held_out = np.random.default_rng([cfg.seed, 3]).permutation(n)[: max(1, n // 10)]
    fit = np.setdiff1d(np.arange(n), held_out)
    tensors = {k: tf.constant(v, tf.float32) for k, v in data.items()}

    tf.keras.utils.set_random_seed(cfg.seed)
    allocator = GroupAllocator(jscc.groups, jscc.fixed_groups, data["features"].shape[1])
    allocator.build_variables()
    optimizer = tf.keras.optimizers.Adam(cfg.learning_rate)

    @tf.function
    def step(idx):
        batch = {k: tf.gather(v, idx) for k, v in tensors.items()}
        with tf.GradientTape() as tape:
            predicted = allocator(batch["features"], batch["log_energy"], batch["snr_db"])
            loss = tf.reduce_mean((predicted - batch["psnr"]) ** 2)
        optimizer.apply_gradients(zip(tape.gradient(loss, allocator.trainable_variables),
                                      allocator.trainable_variables))
        return loss

    loop = EpochLoop(out, cfg, log, model=allocator, optimizer=optimizer)

    def train_epoch(epoch):
        order = np.random.default_rng([cfg.seed, 4, epoch]).permutation(fit)
        losses = [float(step(tf.constant(order[s:s + cfg.batch_size])))
                  for s in range(0, len(order), cfg.batch_size)]
        return f"mse {np.mean(losses):.4f} dB^2"
    loop.run(cfg.epochs, train_epoch)

    held = {k: tf.gather(v, held_out) for k, v in tensors.items()}
    predicted = allocator(held["features"], held["log_energy"], held["snr_db"])
    chosen = choose_group_count(predicted, held["snr_db"], cfg.price_db_per_bit, jscc.fixed_groups).numpy()
    psnr = data["psnr"][held_out]
    path = out / "allocator.weights.npz"
    summary = {"config": asdict(cfg), "wall_seconds": round(loop.wall_seconds, 1),
               "measure_seconds": round(measure_seconds, 1),
               "sha256": write_weights(path, allocator.save_npz), "weights": str(path),
               "held_out_images": len(held_out),
               "held_out_rmse_db": round(float(np.sqrt(np.mean((predicted.numpy() - psnr) ** 2))), 3),
               "held_out_allocation": allocation_report(psnr, chosen, data["snr_db"][held_out], jscc.fixed_groups)}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    log(json.dumps(summary))
    return summary
