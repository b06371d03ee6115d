"""Resumable training of AR-JSCC and SP-JSCC (they differ only in the loss weights).

Both variants share the seed, the epochs, the data order (a permutation per
epoch from (seed, epoch)), the flips, the SNRs (U[snr_low, snr_high] dB per
image), the channel noise and the masks, all drawn from stateless seeds of
(seed, epoch, step); so the AR/SP comparison is controlled. Loss per image:
``mean(w * (x_hat - x)^2) / 255^2`` with ``w = 1`` (AR-JSCC) or the SP map
of :mod:`linksim.importance` (SP-JSCC, computed once per training image and
cached), optionally mixed with plain MSE, plus ``rate_weight * CPP`` on the
images whose groups the policy chose. A share of every batch is trained with
fixed-CPP masks (k selective groups, k uniform) so the fixed-CPP mode used in
fair comparisons is trained too.

Checkpoints (model, optimizer, epoch) after every epoch in ``out_dir/ckpt``;
the same command resumes.
"""
from __future__ import annotations

import hashlib
import json
import typing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from ..config import bounded, node, to_plain
from ..data import load_split
from ..channels.base import CHANNELS
from ..importance.base import IMPORTANCE_MAPS
from ..models.jscc import AdaptiveRateJSCC, cpp_of, group_mask, normalise_power
from ..zoo import write_weights
from .loop import EpochLoop, per_image_arrays


@dataclass(frozen=True)
class JSCCTrainConfig:
    """Options of ``linksim train ar_jscc|sp_jscc`` (``--set key=value``).

    Attributes:
        variant: "ar_jscc" (plain MSE) or "sp_jscc" (SP-weighted MSE, eq. 11).
        epochs, batch_size, learning_rate: Adam with cosine decay to 1% over all steps.
        snr_low, snr_high: training SNR drawn uniformly per image, dB.
        groups, fixed_groups, width: model geometry (:class:`AdaptiveRateJSCC`).
        fixed_cpp_share: share of each batch trained with fixed-CPP masks.
        rate_weight: weight of the CPP term for policy-chosen masks (the
            distortion term is the MSE of images scaled to [0, 1]).
        temperature: Gumbel-softmax temperature of the policy.
        classifier: zoo classifier of the SP weights (sp_jscc only).
        sp_mode: SP map mode (:class:`linksim.importance.SPGradientConfig`).
        mse_mix: share of plain MSE mixed into the SP-weighted distortion.
        sp_power: the SP weights are raised to this power and rescaled to unit
            mean square again (1: eq. 9 as it is; > 1 sharpens the contrast
            between important and unimportant pixels).
        weight_map: optional importance-map node ``{type: name, ...}`` whose
            maps weight the distortion (sp_jscc only) instead of the SP map of
            ``classifier``: a [0, 1] map is spread over the channels and
            normalised as eq. 9 (unit mean square per image).
        init: weights to start from (a zoo name or a run's ``.weights.npz``, same
            geometry): fine-tuning; empty trains from a seeded random start.
        channel: the training channel: AWGN when empty, or ``{type: rayleigh_block}`` /
            ``{type: rician_block, k_factor_db: K}`` with one fade per image and perfect CSI; the decoder
            then sees zero-forced symbols at the image's effective SNR, as the codec does under fading
            (:func:`~linksim.channels.analog_equalise`).
        seed: seeds the initial weights, data order, SNRs, noise and masks.
    """
    variant: str = bounded("ar_jscc", choices=("ar_jscc", "sp_jscc"))
    epochs: int = bounded(60, lo=1, hi=10000)
    batch_size: int = bounded(64, lo=1, hi=4096)
    learning_rate: float = bounded(1e-3, lo=1e-6, hi=1.0)
    snr_low: float = bounded(0.0, lo=-30.0, hi=60.0)
    snr_high: float = bounded(20.0, lo=-30.0, hi=60.0)
    groups: int = bounded(8, lo=2, hi=64)
    fixed_groups: int = bounded(2, lo=1, hi=63)
    width: int = bounded(64, lo=4, hi=1024)
    fixed_cpp_share: float = bounded(0.5, lo=0.0, hi=1.0)
    rate_weight: float = bounded(3e-3, lo=0.0, hi=1.0)
    temperature: float = bounded(1.0, lo=1e-3, hi=100.0)
    classifier: str = "resnet20"
    sp_mode: str = bounded("mean_abs_logit", choices=("mean_abs_logit", "true_class_logit"))
    mse_mix: float = bounded(0.0, lo=0.0, hi=1.0)
    sp_power: float = bounded(1.0, lo=0.1, hi=8.0)
    init: str = ""
    seed: int = bounded(0, lo=0, hi=2**31 - 1)
    weight_map: typing.Any = node(IMPORTANCE_MAPS)
    channel: typing.Any = node(CHANNELS)

    def __post_init__(self):
        if self.weight_map is not None and self.variant != "sp_jscc":
            from ..errors import ConfigError
            raise ConfigError("weight_map weights the loss of the sp_jscc variant only; set variant=sp_jscc")


