"""The simulation driver: a scenario's codecs x SNR x CPP grid, R runs each.

Separate from every model: it asks codecs to transmit once per grid point
(deterministic work), adds channel noise per run with a seed derived from
(seed, codec, SNR, CPP, run) alone, lets the codec receive, and hands the
received uint8 images to :class:`Evaluator`.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import NamedTuple, Optional

import numpy as np

from . import metrics
from .codecs.base import as_uint8, symbol_budget
from .config import Scenario, codec_labels
from .data import Dataset
from .errors import ConfigError


def derive_seed(seed: int, codec: str, snr_db: float, cpp: float, run: int) -> int:
    """31-bit seed from (seed, codec, SNR, CPP, run) alone, stable across processes."""
    text = f"{seed}|{codec}|{float(snr_db)!r}|{float(cpp)!r}|{run}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little") & 0x7FFFFFFF


class Measured(NamedTuple):
    """What :meth:`Evaluator.evaluate` measures of N received images.

    ``predictions [J, N]``, ``psnr [N]``, ``ssim [N]``, ``perceptual``
    ``{name: [N]}`` (empty without perceptual metrics) and ``pooled`` features
    ``[N, K]`` for the Frechet distance (None without it).
    """
    predictions: np.ndarray
    psnr: np.ndarray
    ssim: np.ndarray
    perceptual: dict
    pooled: Optional[np.ndarray]


class Evaluator:
    """Judges' predictions, PSNR, SSIM and perceptual metrics of received images, memoised per image content.

    Digital links deliver the same decoded image (or the fallback) in most
    runs, so each distinct (image index, received pixels) is evaluated once.

    Args:
        judges: ``{name: Keras model}``, float ``[B, 32, 32, 3]`` in [0, 255] -> logits
            ``[B, 10]``; the first is the primary judge.
        references: uint8 ``[N, H, W, 3]`` original images.
        with_ssim: compute SSIM (else NaN).
        batch_size: classifier batch size.
        perceptual: optional :class:`~linksim.perceptual.PerceptualScores` of ``references``.
    """

    def __init__(self, judges: dict, references: np.ndarray, with_ssim: bool = True, batch_size: int = 500,
                 perceptual=None):
        import tensorflow as tf
        self.references = references
        self.with_ssim = with_ssim
        self.batch_size = batch_size
        self.perceptual = perceptual
        self._memo = {}
        # uint8 in, class out: the cast and argmax run inside the graph
        self._classify = [tf.function(lambda x, m=model: tf.argmax(m(tf.cast(x, tf.float32), training=False), 1),
                                      reduce_retracing=True) for model in judges.values()]

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Class predictions ``[J, N]`` of every judge for uint8 images ``[N, H, W, 3]``."""
        out = np.zeros((len(self._classify), len(images)), np.int64)
        for s in range(0, len(images), self.batch_size):
            x = images[s:s + self.batch_size]
            for j, classify in enumerate(self._classify):
                out[j, s:s + len(x)] = classify(x).numpy()
        return out

    def evaluate(self, received: np.ndarray, memoise: bool = True) -> Measured:
        """The :class:`Measured` of uint8 ``received`` images ``[N, H, W, 3]``.

        ``memoise=False`` skips the per-image memo (for analog codecs, whose
        received images never repeat).
        """
        if not memoise:
            return self._measure(received)
        keys = [(i, hashlib.sha1(im.tobytes()).digest()) for i, im in enumerate(received)]
        todo = [i for i, k in enumerate(keys) if k not in self._memo]
        if todo:
            new = self._measure(received[np.array(todo)], np.array(todo))
            for j, i in enumerate(todo):
                self._memo[keys[i]] = Measured(new.predictions[:, j], new.psnr[j], new.ssim[j],
                                               {name: v[j] for name, v in new.perceptual.items()},
                                               None if new.pooled is None else new.pooled[j])
        if not keys:
            return self._measure(received)
        rows = [self._memo[k] for k in keys]
        pooled = None if rows[0].pooled is None else np.stack([r.pooled for r in rows])
        return Measured(np.stack([r.predictions for r in rows], axis=1),
                        np.array([r.psnr for r in rows], np.float64), np.array([r.ssim for r in rows], np.float64),
                        {name: np.array([r.perceptual[name] for r in rows]) for name in rows[0].perceptual}, pooled)

    def _measure(self, images, index=None) -> Measured:
        references = self.references if index is None else self.references[index]
        ssim = metrics.ssim(references, images) if self.with_ssim else np.full(len(images), np.nan)
        perceptual, pooled = self.perceptual.per_image(images, index) if self.perceptual else ({}, None)
        return Measured(self.predict(images), metrics.psnr(references, images), ssim, perceptual, pooled)


