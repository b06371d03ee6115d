"""Checkpointed, resumable epoch loop shared by every trainer.

A run folder holds ``config.json`` (the training options), ``ckpt/`` (the
last two checkpoints of the tracked objects and the epoch counter) and
``wall.json`` (training seconds summed over sessions). Running the same
command again resumes after the last finished epoch; running it with other
options in the same folder is refused, so a resumed model is never trained
under two configurations.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import MISSING, asdict, fields
from pathlib import Path

import numpy as np
import tensorflow as tf

from ..errors import ConfigError


class EpochLoop:
    """Run ``train_epoch(epoch) -> message`` for the epochs not yet done, checkpointing after each.

    Args:
        out_dir: run folder (created if missing).
        config: frozen dataclass of the training options; stored in
            ``config.json`` and compared on resume.
        log: callable taking one line of text.
        **trackables: objects to checkpoint (e.g. ``model=``, ``optimizer=``).
    """

    def __init__(self, out_dir, config, log=print, **trackables):
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.log = log
        defaults = {f.name: f.default for f in fields(config) if f.default is not MISSING}
        plain = lambda d: json.loads(json.dumps(d))                  # tuples compare as stored lists
        self._check_config(plain(asdict(config)), plain(defaults))
        self.epoch = tf.Variable(0, dtype=tf.int64)
        checkpoint = tf.train.Checkpoint(epoch=self.epoch, **trackables)
        self.manager = tf.train.CheckpointManager(checkpoint, self.out / "ckpt", max_to_keep=2)
        if self.manager.latest_checkpoint:
            checkpoint.restore(self.manager.latest_checkpoint)
            log(f"resumed from {self.manager.latest_checkpoint} at epoch {int(self.epoch)}")
        wall_file = self.out / "wall.json"
        self.wall_seconds = json.loads(wall_file.read_text())["seconds"] if wall_file.exists() else 0.0

    def _check_config(self, options: dict, defaults: dict):
        """Refuse other options than the stored run's; an option the stored run predates counts at its default."""
        path = self.out / "config.json"
        if path.exists():
            stored = {**defaults, **json.loads(path.read_text())}
            changed = sorted(k for k in set(stored) | set(options) if stored.get(k) != options.get(k))
            if changed:
                diffs = ", ".join(f"{k}: {stored.get(k)!r} -> {options.get(k)!r}" for k in changed)
                raise ConfigError(f"{self.out} holds a run with other options ({diffs}); "
                                  "resume with the same options or use a new --out folder")
        else:
            path.write_text(json.dumps(options, indent=2))

    def run(self, epochs: int, train_epoch):
        """Train epochs ``[done, epochs)``; logs ``epoch i/n <message> time <s>s`` after each.

        The run folder is locked meanwhile, so a second trainer started on it stops with OutputError.
        """
        from ..folders import run_lock
        with run_lock(self.out):
            for epoch in range(int(self.epoch), epochs):
                start = time.time()
                message = train_epoch(epoch)
                self.epoch.assign(epoch + 1)
                self.manager.save()
                seconds = time.time() - start
                self.wall_seconds += seconds
                (self.out / "wall.json").write_text(json.dumps({"seconds": self.wall_seconds}))
                self.log(f"epoch {epoch + 1}/{epochs} {message} time {seconds:.0f}s")


def per_image_arrays(out: Path, name: str, images: np.ndarray, shape: tuple, compute, log=print) -> np.ndarray:
    """``compute(images)`` as float16, computed once and kept in the run folder (memory-mapped on reuse).

    The file is ``<name>-<N>-<key>.npy``, keyed on a sample of the images; a
    file that cannot be read or has another shape than ``shape`` is computed
    again. The time it took is logged (it is not in the epoch wall time).
    """
    key = hashlib.sha256(images[:: max(1, len(images) // 64)].tobytes()).hexdigest()[:12]
    path = out / f"{name}-{len(images)}-{key}.npy"
    if path.is_file():
        try:
            arrays = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as e:
            log(f"{path.name} cannot be read ({e}): recomputing")
        else:
            if arrays.shape == tuple(shape):
                return arrays
            log(f"{path.name} has shape {arrays.shape}, not {tuple(shape)}: recomputing")
    start = time.perf_counter()
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, compute(images).astype(np.float16))
    tmp.rename(path)
    log(f"{name} of {len(images)} images: {time.perf_counter() - start:.0f}s (not in the epoch wall time)")
    return np.load(path, mmap_mode="r")