def _sp_weights(cfg: JSCCTrainConfig, images: np.ndarray, out: Path, log=print) -> np.ndarray:
    """Loss weights of every training image, float16 ``[N, 32, 32, 3]``, cached in ``out``.

    SP weights cost ten input gradients per image (one per class logit): about
    as much as several training epochs.
    """
    from ..importance import SPGradientConfig, SPGradientMap, UNIT_WEIGHT, l2_normalise
    if cfg.weight_map is None:
        def sp(batch):
            return SPGradientMap(SPGradientConfig(classifier=cfg.classifier, mode=cfg.sp_mode,
                                                  batch_size=250))(batch)
        return per_image_arrays(out, f"sp_weights-{cfg.classifier}-{cfg.sp_mode}", images, images.shape, sp, log)
    importance = IMPORTANCE_MAPS.build(cfg.weight_map)

    def weights_of(batch):
        maps = importance(batch)
        return maps if importance.units == UNIT_WEIGHT else l2_normalise(np.repeat(maps[..., None], 3, axis=-1))
    plain = to_plain(cfg.weight_map)
    key = hashlib.sha256(json.dumps(plain, sort_keys=True).encode()).hexdigest()[:8]
    return per_image_arrays(out, f"weights-{plain['type']}-{key}", images, images.shape, weights_of, log)


def sharpen(weights: np.ndarray, power: float) -> np.ndarray:
    """``weights ** power`` per image ``[B, H, W, C]``, rescaled to unit mean square (power 1: unchanged)."""
    if power == 1:
        return weights
    raised = weights ** power
    return raised / np.sqrt(np.mean(raised ** 2, axis=(1, 2, 3), keepdims=True) + 1e-12)


def _training_fades(channel):
    """The fading channel of a training (None for AWGN).

    Raises:
        ConfigError: another coherence than ``per_image`` or estimated CSI.
    """
    from ..errors import ConfigError
    if channel is None or not hasattr(channel, "coherence"):
        return None
    if channel.coherence != "per_image" or channel.csi != "perfect":
        raise ConfigError("channel: JSCC trains under one fade per image with perfect CSI "
                          "(coherence: per_image, csi: perfect)")
    return CHANNELS.build(channel)


def _start_from(model, name: str) -> None:
    """Load the weights ``name`` into ``model``; the geometry must match."""
    from .. import zoo
    from ..errors import ConfigError
    geometry = zoo.entry(name).get("geometry", {})
    if geometry != {"groups": model.groups, "fixed_groups": model.fixed_groups, "width": model.width}:
        raise ConfigError(f"init weights '{name}' have geometry {geometry}, unlike this training's")
    model.load_npz(zoo.verified_path(name))