def scenario_evaluator(scenario, judges: dict, images: np.ndarray) -> Evaluator:
    """The :class:`Evaluator` a (link or rd) scenario asks for: its SSIM switch and perceptual metrics."""
    from .perceptual import PerceptualScores
    return Evaluator(judges, images, with_ssim=scenario.ssim, perceptual=PerceptualScores.of(scenario, images))


@dataclass
class PointRuns:
    """Per-run, per-image outcomes of one grid point.

    ``predictions`` ``[R, J, N]`` (one row per judge, the primary first);
    ``psnr``, ``ssim``, ``outage``, ``channel_uses``, ``source_bits`` ``[R, N]``;
    ``example_images`` uint8 ``[E, H, W, 3]`` of the first run (images
    :func:`example_indices`) and the primary judge's ``example_predictions`` ``[E]``;
    ``perceptual`` ``{name: [R, N]}`` per-image perceptual metrics and ``frechet``
    ``{name: [4]}`` (plug-in value, bias-corrected value, 95% interval low and high), both empty unless the
    scenario asks for perceptual metrics.
    """
    predictions: np.ndarray
    psnr: np.ndarray
    ssim: np.ndarray
    outage: np.ndarray
    channel_uses: np.ndarray
    source_bits: np.ndarray
    example_images: np.ndarray
    example_predictions: np.ndarray = None
    perceptual: dict = field(default_factory=dict)
    frechet: dict = field(default_factory=dict)


def _judged(labels, predictions, n_classes, clean) -> dict:
    """Accuracy and RCA (Wilson intervals over images of the run-averaged rates) and macro-F1 (bootstrap over
    images) of ``[R, N]`` predictions; ``clean [N]`` are the judge's predictions on the original images."""
    n_images = predictions.shape[1]
    accuracy = float((predictions == labels[None]).mean())
    low, high = metrics.wilson_interval(accuracy, n_images)
    rca = float((predictions == clean[None]).mean())
    rca_low, rca_high = metrics.wilson_interval(rca, n_images)
    f1_runs = [metrics.f1_macro(labels, p, n_classes) for p in predictions]
    f1_low, f1_high = metrics.f1_macro_interval(labels, predictions, n_classes)
    return {"accuracy": accuracy, "accuracy_ci95": (high - low) / 2, "accuracy_ci95_low": low,
            "accuracy_ci95_high": high, "rca": rca, "rca_ci95": (rca_high - rca_low) / 2, "rca_ci95_low": rca_low,
            "rca_ci95_high": rca_high,
            "f1_macro": float(np.mean(f1_runs)), "f1_ci95": (f1_high - f1_low) / 2, "f1_macro_ci95_low": f1_low,
            "f1_macro_ci95_high": f1_high}


def summarize(codec: str, snr_db: float, cpp: float, runs: PointRuns, labels: np.ndarray, clean: np.ndarray,
              n_classes: int, pixels: int, uses_channel: bool, judges=("classifier",), sends_bits: bool = True) -> dict:
    """One results point with the means and 95% intervals of DESIGN.md.

    ``clean [J, N]``: each judge's predictions on the original images, for the
    RCA (ratio of consistent answers: the share of received images a judge
    classifies as it classifies the original; no labels needed). Accuracy,
    RCA and F1 at the top level are the primary judge's; ``judges`` holds
    every judge's (named by ``judges``). ``source_bits`` is None for a codec that ``sends_bits`` not
    (deep JSCC: its symbols carry no bit stream).
    """
    n_runs, _, n_images = runs.predictions.shape
    by_judge = {name: _judged(labels, runs.predictions[:, j], n_classes, clean[j]) for j, name in enumerate(judges)}
    psnr_img, ssim_img = runs.psnr.mean(axis=0), runs.ssim.mean(axis=0)
    cpp_img = runs.channel_uses.mean(axis=0) / pixels
    outage = float(runs.outage.mean())
    out_low, out_high = metrics.wilson_interval(outage, n_images)
    return {
        "codec": codec, "snr_db": snr_db, "cpp_target": cpp,
        "cpp": float(cpp_img.mean()) if uses_channel or runs.channel_uses.any() else None,
        "cpp_std": float(cpp_img.std()) if uses_channel or runs.channel_uses.any() else None,
        "source_bits": float(runs.source_bits.mean()) if sends_bits else None,
        **by_judge[judges[0]],
        "psnr_db": float(psnr_img.mean()), "psnr_ci95": metrics.normal_halfwidth(psnr_img),
        "ssim": float(ssim_img.mean()), "ssim_ci95": metrics.normal_halfwidth(ssim_img),
        "outage_rate": outage, "outage_ci95": (out_high - out_low) / 2,
        "outage_rate_ci95_low": out_low, "outage_rate_ci95_high": out_high,
        "n_images": int(n_images), "runs": int(n_runs), "judges": by_judge,
        **perceptual_fields(runs),
    }


