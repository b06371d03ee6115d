"""Every `python -m linksim ...` command written in README.md and the docs works as written.

A `run` or `rd` is validated, then run at tiny size (10 images, 1 run, one grid point); a `ber` runs with a
few thousand bits; `list` and `validate` run as written; a `train` is parsed by the real parser, its options
by its trainer's config class, and the weights it starts from must exist (a zoo name, or a shipped stand-in
for the output of a `train` command written before it in the same file). The first written `train` of each
trainer (model, `--arch`, HEVRC stage) then runs one epoch of one step (batch = the 20 tiny training
images) with every other option as written; the others differ from it only in options the parse checks.
`PATH` and `<cifar10-jpeg>` stand for the data: a command that needs training images gets a tiny image
folder, a test-split command the embedded sample.
"""
import shlex
from pathlib import Path

import pytest

from linksim.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PLACEHOLDERS = ("PATH", "<cifar10-jpeg>", "<cifar10-jpeg root>")
#: What a `train` model writes into its --out folder (by model, then --arch for a classifier).
TRAINED = {"ar_jscc": "ar_jscc.weights.npz", "sp_jscc": "sp_jscc.weights.npz", "qmap2021": "qmap2021.weights.npz",
           "allocator": "allocator.weights.npz", "dmv_jnd": "dmv_jnd.weights.h5"}
#: A shipped stand-in of the same kind for a file a written `train` command produces.
STAND_IN = {"sp_jscc.weights.npz": "sp_jscc", "ar_jscc.weights.npz": "ar_jscc", "qmap2021.weights.npz": "qmap2021",
            "hevrc_nogan.weights.npz": "qmap2021", "resnet20.weights.h5": "resnet20"}


def written_commands(page: Path) -> list:
    """The commands of a page's code (fenced or indented), joined over `\\` line ends, comments removed."""
    lines, out, fenced = page.read_text().splitlines(), [], False
    i = 0
    while i < len(lines):
        line = lines[i]
        fenced = fenced != line.strip().startswith("```")
        code = fenced or line.startswith("    ")
        if code and line.strip().startswith("python -m linksim"):
            text = line.strip()
            while text.endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text[:-1].rstrip() + " " + lines[i].strip()
            out.append(shlex.split(text, comments=True)[3:])
        i += 1
    return out


WRITTEN = [(page, argv) for page in PAGES for argv in written_commands(page)]
COMMANDS = [(page, argv) for k, (page, argv) in enumerate(WRITTEN)
            if argv not in [a for _, a in WRITTEN[:k]]]          # a command written twice is tested once


def _ids():
    return [f"{page.name}:{' '.join(argv)[:60]}" for page, argv in COMMANDS]


def test_the_pages_hold_commands():
    assert len(WRITTEN) >= 25
    assert any(argv[0] == "train" for _, argv in COMMANDS) and any(argv[0] == "rd" for _, argv in COMMANDS)


def _option(argv, name):
    return argv[argv.index(name) + 1] if name in argv else None


def trainer_of(argv) -> tuple:
    """What a `train` command trains: the model, its architecture, its HEVRC stage."""
    return argv[1], _option(argv, "--arch"), next((a for a in argv if a.startswith("stage=")), None)


#: The first written `train` command of each trainer, run for one step.
STEPPED = {trainer_of(argv): argv for _, argv in reversed(COMMANDS) if argv[0] == "train"}


def _produced(page, before) -> dict:
    """Weights files the `train` commands written before this one in the page will write."""
    produced = {}
    for argv in before:
        if argv[0] == "train" and _option(argv, "--out"):
            model = argv[1]
            name = f"{_option(argv, '--arch') or 'resnet20'}.weights.h5" if model == "classifier" else \
                ("hevrc.weights.npz" if "stage=3" in argv else "hevrc_nogan.weights.npz") if model == "hevrc" else \
                TRAINED[model]
            produced[str(Path(_option(argv, "--out")) / name)] = name
    return produced


def _with_stand_ins(argv, produced):
    """``argv`` with each path a written `train` command produces replaced by a shipped weights name."""
    out = []
    for arg in argv:
        for path, name in produced.items():
            if name in STAND_IN:
                arg = arg.replace(path, STAND_IN[name])
        out.append(arg)
    return out


def _data(argv, tiny_train_folder):
    """Placeholders for the data: the tiny training folder for `train`, none (the embedded sample) otherwise."""
    if "--data" not in argv or _option(argv, "--data") not in PLACEHOLDERS:
        return argv
    i = argv.index("--data")
    return argv[:i] + (["--data", str(tiny_train_folder)] if argv[0] == "train" else []) + argv[i + 2:]


@pytest.mark.parametrize("page, argv", COMMANDS, ids=_ids())
def test_written_command(page, argv, tmp_path, tiny_train_folder, monkeypatch):
    monkeypatch.chdir(ROOT)
    stepped = argv[0] == "train" and STEPPED[trainer_of(argv)] == argv
    on_page = [a for p, a in WRITTEN if p == page]
    before = on_page[:on_page.index(argv)]
    argv = _with_stand_ins(_data(argv, tiny_train_folder), _produced(page, before))
    args = build_parser().parse_args(argv)                 # every option exists as written
    command = argv[0]
    out = tmp_path / "out"
    if command == "train":
        check_train(args)
        if stepped:
            assert main(_replace_out(argv, out) + ["--epochs", "1", "--set", f"batch_size={TINY_TRAIN_IMAGES}"]) == 0
    elif command in ("list", "validate"):
        assert main(argv) == 0
    elif command == "ber":
        assert main(_replace_out(argv, out) + ["--max-bits", "2000", "--target-block-errors", "1"]) == 0
    else:                                                  # run, rd
        assert main(["validate", *_without(argv[1:], ("--out",))]) == 0
        tiny = ["--images", "10", "--out", str(out), "--quiet"]
        if command == "run":
            tiny += ["--runs", "1", "--set", "snr_db=[10]", "--set", "cpp=[0.5]", "--set", "ssim=false"]
        assert main(_without(argv, ("--out", "--images", "--runs")) + tiny) == 0


def _replace_out(argv, out):
    return _without(argv, ("--out",)) + ["--out", str(out)]


def _without(argv, options):
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in options:
            skip = True
        else:
            out.append(arg)
    return out


def check_train(args):
    """The trainer's options as `linksim train` reads them, and the weights it starts from."""
    from linksim import zoo
    from linksim.cli import train_plan
    _, cfg = train_plan(args)
    for key in ("init", "jscc"):
        name = getattr(cfg, key, None)
        if name:
            zoo.entry(name)                                  # a zoo name, or a run output that exists


TINY_TRAIN_IMAGES = 20


@pytest.fixture(scope="module")
def tiny_train_folder(tmp_path_factory):
    """An image-folder tree with train/ and test/, 2 images per class each (``TINY_TRAIN_IMAGES`` in train/)."""
    import numpy as np
    from PIL import Image
    from linksim import CIFAR10_CLASSES
    root = tmp_path_factory.mktemp("cifar")
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for label, cls in enumerate(CIFAR10_CLASSES):
            (root / split / cls).mkdir(parents=True)
            for i in range(2):
                img = np.clip(rng.normal(25 * label, 40, (32, 32, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(img).save(root / split / cls / f"{i:04d}.png")
    return root