def train_jscc(cfg: JSCCTrainConfig, data_path, out_dir, log=print) -> dict:
    """Train (or resume) and export ``out_dir/<variant>.weights.npz``; returns the summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train = load_split(data_path, "train")
    weights = _sp_weights(cfg, train.images, out, log) if cfg.variant == "sp_jscc" else None
    tf.keras.utils.set_random_seed(cfg.seed)
    model = AdaptiveRateJSCC(cfg.groups, cfg.fixed_groups, cfg.width)
    fading = _training_fades(cfg.channel)
    steps = len(train) // cfg.batch_size
    schedule = tf.keras.optimizers.schedules.CosineDecay(cfg.learning_rate, cfg.epochs * steps, alpha=0.01)
    optimizer = tf.keras.optimizers.Adam(schedule)
    n_selective = cfg.groups - cfg.fixed_groups

    @tf.function
    def step(x, w, seed):
        b = tf.shape(x)[0]
        seeds = tf.random.experimental.stateless_split(seed, 6)
        flip = tf.random.stateless_uniform([b, 1, 1, 1], seeds[0]) < 0.5
        x, w = tf.where(flip, x[:, :, ::-1], x), tf.where(flip, w[:, :, ::-1], w)
        snr = tf.random.stateless_uniform([b], seeds[1], cfg.snr_low, cfg.snr_high)
        fixed = tf.random.stateless_uniform([b], seeds[2]) < cfg.fixed_cpp_share
        active = tf.random.stateless_uniform([b], seeds[3], 0, n_selective + 1, dtype=tf.int32)
        with tf.GradientTape() as tape:
            raw, features = model.encoder(x, snr)
            logits = model.policy(features, snr)
            mask = tf.where(fixed[:, None], group_mask(logits, cfg.fixed_groups, active=active),
                            group_mask(logits, cfg.fixed_groups, hard=False, temperature=cfg.temperature,
                                       seed=seeds[4]))
            symbols = normalise_power(raw, mask)
            std = tf.sqrt(10.0 ** (-snr / 10.0) / 2.0)[:, None, None]
            noise = tf.complex(tf.random.stateless_normal(tf.shape(symbols, tf.int32), seeds[5]),
                               tf.random.stateless_normal(tf.shape(symbols, tf.int32), seeds[5] + 1))
            received, decoder_snr = symbols + noise * tf.cast(std, tf.complex64), snr
            if fading is not None:                          # one fade per image, known at the receiver
                from ..channels import analog_equalise
                h = fading.draw_gains(b, 1, seed=seeds[5] + 2)[:, :, tf.newaxis]
                received, decoder_snr = analog_equalise(h * symbols + noise * tf.cast(std, tf.complex64),
                                                        h, snr, one_fade_per_image=True)
            x_hat = model.decode(received, mask, decoder_snr)
            err = (x_hat - x) ** 2
            distortion = tf.reduce_mean(w * err, axis=[1, 2, 3])
            if cfg.mse_mix:
                distortion = (1 - cfg.mse_mix) * distortion + cfg.mse_mix * tf.reduce_mean(err, axis=[1, 2, 3])
            rate = cpp_of(mask) * tf.cast(~fixed, tf.float32)
            loss = tf.reduce_mean(distortion / 255.0 ** 2 + cfg.rate_weight * rate)
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        mse = tf.reduce_mean(err, axis=[1, 2, 3])
        return loss, tf.reduce_mean(10.0 * tf.math.log(255.0 ** 2 / mse) / tf.math.log(10.0)), \
            tf.reduce_mean(cpp_of(mask))

    model.build_variables()
    if cfg.init:
        _start_from(model, cfg.init)
    loop = EpochLoop(out, cfg, log, model=model, optimizer=optimizer)

    def train_epoch(epoch):
        order = np.random.default_rng([cfg.seed, epoch]).permutation(len(train))
        sums = np.zeros(3)
        for s in range(steps):
            idx = np.sort(order[s * cfg.batch_size:(s + 1) * cfg.batch_size])
            x = tf.constant(train.images[idx], tf.float32)
            w = tf.ones_like(x) if weights is None else tf.constant(sharpen(weights[idx].astype(np.float32),
                                                                            cfg.sp_power))
            sums += [float(v) for v in step(x, w, tf.constant([cfg.seed * 100003 + epoch, s], tf.int32))]
        loss, psnr, cpp = sums / max(steps, 1)
        return f"loss {loss:.5f} train_psnr {psnr:.2f} dB cpp {cpp:.3f}"
    loop.run(cfg.epochs, train_epoch)
    path = out / f"{cfg.variant}.weights.npz"
    summary = {"config": to_plain(cfg), "wall_seconds": round(loop.wall_seconds, 1),
               "sha256": write_weights(path, model.save_npz), "weights": str(path)}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