def perceptual_fields(runs: PointRuns) -> dict:
    """A point's perceptual fields: ``<metric>`` and ``<metric>_ci95`` (over images of the run mean) per
    per-image metric, ``frechet_<net>`` with ``_bias_corrected``, ``_ci95_low`` and ``_ci95_high`` (basic
    bootstrap over images, :func:`~linksim.perceptual.frechet_interval`)."""
    out = {}
    for name, values in runs.perceptual.items():
        per_image = values.mean(axis=0)
        out[name], out[f"{name}_ci95"] = float(per_image.mean()), metrics.normal_halfwidth(per_image)
    for name, (value, corrected, low, high) in runs.frechet.items():
        out[name], out[f"{name}_bias_corrected"] = float(value), float(corrected)
        out[f"{name}_ci95_low"], out[f"{name}_ci95_high"] = float(low), float(high)
    return out


def paired_gaps(a: PointRuns, b: PointRuns, labels: np.ndarray, clean: np.ndarray, judges) -> dict:
    """Codec a minus codec b on the same images: per-image run-averaged differences, paired 95% intervals."""
    gaps = {}
    for j, name in enumerate(judges):
        correct = [(r.predictions[:, j] == labels[None]).mean(axis=0) for r in (a, b)]
        gaps[f"accuracy_{name}"] = metrics.paired_difference(*correct)
        consistent = [(r.predictions[:, j] == clean[j][None]).mean(axis=0) for r in (a, b)]
        gaps[f"rca_{name}"] = metrics.paired_difference(*consistent)
    gaps["psnr_db"] = metrics.paired_difference(a.psnr.mean(axis=0), b.psnr.mean(axis=0))
    gaps["ssim"] = metrics.paired_difference(a.ssim.mean(axis=0), b.ssim.mean(axis=0))
    for name in a.perceptual:
        gaps[name] = metrics.paired_difference(a.perceptual[name].mean(axis=0), b.perceptual[name].mean(axis=0))
    return {k: {"gap": m, "ci95": h} for k, (m, h) in gaps.items()}


def example_indices(n_images: int, count: int = 8) -> np.ndarray:
    """Evenly spaced image indices (one per class for a class-sorted set) for image grids."""
    return np.unique(np.linspace(0, n_images - 1, min(count, n_images)).astype(int))


def fade_seed(seed: int, snr_db: float, cpp: float, run: int) -> list:
    """Stateless seed ``[2]`` of one run's fades: from (seed, SNR, CPP, run) alone, never the codec, so
    every codec meets the same fade on the same image."""
    return [derive_seed(seed, "<fades>", snr_db, cpp, run), run]


def pilot_cpp(channel, height: int, width: int) -> float:
    """CPP the pilots of one image take (estimated CSI, one coherence block per image)."""
    return channel.pilots / (height * width)


