"""Per-point results of a sweep on disk, written atomically, so an interrupted run can resume.

Every finished grid point is one ``points/<key>.npz`` in the run folder,
holding the point's per-run, per-image outcomes (:class:`~linksim.sim.PointRuns`).
The key hashes everything the outcome depends on: the codec's label and
configuration, SNR, CPP, runs, seed, the judges and the images themselves;
so a resumed run reuses only points that an uninterrupted run would have
computed identically (the noise of each run derives from those alone), and a
changed scenario recomputes what changed. A file appears under its final name
only once completely written (write to a temporary name, then rename), so a
run killed at any moment leaves either a whole point or none.

A point is verified before it is reused: it must load, hold every array, carry
its own key and a sha256 of its arrays that matches them, and have the shapes
its run count, judges and image count imply. A point that fails (a damaged
disk, a partial copy, a file of another run) is recomputed with one warning.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np

from .errors import LinksimWarning

_ARRAYS = ("predictions", "psnr", "ssim", "outage", "channel_uses", "source_bits", "example_images",
           "example_predictions")


#: Prefixes of the optional per-metric arrays (:attr:`PointRuns.perceptual` and :attr:`PointRuns.frechet`).
_EXTRA = ("perceptual__", "frechet__")


def point_key(codec_label: str, codec_config: dict, snr_db: float, cpp: float, runs: int, seed: int,
              judges: tuple, images_digest: str, evaluation=None, channel=None) -> str:
    """Hex key of one grid point's outcome (``evaluation``: the scenario's perceptual metrics, if any;
    ``channel``: its channel node, None for AWGN, so AWGN keys are those of before channels had a node)."""
    parts = [codec_label, codec_config, float(snr_db), float(cpp), runs, seed, list(judges), images_digest]
    if evaluation is not None or channel is not None:
        parts.append(evaluation)
    if channel is not None:
        parts.append(channel)
    text = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def images_digest(images: np.ndarray, labels: np.ndarray) -> str:
    """Digest of a dataset's pixels and labels."""
    h = hashlib.sha256(images.tobytes())
    h.update(np.asarray(labels, np.int64).tobytes())
    return h.hexdigest()


def _checksum(arrays: dict) -> str:
    h = hashlib.sha256()
    for name in (*_ARRAYS, *sorted(n for n in arrays if n.startswith(_EXTRA))):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


class PointStore:
    """Finished points of one run folder.

    Args:
        folder: the run's output folder; points go to ``folder/points``.
        runs, judges, images: the scenario's run count, number of judges and
            image count, which every stored point's arrays must match.
        perceptual, frechet: names of the per-image perceptual metrics and of
            the Frechet distance every stored point must hold.
    """

    def __init__(self, folder, runs: int, judges: int, images: int, perceptual=(), frechet=()):
        self.folder = Path(folder) / "points"
        self.shapes = {"predictions": (runs, judges, images), "psnr": (runs, images), "ssim": (runs, images),
                       "outage": (runs, images), "channel_uses": (runs, images), "source_bits": (runs, images),
                       **{f"perceptual__{n}": (runs, images) for n in perceptual},
                       **{f"frechet__{n}": (4,) for n in frechet}}

    def clear(self) -> None:
        """Forget every stored point (a fresh, non-resumed run)."""
        if self.folder.is_dir():
            for path in self.folder.glob("*.npz"):
                path.unlink()

    def get(self, key: str):
        """``(PointRuns, seconds it took)`` stored under ``key``, or None (also for a point that fails its checks)."""
        from .sim import PointRuns
        path = self.folder / f"{key}.npz"
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                extra = [name for name in z.files if name.startswith(_EXTRA)]
                arrays = {name: z[name] for name in (*_ARRAYS, *extra, "seconds", "key", "checksum")}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
            return self._reject(path, f"unreadable ({type(e).__name__})")
        if str(arrays["key"]) != key:
            return self._reject(path, "holds another point")
        if str(arrays["checksum"]) != _checksum(arrays):
            return self._reject(path, "fails its checksum")
        wrong = [name for name, shape in self.shapes.items() if name not in arrays or arrays[name].shape != shape]
        if wrong:
            return self._reject(path, f"lacks or has the wrong shape for {', '.join(wrong)}")
        return PointRuns(**{name: arrays[name] for name in _ARRAYS},
                         perceptual={n[len("perceptual__"):]: a for n, a in arrays.items() if n.startswith("perceptual__")},
                         frechet={n[len("frechet__"):]: a for n, a in arrays.items() if n.startswith("frechet__")}), \
            float(arrays["seconds"])

    @staticmethod
    def _reject(path: Path, why: str):
        warnings.warn(f"stored point {path} {why}: recomputing it", LinksimWarning, stacklevel=3)
        return None

    def put(self, key: str, runs, seconds: float) -> None:
        """Store ``runs`` (a :class:`~linksim.sim.PointRuns`) and its compute time under ``key``, atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        arrays = {name: np.asarray(getattr(runs, name)) for name in _ARRAYS}
        arrays.update({f"perceptual__{n}": np.asarray(a) for n, a in runs.perceptual.items()})
        arrays.update({f"frechet__{n}": np.asarray(a) for n, a in runs.frechet.items()})
        tmp = self.folder / f".{key}.{os.getpid()}.tmp.npz"
        np.savez_compressed(tmp, seconds=seconds, key=key, checksum=_checksum(arrays), **arrays)
        os.replace(tmp, self.folder / f"{key}.npz")

    def __len__(self):
        return len(list(self.folder.glob("*.npz"))) if self.folder.is_dir() else 0
