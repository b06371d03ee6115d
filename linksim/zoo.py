"""Shipped weights: name -> file, sha256, architecture, the command that made them, figures.

``weights/zoo.json`` is the registry. Every file is checked against its
sha256 before it is loaded; a mismatch or a missing file raises
:class:`~linksim.errors.WeightsError`.
"""
from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path

from .errors import WeightsError


def registry() -> dict:
    """The parsed ``weights/zoo.json``."""
    return json.loads(resources.files("linksim.weights").joinpath("zoo.json").read_text())


def weights_dir() -> Path:
    """Folder holding weight files: ``$LINKSIM_WEIGHTS`` or the package's ``weights/``."""
    env = os.environ.get("LINKSIM_WEIGHTS")
    return Path(env) if env else Path(str(resources.files("linksim.weights")))


def entry(name: str) -> dict:
    """The zoo entry of ``name``, or the entry of a ``linksim train`` output file (see :func:`run_entry`)."""
    if is_run_output(name):
        return run_entry(name)
    zoo = registry()
    if name not in zoo:
        raise WeightsError(f"no weights named '{name}' in the zoo; available: {', '.join(sorted(zoo))}")
    return zoo[name]


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_run_output(name: str) -> bool:
    """Whether ``name`` is a weights file written by ``linksim train`` rather than a zoo name."""
    return name.endswith(".weights.npz")


#: Training options that make up the geometry of each trainable network family, by architecture.
RUN_GEOMETRY = {"ar_jscc": ("groups", "fixed_groups", "width"),
                "qmap": ("width", "latent", "hyper_latent", "condition", "t1", "t2")}


def run_entry(path: str) -> dict:
    """An entry for a network trained but not shipped (deep JSCC, Qmap codec): its run folder's ``config.json``.

    ``path`` is ``<run folder>/<name>.weights.npz``; the architecture and
    geometry come from the training options beside it (a Qmap run's options
    hold ``t1``) and the sha256 from the file itself, so results name exactly
    the weights they used.

    Raises:
        WeightsError: the file or its run folder's ``config.json`` is missing.
    """
    file, config = Path(path), Path(path).parent / "config.json"
    if not file.is_file() or not config.is_file():
        raise WeightsError(f"'{path}' is neither a zoo name nor a `linksim train` weights file "
                           f"with config.json beside it")
    try:
        options = json.loads(config.read_text())
        arch = "qmap" if "t1" in options else "ar_jscc"
        geometry = {k: options[k] for k in RUN_GEOMETRY[arch]}
    except (ValueError, KeyError, TypeError) as err:
        raise WeightsError(f"{config} does not hold a training run's options ({err})") from None
    return {"file": str(file.resolve()), "arch": arch, "sha256": sha256_file(file), "geometry": geometry}


def verified_path(name: str) -> Path:
    """Path of the weight file of ``name`` after checking its sha256."""
    e = entry(name)
    path = weights_dir() / e["file"]
    if not path.is_file():
        raise WeightsError(f"weights file {path} for '{name}' is missing; reinstall linksim "
                           "or point LINKSIM_WEIGHTS at a folder holding it")
    digest = sha256_file(path)
    if digest != e["sha256"]:
        raise WeightsError(f"weights file {path} for '{name}' is corrupt: sha256 {digest[:12]}... "
                           f"!= expected {e['sha256'][:12]}...; reinstall linksim")
    return path


def load_classifier(name: str, base: bool = False):
    """Build the classifier ``name`` and load its sha256-verified weights. Returns a Keras model.

    An entry with ``"test_time_flip": true`` is returned wrapped in
    :func:`~linksim.models.classifier.with_flip_averaging` (its figures are
    measured so), unless ``base`` asks for the network alone.
    """
    from .models.classifier import ARCHITECTURES, with_flip_averaging
    e = entry(name)
    path = verified_path(name)
    model = ARCHITECTURES[e["arch"]]()
    try:
        model.load_weights(str(path))
    except (OSError, ValueError) as err:
        raise WeightsError(f"cannot load weights {path} for '{name}': {err}") from None
    return with_flip_averaging(model) if e.get("test_time_flip") and not base else model


def load_jscc(name: str):
    """Build the deep JSCC network ``name`` (geometry from its zoo entry) with its verified weights."""
    from .models.jscc import AdaptiveRateJSCC
    return _load_npz_model(name, AdaptiveRateJSCC)


def load_qmap(name: str):
    """Build the Qmap codec network ``name`` (geometry from its entry) with its verified weights."""
    from .models.qmap import QmapCodec
    if entry(name)["arch"] != "qmap":
        raise WeightsError(f"'{name}' is not a Qmap codec's weights (arch {entry(name)['arch']})")
    return _load_npz_model(name, QmapCodec)


def load_allocator(jscc_name: str):
    """The group allocator shipped for the deep JSCC network ``jscc_name`` (named by its entry's ``allocator``)."""
    from .models.jscc import GroupAllocator
    e = entry(jscc_name)
    if "allocator" not in e:
        raise WeightsError(f"no group allocator is shipped for '{jscc_name}' (adaptive mode needs one); "
                           f"train one with `linksim train allocator --set jscc={jscc_name}` or use mode: fixed")
    return _load_npz_model(e["allocator"], GroupAllocator)


def load(name: str):
    """Any zoo entry, by its architecture: a classifier, a deep JSCC network or a group allocator."""
    from .models.jscc import GroupAllocator
    arch = entry(name)["arch"]
    if arch == "ar_jscc":
        return load_jscc(name)
    if arch == "jscc_allocator":
        return _load_npz_model(name, GroupAllocator)
    if arch == "qmap":
        return load_qmap(name)
    return load_classifier(name)


def _load_npz_model(name: str, cls):
    e = entry(name)
    path = verified_path(name)
    model = cls(**e.get("geometry", {}))
    try:
        model.load_npz(path)
    except (OSError, ValueError) as err:
        raise WeightsError(f"cannot load weights {path} for '{name}': {err}") from None
    return model