def run_point(codec, label: str, images, snr_db: float, cpp: float, n_runs: int, seed: int,
              evaluator: Evaluator, channel) -> PointRuns:
    """Transmit once, then R runs of channel + receive + evaluation.

    ``channel``: a :class:`~linksim.channels.base.Channel`. Under fading every run draws one
    :class:`~linksim.channels.base.Fades` table from :func:`fade_seed`, and even a noise-free codec
    (the capacity bound) meets a new fade each run. Pilots of estimated CSI are charged to the budget:
    the codec transmits at the CPP left after them, and each image's channel uses include them.
    """
    import sionna
    height, width = images.shape[1:3]
    pilots = pilot_cpp(channel, height, width)
    tx = codec.transmit(images, snr_db, cpp - pilots)
    if channel.pilots:
        tx.channel_uses = np.where(tx.outage & (tx.channel_uses == 0), 0, tx.channel_uses + channel.pilots)
    deterministic = not codec.uses_channel and not (channel.fading and codec.feels_fades)
    per_run = []
    for r in range(n_runs):
        if r > 0 and deterministic:
            per_run.append(per_run[0])     # deterministic codec: every run is the same
            continue
        received, fades = tx.symbols, None
        if channel.fading and not deterministic:
            fades = channel.fades(len(images), symbol_budget(cpp, height, width), snr_db,
                                  fade_seed(seed, snr_db, cpp, r))
        if codec.uses_channel and tx.symbols.size:
            sionna.config.seed = derive_seed(seed, label, snr_db, cpp, r)
            received = (channel.send(tx.symbols, tx.layout, fades, snr_db).reshape(tx.symbols.shape)
                        if channel.fading else channel(tx.symbols, snr_db).symbols)
        rx = codec.receive(received, tx, snr_db, fades) if channel.fading else codec.receive(received, tx, snr_db)
        shown = as_uint8(rx.images)
        repeats = codec.digital or deterministic              # the same images come back run after run
        per_run.append((evaluator.evaluate(shown, memoise=repeats), rx.outage, shown[example_indices(len(shown))]))
    measured = [m for m, _, _ in per_run]
    stack = lambda values: np.stack(list(values))
    distinct = list({id(m): m for m in measured}.values())      # a codec without a channel: one run, R times
    frechet = evaluator.perceptual.frechet([m.pooled for m in distinct]) if measured[0].pooled is not None else {}
    return PointRuns(stack(m.predictions for m in measured), stack(m.psnr for m in measured),
                     stack(m.ssim for m in measured), stack(o for _, o, _ in per_run),
                     np.broadcast_to(tx.channel_uses, (n_runs, len(images))),
                     np.broadcast_to(tx.source_bits, (n_runs, len(images))), per_run[0][2],
                     measured[0].predictions[0][example_indices(len(images))],
                     {name: stack(m.perceptual[name] for m in measured) for name in measured[0].perceptual},
                     {name: np.array([v["value"], v["bias_corrected"], v["ci95_low"], v["ci95_high"]])
                      for name, v in frechet.items()})


def scenario_channel(scenario: Scenario, image_shape=None):
    """The scenario's :class:`~linksim.channels.base.Channel` (AWGN when it names none).

    Raises:
        ConfigError: estimated CSI with another coherence than ``per_image`` (a scenario charges pilots
            once per image), or pilots that outspend a CPP of the grid (``image_shape`` ``(H, W)`` given).
    """
    from .channels import CHANNELS, AWGNConfig
    channel = CHANNELS.build(scenario.channel or AWGNConfig())
    if channel.pilots and channel.config.coherence != "per_image":
        raise ConfigError("channel: a scenario charges pilots once per image: csi 'estimated' needs "
                          "coherence 'per_image'")
    if channel.pilots and image_shape is not None:
        short = [c for c in scenario.cpp if symbol_budget(c, *image_shape) <= channel.pilots]
        if short:
            raise ConfigError(f"channel: {channel.pilots} pilots leave no symbol at CPP {short[0]:g}")
    return channel


def build_codecs(scenario: Scenario) -> dict:
    """Output label -> codec object for every codec node of the scenario."""
    from .registry import CODECS
    return {label: CODECS.build(config) for config, label in zip(scenario.codecs, codec_labels(scenario.codecs))}


@dataclass
class ScenarioResult:
    """Everything a scenario run produces.

    Attributes:
        points: one summary dict per (codec, SNR, CPP) (see :func:`summarize`).
        reference: every judge's accuracy and macro-F1 on the clean images.
        examples: ``{(codec, snr, cpp): (uint8 [E, H, W, 3], predictions [E])}`` of the first run.
        originals: ``(uint8 [E, H, W, 3], predictions [E], labels [E])``: the example
            images as sent, the primary judge's predictions on them and their labels.
        comparisons: paired gaps of the scenario's ``compare`` pairs at every (SNR, CPP).
    """
    points: list
    reference: dict
    examples: dict
    originals: tuple
    comparisons: list


def configure_threads(threads: int) -> None:
    """Fix TensorFlow's intra- and inter-op thread counts before its runtime starts.

    Float reductions split across threads sum in a thread-count-dependent
    order, so numbers are reproducible for a given count: the driver and
    every parallel worker use the same one (``--threads``).

    Raises:
        ConfigError: TensorFlow already runs with other thread counts.
    """
    import tensorflow as tf
    from .errors import ConfigError
    threading = tf.config.threading
    if (threading.get_intra_op_parallelism_threads(), threading.get_inter_op_parallelism_threads()) == \
            (threads, threads):
        return
    try:
        threading.set_intra_op_parallelism_threads(threads)
        threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        raise ConfigError(f"TensorFlow already started with other thread counts; set {threads} threads "
                          "before any TensorFlow work") from None


