"""Shipped weights: name -> file, sha256, architecture, the command that made them, figures.

``weights/zoo.json`` is the registry. Every file is checked against its
sha256 before it is loaded; a mismatch or a missing file raises
:class:`~linksim.errors.WeightsError`.
"""
from __future__ import annotations

import hashlib
import json
import os
import zipfile
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


def recorded_sha256_path(path) -> Path:
    """Where a training run records the sha256 of a weights file it wrote: ``<file>.sha256``."""
    return Path(f"{path}.sha256")


def write_weights(path, save) -> str:
    """Write a weights file with ``save(temporary path)``, rename it into place and record its sha256.

    The record (``<file>.sha256``, sha256sum's format) lets a later load tell a
    damaged or partly copied file from the one training wrote; it does not stop
    a deliberate swap of file and record. Returns the sha256.
    """
    path = Path(path)
    tmp = path.with_name(f".tmp-{path.name}")             # same suffix: Keras picks the format from it
    save(tmp)
    os.replace(tmp, path)
    digest = sha256_file(path)
    recorded_sha256_path(path).write_text(f"{digest}  {path.name}\n")
    return digest


def is_run_output(name: str) -> bool:
    """Whether ``name`` is a weights file written by ``linksim train`` rather than a zoo name."""
    return name.endswith((".weights.npz", ".weights.h5"))


#: Training options that make up the geometry of each trainable network family, by architecture.
RUN_GEOMETRY = {"ar_jscc": ("groups", "fixed_groups", "width"),
                "qmap": ("width", "latent", "hyper_latent", "condition", "t1", "t2"),
                "dmv_jnd": ("width",), "classifier": ()}


def _run_arch(options: dict) -> str:
    """The architecture a run folder's training options describe (a classifier run names its own)."""
    from .models.classifier import ARCHITECTURES
    if "t1" in options:
        return "qmap"
    if "classifiers" in options:
        return "dmv_jnd"
    if options.get("arch") in ARCHITECTURES:
        return options["arch"]
    return "ar_jscc"


def run_entry(path: str) -> dict:
    """An entry for a network trained but not shipped (a classifier, deep JSCC, a Qmap codec, DMV-JND-NET): its
    run folder's ``config.json``. A classifier run is judged as its base network (no flip averaging).

    ``path`` is ``<run folder>/<name>.weights.npz``; the architecture and
    geometry come from the training options beside it (a Qmap run's options
    hold ``t1``), and the file must match the sha256 its training recorded
    (:func:`write_weights`), so results name exactly the weights they used.

    Raises:
        WeightsError: the file, its run folder's ``config.json`` or its
            recorded sha256 is missing, or the file does not match the record.
    """
    file, config = Path(path), Path(path).parent / "config.json"
    if not file.is_file() or not config.is_file():
        raise WeightsError(f"'{path}' is neither a zoo name nor a `linksim train` weights file "
                           f"with config.json beside it")
    try:
        options = json.loads(config.read_text())
        arch = _run_arch(options)
        geometry = {k: options[k] for k in RUN_GEOMETRY.get(arch, RUN_GEOMETRY["classifier"])}
    except (ValueError, KeyError, TypeError) as err:
        raise WeightsError(f"{config} does not hold a training run's options ({err})") from None
    record = recorded_sha256_path(file)
    if not record.is_file():
        raise WeightsError(f"{file} has no recorded sha256 ({record.name}), so damage cannot be ruled out; if you "
                           f"trust the file, record it with `sha256sum {file.name} > {record.name}` in its folder")
    digest, recorded = sha256_file(file), record.read_text().split(" ")[0].strip()
    if digest != recorded:
        raise WeightsError(f"{file} is damaged: sha256 {digest[:12]}... != {recorded[:12]}... recorded when "
                           "it was trained")
    return {"file": str(file.resolve()), "arch": arch, "sha256": digest, "geometry": geometry, "config": options}


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
    e = classifier_entry(name)
    path = verified_path(name)
    model = ARCHITECTURES[e["arch"]]()
    try:
        model.load_weights(str(path))
    except (OSError, ValueError) as err:
        raise WeightsError(f"cannot load weights {path} for '{name}': {err}") from None
    return with_flip_averaging(model) if e.get("test_time_flip") and not base else model


def classifier_entry(name: str) -> dict:
    """The entry of ``name`` if it is a classifier (a judge must be); raises WeightsError otherwise."""
    from .models.classifier import ARCHITECTURES
    e = entry(name)
    if e["arch"] not in ARCHITECTURES:
        raise WeightsError(f"'{name}' is not a classifier (arch {e['arch']}); classifiers: "
                           f"{', '.join(classifier_names())}")
    return e


def classifier_names() -> list:
    """Zoo names of the classifiers (the possible judges)."""
    from .models.classifier import ARCHITECTURES
    return sorted(k for k, v in registry().items() if v["arch"] in ARCHITECTURES)


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
    if not zipfile.is_zipfile(path):
        raise WeightsError(f"{path} for '{name}' is not a weights file (.npz expected)")
    model = cls(**e.get("geometry", {}))
    try:
        model.load_npz(path)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise WeightsError(f"cannot load weights {path} for '{name}': {err}") from None
    return model
