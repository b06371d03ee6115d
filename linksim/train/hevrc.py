"""Resumable training of HEVRC's stages 2 and 3 on the Qmap codec (``linksim train hevrc``).

Stage 2 (*HEVRC w/o GAN*): the whole network, from QMAP2021's weights, with
``L2 = L1 + sfm_weight * L_SFM``: QMAP2021's loss (:mod:`linksim.train.qmap`)
plus the mean L1 distance of a frozen classifier's last convolutional
features of ``x`` and ``x_hat`` (HEVRC eq. 4, 12).

Stage 3 (*HEVRC*): from stage 2's weights, the decoder alone (encoder,
hyper-encoder and entropy-parameter network frozen, so the streams do not
change), alternating a step of the conditional discriminator
``D(x or x_hat, y_hat, q)`` (eq. 14) with a step of the decoder on
``L3 = L2 - gan_weight * log D(x_hat, y_hat, q)`` (eq. 13). The decoder sees
the latents exactly as they are range-coded (rounded and clamped). The rate
term is constant in stage 3 and left out.

Training maps, data order, flips and the guard against non-finite steps are
stage 1's. The discriminator and its optimizer are checkpointed with the
codec, so an interrupted stage 3 resumes where it stopped.
"""
from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf

from ..config import bounded
from ..models.hevrc import ConditionalDiscriminator, FeatureMatching, discriminator_loss, generator_loss
from ..models.qmap import lambda_map
from .loop import EpochLoop
from .qmap import QmapTrainConfig, batch_psnr, cosine_adam, guarded_apply, prepare_run, train_and_export

#: The weights file each stage writes in its run folder.
EXPORTS = {2: "hevrc_nogan.weights.npz", 3: "hevrc.weights.npz"}


@dataclass(frozen=True)
class HevrcTrainConfig(QmapTrainConfig):
    """Options of ``linksim train hevrc`` (``--set key=value``); those of stage 1 plus:

    Attributes:
        stage: 2 (feature matching, whole network) or 3 (GAN, decoder only).
        init: the weights the stage starts from (stage 2: ``qmap2021``; stage 3:
            a stage-2 run's ``hevrc_nogan.weights.npz`` or zoo name); ``t1`` and ``t2``
            must be theirs (the defaults are the shipped ``qmap2021``'s).
        sfm_weight: lambda_SFM; 1 is the ablation's pick (``benchmarks/RESULTS.md``, "HEVRC loss weights").
        gan_weight: lambda_GAN (stage 3).
        feature_classifier: zoo classifier whose features ``L_SFM`` matches
            (the base network, no flip averaging).
        disc_width, disc_learning_rate: the discriminator's first width and Adam rate.
    """
    epochs: int = bounded(3, lo=1, hi=10000)
    learning_rate: float = bounded(1e-4, lo=1e-7, hi=1.0)
    t1: float = bounded(1e-5, lo=1e-7, hi=10.0)            # the shipped qmap2021's lambda range
    t2: float = bounded(10.46, lo=0.0, hi=20.0)
    init: str = "qmap2021"
    stage: int = bounded(2, lo=2, hi=3)
    sfm_weight: float = bounded(1.0, lo=0.0, hi=1e3)
    gan_weight: float = bounded(0.02, lo=0.0, hi=1e3)
    feature_classifier: str = "resnet32"
    disc_width: int = bounded(64, lo=4, hi=1024)
    disc_learning_rate: float = bounded(1e-4, lo=1e-7, hi=1.0)


def train_hevrc(cfg: HevrcTrainConfig, data_path, out_dir, log=print) -> dict:
    """Train (or resume) one stage and export ``out_dir/<EXPORTS[stage]>``; returns the summary."""
    from .. import zoo
    from ..errors import ConfigError
    theirs = zoo.entry(cfg.init).get("geometry", {})
    if (theirs.get("t1"), theirs.get("t2")) != (cfg.t1, cfg.t2):
        raise ConfigError(f"init weights '{cfg.init}' were trained with lambda(q) = {theirs.get('t1')} "
                          f"exp({theirs.get('t2')} q), not this stage's {cfg.t1} exp({cfg.t2} q); set t1 and t2 "
                          "to theirs (stage 2's L1 is their stage-1 loss)")
    out, train, sims, model = prepare_run(cfg, data_path, out_dir, log)
    sfm = FeatureMatching(zoo.load_classifier(cfg.feature_classifier, base=True))
    steps = len(train) // cfg.batch_size
    pixels = float(train.images.shape[1] * train.images.shape[2])
    variables = model.trainable_variables if cfg.stage == 2 else model.synthesis_variables()
    optimizer = cosine_adam(cfg, cfg.learning_rate, steps, variables)

    def distortion(x_hat, x, q):
        return tf.reduce_mean(lambda_map(q, cfg.t1, cfg.t2)[..., None] * (x_hat - x) ** 2) + \
            cfg.sfm_weight * sfm(x, x_hat)

    trackables = {"model": model, "optimizer": optimizer}
    if cfg.stage == 2:
        @tf.function
        def step(x, q):
            with tf.GradientTape() as tape:
                x_hat, bits = model(x, q, training=True)
                bpp = tf.reduce_mean(bits) / pixels
                loss = bpp + distortion(x_hat, x, q)
            skipped = guarded_apply(optimizer, loss, tape.gradient(loss, variables), variables)
            return loss, bpp, batch_psnr(x_hat, x), skipped
    else:
        disc = ConditionalDiscriminator(cfg.disc_width)
        disc(tf.zeros([1, 32, 32, 3]), tf.zeros([1, 8, 8, cfg.latent]), tf.zeros([1, 32, 32]))
        disc_optimizer = cosine_adam(cfg, cfg.disc_learning_rate, steps, disc.trainable_variables)
        model.entropy_coders()                      # the coding tables' clamps, built outside the graph
        trackables.update(discriminator=disc, disc_optimizer=disc_optimizer)

        @tf.function
        def step(x, q):
            y_hat, z_hat = model.quantised_latents(x, q)          # frozen encoder: what is range-coded
            x_hat = model.synthesis(y_hat, z_hat)
            with tf.GradientTape() as tape:
                d_loss = discriminator_loss(disc(x, y_hat, q), disc(x_hat, y_hat, q))
            guarded_apply(disc_optimizer, d_loss, tape.gradient(d_loss, disc.trainable_variables),
                          disc.trainable_variables)
            with tf.GradientTape() as tape:
                x_hat = model.synthesis(y_hat, z_hat)
                g_loss = generator_loss(disc(x_hat, y_hat, q))
                loss = distortion(x_hat, x, q) + cfg.gan_weight * g_loss
            skipped = guarded_apply(optimizer, loss, tape.gradient(loss, variables), variables)
            return loss, d_loss, batch_psnr(x_hat, x), skipped

    loop = EpochLoop(out, cfg, log, **trackables)
    return train_and_export(cfg, loop, step, train.images, sims, model, out / EXPORTS[cfg.stage],
                            "est_bpp" if cfg.stage == 2 else "d_loss")