def grid_points(scenario: Scenario, judge_names: tuple, dataset: Dataset, with_keys: bool = True) -> list:
    """``(label, snr, cpp, store key)`` of every grid point, codec-major (keys None if not ``with_keys``)."""
    from .config import to_plain
    from .store import images_digest, point_key
    configs = dict(zip(codec_labels(scenario.codecs), (to_plain(c) for c in scenario.codecs)))
    digest = images_digest(dataset.images, dataset.labels) if with_keys else None
    return [(label, snr, cpp, point_key(label, config, snr, cpp, scenario.runs, scenario.seed, judge_names, digest,
                                        scenario.evaluation_key, scenario.channel_key) if with_keys else None)
            for label, config in configs.items() for snr in scenario.snr_db for cpp in scenario.cpp]


def run_scenario(scenario: Scenario, dataset: Dataset, judges: dict, progress=None, codecs=None,
                 store=None) -> ScenarioResult:
    """Run every (codec, SNR, CPP) of ``scenario`` on ``dataset``.

    Args:
        judges: ``{name: classifier}``, the primary judge first.
        progress: a started :class:`~linksim.progress.Progress` (one unit per grid point); silent if None.
        codecs: those of :func:`build_codecs` (built here when None).
        store: optional :class:`~linksim.store.PointStore`: points found there
            are reused, every computed point is saved there as it finishes.
    """
    from .progress import Progress
    from .results import psnr_text
    progress = progress or Progress()
    images, labels = dataset.images, dataset.labels
    n_classes, pixels = len(dataset.classes), images.shape[1] * images.shape[2]
    names = tuple(judges)
    evaluator = scenario_evaluator(scenario, judges, images)
    clean = evaluator.predict(images)
    reference = {"clean_accuracy": float(np.mean(clean[0] == labels)),
                 "clean_f1_macro": metrics.f1_macro(labels, clean[0], n_classes),
                 "judges": {name: {"clean_accuracy": float(np.mean(clean[j] == labels)),
                                   "clean_f1_macro": metrics.f1_macro(labels, clean[j], n_classes)}
                            for j, name in enumerate(names)}}
    channel = scenario_channel(scenario, images.shape[1:3])
    points, examples, kept = [], {}, {}
    compared = {label for pair in scenario.compare_pairs for label in pair}
    codecs = codecs or build_codecs(scenario)
    for codec in codecs.values():
        codec.channel = channel                # its statistics, for a link that plans by them
    grid = grid_points(scenario, names, dataset, with_keys=store is not None)
    for label, snr, cpp, key in grid:
        codec = codecs[label]
        stored = store.get(key) if store is not None else None
        if stored is None:
            progress.begin(f"{label} snr {snr:g} dB cpp {cpp:g}")
            t0 = time.time()
            runs = run_point(codec, label, images, snr, cpp, scenario.runs, scenario.seed, evaluator, channel)
            seconds = time.time() - t0
            if store is not None:
                store.put(key, runs, seconds)
        else:
            runs, seconds = stored
        point = summarize(label, snr, cpp, runs, labels, clean, n_classes, pixels, codec.uses_channel, names,
                          codec.sends_bits)
        point["seconds"] = round(seconds, 2)
        points.append(point)
        examples[label, snr, cpp] = (runs.example_images, runs.example_predictions,
                                     runs.outage[0][example_indices(len(images))])
        if label in compared:
            kept[label, snr, cpp] = runs
        psnr = psnr_text(point)
        progress.done(f"{label:<14} snr {snr:g} dB cpp {cpp:g}: acc {point['accuracy']:.3f} "
                      f"psnr {psnr}{'' if psnr == 'lossless' else ' dB'} outage {point['outage_rate']:.2f} "
                      + ("(stored)" if stored is not None else f"({seconds:.1f} s)"), computed=stored is None)
    comparisons = [{"a": a, "b": b, "snr_db": snr, "cpp_target": cpp,
                    **paired_gaps(kept[a, snr, cpp], kept[b, snr, cpp], labels, clean, names)}
                   for a, b in scenario.compare_pairs for snr in scenario.snr_db for cpp in scenario.cpp]
    shown = example_indices(len(images))
    return ScenarioResult(points, reference, examples, (images[shown], clean[0][shown], labels[shown]),
                          comparisons)


def cliffs(points: list, codecs=None) -> list:
    """Per codec (of ``codecs``, default all) and SNR, the smallest CPP at which at least half the images arrive."""
    out = []
    for codec in codecs if codecs is not None else dict.fromkeys(p["codec"] for p in points):
        for snr in dict.fromkeys(p["snr_db"] for p in points if p["codec"] == codec):
            ok = sorted(p["cpp_target"] for p in points if p["codec"] == codec and p["snr_db"] == snr
                        and p["outage_rate"] <= 0.5)
            out.append({"codec": codec, "snr_db": snr, "min_cpp_half_delivered": ok[0] if ok else None})
    return out
